"""The notebook's checks for drill 04 (five dropout variants), defined once: three narrated
checks per module, a stress tier for the rest of the spec (property_checks, which hidden.py
runs on other inputs), and the graded hints hint(...) prints (HINTS).

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it may only import torch, the standard library and the kit.

Each module is graded on its own: its checks run only its class. A check prepares cases
(inputs built here, never by the learner's code), executes them with run_case (what the
learner's module did: tensors and plain values only) and judges them (passed, and a message
naming the likely bug). Statistical checks allow SIGMAS standard deviations derived from
their n and p (or, for DropBlock, from the exact variance of its mask): a correct module
fails one such test with probability about FALSE_FAIL.
"""
import contextlib
import functools
import math

import torch

from grader.payload.checkkit import (FALSE_FAIL, SIGMAS, Check, CheckSet, bound,  # noqa: F401
                                     scale_hint)

TOL = 1e-5  # relative tolerance of float32 value comparisons (a few roundings)


def nonzero_randn(shape, seed, dtype=torch.float32):
    """Standard normal input with no exact zeros, so a zero in the output means 'dropped'."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    x = torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x)
    return x.to(dtype)


def case(args, x=None, train=True, calls=1, grad_out=None, no_grad=False, seed=None,
         construct_only=False, params=None, kwargs=None, double=False):
    """One run of a learner's module: Target(*args, **kwargs) in train or eval mode on x.

    params: {name: tensor} copied into the module's parameters before the run (so the
    check knows the weights); double: the module is converted with .double() first;
    construct_only: only build the module and record what the constructor raised.
    """
    return dict(args=tuple(args), kwargs=dict(kwargs or {}), x=x, train=train, calls=calls,
                grad_out=grad_out, no_grad=no_grad, seed=seed, construct_only=construct_only,
                params=params, double=double)


def _construct(Target, c):
    """Build the module and report the constructor's exception as plain values."""
    try:
        Target(*c["args"], **c["kwargs"])
    except NotImplementedError:
        raise
    except Exception as e:  # recorded, judged by the verdict
        return {"init_error": type(e).__name__, "init_value_error": isinstance(e, ValueError)}
    return {"init_error": None, "init_value_error": False}


def _param_shapes(module):
    """{name: shape or None} for weight and bias, read from the module's attributes."""
    out = {}
    for name in ("weight", "bias"):
        value = getattr(module, name, "missing")
        if isinstance(value, torch.Tensor):
            out[name] = list(value.shape)
        else:
            out[name] = None if value is None else "missing"
    return out


def run_case(Target, c):
    """Apply the learner's module to one case; return tensors and plain values only.

    An untouched stub's NotImplementedError propagates (the check is "todo"), as does any
    other exception.
    """
    if c["construct_only"]:
        return _construct(Target, c)
    module = Target(*c["args"], **c["kwargs"])
    if c["double"]:
        module = module.double()
    shapes = _param_shapes(module)
    if c["params"]:
        with torch.no_grad():
            for name, value in c["params"].items():
                param = getattr(module, name, None)
                if not isinstance(param, torch.Tensor) or param.shape != value.shape:
                    raise AttributeError(f"the module has no `{name}` of shape "
                                         f"{tuple(value.shape)} (nn.Linear's layout)")
                param.copy_(value)
    module.train(c["train"])
    x = c["x"].clone()
    outs, grads, pgrads = [], [], []
    for call in range(c["calls"]):
        if c["seed"] is not None:
            torch.manual_seed(c["seed"])
        xin = x if call == 0 else c["x"].clone()  # an in-place bug shows in x_after only
        if c["grad_out"] is not None:
            xin = xin.detach().clone().requires_grad_(True)
        module.zero_grad(set_to_none=True)
        with torch.no_grad() if c["no_grad"] else contextlib.nullcontext():
            y = module(xin)
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"forward returned {type(y).__name__}, not a tensor")
        if c["grad_out"] is not None:
            if not y.requires_grad:
                raise RuntimeError("the output is detached from the autograd graph "
                                   "(.detach(), .data, torch.no_grad() or NumPy in forward?)")
            if y.shape != c["grad_out"].shape:  # no sizes: they would reveal a hidden input
                raise RuntimeError("the output's shape differs from the input's")
            (y * c["grad_out"].to(y.dtype)).sum().backward()  # = y.backward(grad_out)
            grads.append(xin.grad.detach().clone() if xin.grad is not None
                         else torch.zeros_like(xin))
            pgrads.append({n: (p.grad.detach().clone() if p.grad is not None
                               else torch.zeros_like(p)) for n, p in module.named_parameters()})
        outs.append(y.detach().clone())
    return {"outs": outs, "grads": grads, "param_grads": pgrads, "x_after": x.detach().clone(),
            "shapes": shapes}


def run_cases(Target, cases):
    """execute: every case through the learner's module."""
    return [run_case(Target, c) for c in cases]


def shape_problem(cases, results):
    """A message when some output's shape differs from its input's, else None."""
    for c, r in zip(cases, results):
        for y in r.get("outs", []):
            if c.get("out_shape_differs"):
                continue
            if y.shape != c["x"].shape:  # no sizes: they would reveal a hidden check's input
                return ("the output's shape differs from the input's: the layer must keep the "
                        "shape (no flatten, reshape or squeeze)")
    return None


def make_check(target, name, title, hint, prepare, judge, after=(), same_shape=True):
    """A check of one target; a wrong output shape fails it before its judge. An optional
    target's checks say so in their title (drill.py gives them 0 points)."""
    if target in OPTIONAL:
        title = f"{title} (optional)"

    def judge_shape_first(cases, results):
        problem = shape_problem(cases, results) if same_shape else None
        return (False, problem) if problem else judge(cases, results)
    return Check(name, title, target, hint, prepare, run_cases, judge_shape_first, after)


def identity_verdict():
    """Judge cases [eval at p > 0, train at p = 0]: both outputs must equal the input."""
    def verdict(cases, results):
        for c, r in zip(cases, results):
            x, y = c["x"], r["outs"][0]
            if torch.equal(y, x):
                continue
            mode = "eval()" if not c["train"] else "p = 0 in train mode"
            if not torch.isfinite(y).all():
                return False, f"{mode}: the output has inf or NaN (divided by p?)"
            if not c["train"]:
                kept = y != 0
                if (~kept).any():
                    return False, ("eval(): values were dropped; branch on self.training "
                                   "(self.train is a method and always truthy)")
                ratio = (y[kept] / x[kept]).double().median().item()
                if abs(ratio - (1 - c["args"][0])) < 1e-3:
                    return False, ("eval(): the output is scaled by (1 - p); with inverted "
                                   "scaling, eval is the identity")
                return False, ("eval(): the output must equal the input exactly: branch on "
                               "self.training (self.train is a method and always truthy)")
            return False, "p = 0 in train mode changed the input: dropping nothing changes nothing"
        return True, "eval() and p = 0 return the input unchanged"
    return verdict


def all_over(t, dims):
    """t.all(dim=dims) for a tuple of dims, on torch 2.1 too (it takes one dim there): the
    dims are moved last and flattened into one."""
    if not dims:
        return t
    rest = [d for d in range(t.dim()) if d not in dims]
    return t.permute(*rest, *dims).flatten(len(rest)).all(-1)


