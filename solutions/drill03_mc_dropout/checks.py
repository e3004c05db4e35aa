"""The visible checks for drill 03 (Monte Carlo dropout), defined once: seven narrated
ones, each in a cell of its own, and a stress tier of nine run in one cell.

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it may only import torch, the standard library and the kit.

Every model a check runs is built here (prepare), from a fixed seed; the learner's
functions only run it (execute) and hand back tensors and plain values; the verdicts
(judge) decide from those alone. Which modules count as dropout is the course's rule,
`counts_as_dropout` below: torch's dropout classes (all subclasses of
nn.modules.dropout._DropoutNd) and any module whose class name contains "Dropout".

The stress tier tests every property the grader's hidden checks test (hidden.py builds
the same cases with other seeds and sizes, from the builders here).

One check is statistical ("spread": every point must show some spread across the
passes); its docstring derives the false-fail bound. The others are exact, or exact up
to float rounding (the seeded ones compare with the plain loop run here under the same
seed), and never fail a correct answer by chance.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from grader.payload.checkkit import FALSE_FAIL, SIGMAS, Check, CheckSet, bound  # noqa: F401


def counts_as_dropout(module):
    """The course's rule: torch's dropout classes, or a class name containing 'Dropout'."""
    return (isinstance(module, nn.modules.dropout._DropoutNd)
            or "Dropout" in type(module).__name__)


class CourseDropout(nn.Module):
    """The course's own dropout (drill 01's): not a torch class, recognised by its name.

    It draws its mask with torch.rand_like, which takes numbers from the global generator
    in order; so T passes run as one pass-major batch draw exactly the masks that T plain
    passes would, under the same seed.
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        return x * (torch.rand_like(x) < keep).to(x.dtype) / keep


class Probe(nn.Module):
    """Identity that records each call: grad mode, batch size and every module's mode."""

    def __init__(self):
        super().__init__()
        self.calls, self.grad_enabled, self.batch_sizes, self.seen_modes = 0, [], [], []
        self.watch = None  # set by `watched`: a plain list holding the root (not a submodule)

    def forward(self, x):
        self.calls += 1
        self.grad_enabled.append(torch.is_grad_enabled())
        self.batch_sizes.append(int(x.shape[0]))
        if self.watch:
            self.seen_modes.append(modes(self.watch[0]))
        return x


def watched(model):
    """Let the model's Probe (if any) record the modes of the whole model at each call."""
    for m in model.modules():
        if isinstance(m, Probe):
            m.watch = [model]
    return model


def probe_of(model):
    return next(m for m in model.modules() if isinstance(m, Probe))


def reset_probes(model):
    """Forget earlier calls, so a result counts only the call being checked."""
    for m in model.modules():
        if isinstance(m, Probe):
            m.calls, m.grad_enabled, m.batch_sizes, m.seen_modes = 0, [], [], []
    return model


def modes(model):
    """{module name: training flag}; the root is named "(model)"."""
    return {(name or "(model)"): bool(m.training) for name, m in model.named_modules()}


def set_modes(model, flags):
    """Set each module's own flag (no recursion), from {name: bool}."""
    for name, m in model.named_modules():
        m.training = flags[name or "(model)"]
    return model


