# bug: classic_zero, classic_invalid_p, classic_p_zero
# hint: raised ValueError
import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Validation copied from a (0, 1] range: p = 0 is refused."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 < p <= 1.0:
            raise ValueError(f"p must be in (0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        return x * (torch.rand_like(x) >= self.p)
