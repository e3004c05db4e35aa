"""Hidden checks for drill 04 (five dropout variants): the gaps the visible checks leave open.

Same kit and design as `VISIBLE` in checks.py: inputs are built here, the learner's module
only runs them (run_case), and the verdicts decide from cases and results alone. This file
stays in the grader; the messages say what is wrong without revealing the inputs.

Statistical bounds allow SIGMAS (6) standard deviations derived from each test's n and q
(binomial), from normal theory (Gaussian noise) or from the exact variance of DropBlock's
mask (checks.dropblock_stats); each such test fails a correct module with probability about
FALSE_FAIL (2e-9). A check with k such tests fails with at most k times that. The value
checks compare to within a few roundings and never fail a correct module by chance.
"""
import math

import torch

from grader.payload.checkkit import SIGMAS, bound
from solutions.drill04_variants.checks import (DB, DC, DP, GD, SD, TOL, case, dc_case,
                                               decode_masks, dropblock_gamma, dropblock_stats,
                                               make_check, nonzero_randn)

BAD_PS, GOOD_PS = (-0.1, 1.0, 1.5), (0.0, 0.99)


def _args(target, p):
    """Constructor arguments of each target with drop probability p."""
    return {SD: (p,), DB: (p, 3), DP: (p,), DC: (4, 3, p), GD: (p,)}[target]


def _input(target, seed, dtype=torch.float32):
    """A small input of the right rank for each target."""
    shape = {SD: (6, 5, 4, 4), DB: (6, 5, 6, 6), DP: (12, 5, 3), DC: (10, 4),
             GD: (12, 30)}[target]
    return nonzero_randn(shape, seed=seed, dtype=dtype)


# --- ValueError for p outside [0, 1): every target ---------------------------------------
def bad_p_check(target, prefix):
    def cases():
        # the first case runs forward, so a stub still reports "not implemented yet"
        return ([case(_args(target, 0.3), _input(target, 300))]
                + [case(_args(target, p), construct_only=True) for p in BAD_PS + GOOD_PS])

    def verdict(cs, results):
        """Deterministic."""
        for c, r in zip(cs[1:], results[1:]):
            p = c["args"][2] if target == DC else c["args"][0]
            if p in BAD_PS and not r["init_value_error"]:
                got = f"raised {r['init_error']}" if r["init_error"] else "raised nothing"
                return False, (f"{target}(p) with p outside [0, 1) {got}; raise ValueError "
                               "(p = 1 drops everything and divides by zero)")
            if p in GOOD_PS and r["init_error"]:
                return False, (f"{target}(p) raised {r['init_error']} for a valid p in [0, 1): "
                               "reject only p < 0 or p >= 1")
        return True, "ValueError for p outside [0, 1); valid p construct fine"
    return make_check(target, f"{prefix}_bad_p", f"{target}: ValueError for bad p",
                      "p must be in [0, 1)", cases, verdict, same_shape=(target != DC))


# --- the input is left alone: every target -----------------------------------------------
def input_unchanged_check(target, prefix):
    def cases():
        x = _input(target, 310)
        cs = [case(_args(target, 0.3), x), case(_args(target, 0.3), x, train=False)]
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
    return make_check(target, f"{prefix}_input_unchanged", f"{target}: input not modified",
                      "callers still need x", cases, verdict, same_shape=(target != DC))


# --- dtypes are kept: the elementwise targets ----------------------------------------------
def dtype_check(target, prefix):
    dtypes = (torch.float64, torch.bfloat16)

    def cases():
        return [case(_args(target, 0.3), _input(target, 320 + i, dtype=dt))
                for i, dt in enumerate(dtypes)]

    def verdict(cs, results):
        """Deterministic."""
        for c, r in zip(cs, results):
            y = r["outs"][0]
            if y.dtype != c["x"].dtype:
                return False, (f"a {c['x'].dtype} input came back as {y.dtype}: keep the input's "
                               "dtype (make the mask or noise with dtype=x.dtype or .to(x.dtype))")
        return True, "float64 and bfloat16 inputs keep their dtype"
    return make_check(target, f"{prefix}_dtype", f"{target}: dtype kept",
                      "double and bfloat16 inputs stay as they are", cases, verdict)


