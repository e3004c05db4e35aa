# bug: p_range, bad_p
# hint: p = 1 is valid
import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:  # the old rule; PyTorch accepts p = 1
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)