def seeded_build(seed, build):
    """build() under a fixed seed, leaving the caller's random state untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def set_bn_stats(bn, seed):
    """Running statistics far from 0 and 1, so eval-mode and batch statistics differ."""
    g = torch.Generator().manual_seed(seed)
    n = bn.num_features
    bn.running_mean.copy_(torch.randn(n, generator=g) * 2.0)
    bn.running_var.copy_(torch.rand(n, generator=g) * 2.0 + 0.5)
    bn.num_batches_tracked.fill_(100)
    return bn


def mixed_net(p=0.5, seed=0):
    """Linear, ReLU, BatchNorm, torch's Dropout, Linear, ReLU, the course's Dropout, Linear."""
    def build():
        net = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.BatchNorm1d(32), nn.Dropout(p),
                            nn.Linear(32, 32), nn.ReLU(), CourseDropout(p), Probe(),
                            nn.Linear(32, 1))
        set_bn_stats(net[2], seed + 1)
        return watched(net)
    return seeded_build(seed, build)


def wide_net(p, seed, d_in=1, d_out=1, hidden=32, scale=1.0, dtype=torch.float32):
    """Linear, ReLU, Dropout(p), Probe, Linear: no BatchNorm; the output scaled by `scale`."""
    def build():
        net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Dropout(p), Probe(),
                            nn.Linear(hidden, d_out))
        with torch.no_grad():
            net[4].weight.mul_(scale)
            net[4].bias.mul_(scale)
        return watched(net.to(dtype))
    return seeded_build(seed, build)


def course_net(p, seed, d_in=2, d_out=3, hidden=32, scale=1.0, dtype=torch.float32):
    """Linear, ReLU, the course's Dropout(p), Probe, Linear: its masks come from rand_like."""
    def build():
        net = nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), CourseDropout(p), Probe(),
                            nn.Linear(hidden, d_out))
        with torch.no_grad():
            net[4].weight.mul_(scale)
        return watched(net.to(dtype))
    return seeded_build(seed, build)


def grid(n, lo, hi, d=1, dtype=torch.float32):
    """n points evenly spaced in [lo, hi] along every one of d input dimensions."""
    t = torch.linspace(lo, hi, n, dtype=dtype)
    return t.unsqueeze(1).repeat(1, d) * torch.linspace(1.0, 0.5, d, dtype=dtype)


def reference_samples(model, x, T):
    """The plain loop: T passes, one after another, with only the dropout modules on."""
    saved = modes(model)
    try:
        for m in model.modules():
            m.training = counts_as_dropout(m)
        with torch.no_grad():
            return torch.stack([model(x.clone()) for _ in range(T)])
    finally:
        set_modes(model, saved)


def reference_predict(model, x, T, seed):
    """Mean and population std (divided by T) of the plain loop, under torch.manual_seed(seed)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        y = reference_samples(model, x, T)
    reset_probes(model)
    return y.mean(0), y.std(0, correction=0)


def reference_classify(model, x, T, seed):
    """The course's scores, in nats, from the plain loop under torch.manual_seed(seed)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        logits = reference_samples(model, x, T).double()
    reset_probes(model)
    logp = torch.log_softmax(logits, dim=-1)
    probs = logp.exp().mean(0)
    entropy = -torch.special.xlogy(probs, probs).sum(-1)
    expected = -(logp.exp() * logp).sum(-1).mean(0)
    return {"probs": probs, "entropy": entropy, "mutual_info": (entropy - expected).clamp_min(0)}


def as_pair(out):
    """The learner's (mean, std) as two detached tensors; anything else is a clear error."""
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError("mc_predict must return a pair (mean, std)")
    mean, std = out
    if not (isinstance(mean, torch.Tensor) and isinstance(std, torch.Tensor)):
        raise TypeError("mc_predict must return two tensors (mean, std)")
    return mean, std


def predict_result(model, x, out):
    """What a check keeps of one mc_predict call, plus what the probe saw."""
    mean, std = as_pair(out)
    probe = probe_of(model)
    return {"mean": mean.detach().clone(), "std": std.detach().clone(),
            "mean_grad": bool(mean.requires_grad or mean.grad_fn is not None),
            "std_grad": bool(std.requires_grad or std.grad_fn is not None),
            "calls": probe.calls, "grad_enabled": list(probe.grad_enabled),
            "seen_modes": list(probe.seen_modes), "modes_after": modes(model),
            "x_after": x.detach().clone()}


