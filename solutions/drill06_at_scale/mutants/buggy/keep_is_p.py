# bug: drop_rate
# hint: probability 1 - p
import torch


def _mask(shape, p, seed, dtype):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.empty(shape, dtype=dtype).bernoulli_(p, generator=gen)  # keeps with prob. p


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _mask(x.shape, p, seed, x.dtype) / (1 - p)

    @staticmethod
    def backward(ctx, grad_out):
        return (grad_out * _mask(grad_out.shape, ctx.p, ctx.seed, grad_out.dtype) / (1 - ctx.p),
                None, None)
