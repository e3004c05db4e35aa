"""The seven visible checks for drill 03 (Monte Carlo dropout), defined once.

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it may only import torch, the standard library and the kit.

Every model a check runs is built here (prepare), from a fixed seed; the learner's
functions only run it (execute) and hand back tensors and plain values; the verdicts
(judge) decide from those alone. Which modules count as dropout is the course's rule,
`counts_as_dropout` below: torch's dropout classes (all subclasses of
nn.modules.dropout._DropoutNd) and any module whose class name contains "Dropout".

One check is statistical ("spread": every point must show some spread across the
passes); its docstring derives the false-fail bound. The others are exact, or exact up
to float rounding, and never fail a correct answer by chance.
"""
import math

import torch
import torch.nn as nn

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
])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test