# --- the gradient uses the forward's own mask and scale: elementwise targets ---------------
def gradient_check(target, prefix, after=()):
    def cases():
        x = _input(target, 330)
        gen = torch.Generator().manual_seed(331)
        up = torch.randn(x.shape, generator=gen)
        return [case(_args(target, 0.4), x, grad_out=up)]

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
    return make_check(target, f"{prefix}_gradient", f"{target}: gradient only through kept parts",
                      "dy/dx = mask * scale", cases, verdict, after=after)


# --- SpatialDropout2d ---------------------------------------------------------------------
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
        dec = (y == 0).all(dim=reduce_dims) if reduce_dims else (y == 0)
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


def cases_sd_independent():
    return [case((0.5,), nonzero_randn((160, 160, 2, 2), seed=340))]


def fresh_verdict(reduce_dims, kind):
    """Two calls' decisions agree with q = p^2 + (1-p)^2 under independence."""
    def verdict(cs, results):
        """One binomial test: false-fail probability FALSE_FAIL."""
        c, (y1, y2) = cs[0], results[0]["outs"]
        p = c["args"][0]
        d1, d2 = ((y == 0).all(dim=reduce_dims) if reduce_dims else (y == 0) for y in (y1, y2))
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


def cases_sd_fresh():
    return [case((0.5,), nonzero_randn((10_000, 1, 2, 2), seed=350), calls=2)]


# --- DropBlock2d --------------------------------------------------------------------------
RATE_CASES = ((0.1, 3, 8, 8), (0.2, 2, 9, 7))


def cases_db_drop_rate():
    # C = 1: many independent maps along the batch; maps are (h, w), sizes hidden
    return [case((p, bs), nonzero_randn((1000, 1, h, w), seed=360 + i))
            for i, (p, bs, h, w) in enumerate(RATE_CASES)]


def verdict_db_drop_rate(cs, results):
    """The number of dropped units over M independent maps has the exact mean M*mu and
    variance M*var of checks.dropblock_stats (normal approximation, M = 1,000): 2 tests,
    false-fail probability <= 2 * FALSE_FAIL. A missing feature-size correction moves the
    8x8 case's mean by 12 of those standard deviations."""
    for c, r in zip(cs, results):
        p, bs = c["args"]
        m, _, h, w = c["x"].shape
        mu, var = dropblock_stats(p, bs, h, w)
        dropped = (r["outs"][0] == 0).sum().item()
        tol = SIGMAS * math.sqrt(m * var)
        if abs(dropped - m * mu) <= tol:
            continue
        rate = dropped / (m * h * w)
        g = dropblock_gamma(p, bs, h, w)
        uncorrected = (h - bs + 1) * (w - bs + 1) / (h * w)  # factor lost without correction
        if rate < 1e-9:
            return False, "nothing was dropped: is the mask applied in train mode?"
        if bs > 1 and abs(rate - m * mu / (m * h * w) * uncorrected) < 0.3 * rate:
            return False, ("too few units were dropped: gamma misses the feature-size correction "
                           "H*W / ((H - bs + 1)(W - bs + 1)) of Ghiasi et al.'s eq. (1)")
        if bs > 1 and rate > 2 * p:
            return False, ("far too many units were dropped: the seed rate is gamma, about "
                           "p / block_size^2, not p (each seed drops a whole block)")
        if abs(rate - (1 - p)) < 0.1:
            return False, "about 1 - p of the units were dropped: p is the DROP fraction"
        return False, (f"the drop rate is {rate:.3f}, far from its exact expectation: seeds "
                       f"with gamma = p/bs^2 * HW/((H-bs+1)(W-bs+1)) (about {g:.3g} here) "
                       "on the positions where a whole block fits")
    return True, "the measured drop rate matches gamma's exact expectation (about p) for every size"


