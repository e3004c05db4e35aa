import torch
import torch.nn as nn


class DropPath(nn.Module):
    """timm's older formulation: floor(keep + U[0, 1)) is Bernoulli(keep)."""

    def __init__(self, p=0.1):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"bad p {p}")
        self.p = p

    def forward(self, x):
        if self.p == 0.0 or not self.training:
            return x
        keep = 1 - self.p
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        random_tensor = (keep + torch.rand(shape, dtype=x.dtype, device=x.device)).floor_()
        return x.div(keep) * random_tensor
