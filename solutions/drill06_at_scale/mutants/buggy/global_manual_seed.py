# bug: rng_untouched, global_rng_untouched
# hint: changed the global RNG state
import torch


def _mask(shape, p, seed, dtype):
    torch.manual_seed(seed)  # reseeds the global RNG: every later random op repeats itself
    return (torch.rand(shape) >= p).to(dtype) / (1 - p)


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return x * _mask(x.shape, p, seed, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _mask(grad_out.shape, ctx.p, ctx.seed, grad_out.dtype), None, None
