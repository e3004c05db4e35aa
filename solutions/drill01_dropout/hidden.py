"""Hidden checks for drill 01 (Dropout): the gaps the six visible checks leave open.

Same kit and design as `VISIBLE` in checks.py: inputs are built here, the learner's
module only runs them (run_case), and the verdicts decide from cases and results alone.
This file stays in the grader; the messages say what is wrong without the inputs.

Statistical bounds allow SIGMAS (6, from checks.py) standard deviations of a Binomial(n, q)
fraction, derived from n and q; each such test fails a correct module with probability
about FALSE_FAIL (2e-9 by the normal approximation; the exact binomial tails for the n and
q used here, summed in float64, are all below 2.1e-9). A check with k such tests fails with
at most k times that. The value checks are exact up to a few units of rounding of the dtype and never fail a
correct module by chance.
"""
import torch

from grader.payload.checkkit import bound, scale_hint
from solutions.drill01_dropout.checks import case, dropout_check, nonzero_randn

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
def cases_drop_rate_many_p():
    return [case(p, nonzero_randn(100_000, seed=100 + i)) for i, p in enumerate(FAR_PS)]


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
def cases_scale_many_p():
    return [case(p, nonzero_randn(100_000, seed=110 + i)) for i, p in enumerate(FAR_PS)]


def verdict_scale_many_p(cases, results):
    """Exact up to float32 rounding; no false fails."""
    for c, r in zip(cases, results):
        if not _survivors_scaled(c["x"], r["outs"][0], c["p"]):
            return False, _scale_name(c["x"], r["outs"][0], c["p"]) + " (p far from 0.5)"
    return True, "survivors are x / (1 - p) for p far from 0.5"


# --- a fresh mask on every call --------------------------------------------------------
def cases_fresh_mask():
    return [case(0.5, nonzero_randn(100_000, seed=120), calls=2)]


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
def cases_input_unchanged():
    x = nonzero_randn((100, 30), seed=130)
    return [case(0.3, x), case(0.0, x), case(0.3, x, train=False)]


def verdict_input_unchanged(cases, results):
    """Deterministic: the input after forward must equal the input before, bit for bit."""
    for c, r in zip(cases, results):
        if not torch.equal(r["x_after"], c["x"]):
            return False, ("forward modified its input tensor in place (x.mul_, x *= mask, "
                           "masked_fill_, x[mask] = 0): build a new tensor instead")
    return True, "the input tensor is not modified"


# --- units are dropped independently ---------------------------------------------------
def cases_independent():
    return [case(0.5, nonzero_randn((64, 32, 50), seed=140))]


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
def cases_gradient_exact():
    x = nonzero_randn((50, 40), seed=150)
    gen = torch.Generator().manual_seed(151)
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


def cases_dtypes():
    return [case(0.3, nonzero_randn(20_000, seed=160 + i, dtype=dt))
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
def cases_shapes():
    shapes = [(1000,), (40, 50), (8, 10, 25), (4, 5, 6, 7)]
    cs = [case(0.4, nonzero_randn(s, seed=170 + i)) for i, s in enumerate(shapes)]
    cs.append(case(0.4, nonzero_randn((30, 40), seed=175), transpose=True))
    cs.append(case(0.4, nonzero_randn((6, 7, 8), seed=176), transpose=True))
    return cs


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
def cases_no_grad_train():
    return [case(0.3, nonzero_randn(100_000, seed=180), no_grad=True)]


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
def cases_reproducible():
    return [case(0.5, nonzero_randn(10_000, seed=190), calls=2, seed=1234)]


def verdict_reproducible(cases, results):
    """Deterministic: same seed, same output."""
    first, second = results[0]["outs"]
    if not torch.equal(first, second):
        return False, ("the same torch.manual_seed gave different outputs: draw the mask with "
                       "torch's generator (torch.rand, torch.bernoulli), not NumPy/random")
    return True, "same torch.manual_seed, same output"


# --- no state drifts from call to call --------------------------------------------------
def cases_no_drift():
    x = nonzero_randn(20_000, seed=200)
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
BAD_PS, GOOD_PS = (-0.1, 1.5), (0.0, 0.99, 1.0)


def cases_bad_p():
    # the first case runs forward, so a stub still reports "not implemented yet"
    return ([case(0.5, nonzero_randn(100, seed=210)),
             case(1.0, nonzero_randn(100, seed=211), record_init=True)]
            + [case(p, construct_only=True) for p in BAD_PS + GOOD_PS])


def verdict_bad_p(cases, results):
    """Deterministic."""
    for c, r in zip(cases[2:], results[2:]):
        if c["p"] in BAD_PS and not r["init_value_error"]:
            got = f"raised {r['init_error']}" if r["init_error"] else "raised nothing"
            return False, (f"Dropout(p) with p outside [0, 1] {got}; raise ValueError there, "
                           "as nn.Dropout does")
        if c["p"] in GOOD_PS and r["init_error"]:
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


HIDDEN = [
    dropout_check("drop_rate_many_p", "drop rate at p far from 0.5", "p is the drop probability",
                  cases_drop_rate_many_p, verdict_drop_rate_many_p, after=("drop_rate",)),
    dropout_check("scale_many_p", "scaling at p far from 0.5",
                  "survivors are x / (1 - p) for every p",
                  cases_scale_many_p, verdict_scale_many_p, after=("survivor_scale",)),
    dropout_check("fresh_mask", "a fresh mask on every call", "each forward draws new noise",
                  cases_fresh_mask, verdict_fresh_mask, after=("drop_rate", "input_unchanged")),
    dropout_check("input_unchanged", "input not modified", "callers still need x",
                  cases_input_unchanged, verdict_input_unchanged, after=("shapes",)),
    dropout_check("independent", "elements dropped independently", "one Bernoulli per element",
                  cases_independent, verdict_independent, after=("drop_rate", "shapes")),
    dropout_check("gradient_exact", "gradient exact, element by element",
                  "dy/dx = mask / (1 - p)", cases_gradient_exact, verdict_gradient_exact,
                  after=("eval_identity", "survivor_scale", "scale_many_p", "gradient", "shapes")),
    dropout_check("dtypes", "dtype kept", "half, bfloat16 and double inputs stay as they are",
                  cases_dtypes, verdict_dtypes, after=("survivor_scale", "scale_many_p")),
    dropout_check("shapes", "shape kept", "1-D to 4-D and non-contiguous inputs",
                  cases_shapes, verdict_shapes, after=("survivor_scale", "scale_many_p")),
    dropout_check("no_grad_train", "drops under torch.no_grad()", "the mode is self.training",
                  cases_no_grad_train, verdict_no_grad_train,
                  after=("drop_rate", "survivor_scale", "scale_many_p")),
    dropout_check("reproducible", "reproducible under manual_seed",
                  "use torch's random generator", cases_reproducible, verdict_reproducible,
                  after=("input_unchanged",)),
    dropout_check("no_drift", "no state drift", "forward does not change the module",
                  cases_no_drift, verdict_no_drift, after=("drop_rate", "input_unchanged")),
    dropout_check("bad_p", "p in [0, 1] as in PyTorch",
                  "ValueError outside [0, 1]; p = 1 gives zeros",
                  cases_bad_p, verdict_bad_p),
]
