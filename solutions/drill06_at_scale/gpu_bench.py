"""Seeded dropout in Triton against torch's fused dropout and a plain copy, on one CUDA GPU.

Run: python solutions/drill06_at_scale/gpu_bench.py [--log2n 28] [--reps 20]
Needs CUDA and Triton; prints one table per dtype (float32, bfloat16): forward plus
backward time (median of --reps runs, CUDA events), the ratio to F.dropout, the bytes per
element autograd keeps for backward, then correctness checks of the Triton kernels (the mask
is the same in forward and backward, the drop rate is p within 6 sigma, survivors are
x / (1 - p)) and of the CPU/CUDA generator difference. Not a test: it prints numbers.

Two Triton kernels, both deriving each element's mask from (seed, element index) with
Philox, so backward rebuilds it and nothing mask-sized is stored:
  triton tl.rand    one Philox call (10 rounds, four 32-bit outputs) per element, three
                    outputs thrown away (the Triton tutorial's low-memory dropout)
  triton rand4x     one Philox call per four elements, all four outputs used
The kernels live in triton_kernel.py, which the drill notebook pastes for its GPU demo.
"""
import argparse
import math
import pathlib
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # run as a script
from solutions.drill06_at_scale import triton_kernel  # noqa: E402

if not triton_kernel.HAVE_TRITON:  # the notebook's GPU cell says the same and skips
    print("gpu_bench needs Triton (pip install triton, on a machine with CUDA); skipped")
    sys.exit(0)
from solutions.drill06_at_scale.triton_kernel import TritonSeededDropout, time_ms, triton  # noqa

def fwd_bwd(fn, x, g):
    """One forward plus backward; the gradient buffer is dropped so each run allocates it."""
    x.grad = None
    fn(x).backward(g)


def saved_bytes_per_element(fn, x):
    """Bytes autograd keeps for backward per element of x (x itself not counted)."""
    kept = {}

    def pack(t):
        if t.untyped_storage().data_ptr() != x.untyped_storage().data_ptr():
            kept[t.untyped_storage().data_ptr()] = t
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return sum(t.untyped_storage().nbytes() for t in kept.values()) / x.numel()


def table(n, p, dtype, reps, seed=1234):
    x = torch.randn(n, device="cuda", dtype=dtype, requires_grad=True)
    g = torch.randn(n, device="cuda", dtype=dtype)
    keep = 1.0 - p
    cases = {
        "F.dropout": lambda t: F.dropout(t, p, training=True),
        "naive bool mask": lambda t: t * (torch.rand_like(t) >= p) / keep,
        "triton tl.rand": lambda t: TritonSeededDropout.apply(t, p, seed, False),
        "triton rand4x": lambda t: TritonSeededDropout.apply(t, p, seed, True),
    }
    out, gx = torch.empty_like(x), torch.empty_like(x)

    def copies():  # the bandwidth floor: read and write n elements twice, no randomness
        out.copy_(x.detach())
        gx.copy_(g)
    rows = [("plain copy x2 (floor)", time_ms(copies, reps), 0.0)]
    for name, fn in cases.items():
        rows.append((name, time_ms(lambda: fwd_bwd(fn, x, g), reps),
                     saved_bytes_per_element(fn, x)))
    base = dict((r[0], r[1]) for r in rows)["F.dropout"]
    name = str(dtype).replace("torch.", "")
    print(f"\n{name}, n = 2^{int(math.log2(n))}, p = {p}, forward + backward, median of {reps}")
    print(f"{'implementation':<22} {'ms':>8} {'/ F.dropout':>12} {'saved B/elt':>12}")
    for label, ms, b in rows:
        print(f"{label:<22} {ms:>8.3f} {ms / base:>12.2f} {b:>12.2f}")
    return rows


def correctness(n, p, dtype, seed=77):
    """The Triton masks: same in forward and backward, rate p within 6 sigma, exact scale."""
    ok = True
    x = (torch.rand(n, device="cuda") + 0.5).to(dtype).requires_grad_()  # no zeros
    g = (torch.rand(n, device="cuda") + 0.5).to(dtype)
    for four in (False, True):
        x.grad = None
        y = TritonSeededDropout.apply(x, p, seed, four)
        y.backward(g)
        fwd_mask, bwd_mask = y != 0, x.grad != 0
        same = torch.equal(fwd_mask, bwd_mask)
        rate = 1.0 - fwd_mask.double().mean().item()
        tol = 6 * math.sqrt(p * (1 - p) / n)
        eps = torch.finfo(dtype).eps
        scaled = torch.allclose(y[fwd_mask].double(), x.detach()[fwd_mask].double() / (1 - p),
                                rtol=2 * eps, atol=0)
        again = TritonSeededDropout.apply(x.detach(), p, seed, four)
        other = TritonSeededDropout.apply(x.detach(), p, seed + 1, four)
        agree = ((other != 0) == fwd_mask).double().mean().item()
        q = p * p + (1 - p) ** 2
        fine = (same and abs(rate - p) <= tol and scaled and torch.equal(again, y.detach())
                and abs(agree - q) <= 6 * math.sqrt(q * (1 - q) / n))
        ok &= fine
        print(f"  {'rand4x' if four else 'tl.rand':<8} {str(dtype).replace('torch.', ''):<9} "
              f"mask fwd == bwd: {same}; drop rate {rate:.5f} (p = {p} ± {tol:.5f}); "
              f"survivors x/(1-p): {scaled}; same seed repeats: {torch.equal(again, y.detach())}; "
              f"seed+1 agrees on {agree:.4f} (expected {q:.4f}) -> {'OK' if fine else 'FAIL'}")
    return ok


def generators():
    """The same seed gives different streams on the CPU (Mersenne Twister) and CUDA (Philox)."""
    cpu = torch.rand(5, generator=torch.Generator().manual_seed(0))
    cuda = torch.rand(5, generator=torch.Generator(device="cuda").manual_seed(0), device="cuda")
    print(f"\nseed 0, CPU  generator: {[round(v, 4) for v in cpu.tolist()]}")
    print(f"seed 0, CUDA generator: {[round(v, 4) for v in cuda.tolist()]}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log2n", type=int, default=28)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--p", type=float, default=0.1)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu_bench needs a CUDA GPU; skipped (torch.cuda.is_available() is False)")
        return 0
    n = 2 ** args.log2n
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, triton {triton.__version__}")
    print("correctness (2^24 elements):")
    ok = all([correctness(2 ** 24, args.p, dt) for dt in (torch.float32, torch.bfloat16)])
    for dt in (torch.float32, torch.bfloat16):
        table(n, args.p, dt, args.reps)
        torch.cuda.empty_cache()
    generators()
    print("\ngoal: Triton within 1.1x of F.dropout in both dtypes;"
          f" correctness {'OK' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