def map_decisions(x, y, dims):
    """Per map (reduced over dims): 'dropped' (all zero), 'kept' (none zero) or mixed.

    Returns (dropped bool tensor, mixed bool tensor)."""
    zero = y == 0
    all_zero, any_zero = all_over(zero, dims), ~all_over(~zero, dims)
    return all_zero, any_zero & ~all_zero


# ===================== SpatialDropout2d ==================================================
SD = "SpatialDropout2d"


def cases_sd_identity():
    return [case((0.5,), nonzero_randn((4, 6, 5, 5), seed=1), train=False),
            case((0.0,), nonzero_randn((4, 6, 5, 5), seed=2))]


def cases_sd_whole_channels():
    return [case((0.5,), nonzero_randn((32, 16, 5, 7), seed=3))]


def verdict_sd_whole_channels(cases, results):
    """Deterministic: every (sample, channel) map is all zero or all x / (1 - p)."""
    c, r = cases[0], results[0]
    x, y, p = c["x"], r["outs"][0], c["args"][0]
    dropped, mixed = map_decisions(x, y, (2, 3))
    if mixed.any():
        return False, ("some channel maps are partly zero: draw ONE decision per (sample, "
                       "channel), a mask of shape (N, C, 1, 1), not one per element")
    if dropped.all() or not dropped.any():
        return False, "all or no channels were dropped: is the mask applied in train mode?"
    kept = ~dropped
    want = x[kept] / (1 - p)
    if not torch.allclose(y[kept], want, rtol=TOL, atol=0):
        return False, scale_hint((y[kept] / x[kept]).double().median().item(), p,
                                 "kept channels are")
    return True, "whole channels are dropped, kept ones are x / (1 - p)"


def cases_sd_drop_rate():
    return [case((0.3,), nonzero_randn((20_000, 1, 2, 2), seed=4))]


def verdict_sd_drop_rate(cases, results):
    """One binomial test over 20,000 maps: false-fail probability FALSE_FAIL."""
    c, y = cases[0], results[0]["outs"][0]
    p = c["args"][0]
    dropped = all_over(y == 0, (2, 3))
    n = dropped.numel()
    rate = dropped.double().mean().item()
    tol = bound(p, n)
    msg = f"p={p}: {rate:.4f} of {n} channel maps dropped, expected {p} ± {tol:.4f}"
    if abs(rate - p) <= tol:
        return True, msg
    if abs(rate - (1 - p)) <= tol:
        return False, msg + ("; you dropped with probability 1 - p: p is the DROP probability, "
                             "keep each channel with probability 1 - p")
    if rate < tol:
        return False, msg + ("; (almost) no whole channel was dropped: one decision per "
                             "(sample, channel), broadcast over H and W")
    return False, msg


# ===================== DropBlock2d =======================================================
DB = "DropBlock2d"


def dropblock_gamma(p, block_size, h, w):
    """The seed rate of Ghiasi et al. (2018), eq. (1), with the feature-size correction:
    gamma = p / bs^2 * (h * w) / ((h - bs + 1) * (w - bs + 1))."""
    bs = block_size
    return p / bs ** 2 * (h * w) / ((h - bs + 1) * (w - bs + 1))


@functools.lru_cache(maxsize=64)
def dropblock_stats(p, block_size, h, w):
    """Exact mean and variance of the number of dropped units in ONE (h, w) map.

    Seeds are i.i.d. Bernoulli(gamma) on the (h-bs+1, w-bs+1) positions where a block fits;
    unit u is dropped unless none of the k_u seeds whose block covers it fires, so
    P(u kept) = (1-gamma)^k_u and P(u and v kept) = (1-gamma)^|S_u ∪ S_v|."""
    bs = block_size
    g = dropblock_gamma(p, bs, h, w)
    vh, vw = h - bs + 1, w - bs + 1
    rows = torch.arange(h).view(h, 1, 1, 1)
    cols = torch.arange(w).view(1, w, 1, 1)
    si = torch.arange(vh).view(1, 1, vh, 1)
    sj = torch.arange(vw).view(1, 1, 1, vw)
    cover = ((si <= rows) & (rows < si + bs) & (sj <= cols) & (cols < sj + bs))
    a = cover.reshape(h * w, vh * vw).double()
    k = a.sum(1)
    inter = a @ a.T
    log_keep = math.log1p(-g)
    kept_u = torch.exp(k * log_keep)
    both = torch.exp((k[:, None] + k[None, :] - inter) * log_keep)
    cov = both - kept_u[:, None] * kept_u[None, :]
    return (1 - kept_u).sum().item(), cov.sum().item()


def block_structure_ok(dropped, bs):
    """True when the dropped set of every map is a union of whole bs x bs blocks inside the
    map (a morphological opening leaves it unchanged). dropped: bool (N, C, H, W)."""
    d = dropped.double()
    full = torch.nn.functional.avg_pool2d(d, bs, stride=1) > 1 - 1e-9  # whole block dropped
    grown = torch.nn.functional.max_pool2d(
        torch.nn.functional.pad(full.double(), (bs - 1,) * 4), bs, stride=1) > 0.5
    return torch.equal(grown, dropped)


BLOCK_SHAPES = ((8, 8, 3), (9, 7, 2), (6, 6, 1), (5, 5, 5), (10, 10, 4))


def cases_db_identity():
    return [case((0.3, 3), nonzero_randn((4, 5, 8, 8), seed=10), train=False),
            case((0.0, 3), nonzero_randn((4, 5, 8, 8), seed=11))]


def cases_db_whole_blocks():
    return [case((0.3, bs), nonzero_randn((4, 4, h, w), seed=20 + i))
            for i, (h, w, bs) in enumerate(BLOCK_SHAPES)]


def verdict_db_whole_blocks(cases, results):
    """Deterministic: the dropped set is a union of whole blocks that fit in the map."""
    any_dropped = False
    for c, r in zip(cases, results):
        bs = c["args"][1]
        dropped = r["outs"][0] == 0
        any_dropped |= bool(dropped.any())
        if not block_structure_ok(dropped, bs):
            return False, (f"with block_size={bs} some dropped units are not part of a whole "
                           f"{bs}x{bs} block inside the map: place seeds only where the whole "
                           "block fits and grow them with max-pooling (cropped back to H x W)")
    if not any_dropped:
        return False, "nothing was dropped in train mode: is the mask applied?"
    return True, "dropped regions are unions of whole blocks, for odd, even, 1 and full sizes"


def cases_db_rescale():
    return [case((0.2, 3), nonzero_randn((8, 8, 8, 8), seed=30)),
            case((0.2, 2), nonzero_randn((8, 8, 7, 7), seed=31))]


def verdict_db_rescale(cases, results):
    """Deterministic: kept values are x * numel / (number kept), counted over the whole mask."""
    for c, r in zip(cases, results):
        x, y = c["x"], r["outs"][0]
        kept = y != 0
        if not kept.any() or kept.all():
            return False, "all or nothing was dropped: is the mask applied in train mode?"
        scale = kept.numel() / kept.sum().item()
        ratio = y[kept] / x[kept]
        if torch.allclose(ratio, torch.full_like(ratio, scale), rtol=TOL, atol=0):
            continue
        med = ratio.double().median().item()
        if abs(med - 1) < 1e-4:
            return False, ("kept values equal the input: rescale by numel / (number kept) so "
                           "the layer keeps the mean (the paper's normalisation step)")
        if abs(ratio.max().item() - ratio.min().item()) > 1e-4 * abs(med):
            return False, ("kept values are scaled by different factors: use ONE factor, "
                           "numel / count of ones, over the whole mask tensor")
        return False, (f"kept values are {med:.4g} times the input, expected "
                       f"numel / kept = {scale:.4g} (the kept count over the whole mask)")
    return True, "kept values are rescaled by numel / (number kept)"


