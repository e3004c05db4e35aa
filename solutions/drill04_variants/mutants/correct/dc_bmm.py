import math

import torch
import torch.nn as nn


class DropConnectLinear(nn.Module):
    """A per-sample weight mask applied with torch.bmm; parameters reset like nn.Linear."""

    def __init__(self, in_features, out_features, p=0.5, bias=True):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError("p must be in [0, 1)")
        self.p = p
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.uniform_(self.bias, -1 / math.sqrt(in_features), 1 / math.sqrt(in_features))

    def forward(self, x):
        if self.training and self.p > 0:
            m = torch.rand(x.shape[0], *self.weight.shape) >= self.p
            w = self.weight * m / (1 - self.p)
            y = torch.bmm(w, x.unsqueeze(-1)).squeeze(-1)
        else:
            y = x @ self.weight.t()
        if self.bias is not None:
            y = y + self.bias
        return y
