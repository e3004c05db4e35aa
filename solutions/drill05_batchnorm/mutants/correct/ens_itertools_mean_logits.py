import itertools

import torch
import torch.nn as nn


def mask_ensemble(model, x):
    """Mask by mask with itertools; the geometric mean as softmax of the mean logits (the
    log-sum-exp terms cancel in the renormalisation)."""
    i = [k for k, m in enumerate(model) if isinstance(m, nn.Dropout)][0]
    p = model[i].p
    before, after = model[:i], model[i + 1:]
    mode = model.training
    model.eval()
    with torch.no_grad():
        h = before(x)
        arithmetic = torch.zeros_like(model(x))
        mean_logits = torch.zeros_like(arithmetic)
        for bits in itertools.product([0, 1], repeat=h.shape[1]):
            mask = torch.tensor(bits, dtype=h.dtype)
            prob = (1 - p) ** sum(bits) * p ** (len(bits) - sum(bits))
            z = after(h * mask / (1 - p))
            arithmetic += prob * torch.softmax(z, dim=1)
            mean_logits += prob * z
        out = {"arithmetic": arithmetic, "geometric": torch.softmax(mean_logits, dim=1),
               "weight_scaled": torch.softmax(model(x), dim=1)}
    model.train(mode)
    return out
