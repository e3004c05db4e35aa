"""The six visible sanity checks for drill 01 (Dropout), defined once.

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it may only import torch, the standard library and the kit.

Each check prepares cases (inputs built here, never by the learner's code), executes them
with run_case (what the learner's module did, tensors only) and judges the results (passed,
and a message naming the likely bug). Statistical checks allow SIGMAS standard deviations
derived from n and p: a correct module fails one such test with probability FALSE_FAIL.
"""
import math

import torch

from grader.payload.checkkit import (FALSE_FAIL, SIGMAS, Check, CheckSet, bound,  # noqa: F401
                                     scale_hint)


def nonzero_randn(shape, seed, dtype=torch.float32):
    """Standard normal input with no exact zeros, so a zero in the output means 'dropped'."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    x = torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x)
    return x.to(dtype)


def case(p, x=None, train=True, calls=1, grad_out=None, no_grad=False, seed=None,
         transpose=False, construct_only=False, record_init=False):
    """One run of the learner's module: Dropout(p) in train or eval mode applied to x.

    construct_only: only build Dropout(p) and record what the constructor raised.
    record_init: when the constructor raises, record it (as construct_only does) instead of
    raising, so the verdict can say why.
    """
    return dict(p=p, x=x, train=train, calls=calls, grad_out=grad_out, no_grad=no_grad,
                seed=seed, transpose=transpose, construct_only=construct_only,
                record_init=record_init)


def _construct(Dropout, p):
    """Build Dropout(p) and report the constructor's exception as plain values."""
    try:
        Dropout(p)
    except NotImplementedError:
        raise
    except Exception as e:  # recorded, judged by the verdict
        return {"init_error": type(e).__name__, "init_value_error": isinstance(e, ValueError),
                "init_message": str(e)[:200]}
    return {"init_error": None, "init_value_error": False, "init_message": ""}


def run_case(Dropout, c):
    """Apply the learner's Dropout to one case; return tensors and plain values only.

    An untouched stub's NotImplementedError propagates (the check is "todo"), as does any
    other exception.
    """
    if c.get("construct_only"):
        return _construct(Dropout, c["p"])
    if c.get("record_init"):
        init = _construct(Dropout, c["p"])
        if init["init_error"]:
            return init
    x = c["x"].clone()
    if c["transpose"]:
        x = x.transpose(0, -1)  # a non-contiguous view
    module = Dropout(c["p"])
    module.train(c["train"])
    outs, grads = [], []
    for _ in range(c["calls"]):
        if c["seed"] is not None:
            torch.manual_seed(c["seed"])
        xin = x.detach().clone().requires_grad_(True) if c["grad_out"] is not None else x
        if c["no_grad"]:
            with torch.no_grad():
                y = module(xin)
        else:
            y = module(xin)
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"forward returned {type(y).__name__}, not a tensor")
        if c["grad_out"] is not None:
            if not y.requires_grad:
                raise RuntimeError("the output is detached from the autograd graph "
                                   "(.detach(), .data, torch.no_grad() or NumPy in forward?)")
            if y.shape != c["grad_out"].shape:  # no sizes: they would reveal a hidden input
                raise RuntimeError("the output's shape differs from the input's")
            (y * c["grad_out"]).sum().backward()  # = y.backward(grad_out), minus its imports
            grads.append(xin.grad.detach().clone() if xin.grad is not None
                         else torch.zeros_like(xin))
        outs.append(y.detach().clone())
    return {"outs": outs, "grads": grads, "x_after": x.detach().clone(),
            "p_after": _plain_float(getattr(module, "p", None)),
            "training_after": bool(module.training)}


