# bug: gd_gradient, gd_gradient_mask
# hint: no gradient reached the input
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
        return (x * (1.0 + std * torch.randn_like(x))).detach().requires_grad_()
