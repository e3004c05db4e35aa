import torch
import torch.nn as nn


class Dropout(nn.Module):
    """Works with the keep probability q = 1 - p throughout."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"p={p} not in [0, 1]")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        q = 1.0 - self.p
        if q == 0:
            return torch.zeros_like(x)
        keep = torch.rand_like(x) < q
        return x * keep / q