# ===================== DropPath ==========================================================
DP = "DropPath"
PATH_SHAPES = ((400, 16), (200, 5, 6), (100, 3, 4, 5))


def cases_dp_identity():
    return [case((0.3,), nonzero_randn((8, 4, 5), seed=40), train=False),
            case((0.0,), nonzero_randn((8, 4, 5), seed=41))]


def cases_dp_whole_samples():
    return [case((0.5,), nonzero_randn(s, seed=50 + i)) for i, s in enumerate(PATH_SHAPES)]


def verdict_dp_whole_samples(cases, results):
    """For 2-D, 3-D and 4-D inputs each sample is all zero or all non-zero (deterministic),
    and not the whole batch at once (a correct module does that with probability < 2^-99)."""
    for c, r in zip(cases, results):
        y = r["outs"][0]
        dims = tuple(range(1, y.dim()))
        dropped, mixed = map_decisions(c["x"], y, dims)
        if mixed.any():
            return False, (f"for a {y.dim()}-D input some samples are partly zero: draw one "
                           "decision per SAMPLE (mask shape (N, 1, ..., 1)), not per element")
        if dropped.all() or not dropped.any():  # 2^-99 or less for a correct module
            return False, ("all or none of a batch's samples were dropped: one decision per "
                           "sample, not one for the whole batch (or is the mask not applied?)")
    return True, "whole samples are dropped, for 2-D, 3-D and 4-D inputs"


def cases_dp_scale():
    return [case((0.25,), nonzero_randn((100, 10), seed=60), calls=16)]


def verdict_dp_scale(cases, results):
    """Deterministic: kept values equal x / (1 - p) (16 calls, so some value is kept even
    when a whole batch is dropped at once)."""
    c = cases[0]
    p = c["args"][0]
    y = torch.cat([o.flatten() for o in results[0]["outs"]])
    x = c["x"].flatten().repeat(len(results[0]["outs"]))
    kept = y != 0
    if not kept.any():
        return False, "every value was dropped, so there is nothing to inspect"
    if torch.allclose(y[kept], x[kept] / (1 - p), rtol=TOL, atol=0):
        return True, "kept samples are x / (1 - p) (timm's scale_by_keep)"
    return False, scale_hint((y[kept] / x[kept]).double().median().item(), p, "kept samples are")


# ===================== DropConnectLinear =================================================
DC = "DropConnectLinear"
DC_IN = 8  # weights 2^j make every subset sum of a row distinct: the output decodes the mask
WHOLE_ROWS_MAX = 0.05  # rows losing all or none of their 8 weights (expected 0.0078)


def binary_weight(out_features, in_features=DC_IN):
    """Row i is (1, 2, 4, ..., 2^(in-1)): with x = ones, sum_j m_ij 2^j spells the mask."""
    return (2.0 ** torch.arange(in_features, dtype=torch.float64)).repeat(out_features, 1)


def decode_masks(y, bias, p, in_features=DC_IN):
    """Masks (N, out, in) from outputs on x = ones with binary weights, or None when some
    output is not (sum of kept weights) / (1 - p) + bias."""
    s = (y.double() - bias.double()) * (1 - p)
    r = s.round()
    if not torch.isfinite(s).all() or (s - r).abs().max() > 1e-3 or r.min() < 0 \
            or r.max() > 2 ** in_features - 1:
        return None
    bits = 2 ** torch.arange(in_features, dtype=torch.int64)
    return (r.to(torch.int64).unsqueeze(-1) & bits) != 0


def dc_case(p, n, out, seed, bias=True, **kw):
    """x = ones (n, 8), binary weights, bias 0 (so the output decodes the mask)."""
    params = {"weight": binary_weight(out).float()}
    if bias:
        params["bias"] = torch.zeros(out)
    return case((DC_IN, out, p), torch.ones(n, DC_IN), params=params,
                kwargs={} if bias else {"bias": False}, seed=seed, **kw)


def cases_dc_linear():
    gen = torch.Generator().manual_seed(70)
    w, b = torch.randn(5, 7, generator=gen), torch.randn(5, generator=gen)
    x = nonzero_randn((40, 7), seed=71)
    cs = [case((7, 5, 0.5), x, train=False, params={"weight": w, "bias": b}),
          case((7, 5, 0.0), x, params={"weight": w, "bias": b}),
          case((7, 5, 0.5), x, train=False, params={"weight": w}, kwargs={"bias": False})]
    for c in cs:
        c["out_shape_differs"] = True
        c["w"], c["b"] = w, (b if "bias" in c["params"] else None)
    return cs


def verdict_dc_linear(cases, results):
    """Deterministic: weight (out, in), bias (out,) or None; eval and p = 0 are x W^T + b."""
    for c, r in zip(cases, results):
        want_b = [c["w"].shape[0]] if c["b"] is not None else None
        if r["shapes"]["weight"] != list(c["w"].shape):
            return False, ("the weight must be an nn.Parameter named `weight` of shape "
                           "(out_features, in_features), like nn.Linear's")
        if r["shapes"]["bias"] != want_b:
            return False, ("the bias must be an nn.Parameter named `bias` of shape "
                           "(out_features,), and None when bias=False")
        want = c["x"] @ c["w"].T + (c["b"] if c["b"] is not None else 0)
        y = r["outs"][0]
        if y.shape != want.shape:
            return False, f"output shape {tuple(y.shape)}, expected {tuple(want.shape)}"
        if not torch.allclose(y, want, rtol=TOL, atol=1e-5):
            mode = "eval()" if not c["train"] else "p = 0 in train mode"
            ratio = (y / want).double().median().item()
            if abs(ratio - 0.5) < 1e-3:
                return False, (f"{mode}: the output is scaled by (1 - p); inverted DropConnect "
                               "uses the mean weights W itself at inference")
            return False, f"{mode}: the output must be x @ W.T + b (the mean weights)"
    return True, "eval() and p = 0 compute x @ W.T + b with weight (out, in) and bias (out,)"


def cases_dc_weight_mask():
    return [dc_case(0.5, 1, 3000, seed=None)]


def verdict_dc_weight_mask(cases, results):
    """Two tests. The weight drop rate over 24,000 weights: binomial 6-sigma bound,
    false-fail probability FALSE_FAIL. The fraction of the 3,000 rows whose 8 weights were
    all dropped or all kept: q = p^8 + (1-p)^8 = 0.0078 for independent weights, 1 for
    dropout on the outputs; it must stay below WHOLE_ROWS_MAX = 0.05 (150 rows), whose exact
    binomial tail is below 1e-60 (a 6-sigma bound would be too skewed at n q = 23)."""
    c, y = cases[0], results[0]["outs"][0]
    p = c["args"][2]
    masks = decode_masks(y, c["params"]["bias"], p)
    if masks is None:
        return False, ("the outputs are not (sum of the kept weights * x) / (1 - p) + bias: "
                       "mask the weights, scale by 1 / (1 - p), add the bias once, unmasked")
    dropped = (~masks).double()
    rate, n = dropped.mean().item(), dropped.numel()
    whole = (masks.all(-1) | (~masks).all(-1)).double()
    q = p ** DC_IN + (1 - p) ** DC_IN
    frac = whole.mean().item()
    if frac > WHOLE_ROWS_MAX:
        return False, (f"{frac:.3f} of the output units lost all or none of their weights "
                       f"(expected {q:.4f}): drop each WEIGHT independently, not whole units "
                       "(that would be dropout on the outputs)")
    if abs(rate - p) > bound(p, n):
        return False, (f"{rate:.4f} of {n} weights were dropped, expected p = {p} ± "
                       f"{bound(p, n):.4f}")
    return True, f"{rate:.4f} of the weights dropped (p = {p}), each independently"


