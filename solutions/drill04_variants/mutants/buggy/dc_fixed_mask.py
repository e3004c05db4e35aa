# bug: dc_fresh_mask, dc_fresh_each_call
# hint: new mask in every forward
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
        if getattr(self, 'mask', None) is None or self.mask.shape[0] != x.shape[0]:
            self.mask = torch.rand(x.shape[0], *self.weight.shape) < keep  # drawn once
        mask = self.mask
        w = mask.to(self.weight.dtype) * self.weight / keep  # (N, out, in)
        y = torch.einsum("noi,ni->no", w, x)
        return y if self.bias is None else y + self.bias
