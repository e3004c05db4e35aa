# bug: gd_fresh_noise, gd_fresh_each_call
# hint: new noise in every forward
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GaussianDropout(nn.Module):
    """Multiplicative Gaussian noise with the mean and variance of inverted dropout."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        std = math.sqrt(self.p / (1.0 - self.p))
        if getattr(self, 'noise', None) is None or self.noise.shape != x.shape:
            self.noise = torch.randn_like(x)  # drawn once
        return x * (1.0 + std * self.noise.to(x.dtype))
