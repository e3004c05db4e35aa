# bug: dc_bias_kept, dc_gradient, dc_bias_whole, dc_gradient_mask
# hint: bias was dropped
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class DropConnectLinear(nn.Module):
    """A linear layer whose WEIGHTS are dropped (Wan et al., 2013), with a fresh mask per sample."""

    def __init__(self, in_features, out_features, p=0.5, bias=True):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1), got {p!r}")
        self.in_features, self.out_features, self.p = in_features, out_features, p
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound)) if bias else None

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return F.linear(x, self.weight, self.bias)
        keep = 1.0 - self.p
        mask = (torch.rand(x.shape[0], *self.weight.shape, device=x.device) < keep)
        w = mask.to(self.weight.dtype) * self.weight / keep  # (N, out, in)
        y = torch.einsum("noi,ni->no", w, x)
        if self.bias is None:
            return y
        return y + self.bias * (torch.rand(x.shape[0], self.out_features) < keep)
