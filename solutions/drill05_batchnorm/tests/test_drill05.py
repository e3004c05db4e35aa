"""Drill 05's own tests: the reference passes every check (the random one over 1,000 seeds),
every mutant fails exactly its declared checks with its hint first, and the demo helpers
compute what they claim. Run: .venv/bin/python -m pytest -q solutions/drill05_batchnorm"""
import glob
import json
import math
import os

import pytest
import torch
import torch.nn as nn

from grader.payload.checkkit import SIGMAS, evaluate
from solutions.drill05_batchnorm import checks, lab
from solutions.drill05_batchnorm.drill import DRILL

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_CHECKS = [*DRILL.visible, *DRILL.extra, *DRILL.hidden]
BY_NAME = {c.name: c for c in ALL_CHECKS}



def reference_namespace():
    """The solution's setup cell and answer cells, executed: the reference answers."""
    with open(os.path.join(HERE, "solution.ipynb"), encoding="utf-8") as f:
        nb = json.load(f)
    ns = {}
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and src.startswith(("# @drill setup", "# @drill answer")):
            exec(compile(src, "<solution cell>", "exec"), ns)
    return ns


REFERENCE = reference_namespace()


def outcomes(ns):
    return {c.name: evaluate(c, ns[c.target]) for c in ALL_CHECKS}


def test_targets_are_the_contract():
    assert DRILL.targets == {"dropout_variance": "function", "recalibrate_bn": "function",
                             "mask_ensemble": "function"}
    assert all(callable(REFERENCE[name]) for name in DRILL.targets)


def test_reference_passes_every_check():
    bad = {k: v for k, v in outcomes(REFERENCE).items() if v[0] != "pass"}
    assert not bad


def test_random_check_passes_over_1000_seeds_and_its_bound_is_honest():
    """The only random check (brute-force sampling) over 1,000 seeds; its z-scores, in units
    of the derived standard error, must have about unit spread (else the bound is wrong)."""
    check = BY_NAME["variance_train"]
    train_var, _ = REFERENCE["dropout_variance"](
        *(checks.cases_variance_train()[0][k] for k in ("mean", "var")), 0.3)
    zs = []
    for seed in range(1000):
        torch.manual_seed(seed)
        inputs = check.prepare()
        results = check.execute(REFERENCE["dropout_variance"], inputs)
        passed, message = check.judge(inputs, results)
        assert passed, f"seed {seed}: {message}"
        c = inputs[0]
        zs.append(((c["sampled"] - train_var) / (c["tol"] / SIGMAS)))
    z = torch.stack(zs)
    assert z.abs().max() < SIGMAS
    assert 0.9 < z.std().item() < 1.1  # derived standard error matches the observed spread
    assert z.mean().abs().max().item() < 0.15  # and the estimator is unbiased


def test_exact_fourth_moment_of_the_dropped_output():
    torch.manual_seed(0)
    mean, var, p, n = torch.tensor(1.5), torch.tensor(0.7), 0.4, 2_000_000
    x = mean + var.sqrt() * torch.randn(n, dtype=torch.float64)
    y = x * (torch.rand(n, dtype=torch.float64) >= p) / (1 - p)
    second, fourth = checks.moments_of_dropped(mean.double(), var.double(), p)
    assert abs(((y - mean) ** 2).mean().item() - second.item()) < 0.01 * second.item()
    assert abs(((y - mean) ** 4).mean().item() - fourth.item()) < 0.03 * fourth.item()


MUTANTS = sorted(glob.glob(os.path.join(HERE, "mutants", "buggy", "*.py")))
CORRECT = sorted(glob.glob(os.path.join(HERE, "mutants", "correct", "*.py")))


def with_mutant(path):
    ns = dict(REFERENCE)
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), ns)
    return ns


_OUTCOMES = {}


def mutant_outcomes(path):
    """Every check's outcome for a mutant, computed once per test session."""
    if path not in _OUTCOMES:
        torch.manual_seed(0)
        _OUTCOMES[path] = outcomes(with_mutant(path))
    return _OUTCOMES[path]


@pytest.mark.parametrize("path", MUTANTS, ids=os.path.basename)
def test_mutant_fails_exactly_its_checks_with_its_hint_first(path):
    with open(path, encoding="utf-8") as f:
        bug_line, hint_line = f.readline(), f.readline()
    declared = {s.strip() for s in bug_line.split(":", 1)[1].split(",")}
    hint = hint_line.split(":", 1)[1].strip()
    results = mutant_outcomes(path)
    failing = [c.name for c in ALL_CHECKS if results[c.name][0] != "pass"]
    assert set(failing) == declared
    assert hint in results[failing[0]][1]


@pytest.mark.parametrize("path", CORRECT, ids=os.path.basename)
def test_correct_alternative_passes_everything(path):
    bad = {k: v for k, v in mutant_outcomes(path).items() if v[0] != "pass"}
    assert not bad


def test_every_check_has_a_mutant():
    covered = set()
    for path in MUTANTS:
        with open(path, encoding="utf-8") as f:
            covered |= {s.strip() for s in f.readline().split(":", 1)[1].split(",")}
    assert covered == {c.name for c in ALL_CHECKS}


