import torch
import torch.nn as nn


class Dropout(nn.Module):
    """Reference style: uniform noise compared with p."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:  # everything dropped; avoids 0 / 0
            return torch.zeros_like(x)
        mask = (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * mask / (1.0 - self.p)
