# bug: no_torch_dropout, from_scratch
# hint: torch's own dropout
import torch.nn as nn
import torch.nn.functional as F


class Dropout(nn.Module):
    """Behaves right, but is torch's own dropout, not written from scratch."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)
