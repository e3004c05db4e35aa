import torch
import torch.nn as nn
import torch.nn.functional as F


class DropBlock2d(nn.Module):
    """The paper's picture: seeds on the full grid, but only where a whole block fits (a
    validity mask), blocks grown by max-pooling and cropped; one normalisation over the mask."""

    def __init__(self, p=0.1, block_size=3):
        super().__init__()
        if not (0 <= p < 1):
            raise ValueError(p)
        self.p = p
        self.block_size = block_size

    def forward(self, x):
        if not self.training or not self.p:
            return x
        n, c, h, w = x.shape
        bs = self.block_size
        gamma = self.p * h * w / (bs * bs * (h - bs + 1) * (w - bs + 1))
        valid = torch.zeros(h, w, dtype=torch.bool)
        valid[: h - bs + 1, : w - bs + 1] = True  # a seed is the block's top-left corner
        seeds = (torch.rand(n, c, h, w) < gamma) & valid
        # grow each seed down and to the right: pad top/left by bs - 1 and pool
        grown = F.max_pool2d(F.pad(seeds.float(), (bs - 1, 0, bs - 1, 0)), bs, stride=1)
        keep = 1 - grown
        return x * (keep * keep.numel() / keep.sum().clamp_min(1)).to(x.dtype)