def classify_result(out):
    """The learner's dict, as detached tensors; missing keys are a clear error."""
    if not isinstance(out, dict):
        raise TypeError("mc_classify must return a dict")
    missing = [k for k in ("probs", "entropy", "mutual_info") if k not in out]
    if missing:
        raise KeyError(f"mc_classify's dict lacks {missing}")
    return {k: torch.as_tensor(out[k]).detach().clone() for k in ("probs", "entropy",
                                                                   "mutual_info")}


def mode_problem(expected, got, hidden=False):
    """A message naming the first module in the wrong mode, or None when all are right.

    expected: {name: (class name, should be training)}; got: {name: training}. With
    hidden=True the message names no module (hidden checks never reveal their inputs)."""
    wrong = [(n, cls, want) for n, (cls, want) in expected.items() if got.get(n) != want]
    if not wrong:
        return None
    if any(cls.startswith("BatchNorm") for _, cls, _ in wrong):
        return ("a BatchNorm layer is in training mode inside the context: model.train() "
                "switches every module; switch on the dropout modules only")
    name, cls, want = wrong[0]
    where = "a module" if hidden else f"`{name}` ({cls})"
    if want:
        kind = "torch's class" if cls in TORCH_DROPOUT else "not a torch class"
        if hidden:
            where, kind = "a dropout module", "nested, or not named like torch's"
        return (f"{where} is in eval mode inside the context ({kind}): a module counts as "
                "dropout when it is an nn.modules.dropout._DropoutNd or its class name "
                "contains 'Dropout'; visit every module with model.modules()")
    return (f"{where} is in training mode inside the context, but it is not dropout: every "
            "other module must be in eval")


TORCH_DROPOUT = {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                 "FeatureAlphaDropout"}


def expected_modes(model):
    """{name: (class name, should be training inside the context)} by the course's rule."""
    return {(n or "(model)"): (type(m).__name__, counts_as_dropout(m))
            for n, m in model.named_modules()}


# --- 1. only dropout in training mode inside the context -----------------------------
def all_modes(model, flag):
    """Every module (the root included) in train (True) or eval (False) mode."""
    return model.train(flag)


def cases_dropout_only_train():
    model = all_modes(mixed_net(), True)
    return {"model": model, "expected": expected_modes(model)}


def run_inside(enable, c):
    """Enter the learner's context on the case's model; the modes inside and after."""
    model = c["model"]
    with enable(model):
        inside = modes(model)
    return {"inside": inside, "after": modes(model)}


def verdict_dropout_only_train(c, r):
    problem = mode_problem(c["expected"], r["inside"])
    if problem:
        return False, problem
    return True, "inside the context the two dropout modules train and every other module is in eval"


# --- 2. every module's mode is restored on exit ---------------------------------------
MIXED_MODES = {"(model)": True, "0": True, "1": False, "2": False, "3": True, "4": True,
               "5": True, "6": False, "7": True, "8": False}  # a frozen BatchNorm among them


def cases_modes_restored():
    return {"model": set_modes(mixed_net(), MIXED_MODES), "before": dict(MIXED_MODES)}


def verdict_modes_restored(c, r):
    wrong = [n for n, was in c["before"].items() if r["after"].get(n) != was]
    if not wrong:
        return True, "after the context every module is back in its own earlier mode"
    if all(r["after"][n] == r["after"]["(model)"] for n in r["after"]):
        return False, (f"after the context every module is in {'train' if r['after']['(model)'] else 'eval'} "
                       f"mode, but {len(wrong)} had other modes before: save each module's own "
                       "flag on entry and restore each one (model.train(mode) sets all alike)")
    return False, (f"after the context `{wrong[0]}` is in the wrong mode: save every module's "
                   "flag on entry and put each one back on exit")


# --- 3. BatchNorm stays in eval: its running statistics do not move --------------------
def cases_bn_eval_stats():
    model = all_modes(mixed_net(), True)
    return {"model": model, "x": grid(16, -2.0, 2.0), "T": 20}


