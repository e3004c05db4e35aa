# bug: strided, noncontiguous
# hint: copy the strides
import torch


def _mask_like(t, p, seed):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.empty_like(t).bernoulli_(1 - p, generator=gen) / (1 - p)  # t's strides


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _mask_like(x, p, seed)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _mask_like(grad_out, ctx.p, ctx.seed), None, None
