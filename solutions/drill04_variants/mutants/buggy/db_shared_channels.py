# bug: db_per_map, db_each_map
# hint: correlated across channels
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class DropBlock2d(nn.Module):
    """DropBlock (Ghiasi et al., 2018) on (N, C, H, W): drops square blocks; p is the target drop fraction."""

    def __init__(self, p=0.1, block_size=3):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.p, self.block_size = p, int(block_size)

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        n, c, h, w = x.shape
        bs = self.block_size
        if not 1 <= bs <= min(h, w):
            raise ValueError(f"block_size must be in [1, {min(h, w)}], got {bs}")
        valid_h, valid_w = h - bs + 1, w - bs + 1
        gamma = self.p / bs ** 2 * (h * w) / (valid_h * valid_w)
        # a seed at (i, j) drops the block whose top-left corner is (i, j): it always fits
        seeds = (torch.rand(n, 1, valid_h, valid_w, device=x.device).expand(n, c, valid_h, valid_w) < gamma).float()
        dropped = F.max_pool2d(F.pad(seeds, (bs - 1, bs - 1, bs - 1, bs - 1)), bs, stride=1)
        mask = 1.0 - dropped
        scale = mask.numel() / mask.sum().clamp(min=1.0)
        return x * (mask * scale).to(x.dtype)