def run_bn(mc_predict, c):
    model, bn = c["model"], c["model"][2]
    before = [bn.running_mean.clone(), bn.running_var.clone(), bn.num_batches_tracked.clone()]
    reset_probes(model)
    out = mc_predict(model, c["x"], T=c["T"])
    r = predict_result(model, c["x"], out)
    r["bn_before"] = before
    r["bn_after"] = [bn.running_mean.clone(), bn.running_var.clone(),
                     bn.num_batches_tracked.clone()]
    return r


def verdict_bn_eval_stats(c, r):
    if all(torch.equal(a, b) for a, b in zip(r["bn_before"], r["bn_after"])):
        return True, "BatchNorm's running mean, variance and counter are unchanged"
    return False, ("BatchNorm's running statistics changed during mc_predict: it ran in "
                   "training mode (model.train()); use enable_mc_dropout so that only dropout "
                   "is switched on")


# --- 4. shapes of mean and std ----------------------------------------------------------
def cases_shapes():
    return [{"model": wide_net(0.5, seed=3, d_in=2, d_out=1), "x": grid(10, -1.0, 1.0, d=2)},
            {"model": wide_net(0.5, seed=4, d_in=2, d_out=3), "x": grid(7, -1.0, 1.0, d=2)}]


def run_predict(mc_predict, cases):
    """execute: mc_predict on every case (T from the case, default 20)."""
    return [predict_result(c["model"], c["x"],
                           mc_predict(reset_probes(c["model"]), c["x"], T=c.get("T", 20)))
            for c in cases]


def verdict_shapes(cases, results):
    for c, r in zip(cases, results):
        want = (c["x"].shape[0], c["model"][-1].out_features)
        for key in ("mean", "std"):
            if tuple(r[key].shape) != want:
                return False, (f"{key} has shape {tuple(r[key].shape)}, expected {want}, the "
                               "shape of one pass's output: average over the passes' dimension "
                               "only (no squeeze, no keepdim)")
    return True, "mean and std both have the shape of one pass's output, (N, outputs)"


# --- 5. std above zero off the data, zero with p = 0 ------------------------------------
SPREAD_T = 20


def cases_spread():
    return [{"model": wide_net(0.5, seed=5, scale=20.0), "x": grid(12, 4.0, 8.0), "T": SPREAD_T},
            {"model": wide_net(0.0, seed=6, scale=20.0), "x": grid(12, 4.0, 8.0), "T": 100}]


def verdict_spread(cases, results):
    """With p = 0.5, a point's std is zero only if all T passes drop the same set of the
    k hidden units active there (the output is a sum of distinct nonzero terms, one per
    active unit): probability 2^(-k (T - 1)). The check's net has k >= 4 active units at
    each of its 12 points (the drill's tests verify it), so a correct answer fails with
    probability below 12 * 2^(-76), far below FALSE_FAIL. The p = 0 part is exact: every pass
    is the same, and the std must be zero up to float rounding, 1e-5 * (1 + |mean|)."""
    on, off = results
    if not torch.isfinite(on["std"]).all() or not torch.isfinite(off["std"]).all():
        return False, ("the std has NaN or inf: is the variance computed as E[y^2] - E[y]^2 "
                       "(cancellation can make it negative)? subtract the mean first")
    tol = 1e-5 * (1.0 + off["mean"].abs())
    if (off["std"] > tol).any():
        return False, ("with p = 0 every pass is identical, yet the std is "
                       f"{off['std'].max().item():.3g}: E[y^2] - E[y]^2 cancels badly; use "
                       "y.std(dim=0, correction=0), which subtracts the mean first")
    if (on["std"] <= 0).any():
        zeros = int((on["std"] <= 0).sum())
        return False, (f"with p = 0.5 the std is zero at {zeros} of {on['std'].numel()} points: "
                       "dropout was off during the passes (eval mode, or torch.no_grad() taken "
                       "for eval?)")
    return True, (f"std > 0 at all {on['std'].numel()} points with p = 0.5, and zero with "
                  "p = 0")


