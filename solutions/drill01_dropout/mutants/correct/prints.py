import torch
import torch.nn as nn


class Dropout(nn.Module):
    """A learner who debugs with print: output must not matter."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError("p out of range")
        self.p = p

    def forward(self, x):
        print("forward", tuple(x.shape), "training" if self.training else "eval")
        if not self.training:
            return x
        mask = (torch.rand_like(x) > self.p).to(x.dtype)
        print("kept fraction", mask.float().mean().item())
        return mask * x / (1 - self.p) if self.p < 1 else mask * x
