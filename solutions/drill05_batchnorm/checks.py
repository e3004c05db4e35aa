"""The notebook's checks for drill 05 (dropout meets BatchNorm; the exact ensemble): eight
narrated checks, a stress tier for the rest of the spec (property_checks, which hidden.py
runs on other inputs), and the graded hints hint(...) prints (HINTS).

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it imports only torch, the standard library and the kit.

Targets: dropout_variance(mean, var, p), recalibrate_bn(model, x, batch_size=256) and
mask_ensemble(model, x). Every reference the checks compare against is computed here by a
route independent of the reference answers: brute-force sampling for the variance, a
hand-written BatchNorm pass for the running statistics, itertools enumeration for the masks.
"""
import copy
import itertools
import math

import torch
import torch.nn as nn

from grader.payload.checkkit import FALSE_FAIL, SIGMAS, Check, CheckSet  # noqa: F401

ENSEMBLE_KEYS = ("arithmetic", "geometric", "weight_scaled")


def one_thread(fn):
    """Run fn on one CPU thread (tiny tensors: threads only add overhead), then restore."""
    def wrapper(*args, **kwargs):
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(before)
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


# === 1. dropout_variance ==================================================================
def variance_formulas(mean, var, p):
    """Candidate train-time variances, right and wrong, for naming a learner's bug."""
    keep = 1.0 - p
    m2 = mean * mean
    out = {"right": (var + m2) / keep - m2,
           "mean term missing": var / keep,
           "squared mean not subtracted": (var + m2) / keep,
           "divided by (1-p)^2": (var + m2) / keep ** 2 - m2,
           "unchanged": var}
    if p > 0:
        out["p used as keep"] = (var + m2) / p - m2
    return out


TRAIN_VAR_HINTS = {
    "mean term missing": "the mean term is missing: Var(m x/(1-p)) = E[x^2]/(1-p) - mean^2 = "
                         "(var + mean^2)/(1-p) - mean^2, not var/(1-p) (true only for mean 0)",
    "squared mean not subtracted": "you returned E[y^2] = (var + mean^2)/(1-p): subtract the "
                                   "squared mean (E[y] = mean) to get the variance",
    "divided by (1-p)^2": "a survivor's square is x^2/(1-p)^2, but only a fraction (1-p) "
                          "survive: E[y^2] = E[x^2]/(1-p), divide by (1-p) once",
    "p used as keep": "p is the DROP probability: the keep probability is 1 - p",
    "unchanged": "the train variance equals the input variance: dropout adds variance in "
                 "training",
}


def name_train_bug(mean, var, p, got):
    """A hint naming the formula the learner's train variance matches, or None."""
    for name, want in variance_formulas(mean.double(), var.double(), p).items():
        if name != "right" and torch.allclose(got.double(), want, rtol=1e-5, atol=1e-9):
            return TRAIN_VAR_HINTS[name]
    return None


def moments_of_dropped(mean, var, p):
    """(variance, fourth central moment) of y = m x/(1-p), m ~ Bernoulli(1-p), x ~ N(mean, var).

    Exact: with probability 1-p, y - mean = x/(1-p) - mean ~ N(a, s2), a = mean p/(1-p),
    s2 = var/(1-p)^2; otherwise y - mean = -mean."""
    q = 1.0 - p
    a, s2 = mean * p / q, var / q ** 2
    second = q * (a * a + s2) + p * mean ** 2
    fourth = q * (a ** 4 + 6 * a * a * s2 + 3 * s2 * s2) + p * mean ** 4
    return second, fourth


def sample_train_variance(mean, var, p, n):
    """Brute force: the mean of (y - mean)^2 over n dropped samples per element (float64),
    and SIGMAS standard errors of it, (mu4 - sigma^4)/n being the estimator's exact variance.

    Uses the global torch RNG: the sampling is the random part of the check."""
    mean, var = mean.double(), var.double()
    x = mean + var.sqrt() * torch.randn(n, *mean.shape, dtype=torch.float64)
    keep = (torch.rand(n, *mean.shape, dtype=torch.float64) >= p).double()
    y = keep * x / (1.0 - p)
    estimate = ((y - mean) ** 2).mean(0)  # E[y] = mean exactly, so no degree of freedom is lost
    second, fourth = moments_of_dropped(mean, var, p)
    tol = SIGMAS * ((fourth - second ** 2) / n).sqrt()
    return estimate, tol


