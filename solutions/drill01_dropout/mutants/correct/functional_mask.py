import torch
import torch.nn as nn


def dropout(x, p, training):
    """Functional core; mask with the input's dtype and device."""
    if not training or p == 0:
        return x
    mask = (torch.rand(x.shape, dtype=x.dtype, device=x.device) > p).type_as(x)
    return x * mask * (1.0 / (1.0 - p) if p < 1 else 0.0)


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"expected 0 <= p <= 1, got {p!r}")
        self.p = p

    def forward(self, x):
        return dropout(x, self.p, self.training)
