"""Hidden checks for drill 06 (dropout at scale): the stress tier's properties on inputs the
notebook never shows.

Every property here is also tested in the notebook (checks.py's stress tier); what stays
hidden is only other seeds, sizes and configurations, so that an answer cannot be tuned to
the inputs it can read. Builders and verdicts are checks.py's; the messages say what is
wrong without the inputs. Every check here is deterministic: the values are exact up to a
few roundings of the dtype, so none fails a correct answer by chance.
"""
import functools

import torch

from grader.grading.model import on_other_inputs
from solutions.drill06_at_scale.checks import (
    Check, bool_mask_dropout, cases_dtypes, cases_global_rng, cases_grad_interleaved,
    cases_noncontiguous, cases_saved_bytes_dedupe, mem_case, run_dropout_memory,
    run_global_rng, run_interleaved, run_saved_bytes, seeded_check, verdict_dtypes,
    verdict_global_rng, verdict_grad_interleaved, verdict_memory, verdict_noncontiguous,
    verdict_saved_bytes_dedupe)


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


verdict_memory_hidden = functools.partial(verdict_memory, show=False)

HIDDEN = on_other_inputs([
    Check("grad_interleaved", "two calls in flight", "SeededDropout",
          "each ctx keeps its own seed",
          functools.partial(cases_grad_interleaved, seed=61, n=5000), run_interleaved,
          verdict_grad_interleaved, after=("grad_matches",)),
    Check("global_rng_untouched", "global RNG untouched", "SeededDropout",
          "draw from a private torch.Generator",
          functools.partial(cases_global_rng, seed=71, n=3000), run_global_rng,
          verdict_global_rng),
    seeded_check("dtypes", "dtype kept", "half, bfloat16 and double stay as they are",
                 functools.partial(cases_dtypes, seed=81, n=20_000), verdict_dtypes,
                 after=("survivor_scale", "grad_matches")),
    seeded_check("noncontiguous", "strided input", "the mask follows logical positions",
                 functools.partial(cases_noncontiguous, seed=91, shape=(30, 40)),
                 verdict_noncontiguous, after=("survivor_scale", "grad_matches")),
    Check("saved_bytes_dedupe", "a storage counted once", "saved_bytes",
          "one tensor saved twice is kept once",
          functools.partial(cases_saved_bytes_dedupe, n=700), run_saved_bytes,
          functools.partial(verdict_saved_bytes_dedupe, show=False),
          after=("saved_bytes_known",)),
    Check("memory_dtypes", "mask element size", "dropout_memory",
          "bytes per mask element follow dtype", cases_memory_dtypes, run_dropout_memory,
          verdict_memory_hidden, after=("memory_vs_block",)),
    Check("memory_p_zero", "p = 0 keeps nothing", "dropout_memory",
          "dropout with p = 0 keeps no mask", cases_memory_p_zero, run_dropout_memory,
          verdict_memory_hidden, after=("memory_vs_block",)),
])

