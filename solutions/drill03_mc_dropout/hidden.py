"""Hidden checks for drill 03 (Monte Carlo dropout): the gaps the visible checks leave open.

Same kit and design as `VISIBLE` in checks.py: every model is built here from a fixed seed,
the learner's functions only run it, and the verdicts decide from cases and results alone.
This file stays in the grader; the messages name the bug without the inputs.

No check here is statistical: the seeded ones compare with the plain loop run here under
the same seed (equal up to float rounding: batched and one-at-a-time matrix products round
differently), the rest are exact. None fails a correct answer by chance.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from grader.payload.checkkit import Check
from solutions.drill03_mc_dropout.checks import (
    CourseDropout, Probe, all_modes, classify_result, course_net, expected_modes, grid,
    mixed_net, mode_problem, modes, predict_result, reset_probes, reference_classify, reference_predict,
    run_predict, seeded_build, set_modes, watched, wide_net)

EPS = dict(rtol=1e-4, atol=1e-5)  # float32, batched against one-at-a-time products


class Zeroer(nn.modules.dropout._DropoutNd):
    """A torch-style dropout whose name does not say so: found by its base class only."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace)


class MySpatialDropout(nn.Module):
    """The course's own channel dropout: found by its name only."""

    def __init__(self, p=0.3):
        super().__init__()
        self.p = p

    def forward(self, x):
        return F.dropout1d(x, self.p, self.training)


class Jitter(nn.Module):
    """A noise layer that is NOT dropout: it must be in eval mode inside the context."""

    def forward(self, x):
        return x + 0.1 * torch.randn_like(x) if self.training else x


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                  nn.ModuleList([nn.Dropout2d(0.2), Zeroer(0.1)]))
        self.heads = nn.ModuleDict({"a": nn.Sequential(nn.LayerNorm(8), MySpatialDropout()),
                                    "b": nn.Sequential(Jitter(), nn.AlphaDropout(0.1),
                                                       nn.Sequential(CourseDropout(0.2)))})


def nested_net():
    return seeded_build(20, lambda: nn.Sequential(
        nn.Linear(4, 8), Block(), nn.ModuleList([Block(), nn.FeatureAlphaDropout(0.1),
                                                 nn.Dropout3d(0.1), nn.Dropout1d(0.1)]),
        nn.BatchNorm2d(3), nn.GroupNorm(2, 4)))


def run_inside(enable, cases):
    """Enter the learner's context on each case's model; the modes inside and after."""
    out = []
    for c in cases:
        model = c["model"]
        with enable(model):
            inside = modes(model)
        out.append({"inside": inside, "after": modes(model)})
    return out


# --- nested containers, every torch dropout class, both ways of being "the course's own" --
def cases_nested():
    return [{"model": all_modes(nested_net(), flag)} for flag in (True, False)]


def verdict_nested(cases, results):
    """Exact."""
    for c, r in zip(cases, results):
        problem = mode_problem(expected_modes(c["model"]), r["inside"], hidden=True)
        if problem:
            return False, problem + " (in a deeply nested model)"
    return True, "every dropout module, however deep or named, trains; the rest are in eval"


# --- an exception inside the context ------------------------------------------------------
class Boom(Exception):
    """Raised by the check inside the learner's context."""


def cases_exception_restores():
    model = nested_net()
    flags = {n: (i % 3 == 0) for i, n in enumerate(modes(model))}
    return {"model": set_modes(model, flags), "before": flags}


def run_exception(enable, c):
    model, propagated = c["model"], False
    try:
        with enable(model):
            raise Boom("raised inside the context")
    except Boom:
        propagated = True
    return {"propagated": propagated, "after": modes(model)}


def verdict_exception_restores(c, r):
    """Exact."""
    if not r["propagated"]:
        return False, ("an exception raised inside the context was swallowed: let it "
                       "propagate (no bare except, __exit__ must not return True)")
    if r["after"] != c["before"]:
        return False, ("after an exception inside the context the modes were not restored: "
                       "restore them in a finally block (the code after `yield` is skipped "
                       "when the body raises)")
    return True, "the exception propagates and every module's mode is restored"


# --- T = 1 ------------------------------------------------------------------------------
def cases_t_one():
    model, x = wide_net(0.5, seed=21), grid(6, -1.0, 1.0)
    mean, std = reference_predict(model, x, 1, seed=5)
    return [{"model": model, "x": x, "T": 1, "seed": 5, "mean": mean, "std": std}]


def run_seeded_predict(mc_predict, cases):
    out = []
    for c in cases:
        reset_probes(c["model"])
        torch.manual_seed(c["seed"])
        out.append(predict_result(c["model"], c["x"], mc_predict(c["model"], c["x"], T=c["T"])))
    return out


