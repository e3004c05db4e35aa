import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p out of range")
        self.p = float(p)

    def forward(self, x):
        if self.training:
            return x * torch.bernoulli(torch.full_like(x, 1 - self.p))
        return (1 - self.p) * x
