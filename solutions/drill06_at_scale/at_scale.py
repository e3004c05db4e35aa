"""Demos for drill 06: the memory bill at real sizes, CPU timings, checkpointing and seeds.

Pasted into the notebook after checks.py (it uses the small GPT stack defined there). Every
function takes the learner's objects as arguments, so a stub only makes its demo skip.
"""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from solutions.drill06_at_scale.checks import block_params, gpt_stack

GIB = 2 ** 30
# (name, batch, seq, d_model, n_heads, n_layers): GPT-2 small and XL as published (Radford et
# al. 2019, 1024-token context); the third is only a 7B-like shape at a longer context.
CONFIGS = [
    ("GPT-2 small, batch 8", 8, 1024, 768, 12, 12),
    ("GPT-2 XL, batch 8", 8, 1024, 1600, 25, 48),
    ("7B-like shape, seq 4096, batch 1", 1, 4096, 4096, 32, 32),
]


# --- the memory bill ----------------------------------------------------------------------
def memory_rows(dropout_memory, configs=CONFIGS, p=0.1):
    """GiB of dropout masks per configuration: bool masks (CUDA's fused kernel) and masks in
    bfloat16 (what CPU's F.dropout would keep for a bfloat16 model)."""
    rows = []
    for name, b, s, d, a, layers in configs:
        as_bool = dropout_memory(b, s, d, a, layers, p, p, torch.bool)
        as_bf16 = dropout_memory(b, s, d, a, layers, p, p, torch.bfloat16)
        rows.append({"name": name, "attn": as_bool["attn"] / GIB,
                     "resid_mlp": (as_bool["resid"] + as_bool["mlp"]) / GIB,
                     "total_bool": as_bool["total"] / GIB, "total_bf16": as_bf16["total"] / GIB,
                     "ratio": as_bool["attn"] / max(1, as_bool["resid"] + as_bool["mlp"])})
    return rows


def print_memory_rows(rows):
    print(f"{'configuration':<34} {'attn':>8} {'resid+mlp':>10} {'total':>8} {'total':>8} "
          f"{'attn /':>7}")
    print(f"{'(p = 0.1 everywhere)':<34} {'GiB':>8} {'GiB':>10} {'bool':>8} {'bf16':>8} "
          f"{'rest':>7}")
    for r in rows:
        print(f"{r['name']:<34} {r['attn']:>8.2f} {r['resid_mlp']:>10.2f} "
              f"{r['total_bool']:>8.2f} {r['total_bf16']:>8.2f} {r['ratio']:>7.1f}")


def memory_vs_seq(dropout_memory, seqs, batch=8, d_model=768, n_heads=12, n_layers=12, p=0.1):
    """Bool-mask GiB of attention and of residual+MLP dropout as the context grows."""
    attn, rest = [], []
    for s in seqs:
        m = dropout_memory(batch, s, d_model, n_heads, n_layers, p, p, torch.bool)
        attn.append(m["attn"] / GIB)
        rest.append((m["resid"] + m["mlp"]) / GIB)
    return attn, rest


def crossover_seq(d_model, n_heads):
    """Attention masks (a s^2 per sample) pass the two d_model-wide masks (2 s h) at s = 2h/a."""
    return 2 * d_model / n_heads


# --- the whole block: masks and what else dropout makes autograd keep ----------------------
class TinyGPT(nn.Module):
    """The check's GPT-2-style stack as a module, so saved_bytes skips its parameters."""

    def __init__(self, d_model, n_heads, n_layers, p_attn, p_resid):
        super().__init__()
        self.layers = nn.ModuleList()
        for weights in block_params(d_model, n_layers, torch.float32):
            layer = nn.Module()
            for name, w in weights.items():
                setattr(layer, name, nn.Parameter(w.detach()))
            self.layers.append(layer)
        self.n_heads, self.p_attn, self.p_resid = n_heads, p_attn, p_resid

    def forward(self, x):
        params = [{k: getattr(layer, k) for k in ("qkv", "out", "up", "down")}
                  for layer in self.layers]
        return gpt_stack(x, params, self.n_heads, self.p_attn, self.p_resid)


