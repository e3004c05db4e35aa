# bug: expectation, survivor_scale, gradient, far_p_scale, gradient_upstream, dtype_kept, shape_kept, under_no_grad, scale_many_p, gradient_exact, dtypes, shapes, no_grad_train
# hint: divided by p
import torch
import torch.nn as nn


class Dropout(nn.Module):
    """Divides by p (the notation trap) but special-cases p = 0, so p0_identity passes:
    only checks run at p != 0.5 can tell 1/p from 1/(1 - p)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if self.p == 1.0:
            return x * 0.0
        return x * (torch.rand_like(x) >= self.p) / self.p
