# bug: drop_rate, expectation, p0_identity, far_p_rate, shape_kept, under_no_grad, steady, drop_rate_many_p, shapes, no_grad_train, no_drift
# hint: DROP probability
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
        keep = torch.rand_like(x) < self.p  # p taken as the keep probability
        return x * keep / (1 - self.p)
