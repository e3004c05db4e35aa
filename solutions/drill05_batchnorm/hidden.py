"""Hidden checks for drill 05: other p, widths, shapes, dtypes, conv nets, batch splits.

Same kit and design as VISIBLE in checks.py; this file stays in the grader, and its
messages name the bug without revealing the inputs. All are deterministic (exact up to
rounding), so none fails a correct answer by chance.
"""
import torch
import torch.nn as nn

from grader.payload.checkkit import Check
from solutions.drill05_batchnorm.checks import (
    ENSEMBLE_KEYS, _close, _stale, ens_case, ensemble_problem, eval_hint, make_recal_net,
    name_train_bug, one_thread, recal_case, recal_hint, run_ensemble, run_recal, run_variance,
    shape_problem_variance, variance_formulas)


# --- dropout_variance: closed form at p far from 0.3, zero mean, 2-D input ----------------
def cases_variance_many_p():
    gen = torch.Generator().manual_seed(7)
    mean = torch.randn(3, 4, generator=gen, dtype=torch.float64) * 2
    mean[0, 0] = 0.0
    var = torch.rand(3, 4, generator=gen, dtype=torch.float64) * 3 + 0.1
    return [{"mean": mean, "var": var, "p": p} for p in (0.0, 0.1, 0.5, 0.8, 0.9)]


def verdict_variance_many_p(cases, results):
    """Deterministic: float64 closed form (the one the sampling check confirms), rtol 1e-9."""
    if shape_problem_variance(cases, results):
        return False, "the outputs' shape differs from the input's: work elementwise"
    for c, r in zip(cases, results):
        want = variance_formulas(c["mean"], c["var"], c["p"])["right"]
        if not torch.allclose(r["train"].double(), want, rtol=1e-9, atol=1e-12):
            hint = name_train_bug(c["mean"], c["var"], c["p"], r["train"])
            return False, (hint or "train_var is off") + " (at other values of p)"
        hint = eval_hint(c, r["eval"], show=False)
        if hint:
            return False, hint + " (at other values of p)"
        if not r["inputs_intact"]:
            return False, "mean or var was modified in place: compute new tensors"
    return True, "train and eval variance right for p from 0 to 0.9"


# --- dropout_variance: float32 in, float32 out, same shape --------------------------------
def cases_variance_dtype():
    mean = torch.linspace(-2, 2, 15).reshape(3, 5)
    var = torch.linspace(0.1, 3, 15).reshape(3, 5)
    return [{"mean": mean, "var": var, "p": 0.25}]


def verdict_variance_dtype(cases, results):
    """Deterministic: float32 rounding (rtol 1e-5)."""
    c, r = cases[0], results[0]
    if shape_problem_variance(cases, results):
        return False, "the outputs' shape differs from the input's: work elementwise"
    for key in ("train", "eval"):
        if r[key].dtype != c["mean"].dtype:
            return False, (f"{key}_var came back in another dtype than its inputs: keep the "
                           "input's dtype (no torch.tensor(..., dtype=...) or .double())")
    want = variance_formulas(c["mean"].double(), c["var"].double(), c["p"])["right"]
    if not torch.allclose(r["train"].double(), want, rtol=1e-5):
        return False, name_train_bug(c["mean"], c["var"], c["p"], r["train"]) or \
            "train_var is off for float32 input"
    if eval_hint(c, r["eval"], show=False):
        return False, eval_hint(c, r["eval"], show=False)
    return True, "float32 in, float32 out, elementwise"


# --- recalibrate_bn: a conv net with BatchNorm2d and Dropout2d, a ragged last batch -------
def make_conv_net(seed=3):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout2d(0.3),
                        nn.Conv2d(6, 5, 3), nn.BatchNorm2d(5), nn.ReLU(), nn.Flatten(),
                        nn.Dropout(0.4), nn.Linear(5 * 4 * 4, 7), nn.BatchNorm1d(7))
    return _stale(net, torch.randn(16, 3, 8, 8) + 0.5)


@one_thread
def cases_recal_conv():
    gen = torch.Generator().manual_seed(11)
    return [recal_case(make_conv_net(), torch.randn(70, 3, 8, 8, generator=gen), batch_size=32)]


