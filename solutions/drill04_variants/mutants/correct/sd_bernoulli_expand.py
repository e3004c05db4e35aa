import torch
import torch.nn as nn


class SpatialDropout2d(nn.Module):
    """torch.bernoulli on an (N, C, 1, 1) tensor of keep probabilities, multiplied in."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p >= 1:
            raise ValueError("drop probability must be in [0, 1)")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.bernoulli(torch.full((x.size(0), x.size(1), 1, 1), 1 - self.p,
                                          dtype=x.dtype, device=x.device))
        return x * keep.div(1 - self.p)