def cases_dc_per_sample():
    return [dc_case(0.5, 2000, 4, seed=None)]


def verdict_dc_per_sample(cases, results):
    """Agreement of the first weight's decision between disjoint pairs of identical samples:
    Binomial(4,000, p^2 + (1-p)^2) under independence; false-fail probability FALSE_FAIL."""
    c, y = cases[0], results[0]["outs"][0]
    p = c["args"][2]
    masks = decode_masks(y, c["params"]["bias"], p)
    if masks is None:
        return False, ("the outputs are not (sum of the kept weights * x) / (1 - p) + bias: "
                       "mask the weights, scale by 1 / (1 - p), add the bias once")
    first = masks[:, :, 0]
    agree = (first[0::2] == first[1::2]).double()
    q = p * p + (1 - p) ** 2
    frac, n = agree.mean().item(), agree.numel()
    if abs(frac - q) > bound(q, n):
        if frac > q:
            return False, ("identical samples got the same weight mask: draw a fresh mask per "
                           "SAMPLE, of shape (N, out, in), not one per batch")
        return False, "the masks of different samples are anti-correlated: draw them independently"
    return True, "each sample gets its own weight mask"


# ===================== GaussianDropout ===================================================
GD = "GaussianDropout"
OPTIONAL = (DC, GD)  # practice for the debrief: checked and shown, worth 0 points
GD_LEVELS = (0.5, 2.0, -3.0)


def cases_gd_identity():
    return [case((0.5,), nonzero_randn((30, 20), seed=80), train=False),
            case((0.0,), nonzero_randn((30, 20), seed=81))]


def level_input(n_each, levels=GD_LEVELS):
    return torch.cat([torch.full((n_each,), v) for v in levels])


def cases_gd_moments():
    return [case((0.2,), level_input(12_000))]


def verdict_gd_moments(cases, results):
    """Per input level (3 levels x 12,000 values), r = y / x: its mean is 1 ± 6 sqrt(v/n)
    and its sample variance v ± 6 v sqrt(2/(n-1)) (normal theory), v = p / (1 - p):
    6 tests, false-fail probability <= 6 * FALSE_FAIL."""
    c, y = cases[0], results[0]["outs"][0]
    p, x = c["args"][0], c["x"]
    v = p / (1 - p)
    for level in GD_LEVELS:
        sel = x == level
        r = (y[sel] / x[sel]).double()
        n = r.numel()
        mean, var = r.mean().item(), r.var().item()
        if abs(mean - 1) > SIGMAS * math.sqrt(v / n):
            if abs(mean) < 0.1:
                return False, (f"the noise has mean {mean:.3f}, expected 1: multiply x by "
                               "r ~ N(1, p/(1-p)), not by N(0, ...)")
            return False, f"for x = {level} the mean of y / x is {mean:.4f}, expected 1"
        if abs(var - v) > SIGMAS * v * math.sqrt(2 / (n - 1)):
            if abs(var - v * v) < 0.05 * v * v:
                return False, (f"Var(y / x) = {var:.4f} = (p/(1-p))^2: p/(1-p) is the "
                               "VARIANCE; the standard deviation is its square root")
            if abs(var - p) < 0.05 * p:
                return False, (f"Var(y / x) = {var:.4f} = p; it must be p / (1 - p), the "
                               "variance of inverted Bernoulli dropout's mask")
            return False, (f"for x = {level}, Var(y / x) = {var:.4f}, expected p/(1-p) = "
                           f"{v:.4f}: the noise must be MULTIPLICATIVE, y = x * r")
    return True, f"y / x has mean 1 and variance p/(1-p) = {v:.4g} at every input level"


def cases_gd_gaussian():
    return [case((0.2,), torch.ones(60_000))]


def verdict_gd_gaussian(cases, results):
    """The fraction of r = y / x within one standard deviation of 1 is 0.6827 for a normal:
    one binomial test on 60,000 values, false-fail probability FALSE_FAIL."""
    c, y = cases[0], results[0]["outs"][0]
    p = c["args"][0]
    r = (y / c["x"]).double()
    sd = math.sqrt(p / (1 - p))
    q = math.erf(1 / math.sqrt(2))
    frac, n = ((r - 1).abs() < sd).double().mean().item(), r.numel()
    if abs(frac - q) <= bound(q, n):
        return True, f"{frac:.4f} of the noise within one sd of 1 (normal: {q:.4f})"
    if (r == 0).double().mean().item() > 0.1:
        return False, ("the noise takes the value 0 (a Bernoulli mask): Gaussian dropout "
                       "multiplies by r ~ N(1, p/(1-p)) instead")
    return False, (f"{frac:.4f} of the noise lies within one sd of 1, a normal has {q:.4f}: "
                   "draw r with torch.randn_like (normal), not torch.rand_like (uniform)")


# ===================== The stress tier ===================================================
# The properties the grader also tests, with these builders and verdicts, on other inputs
# (hidden.py): here each runs on this notebook's own seeds and sizes.
def target_args(target, p):
    """Constructor arguments of each target with drop probability p."""
    return {SD: (p,), DB: (p, 3), DP: (p,), DC: (4, 3, p), GD: (p,)}[target]


def p_of(target, c):
    """The drop probability a case's constructor arguments hold."""
    return c["args"][2] if target == DC else c["args"][0]


STRESS_SHAPES = {SD: (4, 6, 5, 5), DB: (4, 4, 7, 7), DP: (10, 4, 4), DC: (8, 4), GD: (20, 16)}


def target_input(target, seed, dtype=torch.float32, shapes=None):
    """A small input of the right rank for each target."""
    return nonzero_randn((shapes or STRESS_SHAPES)[target], seed=seed, dtype=dtype)


# --- ValueError for p outside [0, 1): every target ---------------------------------------
def bad_p_check(target, name, seed, bad=(-0.5, 1.0, 2.0), good=(0.0, 0.9), shapes=None,
                after=()):
    def cases():
        # the first case runs forward, so a stub still reports "not implemented yet"
        return ([case(target_args(target, 0.3), target_input(target, seed, shapes=shapes))]
                + [case(target_args(target, p), construct_only=True) for p in bad + good])

    def verdict(cs, results):
        """Deterministic."""
        for c, r in zip(cs[1:], results[1:]):
            valid = 0.0 <= p_of(target, c) < 1.0
            if not valid and not r["init_value_error"]:
                got = f"raised {r['init_error']}" if r["init_error"] else "raised nothing"
                return False, (f"{target}(p) with p outside [0, 1) {got}; raise ValueError "
                               "(p = 1 drops everything and divides by zero)")
            if valid and r["init_error"]:
                return False, (f"{target}(p) raised {r['init_error']} for a valid p in [0, 1): "
                               "reject only p < 0 or p >= 1")
        return True, "ValueError for p outside [0, 1); valid p construct fine"
    return make_check(target, name, f"{target}: ValueError for bad p", "p must be in [0, 1)",
                      cases, verdict, after=after, same_shape=(target != DC))


