import torch
import torch.nn as nn


class GaussianDropout(nn.Module):
    """torch.normal with a tensor of means; alpha = p / (1 - p) is the noise variance."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0.0 or p >= 1.0:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p
        self.alpha = p / (1.0 - p)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        noise = torch.normal(torch.ones_like(x), self.alpha ** 0.5)
        return x * noise
