# bug: classic_drop_rate, classic_expectation, classic_zero, classic_p_zero
# hint: p is the DROP probability
import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Keeps each unit with probability p: the paper's retain-p notation mixed into code
    where p is the drop probability."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        return x * (torch.rand_like(x) < self.p)
