# bug: dtype_kept, dtypes
# hint: dtype's precision
import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if self.training and self.p == 1.0:
            return x * 0.0  # everything dropped
        if not self.training:
            return x
        scaled = (torch.rand(x.shape) >= self.p).float() / (1 - self.p)
        return x * scaled.to(x.dtype)
