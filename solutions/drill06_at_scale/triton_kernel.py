"""Seeded dropout as a Triton kernel: the GPU demo of drill 06 and the kernels gpu_bench.py times.

Each element's uniform is Philox(seed, element index), so backward runs the same kernel with the
same seed and gets forward's mask back: nothing mask-sized is kept. Two kernels:
  tl.rand   one Philox call (10 rounds, four 32-bit outputs) per element, three outputs unused
  rand4x    one Philox call per four elements, all four outputs used
Triton is optional (Colab's CPU runtime has none): without it HAVE_TRITON is False, no kernel
is defined, and the notebook's GPU cell says it skipped.
"""
import statistics

import torch
import torch.nn.functional as F

try:
    import triton
    import triton.language as tl
except ImportError:  # no Triton here: the GPU demo skips, nothing else needs it
    triton = None

HAVE_TRITON = triton is not None
BLOCK = 1024

if HAVE_TRITON:
    @triton.jit
    def _dropout_rand(x_ptr, out_ptr, n, p, scale, seed, BLOCK: tl.constexpr):
        # one uniform per element: u = Philox(seed, counter = element index)
        offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        inside = offsets < n
        x = tl.load(x_ptr + offsets, mask=inside)
        keep = tl.rand(seed, offsets) >= p
        y = tl.where(keep, x * scale, 0.0)
        tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=inside)

    @triton.jit
    def _apply_mask(x_ptr, out_ptr, offsets, n, u, p, scale):
        inside = offsets < n
        x = tl.load(x_ptr + offsets, mask=inside)
        y = tl.where(u >= p, x * scale, 0.0)
        tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=inside)

    @triton.jit
    def _dropout_rand4x(x_ptr, out_ptr, n, p, scale, seed, BLOCK: tl.constexpr):
        # one Philox call per four elements: counter base + i gives the uniforms of elements
        # 4 base + i, 4 base + BLOCK + i, 4 base + 2 BLOCK + i and 4 base + 3 BLOCK + i
        base = tl.program_id(0) * BLOCK
        u0, u1, u2, u3 = tl.rand4x(seed, base + tl.arange(0, BLOCK))
        first = 4 * base + tl.arange(0, BLOCK)
        _apply_mask(x_ptr, out_ptr, first, n, u0, p, scale)
        _apply_mask(x_ptr, out_ptr, first + BLOCK, n, u1, p, scale)
        _apply_mask(x_ptr, out_ptr, first + 2 * BLOCK, n, u2, p, scale)
        _apply_mask(x_ptr, out_ptr, first + 3 * BLOCK, n, u3, p, scale)

    def triton_dropout(x, p, seed, four=False):
        """Apply the seeded mask to x (any shape; the mask follows x's logical order)."""
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        if n >= 2 ** 31 - 4 * BLOCK:
            raise ValueError("int32 element indices: split tensors of 2^31 elements or more")
        kernel, per_program = (_dropout_rand4x, 4 * BLOCK) if four else (_dropout_rand, BLOCK)
        grid = (triton.cdiv(n, per_program),)
        kernel[grid](x, out, n, p, 1.0 / (1.0 - p), seed, BLOCK=BLOCK)
        return out

    class TritonSeededDropout(torch.autograd.Function):
        """SeededDropout on the GPU: forward and backward run the same kernel with the same seed."""

        @staticmethod
        def forward(ctx, x, p, seed, four=False):
            ctx.p, ctx.seed, ctx.four = p, seed, four
            return triton_dropout(x, p, seed, four)

        @staticmethod
        def backward(ctx, grad_out):
            return triton_dropout(grad_out, ctx.p, ctx.seed, ctx.four), None, None, None


def time_ms(step, reps, warmup=3):
    """Median milliseconds of step() over reps runs, each timed with CUDA events."""
    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        step()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def gpu_demo(n=2 ** 24, p=0.1, seed=1234, reps=10):
    """On one GPU: do forward and backward masks match, and how fast is each kernel?"""
    for dtype in (torch.float32, torch.bfloat16):
        x = (torch.rand(n, device="cuda") + 0.5).to(dtype).requires_grad_()  # no zeros
        g = (torch.rand(n, device="cuda") + 0.5).to(dtype)
        for four in (False, True):
            x.grad = None
            y = TritonSeededDropout.apply(x, p, seed, four)
            y.backward(g)
            print(f"{str(dtype):<15} {'rand4x' if four else 'tl.rand':<8} mask fwd == bwd: "
                  f"{torch.equal(y != 0, x.grad != 0)}, drop rate "
                  f"{(y == 0).double().mean().item():.4f}")

        def fwd_bwd(fn):
            def step():
                x.grad = None
                fn(x).backward(g)
            return step
        copy_out, copy_g = torch.empty_like(x), torch.empty_like(x)

        def copies():  # the bandwidth floor: read and write n elements twice, no randomness
            copy_out.copy_(x.detach())
            copy_g.copy_(g)
        rows = {"plain copy x2": time_ms(copies, reps),
                "F.dropout": time_ms(fwd_bwd(lambda t: F.dropout(t, p, training=True)), reps),
                "triton tl.rand": time_ms(fwd_bwd(
                    lambda t: TritonSeededDropout.apply(t, p, seed, False)), reps),
                "triton rand4x": time_ms(fwd_bwd(
                    lambda t: TritonSeededDropout.apply(t, p, seed, True)), reps)}
        for name, ms in rows.items():
            print(f"  {name:<16} {ms:7.3f} ms  ({ms / rows['F.dropout']:.2f} x F.dropout)")