# --- 6. reproducible under torch.manual_seed ---------------------------------------------
def cases_seeded():
    return {"model": wide_net(0.5, seed=7), "x": grid(8, -1.0, 1.0), "T": 20}


def run_seeded(mc_predict, c):
    out = []
    for seed in (1234, 1234, 4321):
        torch.manual_seed(seed)
        mean, std = as_pair(mc_predict(c["model"], c["x"], T=c["T"]))
        out.append((mean.detach().clone(), std.detach().clone()))
    return out


def verdict_seeded(c, r):
    """Exact: the same seed must give the same numbers; two different seeds give equal
    numbers only if every one of 20 passes drew the same masks (the probability is below
    2^-100 for this net)."""
    (m1, s1), (m2, s2), (m3, s3) = r
    if not (torch.equal(m1, m2) and torch.equal(s1, s2)):
        return False, ("two calls after torch.manual_seed(1234) gave different numbers: do "
                       "not reseed (torch.seed()) or draw from an unseeded source inside "
                       "mc_predict")
    if torch.equal(m1, m3) and torch.equal(s1, s3):
        return False, ("seeds 1234 and 4321 gave identical numbers: mc_predict ignores the "
                       "caller's seed (a torch.manual_seed inside it fixes every mask)")
    return True, "same seed, same numbers; another seed, other numbers"


# --- 7. classification scores: shapes, probabilities, 0 <= MI <= entropy ---------------
def cases_classify_basic():
    return {"model": course_net(0.5, seed=8), "x": grid(9, -3.0, 3.0, d=2), "T": 30}


def run_classify(mc_classify, c):
    return classify_result(mc_classify(c["model"], c["x"], T=c["T"]))


def verdict_classify_basic(c, r):
    n, k = c["x"].shape[0], c["model"][-1].out_features
    for key, want in (("probs", (n, k)), ("entropy", (n,)), ("mutual_info", (n,))):
        if tuple(r[key].shape) != want:
            return False, f'"{key}" has shape {tuple(r[key].shape)}, expected {want}'
    probs, h, mi = (r[k].double() for k in ("probs", "entropy", "mutual_info"))
    if not all(torch.isfinite(t).all() for t in (probs, h, mi)):
        return False, "a score is NaN or inf: 0 * log 0 must count as 0 (torch.special.xlogy)"
    if (probs < 0).any() or not torch.allclose(probs.sum(-1), torch.ones(n, dtype=probs.dtype),
                                               atol=1e-5):
        return False, ('"probs" rows are not probabilities (non-negative, summing to 1): '
                       "average the softmax of each pass")
    if (mi < -1e-6).any():
        return False, ('"mutual_info" is negative: it is the entropy of the mean minus the '
                       "mean entropy of the passes, not the other way round")
    if (mi > h + 1e-6).any():
        return False, '"mutual_info" exceeds "entropy": the mean entropy of the passes is >= 0'
    if (h > math.log(k) + 1e-5).any():
        return False, (f'"entropy" exceeds log({k}) = {math.log(k):.3f}, the most {k} classes '
                       "allow: use the natural log of probabilities, not of logits")
    return True, (f"probs sum to 1; 0 <= mutual_info <= entropy <= log {k} at all {n} points")


# --- the stress tier: what the hidden checks test, on this notebook's own inputs -------
# Each builder below takes its inputs as arguments; the stress checks call it with the
# notebook's seeds and sizes, the grader's hidden checks (hidden.py) with others.
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
    """Dropout nested in lists and dicts, of both unusual kinds, beside a noise layer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                  nn.ModuleList([nn.Dropout2d(0.2), Zeroer(0.1)]))
        self.heads = nn.ModuleDict({"a": nn.Sequential(nn.LayerNorm(8), MySpatialDropout()),
                                    "b": nn.Sequential(Jitter(), nn.AlphaDropout(0.1),
                                                       nn.Sequential(CourseDropout(0.2)))})


def block_net(seed=40):
    """A Linear, then one Block: the notebook's nested model."""
    return seeded_build(seed, lambda: nn.Sequential(nn.Linear(4, 8), Block()))


