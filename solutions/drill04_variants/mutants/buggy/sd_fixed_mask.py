# bug: sd_fresh_mask, sd_fresh_each_call
# hint: new mask in every forward
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
        if getattr(self, 'mask', None) is None or self.mask.shape[:2] != x.shape[:2]:
            self.mask = (torch.rand(x.shape[0], x.shape[1], 1, 1) < keep).to(x.dtype)  # drawn once
        mask = self.mask
        return x * mask / keep
