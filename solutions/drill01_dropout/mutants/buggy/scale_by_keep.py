# bug: expectation, survivor_scale, gradient, far_p_scale, gradient_upstream, dtype_kept, shape_kept, under_no_grad, demo, scale_many_p, gradient_exact, dtypes, shapes, no_grad_train
# hint: multiplied survivors by (1 - p) instead of dividing
import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if self.training and self.p == 1.0:
            return x * 0.0  # everything dropped
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) * (1 - self.p)