@one_thread
def verdict_recal_stats_hidden(cases, results):
    """Deterministic: a hand computation, to float32 / float64 rounding."""
    for c, r in zip(cases, results):
        if not _close(r["stats"], c["reference"], c["dtype"]):
            return False, recal_hint(c, r)
        if any(r["training"]):
            return False, "the model is left (partly) in training mode: finish with model.eval()"
    return True, "running statistics right"


# --- recalibrate_bn: batch sizes that do not divide len(x) --------------------------------
@one_thread
def cases_recal_batches():
    gen = torch.Generator().manual_seed(12)
    x = torch.randn(300, 8, generator=gen, dtype=torch.float64)
    return [recal_case(make_recal_net(seed=4), x, batch_size=128),
            recal_case(make_recal_net(seed=5, dtype=torch.float32), x.float(), batch_size=50)]


# --- mask_ensemble: other widths, p, classes, batch sizes, float32 ------------------------
@one_thread
def cases_ensemble_many():
    return [ens_case(n_units=1, depth=1, p=0.8, seed=20, batch=1, n_classes=2),
            ens_case(n_units=12, depth=2, p=0.1, seed=21, batch=3, n_classes=5),
            ens_case(n_units=5, depth=0, p=0.7, seed=22, batch=4, dtype=torch.float32),
            ens_case(n_units=9, depth=1, p=0.25, seed=23, batch=7, dtype=torch.float32)]


def verdict_ensemble_many(cases, results):
    """Deterministic: 1e-6 (float64) or 2e-5 (float32) against an independent enumeration."""
    for c, r in zip(cases, results):
        for key in ENSEMBLE_KEYS:
            problem = ensemble_problem(c, r, key, show=False)
            if problem:
                return False, problem + " (other widths, p or dtypes)"
    return True, "all three predictions right for other widths, p, classes and dtypes"


# --- mask_ensemble: a model handed over in train mode -------------------------------------
@one_thread
def cases_ensemble_train_mode():
    return [ens_case(n_units=7, depth=1, p=0.5, seed=30, batch=5, train_mode=True)]


def verdict_ensemble_train_mode(cases, results):
    """Deterministic: the answer may not depend on the mode the model arrives in."""
    c, r = cases[0], results[0]
    for key in ENSEMBLE_KEYS:
        problem = ensemble_problem(c, r, key, show=False)
        if problem:
            if key == "weight_scaled":
                return False, ("'weight_scaled' is wrong for a model handed over in train "
                               "mode: switch to eval mode (dropout off) for it")
            return False, problem + " (model handed over in train mode)"
        if not torch.equal(r[key], r["again"].get(key, torch.empty(0))):
            return False, f"'{key}' changed between two calls: no random masks"
    return True, "the same exact answer whatever mode the model is in"


HIDDEN = [
    Check("variance_many_p", "variance at other p", "dropout_variance",
          "(var + mean^2)/(1-p) - mean^2 for every p in [0, 1)",
          cases_variance_many_p, run_variance, verdict_variance_many_p),
    Check("variance_dtype", "variance keeps dtype and shape", "dropout_variance",
          "elementwise, in the input's dtype", cases_variance_dtype, run_variance,
          verdict_variance_dtype),
    Check("recal_conv", "recalibration of a conv net", "recalibrate_bn",
          "every _BatchNorm (2d too), dropout of every kind off",
          cases_recal_conv, run_recal, verdict_recal_stats_hidden, after=("recal_stats",)),
    Check("recal_batches", "recalibration with a ragged last batch", "recalibrate_bn",
          "every example counts; batches of batch_size, the last one smaller",
          cases_recal_batches, run_recal, verdict_recal_stats_hidden, after=("recal_stats",)),
    Check("ensemble_many", "ensemble at other widths, p and dtypes", "mask_ensemble",
          "n from 1 to 12, p from 0.1 to 0.8, float32 and float64",
          cases_ensemble_many, run_ensemble, verdict_ensemble_many),
    Check("ensemble_train_mode", "ensemble of a model in train mode", "mask_ensemble",
          "exact and repeatable whatever the model's mode",
          cases_ensemble_train_mode, run_ensemble, verdict_ensemble_train_mode),
]