def run_inside_each(enable, cases):
    """run_inside on every case."""
    return [run_inside(enable, c) for c in cases]


# --- nested containers, every torch dropout class, both ways of being "the course's own" --
def nested_cases(build):
    return [{"model": all_modes(build(), flag)} for flag in (True, False)]


def cases_nested_modules():
    return nested_cases(block_net)


def verdict_nested(cases, results, hidden=False):
    """Exact."""
    for c, r in zip(cases, results):
        problem = mode_problem(expected_modes(c["model"]), r["inside"], hidden=hidden)
        if problem:
            return False, problem + " (in a nested model)"
    return True, "every dropout module, however deep or named, trains; the rest are in eval"


# --- an exception inside the context ------------------------------------------------------
class Boom(Exception):
    """Raised by the check inside the learner's context."""


def exception_case(model):
    """The model in a mix of modes (every third module training)."""
    flags = {n: (i % 3 == 0) for i, n in enumerate(modes(model))}
    return {"model": set_modes(model, flags), "before": flags}


def cases_raises_inside():
    return exception_case(block_net(41))


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
EPS = dict(rtol=1e-4, atol=1e-5)  # float32, batched against one-at-a-time products


def seeded_cases(model, x, T, seed):
    """A case whose expected mean and std are the plain loop's under torch.manual_seed(seed)."""
    mean, std = reference_predict(model, x, T, seed=seed)
    return [{"model": model, "x": x, "T": T, "seed": seed, "mean": mean, "std": std}]


def cases_one_pass():
    return seeded_cases(wide_net(0.5, seed=42), grid(5, -1.0, 1.0), 1, seed=3)


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
def prior_mode_cases(seed, x):
    out = []
    for flags in ("eval", "train", "mixed"):
        model = mixed_net(seed=seed)
        if flags == "mixed":
            before = {n: (i % 2 == 1) for i, n in enumerate(modes(model))}
            set_modes(model, before)
        else:
            all_modes(model, flags == "train")
        out.append({"model": model, "x": x, "T": 10, "before": modes(model),
                    "expected_inside": expected_modes(model)})
    return out


def cases_modes_kept():
    return prior_mode_cases(43, grid(6, -1.5, 1.5))


def verdict_prior_modes(cases, results, hidden=False):
    """Exact."""
    labels = ("in eval mode", "in train mode", "in a mix of modes")
    for c, r, label in zip(cases, results, labels):
        for seen in r["seen_modes"]:
            problem = mode_problem(c["expected_inside"], seen, hidden=hidden)
            if problem:
                return False, f"for a model {label} before the call, during the passes {problem}"
        if r["modes_after"] != c["before"]:
            return False, (f"for a model {label} before the call, mc_predict left some modules "
                           "in another mode: leave the model exactly as it was (use the context "
                           "manager)")
    return True, "the passes ran with only dropout on, and every module's mode was kept"


# --- vectorised, and equal to the plain loop -------------------------------------------
def cases_batched():
    return seeded_cases(course_net(0.5, seed=44, d_in=2, d_out=1), grid(6, -1.0, 1.0, d=2),
                        30, seed=12)


