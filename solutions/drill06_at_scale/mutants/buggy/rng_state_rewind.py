# bug: same_seed, rng_untouched, global_rng_untouched
# hint: the same seed gave a different output
import torch


class SeededDropout(torch.autograd.Function):
    """Ignores the seed: saves the global RNG state and rewinds it in backward, the way
    torch.utils.checkpoint replays a forward. The mask is not a function of the seed, and
    backward drags the global RNG back in time."""

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.state, ctx.p = torch.get_rng_state(), p
        return x * (torch.rand(x.shape) >= p).to(x.dtype) / (1 - p)

    @staticmethod
    def backward(ctx, grad_out):
        torch.set_rng_state(ctx.state)
        mask = (torch.rand(grad_out.shape) >= ctx.p).to(grad_out.dtype)
        return grad_out * mask / (1 - ctx.p), None, None
