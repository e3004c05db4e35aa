"""The notebook's checks for drill 01 (Dropout), defined once: six narrated checks, a
stress tier for the rest of the spec, and the graded hints hint("Dropout") prints.

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it (hidden.py runs the stress tier's builders and verdicts on other inputs),
so it may only import torch, the standard library and the kit.

Each check prepares cases (inputs built here, never by the learner's code), executes them
with run_case (what the learner's module did, tensors only) and judges the results (passed,
and a message naming the likely bug). Statistical checks allow SIGMAS standard deviations
derived from n and p: a correct module fails one such test with probability FALSE_FAIL.
"""
import functools
import math

import torch

from grader.payload.checkkit import (FALSE_FAIL, SIGMAS, Check, CheckSet, bound,  # noqa: F401
                                     record_torch_dropout_calls, scale_hint)


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


# --- the stress tier: the properties hidden checks test, on this notebook's inputs ---
FAR_PS = (0.1, 0.2, 0.8, 0.9)  # at p = 0.5 a flipped mask and p used as keep-prob both pass
EPS32 = torch.finfo(torch.float32).eps


def _input(c):
    """The tensor the module actually received (run_case transposes when asked)."""
    return c["x"].transpose(0, -1) if c["transpose"] else c["x"]


def _dropped(y):
    """Fraction of zeros; inputs have no zeros, so a zero means 'dropped'."""
    return (y == 0).double().mean().item()


def _survivors_scaled(x, y, p, rtol=4 * EPS32):
    """True when every kept unit equals x / (1 - p) within rtol (computed in float64)."""
    kept = y != 0
    want = x[kept].double() / (1 - p)
    return torch.allclose(y[kept].double(), want, rtol=rtol, atol=0.0)


def _scale_name(x, y, p):
    """A hint naming how the survivors were scaled, without the value of p."""
    kept = y != 0
    if not kept.any():
        return "every unit was dropped"
    ratio = (y[kept].double() / x[kept].double()).median().item()
    return scale_hint(ratio, p, show_p=False)


# --- drop rate at p far from 0.5 ------------------------------------------------------
def cases_drop_rate_many_p(seed, ps=FAR_PS):
    return [case(p, nonzero_randn(100_000, seed=seed + i)) for i, p in enumerate(ps)]


def verdict_drop_rate_many_p(cases, results):
    """4 binomial tests (n = 100,000): false-fail probability <= 4 * FALSE_FAIL."""
    for c, r in zip(cases, results):
        p, n = c["p"], c["x"].numel()
        dropped = _dropped(r["outs"][0])
        if abs(dropped - p) > bound(p, n):
            side = "small" if p < 0.5 else "large"
            if abs(dropped - (1 - p)) <= bound(p, n):
                return False, (f"for a {side} p about 1 - p of the units were dropped: p is the "
                               "DROP probability (at p = 0.5 the two look the same)")
            return False, f"for a {side} p the fraction of dropped units is not close to p"
    return True, "drop fraction is about p for p far from 0.5"


# --- survivors scaled by 1/(1-p) at p far from 0.5 --------------------------------------
def cases_scale_many_p(seed, ps=FAR_PS):
    return [case(p, nonzero_randn(100_000, seed=seed + i)) for i, p in enumerate(ps)]


def verdict_scale_many_p(cases, results):
    """Exact up to float32 rounding; no false fails."""
    for c, r in zip(cases, results):
        if not _survivors_scaled(c["x"], r["outs"][0], c["p"]):
            return False, _scale_name(c["x"], r["outs"][0], c["p"]) + " (p far from 0.5)"
    return True, "survivors are x / (1 - p) for p far from 0.5"


# --- a fresh mask on every call --------------------------------------------------------
def cases_fresh_mask(seed):
    return [case(0.5, nonzero_randn(100_000, seed=seed), calls=2)]


