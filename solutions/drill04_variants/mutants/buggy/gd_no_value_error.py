# bug: gd_bad_p, gd_p_range
# hint: raise ValueError
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class GaussianDropout(nn.Module):
    """Multiplicative Gaussian noise with the mean and variance of inverted dropout."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        std = math.sqrt(self.p / (1.0 - self.p))
        return x * (1.0 + std * torch.randn_like(x))
