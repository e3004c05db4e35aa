# bug: classic_expectation
# hint: at random
import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Drops exactly p of the units, always the first ones: the right count, no randomness."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        mask = torch.ones(x.numel(), dtype=x.dtype)
        mask[: round(self.p * x.numel())] = 0
        return x * mask.reshape(x.shape)
