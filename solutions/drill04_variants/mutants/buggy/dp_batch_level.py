# bug: dp_whole_samples, dp_drop_rate, dp_independent, dp_fresh_mask, dp_far_p_rate, dp_each_sample, dp_fresh_each_call
# hint: one decision per sample
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
        shape = (1,) * x.dim()  # one decision for the mini-batch
        mask = (torch.rand(shape, device=x.device) < keep).to(x.dtype)
        return x * mask / keep
