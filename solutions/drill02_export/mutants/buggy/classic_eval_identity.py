# bug: classic_eval, classic_expectation
# hint: eval must multiply by the keep probability
import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Eval returns the input unchanged, as nn.Dropout does: the correction is lost."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p)
