# bug: fresh_each_call, demo, fresh_mask
# hint: draw a new random mask in every forward call
import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p
        self.mask = None

    def forward(self, x):
        if self.training and self.p == 1.0:
            return x * 0.0  # everything dropped
        if not self.training:
            return x
        if self.mask is None or self.mask.shape != x.shape:
            self.mask = torch.rand_like(x) >= self.p  # drawn once, reused ever after
        return x * self.mask / (1 - self.p)