# --- the input is left alone: every target -----------------------------------------------
def input_unchanged_check(target, name, seed, shapes=None, after=()):
    def cases():
        x = target_input(target, seed, shapes=shapes)
        cs = [case(target_args(target, 0.3), x), case(target_args(target, 0.3), x, train=False)]
        for c in cs:
            c["out_shape_differs"] = target == DC
        return cs

    def verdict(cs, results):
        """Deterministic: the input after forward equals the input before, bit for bit."""
        for c, r in zip(cs, results):
            if not torch.equal(r["x_after"], c["x"]):
                return False, ("forward modified its input in place (x.mul_, x *= mask, "
                               "masked_fill_): build a new tensor; the residual path needs x")
        return True, "the input tensor is not modified"
    return make_check(target, name, f"{target}: input not modified", "callers still need x",
                      cases, verdict, after=after, same_shape=(target != DC))


# --- dtypes are kept: the elementwise targets ----------------------------------------------
def dtype_check(target, name, seed, shapes=None, after=()):
    dtypes = (torch.float64, torch.bfloat16)

    def cases():
        return [case(target_args(target, 0.3), target_input(target, seed + i, dt, shapes))
                for i, dt in enumerate(dtypes)]

    def verdict(cs, results):
        """Deterministic."""
        for c, r in zip(cs, results):
            y = r["outs"][0]
            if y.dtype != c["x"].dtype:
                return False, (f"a {c['x'].dtype} input came back as {y.dtype}: keep the input's "
                               "dtype (make the mask or noise with dtype=x.dtype or .to(x.dtype))")
        return True, "float64 and bfloat16 inputs keep their dtype"
    return make_check(target, name, f"{target}: dtype kept",
                      "double and bfloat16 inputs stay as they are", cases, verdict, after=after)


# --- the gradient uses the forward's own mask and scale: elementwise targets ---------------
def gradient_check(target, name, seed, shapes=None, after=()):
    def cases():
        x = target_input(target, seed, shapes=shapes)
        gen = torch.Generator().manual_seed(seed + 1)
        up = torch.randn(x.shape, generator=gen)
        return [case(target_args(target, 0.4), x, grad_out=up)]

    def verdict(cs, results):
        """Deterministic: dL/dx = upstream * (y / x), elementwise (y is linear in x for a
        fixed mask or noise)."""
        (train,), (r_train,) = cs, results
        x, up = train["x"].double(), train["grad_out"].double()
        y, g = r_train["outs"][0].double(), r_train["grads"][0].double()
        want = up * y / x
        if not torch.allclose(g, want, rtol=10 * TOL, atol=1e-6):
            if (g[y == 0] != 0).any():
                return False, "dropped values received gradient: the gradient must be 0 there"
            if (g == 0).all():
                return False, ("no gradient reached the input: keep the masked output in the "
                               "autograd graph (no .detach(), .data or NumPy)")
            return False, ("the gradient is not the upstream gradient times the same mask and "
                           "scale the forward used (a custom backward or a re-drawn mask?)")
        return True, "gradient = upstream * the forward's mask and scale"
    return make_check(target, name, f"{target}: gradient only through kept parts",
                      "dy/dx = mask * scale", cases, verdict, after=after)


# --- independence and fresh masks: the decisions of whole maps, samples or elements --------
def _agreement(decisions, dim):
    """Fraction of disjoint (even, odd) neighbour pairs along dim with the same decision."""
    size = decisions.shape[dim] // 2 * 2
    pairs = decisions.narrow(dim, 0, size).unfold(dim, 2, 2)
    even, odd = pairs.select(-1, 0), pairs.select(-1, 1)
    return (even == odd).double().mean().item(), even.numel()


def independent_verdict(what, dims_named, reduce_dims):
    """Decisions (all-zero maps) must be independent along each named dim: binomial
    agreement tests on disjoint pairs (q = p^2 + (1-p)^2)."""
    def verdict(cs, results):
        """One binomial test per named dimension: false-fail <= len(dims) * FALSE_FAIL.
        p is the per-map drop probability (for DropBlock the cases make gamma = p)."""
        c, y = cs[0], results[0]["outs"][0]
        p = c["args"][0]
        dec = all_over(y == 0, reduce_dims)
        q = p * p + (1 - p) ** 2
        worst = None  # the most extreme dimension names the sharing (the others get noisy)
        for dim, name in dims_named.items():
            agree, n = _agreement(dec, dim)
            if abs(agree - q) > bound(q, n) and (worst is None or abs(agree - q) > worst[0]):
                worst = (abs(agree - q), name)
        if worst:
            return False, (f"the {what} decisions are correlated across {worst[1]}: draw one "
                           f"independent decision per {what.split()[-1]}")
        return True, f"every {what} is dropped independently"
    return verdict


def fresh_verdict(reduce_dims, kind):
    """Two calls' decisions agree with q = p^2 + (1-p)^2 under independence."""
    def verdict(cs, results):
        """One binomial test: false-fail probability FALSE_FAIL."""
        c, (y1, y2) = cs[0], results[0]["outs"]
        p = c["args"][0]
        d1, d2 = (all_over(y == 0, reduce_dims) for y in (y1, y2))
        agree = (d1 == d2).double()
        q = p * p + (1 - p) ** 2
        frac, n = agree.mean().item(), agree.numel()
        if frac > q + bound(q, n):
            return False, (f"two calls dropped (nearly) the same {kind}: draw a new mask in "
                           "every forward call, not once in __init__ or on the first call")
        if frac < q - bound(q, n):
            return False, "two calls' masks are anti-correlated: draw each mask independently"
        return True, "each call draws a new mask"
    return verdict


def cases_maps(p, shape, seed, calls=1, block_size=None):
    """One case of a map-dropping target: SpatialDropout2d (p,) or DropBlock2d (p, bs)."""
    args = (p,) if block_size is None else (p, block_size)
    return lambda: [case(args, nonzero_randn(shape, seed=seed), calls=calls)]


# --- DropBlock2d: the drop rate from gamma ------------------------------------------------
def cases_db_drop_rate(sizes, seed, maps=1000):
    """sizes: (p, block_size, h, w) each; C = 1, so the maps along the batch are independent."""
    return lambda: [case((p, bs), nonzero_randn((maps, 1, h, w), seed=seed + i))
                    for i, (p, bs, h, w) in enumerate(sizes)]


def verdict_db_drop_rate(cs, results):
    """The number of dropped units over M independent maps has the exact mean M*mu and
    variance M*var of dropblock_stats (normal approximation, M = 1,000): one test per case,
    false-fail probability <= cases * FALSE_FAIL. A missing feature-size correction moves
    the mean by 11 or more of those standard deviations for the sizes used."""
    for c, r in zip(cs, results):
        p, bs = c["args"]
        m, _, h, w = c["x"].shape
        mu, var = dropblock_stats(p, bs, h, w)
        dropped = (r["outs"][0] == 0).sum().item()
        tol = SIGMAS * math.sqrt(m * var)
        if abs(dropped - m * mu) <= tol:
            continue
        rate = dropped / (m * h * w)
        uncorrected = (h - bs + 1) * (w - bs + 1) / (h * w)  # factor lost without correction
        if rate < 1e-9:
            return False, "nothing was dropped: is the mask applied in train mode?"
        if bs > 1 and abs(rate - mu / (h * w) * uncorrected) < 0.3 * rate:
            return False, ("too few units were dropped: gamma misses the feature-size correction "
                           "H*W / ((H - bs + 1)(W - bs + 1)) of Ghiasi et al.'s eq. (1)")
        if bs > 1 and rate > 2 * p:
            return False, ("far too many units were dropped: the seed rate is gamma, about "
                           "p / block_size^2, not p (each seed drops a whole block)")
        if abs(rate - (1 - p)) < 0.1:
            return False, "about 1 - p of the units were dropped: p is the DROP fraction"
        return False, ("the drop rate is far from its exact expectation: seeds with Ghiasi et "
                       "al.'s gamma, feature-size correction included, on the positions where "
                       "a whole block fits")
    return True, "the measured drop rate matches gamma's exact expectation (about p) for every size"