@one_thread
def run_variance(dropout_variance, cases):
    """execute: the learner's (train_var, eval_var) for every case, as tensors."""
    out = []
    for c in cases:
        mean, var = c["mean"].clone(), c["var"].clone()
        result = dropout_variance(mean, var, c["p"])
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError("dropout_variance must return a pair (train_var, eval_var)")
        train, ev = (torch.as_tensor(r).detach().clone() for r in result)
        out.append({"train": train, "eval": ev,
                    "inputs_intact": bool(torch.equal(mean, c["mean"])
                                          and torch.equal(var, c["var"]))})
    return out


def shape_problem_variance(cases, results):
    for c, r in zip(cases, results):
        for key in ("train", "eval"):
            if r[key].shape != c["mean"].shape:
                return (f"{key}_var has shape {tuple(r[key].shape)}, the input "
                        f"{tuple(c['mean'].shape)}: work elementwise")
    return None


@one_thread
def cases_variance_train():
    mean = torch.tensor([2.0, -1.0, 0.5, 3.0], dtype=torch.float64)
    var = torch.tensor([1.0, 4.0, 0.25, 0.5], dtype=torch.float64)
    p, n = 0.3, 10_000
    estimate, tol = sample_train_variance(mean, var, p, n)
    return [{"mean": mean, "var": var, "p": p, "n": n, "sampled": estimate, "tol": tol}]


def verdict_variance_train(cases, results):
    """Each of the 4 elements is one z-test of a mean of n = 10,000 iid terms (y - mean)^2
    against SIGMAS of its exact standard error: by the normal approximation a correct formula
    fails with probability at most 4 * FALSE_FAIL (about 8e-9)."""
    problem = shape_problem_variance(cases, results)
    if problem:
        return False, problem
    c, r = cases[0], results[0]
    got, sampled, tol = r["train"].double(), c["sampled"], c["tol"]
    shown = ", ".join(f"{g:.3f} vs {s:.3f}±{t:.3f}" for g, s, t in
                      zip(got.tolist(), sampled.tolist(), tol.tolist()))
    if ((got - sampled).abs() <= tol).all():
        return True, f"train_var matches brute-force sampling at p={c['p']} ({shown})"
    hint = name_train_bug(c["mean"], c["var"], c["p"], got)
    return False, f"train_var vs sampled ({shown}): " + (hint or "train_var is off; derive "
                                                         "E[y^2] - E[y]^2 for y = m x/(1-p)")


def cases_variance_eval():
    return [{"mean": torch.tensor([2.0, -1.0, 0.0]), "var": torch.tensor([1.0, 4.0, 0.5]),
             "p": 0.3}]


def eval_hint(c, got, show=True):
    var, keep = c["var"].double(), 1.0 - c["p"]
    got = got.double()
    if torch.allclose(got, var, rtol=1e-6, atol=0):
        return None
    if torch.allclose(got, variance_formulas(c["mean"].double(), var, c["p"])["right"],
                      rtol=1e-5):
        return ("eval_var equals the train variance: at eval dropout is the identity, so "
                "the variance is the input's own")
    for factor, words in ((keep, "(1-p)"), (keep ** 2, "(1-p)^2"), (1 / keep, "1/(1-p)")):
        if torch.allclose(got, var * factor, rtol=1e-5):
            return (f"eval_var is var times {words}: with inverted dropout eval mode is the "
                    "identity (no scaling at eval), so eval_var = var")
    return "eval_var must be the input variance: eval-mode dropout is the identity" + (
        f" (got {[round(v, 4) for v in got.tolist()]})" if show else "")


def verdict_variance_eval(cases, results):
    """Deterministic: exact up to float32 rounding."""
    problem = shape_problem_variance(cases, results)
    if problem:
        return False, problem
    hint = eval_hint(cases[0], results[0]["eval"])
    return (True, "eval_var equals the input variance: eval-mode dropout is the identity") \
        if hint is None else (False, hint)


# === 2. recalibrate_bn ====================================================================
def is_norm(m):
    return isinstance(m, nn.modules.batchnorm._BatchNorm)


