# bug: gradient, fresh_each_call, input_kept, gradient_upstream, seeded, steady, demo, fresh_mask, input_unchanged, gradient_exact, reproducible, no_drift
# hint: in-place
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
        drop = torch.rand_like(x) < self.p
        return x.masked_fill_(drop, 0).div_(1 - self.p)