# --- DropPath: p far from 0.5 ---------------------------------------------------------------
def cases_dp_drop_rate(ps, n, seed):
    return lambda: [case((p,), nonzero_randn((n, 3), seed=seed + i)) for i, p in enumerate(ps)]


def verdict_dp_drop_rate(cs, results):
    """The fraction of zero values is the mean over samples of their (whole-sample)
    decision, so its variance is at most p(1-p)/N: one binomial bound on the N samples per
    case, false-fail probability <= cases * FALSE_FAIL."""
    for c, r in zip(cs, results):
        p, n = c["args"][0], c["x"].shape[0]
        rate = (r["outs"][0] == 0).double().mean().item()
        if abs(rate - p) <= bound(p, n):
            continue
        if rate in (0.0, 1.0):
            return False, ("the whole batch was dropped or kept together: draw one decision "
                           "per sample, not per mini-batch (Huang et al. drop per mini-batch; "
                           "DropPath does it per sample)")
        side = "small" if p < 0.5 else "large"
        if abs(rate - (1 - p)) <= bound(p, n):
            return False, (f"for a {side} p about 1 - p of the samples were dropped: p is the "
                           "DROP probability, 1 - p the survival probability")
        return False, f"for a {side} p the fraction of dropped samples is not close to p"
    return True, "about p of the samples are dropped, for p far from 0.5"


def cases_samples(p, shape, seed, calls=1):
    return lambda: [case((p,), nonzero_randn(shape, seed=seed), calls=calls)]


# --- DropConnectLinear: the bias, the gradients, fresh masks ------------------------------
def cases_dc_bias(n, out, inp, seed):
    def cases():
        gen = torch.Generator().manual_seed(seed)
        b = torch.randn(out, generator=gen)
        params = {"weight": torch.randn(out, inp, generator=gen), "bias": b}
        cs = [case((inp, out, 0.5), torch.zeros(n, inp), params=params)]
        cs[0]["out_shape_differs"] = True
        return cs
    return cases


def verdict_dc_bias(cs, results):
    """Deterministic: with x = 0 the training output is the bias itself, in every row."""
    b, y = cs[0]["params"]["bias"], results[0]["outs"][0]
    if y.shape != (cs[0]["x"].shape[0], b.shape[0]):
        return False, "the output shape is not (N, out_features)"
    if torch.allclose(y, b.expand_as(y), rtol=TOL, atol=1e-6):
        return True, "the bias is added whole, never dropped or rescaled"
    if (y == 0).any():
        return False, "the bias was dropped: DropConnect masks the weights only, never the bias"
    return False, "the bias was rescaled: add it once, after the 1/(1-p) scaling of W x"


def cases_dc_gradient(n, out, seed):
    def cases():
        c = dc_case(0.5, n, out, seed=None)
        gen = torch.Generator().manual_seed(seed)
        c["grad_out"] = torch.randn(n, out, generator=gen)
        c["out_shape_differs"] = True
        return [c]
    return cases


def verdict_dc_gradient(cs, results):
    """Deterministic: from the decoded masks M_n, dL/dW = sum_n g_n x_n^T * M_n / (1-p),
    dL/db = sum_n g_n, dL/dx_n = (M_n * W)^T g_n / (1-p) (x = ones here)."""
    c, r = cs[0], results[0]
    p, up = c["args"][2], c["grad_out"].double()
    masks = decode_masks(r["outs"][0], c["params"]["bias"], p)
    if masks is None:
        return False, "the outputs are not (sum of kept weights) / (1 - p) + bias"
    m = masks.double() / (1 - p)  # (N, out, in)
    w = c["params"]["weight"].double()
    want_w = torch.einsum("no,noi->oi", up, m)
    want_x = torch.einsum("no,noi->ni", up, m * w)
    pg = r["param_grads"][0]
    if not torch.allclose(pg["weight"].double(), want_w, rtol=10 * TOL, atol=1e-4):
        if (pg["weight"] == 0).all():
            return False, ("no gradient reached the weight: build the masked weight from "
                           "self.weight (not .data or .detach()) inside forward")
        return False, "the weight's gradient is not sum_n g_n x_n^T * M_n / (1 - p)"
    if not torch.allclose(pg["bias"].double(), up.sum(0), rtol=10 * TOL, atol=1e-4):
        return False, "the bias's gradient is not the upstream gradient summed over the batch"
    if not torch.allclose(r["grads"][0].double(), want_x, rtol=10 * TOL, atol=1e-4):
        return False, "the input's gradient is not (M_n * W)^T g_n / (1 - p)"
    return True, "gradients reach W only through kept weights, and the bias whole"


def verdict_dc_fresh(cs, results):
    """Agreement of two calls' decisions on the first weight of every output unit,
    q = p^2 + (1-p)^2: one binomial test, false-fail probability FALSE_FAIL."""
    c, (y1, y2) = cs[0], results[0]["outs"]
    p = c["args"][2]
    m1, m2 = (decode_masks(y, c["params"]["bias"], p) for y in (y1, y2))
    if m1 is None or m2 is None:
        return False, "the outputs are not (sum of kept weights) / (1 - p) + bias"
    agree = (m1[..., 0] == m2[..., 0]).double()
    q = p * p + (1 - p) ** 2
    frac, n = agree.mean().item(), agree.numel()
    if abs(frac - q) > bound(q, n):
        return False, ("two calls dropped (nearly) the same weights: draw a new mask in every "
                       "forward call, not once in __init__")
    return True, "each call draws new weight masks"


# --- GaussianDropout: independent and fresh noise -----------------------------------------
def _corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return ((a * b).sum() / (a.norm() * b.norm())).item()


def cases_gd(shape, seed):
    return lambda: [case((0.5,), nonzero_randn(shape, seed=seed))]


def verdict_gd_independent(cs, results):
    """Pearson correlation of the noise r = y / x between disjoint neighbour pairs along
    each dimension: about N(0, 1/n) under independence; 2 tests with a 6/sqrt(n) bound,
    false-fail probability about 2 * FALSE_FAIL."""
    c, y = cs[0], results[0]["outs"][0]
    r = (y / c["x"]).double()
    for dim, name in ((0, "samples (one noise row shared by the batch?)"),
                      (1, "features (one noise value per sample?)")):
        size = r.shape[dim] // 2 * 2
        pairs = r.narrow(dim, 0, size).unfold(dim, 2, 2)
        rho = _corr(pairs.select(-1, 0).flatten(), pairs.select(-1, 1).flatten())
        if abs(rho) > SIGMAS / math.sqrt(pairs.select(-1, 0).numel()):
            return False, (f"the noise is correlated across {name}: draw one independent "
                           "value per element (torch.randn_like(x))")
    return True, "the noise is independent per element"


