import torch


class SeededDropout(torch.autograd.Function):
    """Saves the seed as a one-element tensor with save_for_backward: 8 bytes, allowed."""

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p = p
        ctx.save_for_backward(torch.tensor(seed, dtype=torch.int64))
        return x * SeededDropout.mask(x, p, seed)

    @staticmethod
    def backward(ctx, grad_out):
        (seed,) = ctx.saved_tensors
        return grad_out * SeededDropout.mask(grad_out, ctx.p, int(seed)), None, None

    @staticmethod
    def mask(t, p, seed):
        gen = torch.Generator().manual_seed(seed)
        u = torch.rand(t.shape, generator=gen, dtype=torch.float64)
        return (u >= p).to(t.dtype) * (1.0 / (1.0 - p))
