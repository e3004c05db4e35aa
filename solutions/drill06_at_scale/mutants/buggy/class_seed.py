# bug: two_calls, grad_interleaved
# hint: keep each call's seed on its own ctx
import torch


def _mask(shape, p, seed, dtype):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.empty(shape, dtype=dtype).bernoulli_(1 - p, generator=gen) / (1 - p)


class SeededDropout(torch.autograd.Function):
    """Keeps the seed on the class: a second call overwrites the first call's seed."""

    @staticmethod
    def forward(ctx, x, p, seed):
        SeededDropout.seed, SeededDropout.p = seed, p
        return x * _mask(x.shape, p, seed, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return (grad_out * _mask(grad_out.shape, SeededDropout.p, SeededDropout.seed,
                                 grad_out.dtype), None, None)