def verdict_gd_fresh(cs, results):
    """Correlation of two calls' noise over n values, bound 6/sqrt(n): false-fail
    probability about FALSE_FAIL."""
    c, (y1, y2) = cs[0], results[0]["outs"]
    x = c["x"].double()
    rho = _corr(y1.double() / x, y2.double() / x)
    if abs(rho) > SIGMAS / math.sqrt(x.numel()):
        return False, ("two calls drew (nearly) the same noise: draw new noise in every forward "
                       "call, not once in __init__")
    return True, "each call draws new noise"


def property_checks(seed, shapes=None, bad=(-0.5, 1.0, 2.0), good=(0.0, 0.9), sizes=None,
                    far_ps=(0.2, 0.9), n=16_000, names=None, after=None):
    """The property checks of all five targets, {property name: Check}, on inputs drawn
    from `seed` (and the sizes given): the stress tier with this file's defaults, the hidden
    checks with the grader's. names maps a property to its check's name; after maps it to
    the checks whose failure explains its own."""
    names, after = names or {}, after or {}

    def nm(key):
        return names.get(key, key)

    def aft(key, *base):
        return tuple(base) + tuple(after.get(key, ()))
    sizes = sizes or ((0.15, 3, 7, 7), (0.25, 2, 6, 6))
    out = {}
    for target, pfx, s in ((SD, "sd", 0), (DB, "db", 10), (DP, "dp", 20), (DC, "dc", 30),
                           (GD, "gd", 40)):
        out[f"{pfx}_input_unchanged"] = input_unchanged_check(
            target, nm(f"{pfx}_input_unchanged"), seed + s, shapes,
            aft(f"{pfx}_input_unchanged"))
        out[f"{pfx}_bad_p"] = bad_p_check(target, nm(f"{pfx}_bad_p"), seed + s + 1, bad, good,
                                          shapes, aft(f"{pfx}_bad_p"))
        if target != DC:
            out[f"{pfx}_dtype"] = dtype_check(target, nm(f"{pfx}_dtype"), seed + s + 2, shapes,
                                              aft(f"{pfx}_dtype"))
            base = {SD: ("sd_whole_channels",), DB: ("db_rescale",), DP: ("dp_scale",),
                    GD: ()}[target]
            out[f"{pfx}_gradient"] = gradient_check(target, nm(f"{pfx}_gradient"),
                                                    seed + s + 4, shapes,
                                                    aft(f"{pfx}_gradient", *base))
    maps = {0: "samples", 1: "channels"}
    m = int(math.sqrt(n * 1.6))  # a square (samples x channels) grid of about 1.6 n maps
    specs = [
        (SD, "sd_independent", "SpatialDropout2d: channels dropped independently",
         "one decision per (sample, channel)", cases_maps(0.5, (m, m, 2, 2), seed + 50),
         independent_verdict("channel map", maps, (2, 3)), ("sd_whole_channels",)),
        (SD, "sd_fresh_mask", "SpatialDropout2d: a fresh mask on every call",
         "each forward draws new noise", cases_maps(0.5, (n // 2, 1, 2, 2), seed + 51, calls=2),
         fresh_verdict((2, 3), "channels"), ("sd_whole_channels",)),
        (DB, "db_drop_rate", "DropBlock2d: drop rate from gamma",
         "gamma with the feature-size correction", cases_db_drop_rate(sizes, seed + 60),
         verdict_db_drop_rate, ("db_whole_blocks",)),
        # 1 x 1 maps, block_size 1: one seed per map, dropped with probability gamma = p
        (DB, "db_per_map", "DropBlock2d: one mask per (sample, channel)",
         "seeds drawn for every sample and channel",
         cases_maps(0.5, (m, m, 1, 1), seed + 62, block_size=1),
         independent_verdict("channel map", maps, (2, 3)), ("db_whole_blocks",)),
        (DB, "db_fresh_mask", "DropBlock2d: a fresh mask on every call",
         "each forward draws new seeds",
         cases_maps(0.5, (n // 2, 1, 1, 1), seed + 63, calls=2, block_size=1),
         fresh_verdict((2, 3), "blocks"), ("db_whole_blocks",)),
        (DP, "dp_drop_rate", "DropPath: drop rate at p far from 0.5",
         "p is the drop probability, per sample", cases_dp_drop_rate(far_ps, n, seed + 70),
         verdict_dp_drop_rate, ("dp_whole_samples",)),
        (DP, "dp_independent", "DropPath: samples dropped independently",
         "one decision per sample", cases_samples(0.5, (n, 4), seed + 72),
         independent_verdict("sample", {0: "the batch"}, (1,)), ("dp_whole_samples",)),
        (DP, "dp_fresh_mask", "DropPath: a fresh mask on every call",
         "each forward draws new decisions", cases_samples(0.5, (n, 2), seed + 73, calls=2),
         fresh_verdict((1,), "samples"), ("dp_whole_samples",)),
        (DC, "dc_bias_kept", "DropConnectLinear: the bias is never dropped",
         "only weights are masked", cases_dc_bias(n // 60, 5, 6, seed + 80), verdict_dc_bias,
         ("dc_linear",)),
        (DC, "dc_gradient", "DropConnectLinear: gradients through kept weights",
         "dL/dW = sum_n g_n x_n^T * M_n / (1 - p)", cases_dc_gradient(n // 100, 4, seed + 81),
         verdict_dc_gradient, ("dc_linear", "dc_weight_mask")),
        (DC, "dc_fresh_mask", "DropConnectLinear: a fresh mask on every call",
         "each forward draws new weight masks",
         lambda: [dc_case(0.5, 1, n // 5, seed=None, calls=2)], verdict_dc_fresh,
         ("dc_weight_mask",)),
        (GD, "gd_independent", "GaussianDropout: independent noise per element",
         "torch.randn_like(x)", cases_gd((m, m), seed + 90), verdict_gd_independent,
         ("gd_moments",)),
        (GD, "gd_fresh_noise", "GaussianDropout: fresh noise on every call",
         "each forward draws new noise", lambda: [case((0.5,), torch.ones(n), calls=2)],
         verdict_gd_fresh, ()),
    ]
    for target, key, title, hint, prepare, judge, base in specs:
        out[key] = make_check(target, nm(key), title, hint, prepare, judge, aft(key, *base),
                              same_shape=(target != DC))
    return out


ORDER = {SD: ("independent", "fresh_mask"), DB: ("drop_rate", "per_map", "fresh_mask"),
         DP: ("drop_rate", "independent", "fresh_mask"), DC: ("bias_kept", "fresh_mask"),
         GD: ("independent", "fresh_noise")}
RENAME = {"input_unchanged": "input_kept", "bad_p": "p_range", "dtype": "dtype_kept",
          "gradient": "gradient_mask", "fresh_mask": "fresh_each_call",
          "fresh_noise": "fresh_each_call", "per_map": "each_map", "bias_kept": "bias_whole",
          "sd_independent": "each_map", "dp_independent": "each_sample",
          "gd_independent": "each_element", "db_drop_rate": "gamma_rate",
          "dp_drop_rate": "far_p_rate"}


def property_keys():
    """Every property's key, grouped by target, in the notebook's order."""
    keys = []
    for target, pfx in ((SD, "sd"), (DB, "db"), (DP, "dp"), (DC, "dc"), (GD, "gd")):
        props = ORDER[target] + ("input_unchanged", "gradient", "dtype", "bad_p")
        keys += [f"{pfx}_{k}" for k in props if not (target == DC and k in ("dtype",))]
    return keys


def stress_name(key):
    """The notebook check's name of a property (the hidden check keeps the key itself)."""
    pfx, prop = key.split("_", 1)
    return f"{pfx}_{RENAME.get(key, RENAME.get(prop, prop))}"


STRESS = property_checks(500, names={k: stress_name(k) for k in property_keys()})


HINTS = {
    SD: ["Treat each (sample, channel) feature map as one unit: one keep-or-drop decision per "
         "map, drawn inside forward so that every call gets new ones. eval() and p = 0 change "
         "nothing.",
         "Draw the random numbers with shape (N, C, 1, 1) in x's dtype and let broadcasting "
         "spread each decision over H and W; a map is kept with probability 1 - p.",
         "Multiply x by that mask and divide by the keep probability 1 - p, so the expected "
         "output equals x and eval() is the identity; never write into x itself. In "
         "__init__, raise ValueError for p outside [0, 1)."],
    DB: ["A seed drops a whole block_size x block_size square, so seeds must be much rarer "
         "than p: find the seed rate gamma that makes the expected dropped fraction about p "
         "(Ghiasi et al.'s eq. (1), with its feature-size correction).",
         "Place seeds only where a whole block fits: an (H - bs + 1) x (W - bs + 1) grid per "
         "(sample, channel), each seed the top-left corner of its block, with gamma = p / bs^2 "
         "times H*W / ((H - bs + 1)(W - bs + 1)).",
         "Grow the seeds into blocks by padding the seed map with bs - 1 zeros on every side "
         "and max-pooling with kernel bs and stride 1 (back to H x W); the mask is one minus "
         "that, and the output is x times the mask times numel / (number of ones), counted "
         "over the whole mask tensor, guarded against zero."],
    DP: ["The unit here is a whole sample, one example's branch output: one keep-or-drop "
         "decision per sample, new on every call. eval() and p = 0 return x.",
         "Give the random tensor the shape (N, 1, ..., 1), a 1 for each remaining dimension "
         "of x, so one decision broadcasts over a sample of any rank.",
         "Keep a sample with probability 1 - p and divide the kept ones by 1 - p (timm's "
         "scale_by_keep); that is why eval() is the identity, unlike Huang et al.'s "
         "test-time scaling."],
    DC: ["Start from nn.Linear: parameters `weight` (out, in) and `bias` (out,) or None, and "
         "x @ W.T + b in eval() or at p = 0. In training the WEIGHTS are dropped, not the "
         "outputs.",
         "Every sample gets its own mask over the whole weight matrix: random numbers of shape "
         "(N, out, in), each weight kept with probability 1 - p, new on every call.",
         "Output n is (M_n * W) x_n / (1 - p) + b, a batched product (einsum or bmm) built "
         "from self.weight so its gradient flows; the bias is added once, never masked or "
         "scaled."],
    GD: ["Instead of a 0-or-1 mask, multiply every element by its own random factor with the "
         "same mean and variance as inverted dropout's mask; new noise on every call. eval() "
         "and p = 0 return x.",
         "Inverted dropout's mask is 0 or 1 / (1 - p): its mean is 1 and its variance "
         "p / (1 - p). The factor is normal with those two moments.",
         "Draw standard normal noise shaped like x, scale it by the square root of p / (1 - p) "
         "(a standard deviation, not the variance), add 1, and multiply x by the result."],
}


class WithOptional(CheckSet):
    """The drill's checks; a run leaves out the optional targets not defined yet, so the
    timed part's verdict, before the debrief's optional modules exist, shows no stubs it
    never asked for (they join, marked optional, once defined)."""

    def _written(self, namespace):
        missing = [t for t in OPTIONAL if t not in namespace]
        if not missing:
            return CheckSet(self.title, self.narrated, self.stress)
        print(f"(optional, 0 points, in the debrief: {', '.join(missing)} not defined yet, "
              "so their checks are left out of this run)")
        return CheckSet(self.title, [c for c in self.narrated if c.target not in missing],
                        [c for c in self.stress if c.target not in missing])

    def scoreboard(self, namespace):
        return self._written(namespace).scoreboard(namespace)

    def stress_test(self, namespace):
        return self._written(namespace).stress_test(namespace)


VISIBLE = WithOptional("Dropout variants: sanity checks", [
    make_check(SD, "sd_identity", "SpatialDropout2d: eval and p = 0 are the identity",
               "nothing is dropped or rescaled at inference", cases_sd_identity,
               identity_verdict()),
    make_check(SD, "sd_whole_channels", "SpatialDropout2d: whole channels, scaled 1/(1-p)",
               "one decision per (sample, channel)", cases_sd_whole_channels,
               verdict_sd_whole_channels),
    make_check(SD, "sd_drop_rate", "SpatialDropout2d: about p of the channels dropped",
               "p is the drop probability", cases_sd_drop_rate, verdict_sd_drop_rate,
               after=("sd_whole_channels",)),
    make_check(DB, "db_identity", "DropBlock2d: eval and p = 0 are the identity",
               "nothing is dropped or rescaled at inference", cases_db_identity,
               identity_verdict()),
    make_check(DB, "db_whole_blocks", "DropBlock2d: dropped regions are whole blocks",
               "seeds where a block fits, grown by max-pooling", cases_db_whole_blocks,
               verdict_db_whole_blocks),
    make_check(DB, "db_rescale", "DropBlock2d: rescaled by numel / kept",
               "the normalisation keeps the mean", cases_db_rescale, verdict_db_rescale),
    make_check(DP, "dp_identity", "DropPath: eval and p = 0 are the identity",
               "nothing is dropped or rescaled at inference", cases_dp_identity,
               identity_verdict()),
    make_check(DP, "dp_whole_samples", "DropPath: whole samples dropped, any rank",
               "one decision per sample, shape (N, 1, ..., 1)", cases_dp_whole_samples,
               verdict_dp_whole_samples),
    make_check(DP, "dp_scale", "DropPath: kept samples scaled 1/(1-p)",
               "timm's convention: inverted scaling in training", cases_dp_scale,
               verdict_dp_scale, after=("dp_whole_samples",)),
    make_check(DC, "dc_linear", "DropConnectLinear: nn.Linear's parameters, mean weights at eval",
               "eval and p = 0 compute x @ W.T + b", cases_dc_linear, verdict_dc_linear,
               same_shape=False),
    make_check(DC, "dc_weight_mask", "DropConnectLinear: weights dropped with probability p",
               "mask W, not the activations; scale 1/(1-p)", cases_dc_weight_mask,
               verdict_dc_weight_mask, after=("dc_linear",), same_shape=False),
    make_check(DC, "dc_per_sample", "DropConnectLinear: a fresh weight mask per sample",
               "the mask has shape (N, out, in)", cases_dc_per_sample, verdict_dc_per_sample,
               after=("dc_linear",), same_shape=False),
    make_check(GD, "gd_identity", "GaussianDropout: eval and p = 0 are the identity",
               "nothing is perturbed at inference", cases_gd_identity, identity_verdict()),
    make_check(GD, "gd_moments", "GaussianDropout: noise mean 1, variance p/(1-p)",
               "the same moments as inverted Bernoulli dropout", cases_gd_moments,
               verdict_gd_moments),
    make_check(GD, "gd_gaussian", "GaussianDropout: the noise is normal",
               "r ~ N(1, p/(1-p)), not a Bernoulli or uniform draw", cases_gd_gaussian,
               verdict_gd_gaussian, after=("gd_moments",)),
], stress=[STRESS[k] for k in property_keys()])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test
