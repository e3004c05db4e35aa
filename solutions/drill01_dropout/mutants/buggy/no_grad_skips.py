# bug: under_no_grad, no_grad_train
# hint: torch.no_grad()
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
        if not self.training or not torch.is_grad_enabled():
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)