def verdict_vectorised(cases, results):
    """Exact up to float rounding: under the same seed a pass-major batch draws the loop's
    masks (the course's dropout takes its numbers from the global generator in order)."""
    c, r = cases[0], results[0]
    if r["calls"] >= c["T"]:
        return False, ("mc_predict ran one forward call per pass: repeat x T times along the "
                       "batch dimension and run the passes as one batch")
    if tuple(r["mean"].shape) != tuple(c["mean"].shape):
        return False, "the batched result has the wrong shape"
    if not torch.allclose(r["mean"], c["mean"], **EPS):
        return False, ("the batched mean differs from the plain loop under the same seed: stack "
                       "the copies pass-major (pass t is rows t*N to t*N + N - 1; not "
                       "repeat_interleave) and reshape to (T, N, ...)")
    if not torch.allclose(r["std"], c["std"], **EPS):
        ratio = (r["std"] / c["std"]).median().item()
        if abs(ratio - (c["T"] / (c["T"] - 1)) ** 0.5) < 1e-3:
            return False, ("the std divides by T - 1 (unbiased); this drill's convention "
                           "divides by T (correction=0)")
        return False, "the batched std differs from the plain loop's population std"
    return True, f"{r['calls']} forward call(s) for {c['T']} passes, equal to the plain loop"


# --- no autograd graph ------------------------------------------------------------------
def cases_no_autograd():
    return [{"model": wide_net(0.5, seed=45), "x": grid(5, -1.0, 1.0), "T": 10}]


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
def dtype_cases(seed, n):
    return [{"model": wide_net(0.5, seed=seed, dtype=torch.float64),
             "x": grid(n, -1.0, 1.0, dtype=torch.float64), "T": 10}]


def cases_float64():
    return dtype_cases(46, 5)


def verdict_dtype(cases, results):
    """Exact."""
    r = results[0]
    if r["mean"].dtype != torch.float64 or r["std"].dtype != torch.float64:
        return False, ("a float64 model and input gave a lower-precision mean or std: do not "
                       "cast (.float()); keep the model's dtype")
    return True, "float64 in, float64 out"


# --- in-place dropout must not touch the caller's x -------------------------------------
def inplace_cases(seed, n, d):
    def build():
        return watched(nn.Sequential(nn.Dropout(0.5, inplace=True), Probe(), nn.Linear(d, 2)))
    x = grid(n, 0.5, 2.0, d=d)
    return [{"model": seeded_build(seed, build), "x": x, "x_before": x.clone(), "T": 10}]


def cases_inplace_safe():
    return inplace_cases(47, 6, 2)


def verdict_inplace_input(cases, results):
    """Exact."""
    c, r = cases[0], results[0]
    if not torch.equal(r["x_after"], c["x_before"]):
        return False, ("a dropout with inplace=True zeroed entries of the caller's x: pass the "
                       "model a copy, never x itself")
    if not (torch.isfinite(r["mean"]).all() and torch.isfinite(r["std"]).all()):
        return False, "in-place dropout gave NaN or inf"
    return True, "the caller's input is untouched by an in-place dropout"


# --- classification scores against the reference ---------------------------------------
def classify_cases(seeds, n):
    """One net per seed; the second scaled so far that its logits saturate (some p are 0)."""
    out = []
    for seed, scale in zip(seeds, (1.0, 400.0)):
        model, x = course_net(0.5, seed=seed, scale=scale), grid(n, -2.0, 2.0, d=2)
        out.append({"model": model, "x": x, "T": 25, "seed": seed,
                    "want": reference_classify(model, x, 25, seed)})
    return out


def cases_classify_values():
    return classify_cases((32, 33), 6)


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


def checks_for(target, name, title, hint, prepare, execute, judge, after=()):
    return Check(name, title, target, hint, prepare, execute, judge, tuple(after))


