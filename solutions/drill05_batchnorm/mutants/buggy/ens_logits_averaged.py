# bug: ensemble_arithmetic, ensemble_many, ensemble_train_mode, ensemble_sizes, ensemble_any_mode
# hint: holds the geometric mean
import torch
import torch.nn as nn


def mask_ensemble(model, x):
    i = next(k for k, m in enumerate(model) if isinstance(m, nn.Dropout))
    p, keep = model[i].p, 1.0 - model[i].p
    was_training = model.training
    model.eval()
    with torch.no_grad():
        h = model[:i](x)
        n = h.shape[-1]
        bits = torch.arange(2 ** n).unsqueeze(1).bitwise_right_shift(torch.arange(n)) & 1
        masks = bits.to(h.dtype)
        kept = masks.sum(1)
        weights = keep ** kept * p ** (n - kept)
        logits = model[i + 1:](h.unsqueeze(0) * masks.unsqueeze(1) / keep)
        log_probs = logits.log_softmax(-1)
        w = weights.view(-1, 1, 1)
        arithmetic = (w * logits).sum(0).softmax(-1)  # averages logits, not probabilities
        geometric = (w * log_probs).sum(0).softmax(-1)
        weight_scaled = model(x).softmax(-1)
    model.train(was_training)
    return {"arithmetic": arithmetic, "geometric": geometric, "weight_scaled": weight_scaled}
