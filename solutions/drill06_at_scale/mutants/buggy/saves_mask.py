# bug: no_saved_mask
# hint: save_for_backward
import torch


class SeededDropout(torch.autograd.Function):
    """Right values, but the mask is stored for backward: the memory the drill removes."""

    @staticmethod
    def forward(ctx, x, p, seed):
        gen = torch.Generator().manual_seed(int(seed))
        mask = torch.empty(x.shape, dtype=x.dtype).bernoulli_(1 - p, generator=gen) / (1 - p)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, grad_out):
        (mask,) = ctx.saved_tensors
        return grad_out * mask, None, None
