# bug: same_seed
# hint: the seed is ignored
import torch


def _mask(shape, p, dtype):
    gen = torch.Generator().manual_seed(0)  # the seed argument never reaches the generator
    return torch.empty(shape, dtype=dtype).bernoulli_(1 - p, generator=gen) / (1 - p)


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p = p
        return x * _mask(x.shape, p, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _mask(grad_out.shape, ctx.p, grad_out.dtype), None, None