def make_recal_net(seed=0, dtype=torch.float64, p=0.5, momentum=(0.1, 0.05)):
    """Linear-BN-ReLU-Dropout-Linear-BN-ReLU-Dropout-Linear, with random BatchNorm weights
    and stale running statistics (as after some training with dropout on)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16, momentum=momentum[0]), nn.ReLU(),
                        nn.Dropout(p), nn.Linear(16, 12), nn.BatchNorm1d(12, momentum=momentum[1]),
                        nn.ReLU(), nn.Dropout(p), nn.Linear(12, 3)).to(dtype)
    return _stale(net, torch.randn(64, 8, dtype=dtype) * 2 + 1)


def _stale(net, x):
    """Random BatchNorm affine weights and running statistics from train-mode passes."""
    with torch.no_grad():
        for m in net.modules():
            if is_norm(m):
                m.weight.uniform_(0.5, 2.0)
                m.bias.uniform_(-1.0, 1.0)
        net.train()
        for _ in range(5):
            net(x)
    return net.eval()


@torch.no_grad()
def reference_bn_stats(model, x, batch_size):
    """The running statistics a correct recalibration leaves, computed by hand (float64).

    For each consecutive batch of x, walk the layers in order: every BatchNorm normalises
    with its batch's mean and biased variance (training behaviour) and records the batch
    mean and unbiased variance; dropout is skipped (eval); other layers run as they are.
    The result per BatchNorm: the plain average over batches (PyTorch's momentum=None)."""
    sums = {}
    batches = 0
    for batch in x.split(batch_size):
        h = batch
        for i, layer in enumerate(model):
            if is_norm(layer):
                dims = [0] + list(range(2, h.dim()))
                n = h.numel() // h.shape[1]
                shape = [1, -1] + [1] * (h.dim() - 2)
                hd = h.double()
                mu = hd.mean(dims)
                biased = hd.var(dims, unbiased=False)
                s = sums.setdefault(i, [0.0, 0.0])
                s[0], s[1] = s[0] + mu, s[1] + biased * n / (n - 1)
                hd = (hd - mu.view(shape)) / (biased.view(shape) + layer.eps).sqrt()
                h = (hd * layer.weight.double().view(shape)
                     + layer.bias.double().view(shape)).to(h.dtype)
            elif isinstance(layer, nn.modules.dropout._DropoutNd):
                continue
            else:
                h = layer(h)
        batches += 1
    return [(sums[i][0] / batches, sums[i][1] / batches) for i in sorted(sums)]


def stats_of(model):
    return [(m.running_mean.detach().clone(), m.running_var.detach().clone())
            for m in model.modules() if is_norm(m)]


def recal_case(model, x, batch_size=None):
    """One recalibration: the model (a deep copy goes to the learner), x, the batch size
    (None: use the default), and the references the judge needs."""
    bs = 256 if batch_size is None else batch_size
    return {"model": model, "x": x, "batch_size": batch_size, "bs": bs,
            "reference": reference_bn_stats(model, x, bs),
            "before": stats_of(model),
            "params": {k: v.detach().clone() for k, v in model.named_parameters()},
            "momenta": [m.momentum for m in model.modules() if is_norm(m)],
            "dtype": x.dtype}


@one_thread
def run_recal(recalibrate_bn, cases):
    """execute: recalibrate a copy of each model; report its statistics, modes and weights."""
    out = []
    for c in cases:
        model = copy.deepcopy(c["model"])
        x = c["x"].clone()
        if c["batch_size"] is None:
            recalibrate_bn(model, x)
        else:
            recalibrate_bn(model, x, batch_size=c["batch_size"])
        out.append({"stats": stats_of(model),
                    "training": [m.training for m in model.modules()],
                    "momenta": [m.momentum for m in model.modules() if is_norm(m)],
                    "params_same": all(torch.equal(v, c["params"][k])
                                       for k, v in model.named_parameters()),
                    "grads_none": all(v.grad is None for v in model.parameters()),
                    "x_same": bool(torch.equal(x, c["x"]))})
    return out


def _close(stats, ref, dtype):
    rtol, atol = (1e-9, 1e-12) if dtype == torch.float64 else (1e-4, 1e-6)
    return len(stats) == len(ref) and all(
        torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol)
        for pair, rpair in zip(stats, ref) for a, b in zip(pair, rpair))