def block_bill(saved_bytes, dropout_memory, batch=2, seq=64, d_model=48, n_heads=4,
               n_layers=2, p=0.1):
    """Bytes a whole stack keeps with dropout on and off, against the masks alone."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, seq, d_model, generator=gen).requires_grad_()
    with_p = saved_bytes(TinyGPT(d_model, n_heads, n_layers, p, p), x)
    without = saved_bytes(TinyGPT(d_model, n_heads, n_layers, 0.0, 0.0), x)
    masks = dropout_memory(batch, seq, d_model, n_heads, n_layers, p, p, torch.float32)
    return {"with": with_p, "without": without, "extra": with_p - without, "masks": masks}


# --- CPU timings ----------------------------------------------------------------------------
def fwd_bwd_seconds(fn, n, reps=5, dtype=torch.float32):
    """Median seconds of fn(x).backward(g) on n elements (one warm-up run first)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, generator=gen).to(dtype).requires_grad_()
    g = torch.randn(n, generator=gen).to(dtype)
    times = []
    for _ in range(reps + 1):
        x.grad = None
        start = time.perf_counter()
        fn(x).backward(g)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def cpu_sweep(SeededDropout, saved_bytes, log2_sizes=(12, 14, 16, 18, 20, 22), p=0.1, reps=5):
    """Time and saved bytes per element of F.dropout and SeededDropout over tensor sizes."""
    rows = []
    for k in log2_sizes:
        n = 2 ** k
        torch_fn = lambda t: F.dropout(t, p, training=True)  # noqa: E731
        seeded_fn = lambda t: SeededDropout.apply(t, p, 1234)  # noqa: E731
        x = torch.randn(n).requires_grad_()
        rows.append({"log2n": k, "n": n,
                     "torch_s": fwd_bwd_seconds(torch_fn, n, reps),
                     "seeded_s": fwd_bwd_seconds(seeded_fn, n, reps),
                     "torch_bpe": saved_bytes(torch_fn, x) / n,
                     "seeded_bpe": saved_bytes(seeded_fn, x) / n})
    return rows


# --- reproducibility, checkpointing, tensor parallelism --------------------------------------
def mask_string(y):
    """A row of the mask: '#' kept, '.' dropped."""
    return "".join("#" if v != 0 else "." for v in y.tolist())


def checkpoint_demo(SeededDropout, n=4096, p=0.5):
    """Largest gradient error of a checkpointed segment with dropout inside, against the same
    segment run without checkpointing, for torch's dropout and for SeededDropout."""
    from torch.utils.checkpoint import checkpoint
    gen = torch.Generator().manual_seed(0)
    x0, w = torch.randn(n, generator=gen), torch.randn(n, generator=gen)
    segments = {"F.dropout": lambda x: (F.dropout(x.sin(), p, training=True) * w).cos(),
                "SeededDropout": lambda x: (SeededDropout.apply(x.sin(), p, 99) * w).cos()}
    out = {}
    for name, seg in segments.items():
        grads = {}
        for mode in ("plain", "preserve", "no preserve"):
            x = x0.clone().requires_grad_()
            torch.manual_seed(0)
            if mode == "plain":
                y = seg(x)
            else:
                y = checkpoint(seg, x, use_reentrant=False,
                               preserve_rng_state=(mode == "preserve"))
            torch.rand(3)  # the rest of the step draws random numbers before backward
            y.sum().backward()
            grads[mode] = x.grad
        out[name] = {mode: (grads[mode] - grads["plain"]).abs().max().item()
                     for mode in ("preserve", "no preserve")}
    return out


def tensor_parallel_demo(SeededDropout, n=20_000, p=0.5, seed=1234, offset=2718):
    """Two ranks, each holding one half of a partitioned activation: how often their masks
    agree with one seed for both, and with Megatron-style per-rank seeds (seed + offset +
    rank). Independent masks agree on p^2 + (1-p)^2 of the units."""
    halves = torch.ones(2, n)
    shared = [SeededDropout.apply(halves[r], p, seed) != 0 for r in range(2)]
    own = [SeededDropout.apply(halves[r], p, seed + offset + r) != 0 for r in range(2)]
    return {"one seed": (shared[0] == shared[1]).double().mean().item(),
            "per-rank seeds": (own[0] == own[1]).double().mean().item(),
            "independent": p * p + (1 - p) ** 2}
