# bug: classic_unscaled, classic_expectation
# hint: that is inverted dropout
import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Rescales survivors in training as inverted dropout does, and still scales in eval."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        keep = 1 - self.p
        if not self.training:
            return x * keep
        return x * (torch.rand_like(x) < keep) / keep
