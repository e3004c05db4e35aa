"""Hidden checks for drill 06 (dropout at scale): the gaps the visible checks leave open.

Same kit and helpers as VISIBLE in checks.py; this file stays in the grader, and the
messages say what is wrong without the inputs. Every check here is deterministic: the
values are exact up to a few roundings of the dtype, so none fails a correct answer by
chance.
"""
import torch

from solutions.drill06_at_scale.checks import (Check, bool_mask_dropout, mem_case,
                                               memory_problem, nonzero_randn, run_dropout_memory,
                                               run_saved_bytes, run_seeded, saved_bytes_problem,
                                               sb_case, sd_case, seeded_check)

EPS32 = torch.finfo(torch.float32).eps


def _grad_follows_output(c, r, rtol):
    """True when the gradient is upstream * (y != 0) / (1 - p) within rtol (in float64)."""
    kept = r["y"] != 0
    want = c["grad_out"].double() * kept / (1 - c["p"])
    return torch.allclose(r["grad"].double(), want, rtol=rtol, atol=0.0)


# --- two calls in flight: each backward uses its own seed --------------------------------
def cases_grad_interleaved(seed=61):
    return [sd_case(nonzero_randn(5000, seed=seed + i), 0.4, seed + 7 * i,
                    grad_out=nonzero_randn(5000, seed=seed + 10 + i)) for i in range(2)]


def run_interleaved(SeededDropout, cases):
    """Both forwards first, then one backward through both (as two layers of a net do)."""
    xs = [c["x"].detach().clone().requires_grad_() for c in cases]
    ys = [SeededDropout.apply(x, c["p"], c["seed"]) for x, c in zip(xs, cases)]
    for y in ys:
        if not isinstance(y, torch.Tensor) or not y.requires_grad:
            raise RuntimeError("the output is not a tensor attached to the autograd graph")
    sum((y * c["grad_out"]).sum() for y, c in zip(ys, cases)).backward()
    return [{"y": y.detach().clone(),
             "grad": x.grad.detach().clone() if x.grad is not None else torch.zeros_like(x)}
            for x, y in zip(xs, ys)]


def verdict_grad_interleaved(cases, results):
    """Exact up to float32 rounding; no false fails."""
    for c, r in zip(cases, results):
        if not _grad_follows_output(c, r, 4 * EPS32):
            return False, ("with two calls in flight, a backward used the wrong mask: keep "
                           "each call's seed on its own ctx, not on the class or a global")
    return True, "each call's backward rebuilds its own mask"


# --- the global RNG is left alone --------------------------------------------------------
def cases_global_rng(seed=71):
    return [sd_case(nonzero_randn(3000, seed=seed), 0.3, seed,
                    grad_out=nonzero_randn(3000, seed=seed + 1))]


def run_global_rng(SeededDropout, cases):
    torch.manual_seed(12345)
    before = torch.get_rng_state()
    out = run_seeded(SeededDropout, cases[0])
    return {"unchanged": bool(torch.equal(before, torch.get_rng_state())), **out}


def verdict_global_rng(cases, results):
    """Deterministic."""
    if not results["unchanged"]:
        return False, ("forward or backward changed the global RNG state (torch.manual_seed, "
                       "set_rng_state or an unseeded draw): use a private torch.Generator, "
                       "or every other random op in training shifts")
    return True, "the global RNG state is untouched"


# --- dtypes are kept, values right to the dtype's precision ------------------------------
DTYPES = (torch.bfloat16, torch.float16, torch.float64)


def cases_dtypes(seed=81):
    return [sd_case(nonzero_randn(20_000, seed=seed + i, dtype=dt), 0.3, seed + i,
                    grad_out=nonzero_randn(20_000, seed=seed + 10 + i, dtype=dt))
            for i, dt in enumerate(DTYPES)]


def verdict_dtypes(cases, results):
    """Deterministic: values within 2 eps of the dtype (one or two roundings)."""
    for c, r in zip(cases, results):
        x, y, p, dt = c["x"], r["y"], c["p"], c["x"].dtype
        eps = torch.finfo(dt).eps
        kept = y != 0
        if kept.all() or not kept.any():
            return False, f"a {dt} input was not dropped out (all or nothing kept)"
        if r["grad"].dtype != dt:
            return False, f"the gradient of a {dt} input is not {dt}"
        if not torch.allclose(y[kept].double(), x[kept].double() / (1 - p), rtol=2 * eps, atol=0):
            return False, f"survivors of a {dt} input are not x / (1 - p) to that dtype's precision"
        if not _grad_follows_output(c, r, 2 * eps):
            return False, (f"for a {dt} input, backward's mask differs from forward's, or "
                           "is mis-scaled (is the mask drawn differently per dtype?)")
    return True, "bfloat16, float16 and float64 keep their dtype, values and mask"


