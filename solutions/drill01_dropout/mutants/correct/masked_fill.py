import torch
import torch.nn as nn


class Dropout(nn.Module):
    """Out-of-place masked_fill of the dropped units."""

    def __init__(self, p=0.5):
        super().__init__()
        if not (0 <= p <= 1):
            raise ValueError(p)
        self.p = float(p)

    def forward(self, x):
        if self.training:
            drop = torch.rand(x.shape, device=x.device) < self.p
            scale = 1 / (1 - self.p) if self.p < 1 else 0.0
            return x.masked_fill(drop, 0) * scale
        return x
