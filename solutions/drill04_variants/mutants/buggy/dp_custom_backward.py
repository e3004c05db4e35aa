# bug: dp_gradient, dp_gradient_mask
# hint: same mask and scale
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class DropPath(nn.Module):
    """Stochastic depth per sample, for a residual branch: x + drop_path(branch(x))."""

    def __init__(self, p=0.1):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        mask = (torch.rand(shape, device=x.device) < keep).to(x.dtype)
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