def cases_db_per_map():
    # 1 x 1 maps, block_size 1: one seed per map, dropped with probability gamma = p exactly
    return [case((0.5, 1), nonzero_randn((100, 100, 1, 1), seed=370))]


def cases_db_fresh():
    return [case((0.5, 1), nonzero_randn((10_000, 1, 1, 1), seed=380), calls=2)]


# --- DropPath -----------------------------------------------------------------------------
FAR_PS = (0.1, 0.75)


def cases_dp_drop_rate():
    return [case((p,), nonzero_randn((20_000, 3), seed=390 + i)) for i, p in enumerate(FAR_PS)]


def verdict_dp_drop_rate(cs, results):
    """The fraction of zero values is the mean over samples of their (whole-sample)
    decision, so its variance is at most p(1-p)/N: binomial bound on N = 20,000 samples,
    2 tests, false-fail probability <= 2 * FALSE_FAIL."""
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


def cases_dp_independent():
    return [case((0.5,), nonzero_randn((20_000, 4), seed=400))]


def cases_dp_fresh():
    return [case((0.5,), nonzero_randn((20_000, 2), seed=410), calls=2)]


# --- DropConnectLinear --------------------------------------------------------------------
def cases_dc_bias():
    out = 6
    gen = torch.Generator().manual_seed(420)
    b = torch.randn(out, generator=gen)
    params = {"weight": torch.randn(out, 5, generator=gen), "bias": b}
    cs = [case((5, out, 0.5), torch.zeros(300, 5), params=params)]
    cs[0]["out_shape_differs"] = True
    return cs


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


def cases_dc_gradient():
    n, out = 200, 5
    c = dc_case(0.5, n, out, seed=None)
    gen = torch.Generator().manual_seed(430)
    c["grad_out"] = torch.randn(n, out, generator=gen)
    c["out_shape_differs"] = True
    return [c]


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


def cases_dc_fresh():
    return [dc_case(0.5, 1, 4000, seed=None, calls=2)]


