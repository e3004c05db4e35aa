# bug: grad_matches, two_calls, dtypes_kept, strided, grad_interleaved, dtypes, noncontiguous
# hint: drew a NEW mask
import torch


class SeededDropout(torch.autograd.Function):
    """Keeps the generator and draws from it again in backward: the stream has moved on,
    so backward's mask is a fresh one."""

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.gen, ctx.p = torch.Generator().manual_seed(int(seed)), p
        mask = torch.empty(x.shape, dtype=x.dtype).bernoulli_(1 - p, generator=ctx.gen)
        return x * mask / (1 - p)

    @staticmethod
    def backward(ctx, grad_out):
        mask = torch.empty(grad_out.shape, dtype=grad_out.dtype).bernoulli_(1 - ctx.p,
                                                                           generator=ctx.gen)
        return grad_out * mask / (1 - ctx.p), None, None
