import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    """Stores the keep probability too, and prints while debugging."""

    def __init__(self, p=0.5):
        super().__init__()
        if not (0 <= p <= 1):
            raise ValueError(f"bad p {p}")
        self.p, self.keep = p, 1 - p

    def forward(self, x):
        print("ClassicDropout", "train" if self.training else "eval", tuple(x.shape))
        if not self.training:
            return x * self.keep
        return torch.where(torch.rand_like(x) >= self.p, x, torch.zeros_like(x))