@one_thread
def recal_hint(c, r):
    """Name the bug behind running statistics that differ from the reference."""
    got, ref, dtype = r["stats"], c["reference"], c["dtype"]
    x, bs = c["x"], c["bs"]
    if len(got) == len(c["before"]) and any(_close([g], [b], dtype)
                                            for g, b in zip(got, c["before"])):
        return ("a BatchNorm's running statistics did not change: put every BatchNorm (any "
                "_BatchNorm, 1d/2d/3d) in training mode while the batches go through")
    if _close(got, reference_bn_stats(c["model"], x, len(x)), dtype):
        return "all of x went through as one batch: feed x in batches of batch_size"
    if len(x) % bs and _close(got, reference_bn_stats(c["model"], x[:len(x) - len(x) % bs], bs),
                              dtype):
        return "the last, smaller batch was skipped: every example of x counts"
    if len(got) == len(ref):
        # dropout left on: the first BN (before any dropout) is right, later running
        # variances come out larger than the dropout-free ones
        first_ok = _close(got[:1], ref[:1], dtype)
        later_high = all((g[1].double().mean() > 1.05 * rf[1].double().mean()).item()
                         for g, rf in zip(got[1:], ref[1:]))
        if first_ok and later_high and len(got) > 1:
            return ("the BatchNorms after a dropout layer got too large a running variance: "
                    "dropout was on during recalibration (model.train() and "
                    "torch.optim.swa_utils.update_bn turn it on): keep dropout in eval mode")
        for g, rf, b in zip(got, ref, c["before"]):
            if not torch.allclose(g[0].double(), rf[0].double(), rtol=1e-4, atol=1e-6):
                return ("old statistics leaked in: reset_running_stats() and set "
                        "momentum=None, so every batch counts equally and nothing else does")
    return ("the running statistics differ from the reference: reset them, then average "
            "every batch's mean and unbiased variance equally (momentum=None), dropout off")


@one_thread
def verdict_recal_stats(cases, results):
    """Deterministic: compared with a hand computation to rounding (no false fails)."""
    for c, r in zip(cases, results):
        if not _close(r["stats"], c["reference"], c["dtype"]):
            return False, recal_hint(c, r)
    return True, ("every BatchNorm's running mean and variance equal the dropout-free "
                  "batch averages computed directly")


@one_thread
def cases_recal_stats():
    return [recal_case(make_recal_net(seed=0), torch.randn(1024, 8, dtype=torch.float64) * 1.5)]


def verdict_recal_mode(cases, results):
    """Deterministic."""
    c, r = cases[0], results[0]
    if any(r["training"]):
        return False, ("the model is left (partly) in training mode: finish with model.eval() "
                       "so dropout is off and BatchNorm uses its new running statistics")
    if r["momenta"] != c["momenta"]:
        return False, (f"momentum changed ({r['momenta']}, was {c['momenta']}): save each "
                       "BatchNorm's momentum and restore it afterwards")
    if not r["params_same"]:
        return False, "weights changed: recalibration only re-estimates running statistics"
    if not r["grads_none"]:
        return False, "gradients were computed: no backward pass is needed (torch.no_grad())"
    if not r["x_same"]:
        return False, "x was modified in place"
    return True, "model left in eval mode; momentum, weights and gradients untouched"


@one_thread
def cases_recal_mode():
    return [recal_case(make_recal_net(seed=1, momentum=(0.1, 0.05)),
                       torch.randn(512, 8, dtype=torch.float64), batch_size=128)]


# === 3. mask_ensemble =====================================================================
def make_ens_net(n_units, depth, p, seed, n_in=5, hidden=7, n_classes=4, dtype=torch.float64,
                 gain=2.0):
    """Linear -> Tanh -> Dropout(p) over n_units -> depth x (Linear, ReLU) -> Linear."""
    torch.manual_seed(seed)
    layers = [nn.Linear(n_in, n_units), nn.Tanh(), nn.Dropout(p)]
    width = n_units
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    net = nn.Sequential(*layers).to(dtype)
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(gain)
                m.bias.uniform_(-1, 1)
    return net.eval()


@torch.no_grad()
def enumerate_ensemble(model, x, uniform=False, rescale=True, keep_is_p=False):
    """Reference by itertools enumeration of the masks, in float64.

    The optional flags compute the usual wrong versions, for naming a learner's bug."""
    model = copy.deepcopy(model).double().eval()
    x = x.double()
    i = next(k for k, m in enumerate(model) if isinstance(m, nn.Dropout))
    p = model[i].p
    keep = p if keep_is_p else 1.0 - p
    h = model[:i](x)
    n = h.shape[-1]
    masks = torch.tensor(list(itertools.product((0.0, 1.0), repeat=n)), dtype=torch.float64)
    kept = masks.sum(1)
    probs = keep ** kept * (1.0 - keep) ** (n - kept)
    if uniform:
        probs = torch.full_like(kept, 0.5 ** n)
    logits = model[i + 1:](masks[:, None, :] * h[None] / ((1.0 - p) if rescale else 1.0))
    w = probs[:, None, None]
    log_geo = (w * logits.log_softmax(-1)).sum(0)
    return {"arithmetic": (w * logits.softmax(-1)).sum(0), "geometric": log_geo.softmax(-1),
            "unnormalised": log_geo.exp(), "weight_scaled": model(x).softmax(-1)}