def test_dropout_on_recalibration_fails_whatever_the_masks():
    ns = with_mutant(os.path.join(HERE, "mutants", "buggy", "recal_dropout_on.py"))
    for seed in range(20):
        torch.manual_seed(seed)
        status, message = evaluate(BY_NAME["recal_stats"], ns["recalibrate_bn"])
        assert status == "fail" and "dropout was on during recalibration" in message


def test_hidden_messages_do_not_reveal_inputs():
    secrets = ("0.1", "0.8", "0.9", "0.25", "0.7", "128", "300", "70", "32", "50")
    for path in MUTANTS:
        results = mutant_outcomes(path)
        for c in DRILL.hidden:
            status, message = results[c.name]
            if status != "pass":
                assert not any(s in message for s in secrets), (path, message)


def test_samples_name_existing_mutants():
    for kind in DRILL.samples.values():
        assert kind in ("correct", "stub") or os.path.isfile(
            os.path.join(HERE, "mutants", kind + ".py"))


# --- the reference computations inside the checks -------------------------------------
def test_reference_bn_stats_matches_pytorch_on_a_conv_net():
    from solutions.drill05_batchnorm.checks import make_conv_net
    net = make_conv_net()
    x = torch.randn(45, 3, 8, 8)
    want = checks.reference_bn_stats(net, x, 16)
    REFERENCE["recalibrate_bn"](net, x, batch_size=16)
    assert checks._close(checks.stats_of(net), want, torch.float32)


def test_enumeration_sums_mask_probabilities_to_one_and_matches_sampling():
    net = checks.make_ens_net(4, 1, 0.3, seed=0)
    x = torch.randn(3, 5, dtype=torch.float64)
    exact = checks.enumerate_ensemble(net, x)
    torch.manual_seed(0)
    net.train()
    with torch.no_grad():
        mc = net(x.repeat(20000, 1)).softmax(-1).view(20000, 3, -1).mean(0)
    assert (mc - exact["arithmetic"]).abs().max() < 0.01
    assert torch.allclose(exact["arithmetic"].sum(-1), torch.ones(3, dtype=torch.float64))


# --- the demo helpers ----------------------------------------------------------------
def test_expected_distinct_matches_simulation():
    torch.manual_seed(0)
    draws = 3000
    sims = [lab.distinct_masks(torch.rand(draws, 10) >= 0.3) for _ in range(20)]
    want = lab.expected_distinct(10, draws, p=0.3)
    assert abs(sum(sims) / len(sims) - want) < 0.01 * want
    assert lab.distinct_masks(torch.tensor([[1, 0], [1, 0], [0, 1]], dtype=torch.bool)) == 2


def test_placements_put_dropout_where_they_say():
    kinds = {k: [type(m) for m in lab.make_net(k)] for k in lab.PLACEMENTS}
    before = kinds["before BN"]
    assert before.count(nn.Dropout) == 3
    assert all(before[i + 2] is nn.BatchNorm1d for i, t in enumerate(before[:-2])
               if t is nn.Dropout)
    after = kinds["after last BN"]
    assert after.count(nn.Dropout) == 1 and after[-2] is nn.Dropout
    assert nn.Dropout not in kinds["none"]
    with pytest.raises(ValueError):
        lab.make_net("between")


def test_variance_by_layer_predicts_and_leaves_the_model_alone():
    x, y, _, _ = lab.make_data(0, n_train=600, n_test=10)
    net = lab.train(lab.make_net("before BN", width=16), x, y, steps=60)
    before = checks.stats_of(net)
    rows = lab.variance_by_layer(net, x, REFERENCE["dropout_variance"])
    assert checks._close(checks.stats_of(net), before, torch.float64)  # not mutated
    assert not net.training
    assert len(rows) == 2
    for r in rows:
        assert abs(r["predicted"] - r["train"]) < 0.1 * r["train"]
        assert r["eval"] < r["train"]


def test_recorded_masks_are_the_masks_used():
    x, y, _, _ = lab.make_data(0, n_train=300, n_test=10)
    net, masks = lab.train(lab.make_net("before BN", width=8), x, y, steps=5, batch_size=16,
                           record_masks=True)
    assert masks.shape == (80, 8) and masks.dtype == torch.bool
    assert abs(masks.float().mean().item() - 0.5) < 0.1
    assert "forward" not in vars(net[3])  # the recording forward is gone again


def test_ensemble_gap_is_zero_only_for_one_softmax_layer():
    gaps = lab.ensemble_gaps(REFERENCE["mask_ensemble"], depths=(0, 1), ps=(0.2, 0.6), nets=2,
                             n_units=5, batch=8)
    assert all(gaps[0, p][0] < 1e-12 for p in (0.2, 0.6))
    assert all(gaps[1, p][0] > 1e-4 for p in (0.2, 0.6))
    assert gaps[1, 0.6][0] > gaps[1, 0.2][0]
    assert gaps[0, 0.6][1] > 1e-4  # the arithmetic mean is not the weight-scaled one


def test_mc_average_converges_like_one_over_sqrt_t():
    ts, errors = lab.mc_convergence(REFERENCE["mask_ensemble"], ts=(1, 16, 256), repeats=5)
    assert errors[0] > errors[1] > errors[2]
    assert 0.5 < errors[0] / errors[2] / math.sqrt(256) < 2.0


def test_total_variation():
    a = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    b = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    assert lab.total_variation(a, b) == 0.5