def verdict_t_one(cases, results):
    """Exact up to float rounding."""
    c, r = cases[0], results[0]
    if tuple(r["std"].shape) != tuple(c["std"].shape):
        return False, "with T = 1 the std has the wrong shape"
    if torch.isnan(r["std"]).any():
        return False, ("with T = 1 the std is NaN: the unbiased estimator divides by T - 1 = 0; "
                       "this drill's convention divides by T (correction=0)")
    if not torch.equal(r["std"], torch.zeros_like(r["std"])):
        return False, "with T = 1 the std must be exactly zero (one pass has no spread)"
    if not torch.allclose(r["mean"], c["mean"], **EPS):
        return False, "with T = 1 the mean must be the one stochastic pass"
    return True, "T = 1: the mean is the single pass and the std is zero"


# --- the model's modes before the call: eval, train, or mixed --------------------------
def cases_prior_modes():
    out = []
    for flags in ("eval", "train", "mixed"):
        model = mixed_net(seed=22)
        if flags == "mixed":
            before = {n: (i % 2 == 1) for i, n in enumerate(modes(model))}
            set_modes(model, before)
        else:
            all_modes(model, flags == "train")
        out.append({"model": model, "x": grid(8, -1.0, 1.0), "T": 10, "before": modes(model),
                    "expected_inside": expected_modes(model)})
    return out


def verdict_prior_modes(cases, results):
    """Exact."""
    labels = ("in eval mode", "in train mode", "in a mix of modes")
    for c, r, label in zip(cases, results, labels):
        for seen in r["seen_modes"]:
            problem = mode_problem(c["expected_inside"], seen, hidden=True)
            if problem:
                return False, f"for a model {label} before the call, during the passes {problem}"
        if r["modes_after"] != c["before"]:
            return False, (f"for a model {label} before the call, mc_predict left some modules "
                           "in another mode: leave the model exactly as it was (use the context "
                           "manager)")
    return True, "the passes ran with only dropout on, and every module's mode was kept"


# --- vectorised, and equal to the plain loop -------------------------------------------
VEC_T = 40


def cases_vectorised():
    model, x = course_net(0.5, seed=23, d_in=1, d_out=2), grid(5, -2.0, 2.0)
    mean, std = reference_predict(model, x, VEC_T, seed=11)
    return [{"model": model, "x": x, "T": VEC_T, "seed": 11, "mean": mean, "std": std}]


def verdict_vectorised(cases, results):
    """Exact up to float rounding: under the same seed a pass-major batch draws the loop's
    masks (the course's dropout takes its numbers from the global generator in order)."""
    c, r = cases[0], results[0]
    if r["calls"] >= c["T"]:
        return False, ("mc_predict ran one forward call per pass: repeat x T times along the "
                       "batch dimension (x.repeat(T, 1)) and run the passes as one batch")
    if tuple(r["mean"].shape) != tuple(c["mean"].shape):
        return False, "the batched result has the wrong shape"
    if not torch.allclose(r["mean"], c["mean"], **EPS):
        return False, ("the batched mean differs from the plain loop under the same seed: stack "
                       "the copies pass-major (pass t is rows t*N to t*N + N - 1, as "
                       "x.repeat(T, 1) gives; not repeat_interleave) and reshape to (T, N, ...)")
    if not torch.allclose(r["std"], c["std"], **EPS):
        ratio = (r["std"] / c["std"]).median().item()
        if abs(ratio - (c["T"] / (c["T"] - 1)) ** 0.5) < 1e-3:
            return False, ("the std divides by T - 1 (unbiased); this drill's convention "
                           "divides by T (correction=0)")
        return False, "the batched std differs from the plain loop's population std"
    return True, f"{r['calls']} forward call(s) for {c['T']} passes, equal to the plain loop"


# --- no autograd graph ------------------------------------------------------------------
def cases_no_graph():
    return [{"model": wide_net(0.5, seed=24), "x": grid(6, -1.0, 1.0), "T": 10}]


def run_no_graph(mc_predict, cases):
    out = run_predict(mc_predict, cases)
    out[0]["param_grads"] = [p.grad is not None for p in cases[0]["model"].parameters()]
    return out


def verdict_no_graph(cases, results):
    """Exact."""
    r = results[0]
    if any(r["grad_enabled"]) or r["mean_grad"] or r["std_grad"]:
        return False, ("the passes ran with autograd on, building a graph over T copies: wrap "
                       "them in torch.no_grad() (a .detach() at the end is too late)")
    if any(r["param_grads"]):
        return False, "mc_predict left gradients in the parameters: it must not call backward"
    return True, "the passes ran under no_grad and the outputs carry no graph"


# --- dtype kept -------------------------------------------------------------------------
def cases_dtype():
    model, x = wide_net(0.5, seed=25, dtype=torch.float64), grid(6, -1.0, 1.0, dtype=torch.float64)
    return [{"model": model, "x": x, "T": 10}]


def verdict_dtype(cases, results):
    """Exact."""
    r = results[0]
    if r["mean"].dtype != torch.float64 or r["std"].dtype != torch.float64:
        return False, ("a float64 model and input gave a lower-precision mean or std: do not "
                       "cast (.float()); keep the model's dtype")
    return True, "float64 in, float64 out"