# --- non-contiguous input, contiguous upstream gradient ----------------------------------
def cases_noncontiguous(seed=91):
    x = nonzero_randn((30, 40), seed=seed)  # transposed in the child: (40, 30), strided
    return [sd_case(x, 0.4, seed, grad_out=nonzero_randn((40, 30), seed=seed + 1),
                    transpose=True)]


def verdict_noncontiguous(cases, results):
    """Exact up to float32 rounding; no false fails."""
    c, r = cases[0], results[0]
    x, y, p = c["x"].transpose(0, -1), r["y"], c["p"]
    kept = y != 0
    if not torch.allclose(y[kept].double(), x[kept].double() / (1 - p), rtol=4 * EPS32, atol=0):
        return False, "for a non-contiguous input some survivor is not its own x / (1 - p)"
    if not _grad_follows_output(c, r, 4 * EPS32):
        return False, ("for a non-contiguous input, backward's mask lands on other elements "
                       "than forward's: empty_like/rand_like copy the strides of x or of "
                       "grad_output, which differ; draw into a fresh contiguous tensor")
    return True, "strided inputs get the same mask in forward and backward"


# --- saved_bytes: one storage counted once -----------------------------------------------
def _sin_plus_cos(a):
    b = a + 1.0
    return b.sin() + b.cos()  # both keep b


def _square_of_shift(a):
    b = a + 1.0
    return b * b  # mul keeps b as both operands


def cases_saved_bytes_dedupe():
    n = 700
    return [sb_case("b * b", _square_of_shift, [(n,)], expected=4 * n, saved_twice=4 * n),
            sb_case("b.sin() + b.cos()", _sin_plus_cos, [(n,)], expected=4 * n,
                    saved_twice=4 * n)]


def verdict_saved_bytes_dedupe(cases, results):
    """Deterministic."""
    problem = saved_bytes_problem(cases, results, show=False)
    if problem:
        return False, problem
    return True, "a tensor saved twice is counted once"


# --- dropout_memory: dtypes and p = 0 ----------------------------------------------------
def cases_memory_dtypes():
    return [mem_case(batch=3, seq=5, d_model=8, n_heads=2, n_layers=3, p_attn=0.1,
                     p_resid=0.1, dtype=torch.bfloat16),
            mem_case(batch=2, seq=6, d_model=10, n_heads=5, n_layers=1, p_attn=0.2,
                     p_resid=0.3, dtype=torch.bool, dropout=bool_mask_dropout,
                     stack_dtype=torch.float32)]


def cases_memory_p_zero():
    return [mem_case(batch=2, seq=5, d_model=6, n_heads=2, n_layers=2, p_attn=0.0,
                     p_resid=0.1, dtype=torch.float32),
            mem_case(batch=2, seq=5, d_model=6, n_heads=2, n_layers=2, p_attn=0.1,
                     p_resid=0.0, dtype=torch.float32)]


def verdict_memory_hidden(cases, results):
    """Deterministic: the measured bytes are exact."""
    problem = memory_problem(cases, results, show=False)
    if problem:
        return False, problem
    return True, "matches the measured stacks"


HIDDEN = [
    Check("grad_interleaved", "two calls in flight", "SeededDropout",
          "each ctx keeps its own seed", cases_grad_interleaved, run_interleaved,
          verdict_grad_interleaved, after=("grad_matches",)),
    Check("global_rng_untouched", "global RNG untouched", "SeededDropout",
          "draw from a private torch.Generator", cases_global_rng, run_global_rng,
          verdict_global_rng),
    seeded_check("dtypes", "dtype kept", "half, bfloat16 and double stay as they are",
                 cases_dtypes, verdict_dtypes, after=("survivor_scale", "grad_matches")),
    seeded_check("noncontiguous", "strided input", "the mask follows logical positions",
                 cases_noncontiguous, verdict_noncontiguous,
                 after=("survivor_scale", "grad_matches")),
    Check("saved_bytes_dedupe", "a storage counted once", "saved_bytes",
          "one tensor saved twice is kept once", cases_saved_bytes_dedupe, run_saved_bytes,
          verdict_saved_bytes_dedupe, after=("saved_bytes_known",)),
    Check("memory_dtypes", "mask element size", "dropout_memory",
          "bytes per mask element follow dtype", cases_memory_dtypes, run_dropout_memory,
          verdict_memory_hidden, after=("memory_vs_block",)),
    Check("memory_p_zero", "p = 0 keeps nothing", "dropout_memory",
          "dropout with p = 0 keeps no mask", cases_memory_p_zero, run_dropout_memory,
          verdict_memory_hidden, after=("memory_vs_block",)),
]
