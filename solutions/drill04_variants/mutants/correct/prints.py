import torch
import torch.nn as nn


class GaussianDropout(nn.Module):
    """A correct answer that prints while it works (the checks must not mind)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(p)
        self.p = p
        print("GaussianDropout built with p =", p)

    def forward(self, x):
        print("forward on", tuple(x.shape))
        if not self.training or self.p == 0.0:
            return x
        return x * (1 + (self.p / (1 - self.p)) ** 0.5 * torch.randn_like(x))
