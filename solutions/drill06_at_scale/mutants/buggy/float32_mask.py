# bug: dtypes_kept, dtypes
# hint: came back as torch.float32
import torch


def _mask(shape, p, seed):
    gen = torch.Generator().manual_seed(int(seed))
    return torch.empty(shape).bernoulli_(1 - p, generator=gen) / (1 - p)  # always float32


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _mask(x.shape, p, seed)  # a bf16 or fp16 x is promoted to float32

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _mask(grad_out.shape, ctx.p, ctx.seed), None, None
