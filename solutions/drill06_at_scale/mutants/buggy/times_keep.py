# bug: grad_matches, survivor_scale, two_calls, dtypes_kept, strided, grad_interleaved, dtypes, noncontiguous
# hint: multiplied by (1 - p) instead of dividing
import torch


def _mask(shape, p, seed, dtype):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.empty(shape, dtype=dtype).bernoulli_(1 - p, generator=gen) * (1 - p)


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _mask(x.shape, p, seed, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _mask(grad_out.shape, ctx.p, ctx.seed, grad_out.dtype), None, None