def verdict_fresh_mask(cases, results):
    """Two independent masks agree on a unit with q = p^2 + (1-p)^2; one binomial test on
    n = 100,000 units: false-fail probability FALSE_FAIL."""
    p, n = cases[0]["p"], cases[0]["x"].numel()
    first, second = (y != 0 for y in results[0]["outs"])
    agree = (first == second).double().mean().item()
    q = p * p + (1 - p) ** 2
    if agree > q + bound(q, n):
        return False, ("two calls dropped (nearly) the same units: draw a new random mask "
                       "in every forward call, not once in __init__ or on the first call")
    if agree < q - bound(q, n):
        return False, "two calls' masks are anti-correlated: draw each mask independently"
    return True, "each call draws a new mask"


# --- the input tensor is left alone ----------------------------------------------------
def cases_input_unchanged(seed):
    x = nonzero_randn((100, 30), seed=seed)
    return [case(0.3, x), case(0.0, x), case(0.3, x, train=False)]


def verdict_input_unchanged(cases, results):
    """Deterministic: the input after forward must equal the input before, bit for bit."""
    for c, r in zip(cases, results):
        if not torch.equal(r["x_after"], c["x"]):
            return False, ("forward modified its input tensor in place (x.mul_, x *= mask, "
                           "masked_fill_, x[mask] = 0): build a new tensor instead")
    return True, "the input tensor is not modified"


# --- units are dropped independently ---------------------------------------------------
def cases_independent(seed):
    return [case(0.5, nonzero_randn((64, 32, 50), seed=seed))]


def _agreement(mask, dim):
    """Fraction of (even, odd) neighbour pairs along dim that share a decision.

    Pairs are disjoint, so under independence the count is Binomial(numel/2, q)."""
    size = mask.shape[dim] // 2 * 2
    even = mask.narrow(dim, 0, size).unfold(dim, 2, 2).select(-1, 0)
    odd = mask.narrow(dim, 0, size).unfold(dim, 2, 2).select(-1, 1)
    return (even == odd).double().mean().item(), even.numel()


def verdict_independent(cases, results):
    """One binomial test per dimension (3, each on 51,200 pairs, q = 1/2):
    false-fail probability <= 3 * FALSE_FAIL."""
    p, mask = cases[0]["p"], results[0]["outs"][0] != 0
    q = p * p + (1 - p) ** 2
    where = {0: "across the batch (first dimension): one mask is shared by all samples",
             mask.dim() - 1: ("along the last dimension: whole rows (or whole channels of an "
                              "(N, C, L) input) are dropped together")}
    # last dimension first: a mask repeated along one dimension also inflates the spread of
    # the agreement along the others, so the dimension it is repeated along must be named
    for dim in reversed(range(mask.dim())):
        agree, pairs = _agreement(mask, dim)
        if abs(agree - q) > bound(q, pairs):
            what = where.get(dim, "along a middle dimension: whole channels or feature maps "
                                  "are dropped together")
            return False, (f"drop decisions are correlated {what}; draw one independent "
                           "decision per element (a mask with the input's full shape)")
    return True, "every element is dropped independently"


