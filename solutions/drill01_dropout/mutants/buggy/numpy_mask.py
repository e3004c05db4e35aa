# bug: seeded, reproducible
# hint: torch's generator
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
        import numpy as np
        keep = torch.from_numpy(np.random.rand(*x.shape) >= self.p)
        return x * keep / (1 - self.p)