# --- in-place dropout must not touch the caller's x -------------------------------------
def cases_inplace_input():
    def build():
        return watched(nn.Sequential(nn.Dropout(0.5, inplace=True), Probe(), nn.Linear(3, 2)))
    x = grid(7, 0.5, 2.0, d=3)
    return [{"model": seeded_build(26, build), "x": x, "x_before": x.clone(), "T": 10}]


def verdict_inplace_input(cases, results):
    """Exact."""
    c, r = cases[0], results[0]
    if not torch.equal(r["x_after"], c["x_before"]):
        return False, ("a dropout with inplace=True zeroed entries of the caller's x: pass the "
                       "model a copy (x.repeat makes one), never x itself")
    if not (torch.isfinite(r["mean"]).all() and torch.isfinite(r["std"]).all()):
        return False, "in-place dropout gave NaN or inf"
    return True, "the caller's input is untouched by an in-place dropout"


# --- classification scores against the reference ---------------------------------------
def cases_classify_reference():
    out = []
    for seed, scale in ((30, 1.0), (31, 400.0)):  # the second saturates: some p are exactly 0
        model, x = course_net(0.5, seed=seed, scale=scale), grid(8, -2.0, 2.0, d=2)
        out.append({"model": model, "x": x, "T": 25, "seed": seed,
                    "want": reference_classify(model, x, 25, seed)})
    return out


def run_classify_seeded(mc_classify, cases):
    out = []
    for c in cases:
        torch.manual_seed(c["seed"])
        out.append(classify_result(mc_classify(c["model"], c["x"], T=c["T"])))
    return out


def verdict_classify_reference(cases, results):
    """Exact up to float rounding (the reference is computed in float64)."""
    for i, (c, r) in enumerate(zip(cases, results)):
        want = c["want"]
        saturated = " with saturated logits" if i else ""
        if not all(torch.isfinite(r[k]).all() for k in want):
            return False, (f"a score is NaN{saturated}: 0 * log 0 must count as 0 (use "
                           "torch.special.xlogy, or p * log_softmax)")
        if any(tuple(r[k].shape) != tuple(want[k].shape) for k in want):
            return False, "a score has the wrong shape"
        if not torch.allclose(r["probs"].double(), want["probs"], **EPS):
            return False, ('"probs" is not the mean over passes of the softmax (the softmax of '
                           "the mean logits is another thing), or the passes are not stacked "
                           "pass-major")
        h, mi = r["entropy"].double(), r["mutual_info"].double()
        if not torch.allclose(h, want["entropy"], **EPS):
            ratio = (h / want["entropy"]).median().item()
            if abs(ratio - 1.4426950408889634) < 1e-3:
                return False, '"entropy" is in bits: use the natural log (nats)'
            return False, f'"entropy" is not the entropy of the mean probabilities{saturated}'
        if not torch.allclose(mi, want["mutual_info"], **EPS):
            return False, (f'"mutual_info" is not H[mean p] minus the mean of the passes\' '
                           f"entropies{saturated}")
    return True, "probs, entropy and mutual information match the reference, in nats"


def hidden_check(target, name, title, hint, prepare, execute, judge, after=()):
    return Check(name, title, target, hint, prepare, execute, judge, tuple(after))


HIDDEN = [
    hidden_check("enable_mc_dropout", "nested", "nested and unusual dropout modules",
                 "every dropout module, at any depth, of any dropout class",
                 cases_nested, run_inside, verdict_nested),
    hidden_check("enable_mc_dropout", "exception_restores", "modes restored after an exception",
                 "restore in a finally block and let the exception through",
                 cases_exception_restores, run_exception, verdict_exception_restores),
    hidden_check("mc_predict", "t_one", "T = 1", "one pass: the std is zero, not NaN",
                 cases_t_one, run_seeded_predict, verdict_t_one),
    hidden_check("mc_predict", "prior_modes", "the model is left as it was",
                 "eval, train or mixed before the call: the same after it",
                 cases_prior_modes, run_predict, verdict_prior_modes),
    hidden_check("mc_predict", "vectorised", "vectorised, equal to the loop",
                 "one batched call, pass-major, same numbers as the loop under one seed",
                 cases_vectorised, run_seeded_predict, verdict_vectorised),
    hidden_check("mc_predict", "no_graph", "no autograd graph", "the passes run under no_grad",
                 cases_no_graph, run_no_graph, verdict_no_graph),
    hidden_check("mc_predict", "dtype", "dtype kept", "float64 stays float64",
                 cases_dtype, run_predict, verdict_dtype),
    hidden_check("mc_predict", "inplace_input", "in-place dropout leaves x alone",
                 "the model gets a copy of x", cases_inplace_input, run_predict,
                 verdict_inplace_input),
    hidden_check("mc_classify", "classify_reference", "classification scores match",
                 "mean softmax; entropies in nats; MI = H[mean] - mean H",
                 cases_classify_reference, run_classify_seeded, verdict_classify_reference),
]
