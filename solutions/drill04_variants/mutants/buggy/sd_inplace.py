# bug: sd_input_unchanged, sd_gradient, sd_input_kept, sd_gradient_mask
# hint: in place
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SpatialDropout2d(nn.Module):
    """Drops whole channels: one keep/drop decision per (sample, channel) of an (N, C, H, W) input."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = (torch.rand(x.shape[0], x.shape[1], 1, 1, device=x.device) < keep).to(x.dtype)
        return x.mul_(mask / keep)
