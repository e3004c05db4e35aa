# bug: seeded, one_pass, batched, classify_values, t_one, vectorised, classify_reference
# hint: ignores the caller's seed
import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def is_dropout(module):
    """True for the modules MC dropout switches on: torch's dropout classes (every one is an
    nn.modules.dropout._DropoutNd) and the course's own, whose class names contain 'Dropout'."""
    return (isinstance(module, nn.modules.dropout._DropoutNd)
            or "Dropout" in type(module).__name__)


@contextlib.contextmanager
def enable_mc_dropout(model):
    """Inside the `with`: every dropout module trains, every other module is in eval.
    On exit, even when the body raises, each module gets back its own earlier mode."""
    saved = [(m, m.training) for m in model.modules()]
    try:
        for m, _ in saved:
            m.training = is_dropout(m)  # this module's own flag only (m.train() recurses)
        yield model
    finally:
        for m, was in saved:
            m.training = was


def mc_samples(model, x, T):
    """The T stochastic passes as one tensor of shape (T, N, ...), without gradients.

    The T copies of x are stacked pass-major (pass t is rows t*N to t*N + N - 1), so one
    batched call draws its dropout masks in the same order as T calls in a loop."""
    torch.manual_seed(0)  # reproducible MC runs
    with torch.no_grad(), enable_mc_dropout(model):
        batch = x.repeat(T, *([1] * (x.dim() - 1)))  # a copy: in-place dropout cannot touch x
        out = model(batch)
    return out.reshape(T, x.shape[0], *out.shape[1:])


def mc_predict(model, x, T=100):
    """(mean, std) over T passes; std divides by T (population convention), so T = 1 gives 0."""
    y = mc_samples(model, x, T)
    return y.mean(dim=0), y.std(dim=0, correction=0)


def mc_classify(model, x, T=100):
    """{"probs": mean softmax (N, C), "entropy": H[mean] (N,), "mutual_info": H[mean] minus the
    mean of the passes' entropies (N,)}, all in nats."""
    logp = torch.log_softmax(mc_samples(model, x, T), dim=-1)
    p = logp.exp()
    probs = p.mean(dim=0)
    entropy = -torch.special.xlogy(probs, probs).sum(dim=-1)
    expected_entropy = -(p * logp).sum(dim=-1).mean(dim=0)
    mutual_info = (entropy - expected_entropy).clamp_min(0.0)  # >= 0 up to rounding
    return {"probs": probs, "entropy": entropy, "mutual_info": mutual_info}
