# bug: no_saved_mask
# hint: ctx.mask
import torch


class SeededDropout(torch.autograd.Function):
    """Hides the mask from saved_tensors_hooks by keeping it as a ctx attribute."""

    @staticmethod
    def forward(ctx, x, p, seed):
        gen = torch.Generator().manual_seed(int(seed))
        keep = torch.rand(x.shape, generator=gen) >= p
        ctx.mask, ctx.p = keep, p
        return x * keep / (1 - p)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.mask / (1 - ctx.p), None, None