VISIBLE = CheckSet("Monte Carlo dropout checks", [
    checks_for("enable_mc_dropout", "dropout_only_train", "only dropout trains in the context",
               "dropout on, BatchNorm and all else in eval",
               cases_dropout_only_train, run_inside, verdict_dropout_only_train),
    checks_for("enable_mc_dropout", "modes_restored", "every module's mode restored",
               "each module gets back its own earlier flag",
               cases_modes_restored, run_inside, verdict_modes_restored),
    checks_for("mc_predict", "bn_eval_stats", "BatchNorm statistics untouched",
               "MC passes must not update running statistics",
               cases_bn_eval_stats, run_bn, verdict_bn_eval_stats),
    checks_for("mc_predict", "shapes", "shapes of mean and std",
               "both have the shape of one pass's output",
               cases_shapes, run_predict, verdict_shapes),
    checks_for("mc_predict", "spread", "spread off the data, none at p = 0",
               "std > 0 where dropout acts, 0 when it cannot",
               cases_spread, run_predict, verdict_spread),
    checks_for("mc_predict", "seeded", "reproducible under manual_seed",
               "the passes draw from torch's seeded generator",
               cases_seeded, run_seeded, verdict_seeded),
    checks_for("mc_classify", "classify_basic", "classification scores are sane",
               "probs sum to 1; 0 <= mutual_info <= entropy",
               cases_classify_basic, run_classify, verdict_classify_basic),
], stress=[
    checks_for("enable_mc_dropout", "nested_modules", "nested and unusual dropout modules",
               "every dropout module, at any depth, of any dropout class",
               cases_nested_modules, run_inside_each, verdict_nested),
    checks_for("enable_mc_dropout", "raises_inside", "modes restored after an exception",
               "the exception propagates and every mode comes back",
               cases_raises_inside, run_exception, verdict_exception_restores),
    checks_for("mc_predict", "one_pass", "T = 1", "one pass: the std is zero, not NaN",
               cases_one_pass, run_seeded_predict, verdict_t_one),
    checks_for("mc_predict", "modes_kept", "the model is left as it was",
               "eval, train or mixed before the call: the same after it",
               cases_modes_kept, run_predict, verdict_prior_modes),
    checks_for("mc_predict", "batched", "one batched call, equal to the loop",
               "same numbers as T plain passes under one seed",
               cases_batched, run_seeded_predict, verdict_vectorised),
    checks_for("mc_predict", "no_autograd", "no autograd graph",
               "the outputs carry no graph and no gradients",
               cases_no_autograd, run_no_graph, verdict_no_graph),
    checks_for("mc_predict", "float64", "dtype kept", "float64 stays float64",
               cases_float64, run_predict, verdict_dtype),
    checks_for("mc_predict", "inplace_safe", "in-place dropout leaves x alone",
               "the caller's x is never modified",
               cases_inplace_safe, run_predict, verdict_inplace_input),
    checks_for("mc_classify", "classify_values", "classification scores match",
               "mean softmax; entropies in nats, 0 log 0 = 0; MI = H[mean] - mean H",
               cases_classify_values, run_classify_seeded, verdict_classify_reference),
])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test

# Graded hints, the first giving the least away; `hint("mc_predict")` shows the next one.
HINTS = {
    "enable_mc_dropout": [
        "A model can arrive with its modules in different modes, and every one of them must "
        "come back as it was, even when the body of the `with` raises.",
        "Remember each module's own training flag on entry (model.modules() visits the model "
        "and everything nested); module.train() would also switch its children.",
        "Set each module's own `training` attribute to whether it counts as dropout, yield, "
        "and put every saved flag back in a `finally` block without catching the exception.",
    ],
    "mc_predict": [
        "All T passes can run as one batch: the model does not care which rows belong to "
        "which pass, as long as you can tell them apart afterwards.",
        "Stack T copies of x along the batch dimension, pass after pass (x.repeat, not "
        "repeat_interleave), run them under torch.no_grad() inside enable_mc_dropout, and "
        "reshape the output to (T, N, ...).",
        "Then take the mean and the std over dimension 0; the std with correction=0 divides "
        "by T, so a single pass gives zero.",
    ],
    "mc_classify": [
        "Each pass gives its own class probabilities; the prediction is their average, not "
        "the softmax of the averaged logits.",
        "Entropy of the averaged probabilities is the total uncertainty; subtract the mean of "
        "the passes' own entropies to get the mutual information (natural log throughout).",
        "Use log_softmax per pass for stable logs, and torch.special.xlogy(p, p) so that a "
        "probability of exactly 0 contributes 0, not NaN.",
    ],
}
