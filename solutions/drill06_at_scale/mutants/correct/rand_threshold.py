import torch


def _keep(shape, p, seed, device):
    """A uniform draw per element from a private generator; keep where it is >= p."""
    gen = torch.Generator(device=device).manual_seed(int(seed))
    return torch.rand(shape, generator=gen, device=device) >= p


class SeededDropout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return torch.where(_keep(x.shape, p, seed, x.device), x / (1 - p), torch.zeros_like(x))

    @staticmethod
    def backward(ctx, grad_out):
        keep = _keep(grad_out.shape, ctx.p, ctx.seed, grad_out.device)
        return torch.where(keep, grad_out / (1 - ctx.p), torch.zeros_like(grad_out)), None, None