# --- the gradient is mask / (1-p) times the upstream gradient, element by element -------
def cases_gradient_exact(seed):
    x = nonzero_randn((50, 40), seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    up = torch.randn((50, 40), generator=gen)
    return [case(0.3, x, grad_out=up), case(0.3, x, train=False, grad_out=up)]


def verdict_gradient_exact(cases, results):
    """Exact up to float32 rounding (rtol 4 eps); no false fails."""
    (train, evl), (r_train, r_eval) = cases, results
    p, up = train["p"], train["grad_out"]
    y, g = r_train["outs"][0], r_train["grads"][0]
    kept = y != 0
    want = up.double() * kept / (1 - p)
    if not torch.allclose(g.double(), want, rtol=4 * EPS32, atol=0.0):
        if (g[~kept] != 0).any():
            return False, "dropped units received gradient: the gradient must be 0 there"
        if torch.allclose(g[kept].double(), torch.full_like(want[kept], 1 / (1 - p))):
            return False, ("the gradient ignores the upstream gradient: a custom backward "
                           "must return grad_output * mask / (1 - p)")
        return False, "the gradient on kept units is not upstream * 1/(1 - p)"
    if not torch.allclose(r_eval["grads"][0].double(), up.double(), rtol=4 * EPS32, atol=0.0):
        return False, "in eval mode the gradient must pass through unchanged (identity)"
    return True, "gradient = upstream * mask / (1 - p) in train, upstream in eval"


# --- dtypes are kept, values right within the dtype's precision -------------------------
DTYPES = (torch.float16, torch.bfloat16, torch.float64)


def cases_dtypes(seed):
    return [case(0.3, nonzero_randn(20_000, seed=seed + i, dtype=dt))
            for i, dt in enumerate(DTYPES)]


def verdict_dtypes(cases, results):
    """Deterministic: survivors within 2 eps of the dtype (one or two roundings)."""
    for c, r in zip(cases, results):
        x, y, p = c["x"], r["outs"][0], c["p"]
        if y.dtype != x.dtype:
            return False, (f"a {x.dtype} input came back as {y.dtype}: keep the input's dtype "
                           "(make the mask with dtype=x.dtype or .to(x.dtype))")
        kept = y != 0
        if kept.all() or not kept.any():
            return False, f"a {x.dtype} input was not dropped out (all or nothing kept)"
        if not _survivors_scaled(x, y, p, rtol=2 * torch.finfo(x.dtype).eps):
            return False, (f"survivors of a {x.dtype} input are not x / (1 - p) to that "
                           "dtype's precision (computed in another dtype, or mis-scaled?)")
    return True, "float16, bfloat16 and float64 are kept, with values right"


# --- shapes are kept: 1-D to 4-D and non-contiguous ------------------------------------
def cases_shapes(seed, shapes=((1000,), (40, 50), (8, 10, 25), (4, 5, 6, 7)),
                 transposed=((30, 40), (6, 7, 8))):
    """Each shape as it is, then each of `transposed` as a non-contiguous (transposed) view."""
    cs = [case(0.4, nonzero_randn(s, seed=seed + i)) for i, s in enumerate(shapes)]
    return cs + [case(0.4, nonzero_randn(s, seed=seed + len(shapes) + i), transpose=True)
                 for i, s in enumerate(transposed)]


def verdict_shapes(cases, results):
    """Element-by-element values are exact up to rounding; one pooled binomial test on all
    7,376 elements (n*p >= 2,900): false-fail probability FALSE_FAIL."""
    dropped, total = 0.0, 0
    for c, r in zip(cases, results):
        x, y = _input(c), r["outs"][0]
        if y.shape != x.shape:
            return False, "output shape differs from the input's: dropout keeps the shape"
        if not _survivors_scaled(x, y, c["p"]):
            return False, ("some output element is neither 0 nor its own input / (1 - p): "
                           "is the layout scrambled (view/reshape of a non-contiguous input)?")
        dropped += (y == 0).sum().item()
        total += y.numel()
    p = cases[0]["p"]
    if abs(dropped / total - p) > bound(p, total):
        return False, "for multi-dimensional or non-contiguous inputs the drop rate is not p"
    return True, "1-D to 4-D and non-contiguous inputs keep their shape and layout"


# --- train mode under torch.no_grad() still drops ---------------------------------------
def cases_no_grad_train(seed):
    return [case(0.3, nonzero_randn(100_000, seed=seed), no_grad=True)]


def verdict_no_grad_train(cases, results):
    """One binomial test on n = 100,000: false-fail probability FALSE_FAIL."""
    c, y = cases[0], results[0]["outs"][0]
    p, n = c["p"], c["x"].numel()
    if abs(_dropped(y) - p) > bound(p, n):
        return False, ("in train mode under torch.no_grad() the drop rate is not p: decide "
                       "by self.training, not by torch.is_grad_enabled() or requires_grad")
    if not _survivors_scaled(c["x"], y, p):
        return False, "under torch.no_grad() " + _scale_name(c["x"], y, p)
    return True, "train mode drops under torch.no_grad() too"


# --- reproducible under torch.manual_seed ---------------------------------------------
def cases_reproducible(seed):
    return [case(0.5, nonzero_randn(10_000, seed=seed), calls=2, seed=seed * 7 + 1)]


def verdict_reproducible(cases, results):
    """Deterministic: same seed, same output."""
    first, second = results[0]["outs"]
    if not torch.equal(first, second):
        return False, ("the same torch.manual_seed gave different outputs: draw the mask with "
                       "torch's generator (torch.rand, torch.bernoulli), not NumPy/random")
    return True, "same torch.manual_seed, same output"


# --- no state drifts from call to call --------------------------------------------------
def cases_no_drift(seed):
    x = nonzero_randn(20_000, seed=seed)
    return [case(0.3, x, calls=50), case(0.3, x, train=False, calls=3)]


def verdict_no_drift(cases, results):
    """50 binomial tests (n = 20,000, one per call): false-fail probability
    <= 50 * FALSE_FAIL (1e-7)."""
    for c, r in zip(cases, results):
        p = c["p"]
        if r["p_after"] == r["p_after"] and abs(r["p_after"] - p) > 1e-12:  # nan: no self.p
            return False, "forward changed self.p: forward must not change the module's state"
        if r["training_after"] != c["train"]:
            return False, "forward changed self.training: leave the mode to .train()/.eval()"
    c, outs = cases[0], results[0]["outs"]
    p, n = c["p"], c["x"].numel()
    for k, y in enumerate(outs):
        if abs(_dropped(y) - p) > bound(p, n):
            when = "the first call" if k == 0 else "a later call"
            return False, (f"{when} did not drop about p of the units: something in the "
                           "module changes from call to call")
    return True, "many calls in a row all drop about p; p and the mode are unchanged"


# --- p in [0, 1] as in PyTorch: ValueError outside, zeros (no NaN) at p = 1 -----------
def cases_bad_p(seed, bad=(-0.1, 1.5), good=(0.0, 0.99, 1.0)):
    # the first case runs forward, so a stub still reports "not implemented yet"
    return ([case(0.5, nonzero_randn(100, seed=seed)),
             case(1.0, nonzero_randn(100, seed=seed + 1), record_init=True)]
            + [case(p, construct_only=True) for p in bad + good])


def verdict_bad_p(cases, results):
    """Deterministic."""
    for c, r in zip(cases[2:], results[2:]):
        valid = 0.0 <= c["p"] <= 1.0
        if not valid and not r["init_value_error"]:
            got = f"raised {r['init_error']}" if r["init_error"] else "raised nothing"
            return False, (f"Dropout(p) with p outside [0, 1] {got}; raise ValueError there, "
                           "as nn.Dropout does")
        if valid and r["init_error"]:
            which = "p = 1 is valid (nn.Dropout returns zeros)" if c["p"] == 1.0 else "a valid p"
            return False, (f"Dropout(p) raised {r['init_error']} for {which}: reject only "
                           "p < 0 or p > 1")
    if "outs" not in results[1]:  # the constructor refused p = 1 only on this call
        return False, "Dropout(1.0) raised: p = 1 is valid (nn.Dropout returns zeros)"
    y = results[1]["outs"][0]
    if not torch.isfinite(y).all():
        return False, ("p = 1 in train mode gave NaN or inf (0 / 0 from dividing by 1 - p): "
                       "with every unit dropped, return zeros")
    if (y != 0).any():
        return False, "p = 1 in train mode kept some units: every unit must be dropped"
    return True, "ValueError outside [0, 1]; p = 1 gives zeros; valid p construct fine"

# --- no torch dropout ran: the exercise is the mask itself ----------------------------
def cases_no_torch_dropout(seed):
    x = nonzero_randn((20, 30), seed=seed)
    return [case(0.3, x), case(0.3, x, train=False)]


def run_recorded(Dropout, cases):
    """execute: the cases, with torch's own dropout functions recording whether they ran."""
    with record_torch_dropout_calls() as called:
        results = run_cases(Dropout, cases)
    return {"results": results, "called": list(called)}


def verdict_no_torch_dropout(cases, results):
    """Deterministic."""
    if results["called"]:
        return False, ("torch's own dropout ran (" + ", ".join(results["called"]) + "): "
                       "build the mask yourself; F.dropout and nn.Dropout are not the exercise")
    return True, "no torch dropout function ran: the mask is your own"


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


HINTS = {"Dropout": [
    "Begin with the branches that change nothing: eval mode (self.training is False) and "
    "p = 0. In train mode, think of one coin flip per element, decided inside forward, so "
    "that every call flips new coins.",
    "Build a keep-mask with the input's own shape and dtype: uniform random numbers like x "
    "(torch.rand_like), compared with the keep probability 1 - p. Multiplying x by it zeroes "
    "the dropped elements and leaves x itself untouched.",
    "A survivor is kept with probability 1 - p, so divide it by (1 - p) to keep the expected "
    "output equal to x (inverted dropout: nothing to undo at inference). At p = 1 that is "
    "0 / 0: return zeros. In __init__, raise ValueError for p outside [0, 1].",
]}


def stress_check(name, title, hint, builder, seed, judge, after=(), **kw):
    """A stress-tier check: one of the hidden checks' builders on this notebook's inputs."""
    return dropout_check(name, title, hint, functools.partial(builder, seed, **kw), judge, after)


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
], stress=[
    stress_check("far_p_rate", "drop rate at p = 0.1 and 0.9", "p is the drop probability",
                 cases_drop_rate_many_p, 300, verdict_drop_rate_many_p, after=("drop_rate",),
                 ps=(0.1, 0.9)),
    stress_check("far_p_scale", "scaling at p = 0.1 and 0.9", "survivors are x / (1 - p)",
                 cases_scale_many_p, 310, verdict_scale_many_p, after=("survivor_scale",),
                 ps=(0.1, 0.9)),
    stress_check("fresh_each_call", "a new mask on every call", "each forward draws new noise",
                 cases_fresh_mask, 320, verdict_fresh_mask, after=("drop_rate", "input_kept")),
    stress_check("input_kept", "the input is left alone", "callers still need x",
                 cases_input_unchanged, 330, verdict_input_unchanged, after=("shape_kept",)),
    stress_check("each_element", "each element dropped on its own",
                 "no decision shared by rows, channels or the batch",
                 cases_independent, 340, verdict_independent, after=("drop_rate", "shape_kept")),
    stress_check("gradient_upstream", "gradient = upstream * mask / (1 - p)",
                 "backward scales the incoming gradient", cases_gradient_exact, 350,
                 verdict_gradient_exact, after=("eval_identity", "survivor_scale",
                                                "far_p_scale", "gradient", "shape_kept")),
    stress_check("dtype_kept", "float16, bfloat16 and float64 kept", "the input's dtype",
                 cases_dtypes, 360, verdict_dtypes, after=("survivor_scale", "far_p_scale")),
    stress_check("shape_kept", "shape kept, 1-D to 4-D and transposed", "and the layout too",
                 cases_shapes, 370, verdict_shapes, after=("survivor_scale", "far_p_scale"),
                 shapes=((500,), (20, 30), (6, 8, 10), (3, 4, 5, 6)),
                 transposed=((20, 30), (5, 6, 7))),
    stress_check("under_no_grad", "drops under torch.no_grad()", "the mode is self.training",
                 cases_no_grad_train, 380, verdict_no_grad_train,
                 after=("drop_rate", "survivor_scale", "far_p_scale")),
    stress_check("seeded", "reproducible under manual_seed", "use torch's random generator",
                 cases_reproducible, 390, verdict_reproducible, after=("input_kept",)),
    stress_check("steady", "no state drift over 50 calls", "forward does not change the module",
                 cases_no_drift, 400, verdict_no_drift, after=("drop_rate", "input_kept")),
    stress_check("p_range", "p in [0, 1] as in nn.Dropout",
                 "ValueError outside [0, 1]; p = 1 gives zeros", cases_bad_p, 410, verdict_bad_p,
                 bad=(-0.5, 2.0)),
    Check("no_torch_dropout", "no torch dropout ran", "Dropout", "the mask is the exercise",
          functools.partial(cases_no_torch_dropout, 420), run_recorded,
          verdict_no_torch_dropout),
])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test