@torch.no_grad()
def eval_scaled_wrongly(model, x):
    """softmax of the eval net with the dropped layer's input also multiplied by (1-p)."""
    model = copy.deepcopy(model).double().eval()
    i = next(k for k, m in enumerate(model) if isinstance(m, nn.Dropout))
    return model[i + 1:](model[:i](x.double()) * (1 - model[i].p)).softmax(-1)


def ens_case(n_units, depth, p, seed, batch, dtype=torch.float64, n_classes=4, train_mode=False):
    model = make_ens_net(n_units, depth, p, seed, n_classes=n_classes, dtype=dtype)
    x = torch.randn(batch, 5, generator=torch.Generator().manual_seed(seed + 100)).to(dtype)
    if train_mode:
        model.train()
    return {"model": model, "x": x, "dtype": dtype, "train_mode": train_mode,
            "ref": enumerate_ensemble(model, x)}


def wrong_versions(c):
    """The usual wrong answers for case c, computed only when a result is wrong."""
    m, x = c["model"], c["x"]
    return {"uniform": enumerate_ensemble(m, x, uniform=True),
            "no_rescale": enumerate_ensemble(m, x, rescale=False),
            "keep_is_p": enumerate_ensemble(m, x, keep_is_p=True),
            "eval_scaled": eval_scaled_wrongly(m, x)}


@one_thread
def run_ensemble(mask_ensemble, cases):
    """execute: the learner's dict for each case (twice when the model is in train mode)."""
    out = []
    for c in cases:
        model = copy.deepcopy(c["model"])
        result = mask_ensemble(model, c["x"].clone())
        if not isinstance(result, dict):
            raise TypeError(f"mask_ensemble must return a dict with keys {ENSEMBLE_KEYS}")
        row = {k: torch.as_tensor(result[k]).detach().clone() for k in ENSEMBLE_KEYS
               if k in result}
        row["keys"] = sorted(str(k) for k in result)
        if c["train_mode"]:
            again = mask_ensemble(copy.deepcopy(c["model"]), c["x"].clone())
            row["again"] = {k: torch.as_tensor(again[k]).detach().clone()
                            for k in ENSEMBLE_KEYS if k in again}
        out.append(row)
    return out


def _tol(dtype):
    return 1e-6 if dtype == torch.float64 else 2e-5


def _matches(got, want, dtype):
    return (got is not None and got.shape == want.shape
            and torch.allclose(got.double(), want.double(), rtol=0, atol=_tol(dtype)))