def _plain_float(value):
    """The module's p as a float; NaN when it has none or it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


# --- 1. eval is the identity ----------------------------------------------------------
def cases_eval_identity():
    return [case(0.5, nonzero_randn(1000, seed=1), train=False)]


def verdict_eval_identity(cases, results):
    x, y = cases[0]["x"], results[0]["outs"][0]
    if y.shape == x.shape and torch.equal(y, x):
        return True, "eval(): output equals input exactly"
    if y.shape != x.shape:
        return False, f"eval(): output shape {tuple(y.shape)} differs from input {tuple(x.shape)}"
    if (y == 0).any():
        return False, ("eval(): units were dropped; branch on self.training "
                       "(self.train is a method and is always truthy)")
    ratio = (y / x).double().median().item()
    if abs(ratio - (1 - cases[0]["p"])) < 1e-3:
        return False, ("eval(): output is scaled by (1 - p); with inverted dropout the "
                       "scaling happens in training and eval is the identity")
    return False, f"eval(): output is {ratio:.4g} times the input; it must be the input itself"


# --- 2. train drops about p of the elements -------------------------------------------
def cases_drop_rate():
    return [case(0.3, torch.ones(100_000))]


def verdict_drop_rate(cases, results):
    p, n = cases[0]["p"], cases[0]["x"].numel()
    dropped = (results[0]["outs"][0] == 0).double().mean().item()
    tol = bound(p, n)
    msg = f"p={p}: dropped {dropped:.4f} of {n} elements, expected {p} ± {tol:.4f}"
    if abs(dropped - p) <= tol:
        return True, msg
    if dropped in (0.0, 1.0):
        return False, msg + ("; all or nothing was dropped in train mode: is the mask applied, "
                             "with one random decision per element?")
    if abs(dropped - (1 - p)) <= tol:
        return False, msg + ("; you dropped with probability 1 - p: here p is the DROP "
                             "probability, so keep each unit with probability 1 - p")
    return False, msg


# --- 3. the expectation is preserved ---------------------------------------------------
# p = 0.5 would hide the notation trap: there 1/p = 1/(1 - p), so a module dividing by p
# would pass. At p = 0.2 the two differ fourfold (1/p = 5, 1/(1 - p) = 1.25).
TRAP_P = 0.2


def cases_expectation():
    return [case(TRAP_P, torch.full((200_000,), 4.0))]


def verdict_expectation(cases, results):
    c = cases[0]
    p, n, v = c["p"], c["x"].numel(), c["x"][0].item()
    mean = results[0]["outs"][0].double().mean().item()
    # Var(x * m / (1-p)) = x^2 p / (1-p) for one element; the mean of n has 1/n of it.
    tol = SIGMAS * abs(v) * math.sqrt(p / (1 - p) / n)
    msg = f"mean output {mean:.4f}, expected {v} ± {tol:.4f}"
    if abs(mean - v) <= tol:
        return True, msg
    dropped = (results[0]["outs"][0] == 0).double().mean().item()
    if dropped in (0.0, 1.0):
        return False, msg + ("; all or nothing was dropped: is the mask applied, with one "
                             "random decision per element?")
    ratio, rtol = mean / v, tol / abs(v)
    if abs(ratio - (1 - p)) <= rtol:
        return False, msg + "; the mean shrank by (1 - p): divide survivors by (1 - p)"
    if abs(ratio - (1 - p) ** 2) <= rtol:
        return False, msg + ("; the mean shrank by (1 - p)^2: you multiplied survivors by "
                             "(1 - p) instead of dividing")
    if abs(ratio - 1 / (1 - p)) <= rtol:
        return False, msg + "; the mean grew by 1/(1 - p): survivors are scaled twice"
    if abs(ratio - (1 - p) / p) <= rtol:
        return False, msg + ("; survivors were divided by p: p is the drop probability, "
                             "divide by the keep probability 1 - p")
    return False, msg + f"; the mean is {ratio:.4g} times the input, expected 1 (E[y] = x)"


# --- 4. survivors are scaled by 1/(1-p) -------------------------------------------------
def cases_survivor_scale():
    return [case(TRAP_P, torch.ones(100_000))]


def verdict_survivor_scale(cases, results):
    p, x, y = cases[0]["p"], cases[0]["x"], results[0]["outs"][0]
    kept = y != 0
    if not kept.any():
        return False, "every unit was dropped, so there are no survivors to inspect"
    want = x[kept] / (1 - p)
    if torch.allclose(y[kept], want, rtol=1e-6, atol=0):
        return True, f"survivors are 1/(1-p) = {1 / (1 - p):g} times the input"
    return False, scale_hint((y[kept] / x[kept]).double().median().item(), p)


# --- 5. p = 0 is the identity in train mode --------------------------------------------
def cases_p0_identity():
    return [case(0.0, nonzero_randn(1000, seed=5))]


def verdict_p0_identity(cases, results):
    x, y = cases[0]["x"], results[0]["outs"][0]
    if y.shape == x.shape and torch.equal(y, x):
        return True, "p=0 in train mode: output equals input exactly"
    if not torch.isfinite(y).all():
        return False, "p=0 produced inf or NaN: is something divided by p instead of (1 - p)?"
    return False, "p=0 in train mode changed the input; with nothing dropped, nothing may change"


# --- 6. the gradient flows only through survivors, as 1/(1-p) ---------------------------
def cases_gradient():
    return [case(TRAP_P, nonzero_randn(1000, seed=6), grad_out=torch.ones(1000))]


def verdict_gradient(cases, results):
    p, c_grad = cases[0]["p"], cases[0]["grad_out"]
    y, g = results[0]["outs"][0], results[0]["grads"][0]
    want = (y != 0).to(g.dtype) / (1 - p)
    if torch.allclose(g, want, rtol=1e-6, atol=0):
        return True, "gradient is 1/(1-p) on survivors and 0 on dropped units"
    kept = y != 0
    if (g[~kept] != 0).any():
        return False, "dropped units received gradient: multiply by the mask, do not add noise"
    ratio = (g[kept] / c_grad[kept]).double().median().item()
    return False, scale_hint(ratio, p, "gradients on survivors are", "the upstream gradient")


def shape_problem(cases, results):
    """A message when some output's shape differs from its input's, else None."""
    for c, r in zip(cases, results):
        for y in r.get("outs", []):  # construct_only results have no outputs
            want = c["x"].transpose(0, -1).shape if c["transpose"] else c["x"].shape
            if y.shape != want:  # no sizes: they would reveal a hidden check's input
                return ("the output's shape differs from the input's: dropout must keep the "
                        "shape (no flatten, reshape or squeeze)")
    return None


def run_cases(Dropout, cases):
    """execute: every case through the learner's Dropout."""
    return [run_case(Dropout, c) for c in cases]


