# bug: grad_matches, two_calls, dtypes_kept, strided, grad_interleaved, dtypes, noncontiguous
# hint: gradients on survivors are equal to the upstream gradient
import torch


def _mask(shape, p, seed, dtype):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.empty(shape, dtype=dtype).bernoulli_(1 - p, generator=gen)


class SeededDropout(torch.autograd.Function):
    """Scales by 1/(1-p) in forward but forgets it in backward."""

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _mask(x.shape, p, seed, x.dtype) / (1 - p)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _mask(grad_out.shape, ctx.p, ctx.seed, grad_out.dtype), None, None
