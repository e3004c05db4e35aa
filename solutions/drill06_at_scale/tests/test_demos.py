"""The demo helpers (at_scale.py) and the measured stack in checks.py give the numbers the
notebook prints and teaches."""
import math

import pytest
import torch
import torch.nn.functional as F

from solutions.drill06_at_scale import at_scale, checks
from solutions.drill06_at_scale.tests.helpers import namespace_with


@pytest.fixture(scope="module")
def ref():
    return namespace_with()


def test_memory_rows_gpt2_small_matches_the_hand_computation(ref):
    rows = at_scale.memory_rows(ref["dropout_memory"])
    small = rows[0]
    assert small["attn"] == pytest.approx(8 * 12 * 1024 ** 2 * 12 / 2 ** 30)  # 1.125 GiB
    assert small["resid_mlp"] == pytest.approx(2 * 8 * 1024 * 768 * 12 / 2 ** 30)
    assert small["ratio"] == pytest.approx(12 * 1024 / (2 * 768))  # a s / 2h = 8
    assert small["total_bf16"] == pytest.approx(2 * small["total_bool"])


def test_crossover_is_where_the_two_terms_meet(ref):
    s = at_scale.crossover_seq(768, 12)
    assert s == 128
    attn, rest = at_scale.memory_vs_seq(ref["dropout_memory"], [64, 128, 256])
    assert attn[0] < rest[0] and attn[1] == pytest.approx(rest[1]) and attn[2] > rest[2]


def test_block_bill_extra_is_twice_attention_plus_the_residual_masks(ref):
    bill = at_scale.block_bill(ref["saved_bytes"], ref["dropout_memory"])
    m = bill["masks"]
    assert bill["extra"] == 2 * m["attn"] + m["resid"] + m["mlp"]
    assert bill["without"] > 0


def test_measured_stack_counts_only_dropout_masks():
    cfg = dict(batch=2, seq=5, d_model=6, n_heads=2, n_layers=3, p_attn=0.1, p_resid=0.2)
    got = checks.measure_mask_bytes(**cfg, dtype=torch.float32)
    assert got == {"attn": 4 * 2 * 2 * 25 * 3, "resid": 4 * 2 * 5 * 6 * 3,
                   "mlp": 4 * 2 * 5 * 6 * 3, "total": 4 * (300 + 2 * 180)}
    as_bool = checks.measure_mask_bytes(**cfg, dtype=torch.float32,
                                        dropout=checks.bool_mask_dropout)
    assert as_bool["total"] == got["total"] // 4
    off = checks.measure_mask_bytes(**dict(cfg, p_attn=0.0), dtype=torch.float32)
    assert off["attn"] == 0 and off["resid"] == got["resid"]


def test_gpt_stack_runs_backward_and_dropout_changes_it():
    params = checks.block_params(8, 2, torch.float32)
    x = torch.randn(2, 5, 8, requires_grad=True)
    torch.manual_seed(0)
    y0 = checks.gpt_stack(x, params, 2, 0.0, 0.0)
    y1 = checks.gpt_stack(x, params, 2, 0.5, 0.5)
    assert y0.shape == x.shape and not torch.equal(y0, y1)
    y1.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_checkpoint_demo_shows_the_rng_restore_matters(ref):
    errors = at_scale.checkpoint_demo(ref["SeededDropout"])
    assert errors["F.dropout"]["preserve"] == 0.0
    assert errors["F.dropout"]["no preserve"] > 0.1
    assert errors["SeededDropout"] == {"preserve": 0.0, "no preserve": 0.0}


def test_tensor_parallel_demo(ref):
    tp = at_scale.tensor_parallel_demo(ref["SeededDropout"])
    n, q = 20_000, tp["independent"]
    assert tp["one seed"] == 1.0
    assert abs(tp["per-rank seeds"] - q) <= 6 * math.sqrt(q * (1 - q) / n)


def test_cpu_sweep_rows(ref):
    rows = at_scale.cpu_sweep(ref["SeededDropout"], ref["saved_bytes"], log2_sizes=(10, 12),
                              reps=1)
    assert [r["n"] for r in rows] == [1024, 4096]
    assert all(r["torch_bpe"] == 4.0 and r["seeded_bpe"] == 0.0 for r in rows)
    assert all(r["torch_s"] > 0 and r["seeded_s"] > 0 for r in rows)


def test_mask_string():
    assert at_scale.mask_string(torch.tensor([1.0, 0.0, 2.0])) == "#.#"


def test_cpu_dropout_keeps_a_noise_tensor_in_the_input_dtype(ref):
    """What check 6 and the table in 1.1 rely on (PyTorch's CPU path; CUDA keeps a bool mask)."""
    for dtype, size in ((torch.float32, 4), (torch.bfloat16, 2)):
        x = torch.randn(1000, dtype=dtype, requires_grad=True)
        assert ref["saved_bytes"](lambda t: F.dropout(t, 0.1, training=True), x) == size * 1000
