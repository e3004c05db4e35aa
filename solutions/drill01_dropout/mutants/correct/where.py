import torch


class Dropout(torch.nn.Module):
    """torch.where picks the scaled input or zero."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0.0 or p > 1.0:
            raise ValueError(f"bad p={p}")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        keep = torch.rand_like(x, dtype=torch.float32) >= self.p
        return torch.where(keep, (x / (1 - self.p) if self.p < 1 else x), torch.zeros_like(x))
