import torch
import torch.nn as nn


class Dropout(nn.Module):
    """In-place bernoulli_ on a fresh tensor (never on the input)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return x * 0
        mask = torch.empty_like(x).bernoulli_(1 - self.p)
        return x * mask.div_(1 - self.p)
