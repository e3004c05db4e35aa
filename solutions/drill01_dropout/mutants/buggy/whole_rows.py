# bug: each_element, independent
# hint: one independent decision per element
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
        shape = x.shape[:-1] + (1,) if x.dim() > 1 else x.shape  # one decision per row
        keep = torch.rand(shape) >= self.p
        return x * keep / (1 - self.p)
