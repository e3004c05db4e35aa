# bug: classic_invalid_p, classic_bad_p
# hint: raise ValueError
import numpy as np
import torch
import torch.nn as nn


class ClassicDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p  # never validated

    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        return x * (torch.rand_like(x) >= self.p)