def dropout_check(name, title, hint, prepare, judge, after=()):
    """A check of the learner's Dropout; a wrong output shape fails it before its judge."""
    def judge_shape_first(cases, results):
        problem = shape_problem(cases, results)
        return (False, problem) if problem else judge(cases, results)
    return Check(name, title, "Dropout", hint, prepare, run_cases, judge_shape_first, after)


VISIBLE = CheckSet("Dropout sanity checks", [
    dropout_check("eval_identity", "eval is the identity",
                  "at inference nothing is dropped or rescaled",
                  cases_eval_identity, verdict_eval_identity),
    dropout_check("drop_rate", "train drops about p", "p is the probability of dropping a unit",
                  cases_drop_rate, verdict_drop_rate),
    dropout_check("expectation", "expectation is preserved",
                  "E[y] = x, so inference needs no correction",
                  cases_expectation, verdict_expectation, after=("drop_rate",)),
    dropout_check("survivor_scale", "survivors scaled by 1/(1-p)",
                  "inverted dropout rescales at train time",
                  cases_survivor_scale, verdict_survivor_scale),
    dropout_check("p0_identity", "p = 0 is the identity", "dropping nothing must change nothing",
                  cases_p0_identity, verdict_p0_identity),
    dropout_check("gradient", "gradient only through survivors", "dy/dx = mask / (1 - p)",
                  cases_gradient, verdict_gradient, after=("survivor_scale",)),
])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test
