# bug: sd_gradient, sd_gradient_mask
# hint: same mask and scale
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
        return _Scaled.apply(x, mask / keep)


class _Scaled(torch.autograd.Function):
    """x * scale with a backward that forgets the upstream gradient (the bug)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(scale)
        return x * scale

    @staticmethod
    def backward(ctx, grad_output):
        (scale,) = ctx.saved_tensors
        return scale.expand(grad_output.shape).clone(), None