def verdict_dc_fresh(cs, results):
    """Agreement of two calls' decisions on the first weight of 4,000 output units,
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


# --- GaussianDropout ----------------------------------------------------------------------
def _corr(a, b):
    a, b = a - a.mean(), b - b.mean()
    return ((a * b).sum() / (a.norm() * b.norm())).item()


def cases_gd_independent():
    return [case((0.5,), nonzero_randn((200, 200), seed=440))]


def verdict_gd_independent(cs, results):
    """Pearson correlation of the noise r = y / x between disjoint neighbour pairs along
    each dimension: about N(0, 1/n) under independence, n = 20,000 pairs; 2 tests with a
    6/sqrt(n) bound, false-fail probability about 2 * FALSE_FAIL."""
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


def cases_gd_fresh():
    return [case((0.5,), torch.ones(20_000), calls=2)]


def verdict_gd_fresh(cs, results):
    """Correlation of two calls' noise over 20,000 values, bound 6/sqrt(n): false-fail
    probability about FALSE_FAIL."""
    c, (y1, y2) = cs[0], results[0]["outs"]
    x = c["x"].double()
    rho = _corr(y1.double() / x, y2.double() / x)
    if abs(rho) > SIGMAS / math.sqrt(x.numel()):
        return False, ("two calls drew (nearly) the same noise: draw new noise in every forward "
                       "call, not once in __init__")
    return True, "each call draws new noise"


HIDDEN = [
    # SpatialDropout2d
    make_check(SD, "sd_independent", "SpatialDropout2d: channels dropped independently",
               "one decision per (sample, channel)", cases_sd_independent,
               independent_verdict("channel map", {0: "samples", 1: "channels"}, (2, 3)),
               after=("sd_whole_channels",)),
    make_check(SD, "sd_fresh_mask", "SpatialDropout2d: a fresh mask on every call",
               "each forward draws new noise", cases_sd_fresh, fresh_verdict((2, 3), "channels"),
               after=("sd_whole_channels",)),
    input_unchanged_check(SD, "sd"),
    gradient_check(SD, "sd", after=("sd_whole_channels",)),
    dtype_check(SD, "sd"),
    bad_p_check(SD, "sd"),
    # DropBlock2d
    make_check(DB, "db_drop_rate", "DropBlock2d: drop rate from gamma",
               "gamma with the feature-size correction", cases_db_drop_rate,
               verdict_db_drop_rate, after=("db_whole_blocks",)),
    make_check(DB, "db_per_map", "DropBlock2d: one mask per (sample, channel)",
               "seeds drawn for every sample and channel", cases_db_per_map,
               independent_verdict("channel map", {0: "samples", 1: "channels"}, (2, 3)),
               after=("db_whole_blocks",)),
    make_check(DB, "db_fresh_mask", "DropBlock2d: a fresh mask on every call",
               "each forward draws new seeds", cases_db_fresh, fresh_verdict((2, 3), "blocks"),
               after=("db_whole_blocks",)),
    input_unchanged_check(DB, "db"),
    gradient_check(DB, "db", after=("db_rescale",)),
    dtype_check(DB, "db"),
    bad_p_check(DB, "db"),
    # DropPath
    make_check(DP, "dp_drop_rate", "DropPath: drop rate at p far from 0.5",
               "p is the drop probability, per sample", cases_dp_drop_rate,
               verdict_dp_drop_rate, after=("dp_whole_samples",)),
    make_check(DP, "dp_independent", "DropPath: samples dropped independently",
               "one decision per sample", cases_dp_independent,
               independent_verdict("sample", {0: "the batch"}, (1,)),
               after=("dp_whole_samples",)),
    make_check(DP, "dp_fresh_mask", "DropPath: a fresh mask on every call",
               "each forward draws new decisions", cases_dp_fresh, fresh_verdict((1,), "samples"),
               after=("dp_whole_samples",)),
    input_unchanged_check(DP, "dp"),
    gradient_check(DP, "dp", after=("dp_scale",)),
    dtype_check(DP, "dp"),
    bad_p_check(DP, "dp"),
    # DropConnectLinear
    make_check(DC, "dc_bias_kept", "DropConnectLinear: the bias is never dropped",
               "only weights are masked", cases_dc_bias, verdict_dc_bias,
               after=("dc_linear",), same_shape=False),
    input_unchanged_check(DC, "dc"),
    make_check(DC, "dc_gradient", "DropConnectLinear: gradients through kept weights",
               "dL/dW = sum_n g_n x_n^T * M_n / (1 - p)", cases_dc_gradient,
               verdict_dc_gradient, after=("dc_linear", "dc_weight_mask"), same_shape=False),
    make_check(DC, "dc_fresh_mask", "DropConnectLinear: a fresh mask on every call",
               "each forward draws new weight masks", cases_dc_fresh, verdict_dc_fresh,
               after=("dc_weight_mask",), same_shape=False),
    bad_p_check(DC, "dc"),
    # GaussianDropout
    make_check(GD, "gd_independent", "GaussianDropout: independent noise per element",
               "torch.randn_like(x)", cases_gd_independent, verdict_gd_independent,
               after=("gd_moments",)),
    make_check(GD, "gd_fresh_noise", "GaussianDropout: fresh noise on every call",
               "each forward draws new noise", cases_gd_fresh, verdict_gd_fresh),
    input_unchanged_check(GD, "gd"),
    gradient_check(GD, "gd"),
    dtype_check(GD, "gd"),
    bad_p_check(GD, "gd"),
]