@one_thread
def ensemble_problem(c, r, key, show=True):
    """None when r[key] is right, else a hint naming the bug."""
    missing = [k for k in ENSEMBLE_KEYS if k not in r]
    if missing:
        return (f"the dict lacks {missing}: return exactly the keys {list(ENSEMBLE_KEYS)} "
                f"(got {r['keys']})")
    got, ref = r[key], c["ref"]
    if got.shape != ref[key].shape:
        return (f"'{key}' has shape {tuple(got.shape) if show else '(wrong)'}: return one row "
                "of class probabilities per example")
    if _matches(got, ref[key], c["dtype"]):
        return None
    c = {**c, **wrong_versions(c)}
    sums = got.double().sum(-1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        if key == "geometric" and _matches(got, ref["unnormalised"], c["dtype"]):
            return ("'geometric' is not normalised: divide the weighted geometric mean by its "
                    "sum over classes (or take softmax of the weighted mean log-probabilities)")
        return f"'{key}' rows do not sum to 1: return probabilities (softmax), not logits"
    if key != "weight_scaled":
        if _matches(got, c["uniform"][key], c["dtype"]):
            return (f"'{key}' weights every mask equally: weight each by its probability "
                    "(1-p)^kept * p^dropped (equal only at p = 0.5)")
        if _matches(got, c["no_rescale"][key], c["dtype"]):
            return (f"'{key}': the kept units were not divided by (1-p); each mask's net must "
                    "be the training-time one, m * h / (1-p)")
        if _matches(got, c["keep_is_p"][key], c["dtype"]):
            return f"'{key}': p is the DROP probability; a unit is kept with probability 1-p"
        other = "geometric" if key == "arithmetic" else "arithmetic"
        if _matches(got, ref[other], c["dtype"]):
            return (f"'{key}' holds the {other} mean" + (
                " (the softmax of the averaged logits IS the normalised geometric mean): "
                "average the probabilities" if key == "arithmetic" else ""))
        if key == "arithmetic" and _matches(got, ref["weight_scaled"], c["dtype"]):
            return ("'arithmetic' equals the weight-scaled prediction: average the "
                    "probabilities of every mask's net (averaging logits first is not it)")
    else:
        if _matches(got, c["eval_scaled"], c["dtype"]):
            return ("'weight_scaled' multiplies by (1-p) at eval: with inverted dropout the "
                    "eval-mode net is used as it is (that is the weight-scaling rule)")
        if _matches(got, ref["geometric"], c["dtype"]) or _matches(got, ref["arithmetic"],
                                                                     c["dtype"]):
            return "'weight_scaled' must be the eval-mode net's softmax, not a mask average"
    err = (got.double() - ref[key].double()).abs().max().item()
    return f"'{key}' differs from the enumeration" + (f" by up to {err:.3g}" if show else "")


def ensemble_verdict(key, what):
    def verdict(cases, results):
        """Deterministic: compared with an independent enumeration to 1e-6 (float64)."""
        for c, r in zip(cases, results):
            problem = ensemble_problem(c, r, key)
            if problem:
                return False, problem
        return True, what
    return verdict


@one_thread
def cases_ensemble():
    return [ens_case(n_units=6, depth=1, p=0.3, seed=0, batch=9)]


@one_thread
def cases_identity():
    return [ens_case(n_units=8, depth=0, p=0.4, seed=1, batch=6)]


def verdict_identity(cases, results):
    """Deterministic: to 1e-6 in float64."""
    c, r = cases[0], results[0]
    for key in ("geometric", "weight_scaled"):
        problem = ensemble_problem(c, r, key)
        if problem:
            return False, problem
    gap = (r["geometric"].double() - r["weight_scaled"].double()).abs().max().item()
    if gap > 1e-6:
        return False, f"geometric and weight_scaled differ by {gap:.3g} for one softmax layer"
    ari = (r["arithmetic"].double() - r["weight_scaled"].double()).abs().max().item() \
        if "arithmetic" in r else float("nan")
    return True, (f"one softmax layer: geometric = weight_scaled to {gap:.1e} "
                  f"(the arithmetic mean is {ari:.3f} away)")


# === The stress tier ======================================================================
# The properties the grader also tests, with these builders and verdicts, on other inputs
# (hidden.py): here each runs on this notebook's own seeds, sizes and values of p. All are
# deterministic (exact up to rounding), so none fails a correct answer by chance.
def cases_variance_many_p(seed, ps, shape=(3, 4)):
    """Means (one of them exactly 0) and variances drawn from seed, at every p of ps."""
    def cases():
        gen = torch.Generator().manual_seed(seed)
        mean = torch.randn(*shape, generator=gen, dtype=torch.float64) * 2
        mean.view(-1)[0] = 0.0
        var = torch.rand(*shape, generator=gen, dtype=torch.float64) * 3 + 0.1
        return [{"mean": mean, "var": var, "p": p} for p in ps]
    return cases


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
    return True, "train and eval variance right for p from 0 to near 1"


def cases_variance_dtype(shape, p):
    """float32 means and variances of the given shape, evenly spaced."""
    def cases():
        n = math.prod(shape)
        return [{"mean": torch.linspace(-2, 2, n).reshape(shape),
                 "var": torch.linspace(0.1, 3, n).reshape(shape), "p": p}]
    return cases


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


def make_conv_net(seed=3):
    """Conv-BN2d-ReLU-Dropout2d-Conv-BN2d-ReLU-Flatten-Dropout-Linear-BN1d on 8x8 inputs,
    with stale running statistics."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(3, 6, 3), nn.BatchNorm2d(6), nn.ReLU(), nn.Dropout2d(0.3),
                        nn.Conv2d(6, 5, 3), nn.BatchNorm2d(5), nn.ReLU(), nn.Flatten(),
                        nn.Dropout(0.4), nn.Linear(5 * 4 * 4, 7), nn.BatchNorm1d(7))
    return _stale(net, torch.randn(16, 3, 8, 8) + 0.5)


def cases_recal_conv(seed, n, batch_size):
    """A conv net (BatchNorm2d and Dropout2d too) and n inputs in batches of batch_size."""
    @one_thread
    def cases():
        gen = torch.Generator().manual_seed(seed)
        return [recal_case(make_conv_net(seed), torch.randn(n, 3, 8, 8, generator=gen),
                           batch_size=batch_size)]
    return cases


def cases_recal_batches(seed, n, sizes):
    """The MLP in float64 and float32, n inputs, batch sizes that do not divide n."""
    @one_thread
    def cases():
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(n, 8, generator=gen, dtype=torch.float64)
        return [recal_case(make_recal_net(seed=seed + 1), x, batch_size=sizes[0]),
                recal_case(make_recal_net(seed=seed + 2, dtype=torch.float32), x.float(),
                           batch_size=sizes[1])]
    return cases


@one_thread
def verdict_recal_other(cases, results):
    """Deterministic: a hand computation, to float32 / float64 rounding."""
    for c, r in zip(cases, results):
        if not _close(r["stats"], c["reference"], c["dtype"]):
            return False, recal_hint(c, r)
        if any(r["training"]):
            return False, "the model is left (partly) in training mode: finish with model.eval()"
    return True, "running statistics right"


def cases_ensemble_many(specs):
    """specs: ens_case keyword arguments, one case each."""
    return one_thread(lambda: [ens_case(**s) for s in specs])


def verdict_ensemble_many(cases, results):
    """Deterministic: 1e-6 (float64) or 2e-5 (float32) against an independent enumeration."""
    for c, r in zip(cases, results):
        for key in ENSEMBLE_KEYS:
            problem = ensemble_problem(c, r, key, show=False)
            if problem:
                return False, problem + " (other widths, p or dtypes)"
    return True, "all three predictions right for other widths, p, classes and dtypes"


def cases_ensemble_train_mode(**spec):
    return one_thread(lambda: [ens_case(train_mode=True, **spec)])


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


def property_checks(names=None, after=None, variance_ps=(0.0, 0.2, 0.6, 0.95),
                    variance_seed=40, dtype_case=((2, 4), 0.4), conv=(41, 45, 16),
                    batches=(42, 100, (64, 30)),
                    ensembles=({"n_units": 2, "depth": 1, "p": 0.6, "seed": 43, "batch": 2,
                                "n_classes": 3},
                               {"n_units": 10, "depth": 2, "p": 0.15, "seed": 44, "batch": 3},
                               {"n_units": 4, "depth": 0, "p": 0.85, "seed": 45, "batch": 5,
                                "dtype": torch.float32}),
                    train_mode={"n_units": 5, "depth": 1, "p": 0.4, "seed": 46, "batch": 4}):
    """The property checks, [Check], on the inputs given: the stress tier with these
    defaults, the hidden checks with the grader's. names maps a check's key to its name;
    after maps it to the checks whose failure explains its own."""
    names, after = names or {}, after or {}

    def mk(key, title, target, hint, prepare, execute, judge, base=()):
        return Check(names.get(key, key), title, target, hint, prepare, execute, judge,
                     tuple(base) + tuple(after.get(key, ())))
    return [
        mk("variance_many_p", "variance at p far from 0.3", "dropout_variance",
           "(var + mean^2)/(1-p) - mean^2 for every p in [0, 1)",
           cases_variance_many_p(variance_seed, variance_ps), run_variance,
           verdict_variance_many_p),
        mk("variance_dtype", "variance keeps dtype and shape", "dropout_variance",
           "elementwise, in the input's dtype", cases_variance_dtype(*dtype_case),
           run_variance, verdict_variance_dtype),
        mk("recal_conv", "recalibration of a conv net", "recalibrate_bn",
           "every _BatchNorm (2d too), dropout of every kind off", cases_recal_conv(*conv),
           run_recal, verdict_recal_other, ("recal_stats",)),
        mk("recal_batches", "recalibration with a ragged last batch", "recalibrate_bn",
           "every example counts; batches of batch_size, the last one smaller",
           cases_recal_batches(*batches), run_recal, verdict_recal_other, ("recal_stats",)),
        mk("ensemble_many", "ensemble at other widths, p and dtypes", "mask_ensemble",
           "any width, any p in [0, 1), float32 and float64",
           cases_ensemble_many(ensembles), run_ensemble, verdict_ensemble_many),
        mk("ensemble_train_mode", "ensemble of a model in train mode", "mask_ensemble",
           "exact and repeatable whatever the model's mode",
           cases_ensemble_train_mode(**train_mode), run_ensemble,
           verdict_ensemble_train_mode),
    ]


STRESS_NAMES = {"variance_many_p": "variance_far_p", "variance_dtype": "variance_float32",
                "recal_conv": "recal_conv_net", "recal_batches": "recal_ragged",
                "ensemble_many": "ensemble_sizes", "ensemble_train_mode": "ensemble_any_mode"}


HINTS = {
    "dropout_variance": [
        "Write the training output as y = m x / (1 - p), m a keep indicator independent of x, "
        "and work out its first two moments; at eval, dropout changes nothing.",
        "E[y] is still the mean. E[y^2] = E[m^2] E[x^2] / (1 - p)^2 with E[m^2] = 1 - p, "
        "and E[x^2] = var + mean^2.",
        "train_var = (var + mean^2) / (1 - p) - mean^2 (the mean term is what var / (1 - p) "
        "forgets), eval_var = var; plain elementwise tensor arithmetic keeps the shape and "
        "dtype, and new tensors leave the inputs alone."],
    "recalibrate_bn": [
        "While the batches go through, two things must hold at once: dropout off and every "
        "BatchNorm collecting statistics. model.train() turns both on and model.eval() both "
        "off, so set the modes module by module.",
        "Put the whole model in eval mode, then only the _BatchNorm modules (1d, 2d and 3d) "
        "in train mode; reset their running statistics and set their momentum to None, so "
        "that every batch counts equally and nothing old remains.",
        "Feed x.split(batch_size) under torch.no_grad(), the last, smaller batch included; "
        "then restore each BatchNorm's saved momentum and finish with model.eval()."],
    "mask_ensemble": [
        "Split the Sequential at its Dropout: the part before gives h once, the part after "
        "gives the logits for any mask. Exact means no sampling: go through every mask, in "
        "eval mode, and give the model back in the mode it came in.",
        "Each of the 2^n masks is a row of binary digits; its probability is "
        "(1 - p)^kept * p^dropped, and its net sees m * h / (1 - p). All masks fit in one "
        "batch of shape (2^n, batch, n).",
        "arithmetic: the probability-weighted sum of the softmaxes; geometric: the softmax "
        "of the probability-weighted sum of log-softmaxes (which renormalises it); "
        "weight_scaled: the softmax of the eval-mode model on x."],
}


VISIBLE = CheckSet("Dropout and BatchNorm checks", [
    Check("variance_train", "train variance matches sampling", "dropout_variance",
          "Var(m x/(1-p)) = (var + mean^2)/(1-p) - mean^2",
          cases_variance_train, run_variance, verdict_variance_train),
    Check("variance_eval", "eval variance is the input's", "dropout_variance",
          "eval-mode dropout is the identity",
          cases_variance_eval, run_variance, verdict_variance_eval),
    Check("recal_stats", "recalibrated statistics are right", "recalibrate_bn",
          "dropout off, BatchNorm collecting, every batch weighted equally",
          cases_recal_stats, run_recal, verdict_recal_stats),
    Check("recal_mode", "recalibration leaves an eval model", "recalibrate_bn",
          "ends in eval mode; momentum, weights and grads untouched",
          cases_recal_mode, run_recal, verdict_recal_mode),
    Check("ensemble_arithmetic", "exact arithmetic mean", "mask_ensemble",
          "sum over all 2^n masks of P(mask) * softmax(net_mask(x))",
          cases_ensemble, run_ensemble,
          ensemble_verdict("arithmetic", "'arithmetic' equals the enumeration of all masks")),
    Check("ensemble_geometric", "normalised geometric mean", "mask_ensemble",
          "prod over masks of softmax^P(mask), renormalised",
          cases_ensemble, run_ensemble,
          ensemble_verdict("geometric", "'geometric' equals the enumeration of all masks")),
    Check("ensemble_weight_scaled", "weight-scaled prediction", "mask_ensemble",
          "softmax of the eval-mode net",
          cases_ensemble, run_ensemble,
          ensemble_verdict("weight_scaled", "'weight_scaled' is the eval-mode net's softmax")),
    Check("geometric_identity", "one softmax layer: geometric = weight-scaled", "mask_ensemble",
          "logits affine in the mask, so the geometric mean is softmax(E[logits])",
          cases_identity, run_ensemble, verdict_identity,
          after=("ensemble_geometric", "ensemble_weight_scaled")),
], stress=property_checks(names=STRESS_NAMES))
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test
