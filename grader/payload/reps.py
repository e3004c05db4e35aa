"""Coding reps: write a classic piece of dropout code from a blank cell, against the clock.

`make release` pastes this file into interview_simulator.ipynb after simulator.py, and gives
each rep three cells: start_rep(ID) (the task and the clock), a blank stub, and
check_rep(ID, globals()) (the checks, the time taken, a card in progress.json: 2 when every
check passes in time, 1 when they pass over time, 0 otherwise). NumPy and the standard
library; torch only inside the check of the rep that needs it. The random checks hold 6-sigma
bounds: a correct answer fails one with probability about 2e-9 (FALSE_FAIL); tests/test_reps.py
runs each model solution over 300 seeds.
"""
import math
import time

import numpy as np

from grader.payload.progress import load_progress, record_card
from grader.payload.simulator import schedule, wrap

SIGMAS = 6.0
FALSE_FAIL = 2e-9  # two-sided normal tail beyond 6 sigma, per random check

REPS = [
    {"id": "rep:dropout_numpy", "drill": "drill01_dropout", "concept": "implementation",
     "minutes": 8, "title": "Dropout forward and backward in NumPy",
     "names": ["dropout_forward", "dropout_backward"],
     "task": "Write inverted dropout for a NumPy array. `dropout_forward(x, p, rng, "
             "train=True)` returns `(out, cache)`: p is the probability of DROPPING an "
             "element, the mask is drawn with `rng.random(x.shape)`, survivors are scaled so "
             "the expectation is unchanged, and outside training (or at p = 0) the input "
             "comes back as it is. `dropout_backward(dout, cache)` returns the gradient with "
             "respect to x. The check compares it with a numerical gradient.",
     "stub": "def dropout_forward(x, p, rng, train=True):\n"
             "    raise NotImplementedError\n\n\n"
             "def dropout_backward(dout, cache):\n"
             "    raise NotImplementedError",
     "solution": "def dropout_forward(x, p, rng, train=True):\n"
                 "    if not train or p == 0:\n"
                 "        return x, None\n"
                 "    mask = (rng.random(x.shape) >= p) / (1 - p)\n"
                 "    return x * mask, mask\n\n\n"
                 "def dropout_backward(dout, cache):\n"
                 "    return dout if cache is None else dout * cache"},
    {"id": "rep:export_fold", "drill": "drill02_export", "concept": "export-fold",
     "minutes": 6, "title": "The export fold for the paper's dropout",
     "names": ["fold_dropout"],
     "task": "A net was trained with the 2014 paper's dropout (no scaling in training): "
             "`layers` is a list of `(W, b)` NumPy pairs, `y = x @ W + b`, and `dropped` the "
             "set of layer indices whose INPUT was dropped with drop probability p. Write "
             "`fold_dropout(layers, p, dropped)`: new `(W, b)` pairs for an engine with no "
             "dropout, matching the trained net's expectation. Leave the input arrays "
             "untouched.",
     "stub": "def fold_dropout(layers, p, dropped):\n    raise NotImplementedError",
     "solution": "def fold_dropout(layers, p, dropped):\n"
                 "    return [(W * (1 - p), b.copy()) if i in dropped else (W.copy(), b.copy())\n"
                 "            for i, (W, b) in enumerate(layers)]"},
    {"id": "rep:mc_dropout", "drill": "drill03_mc_dropout", "concept": "mc-variance",
     "minutes": 5, "title": "MC dropout: the mean and the spread of T passes",
     "names": ["mc_mean_std"],
     "task": "`forward(x, rng)` is one stochastic forward pass with dropout on. Write "
             "`mc_mean_std(forward, x, T, rng)`: call it T times on the same input and return "
             "`(mean, std)` over the passes, element by element (std with ddof 0 or 1).",
     "stub": "def mc_mean_std(forward, x, T, rng):\n    raise NotImplementedError",
     "solution": "def mc_mean_std(forward, x, T, rng):\n"
                 "    ys = np.stack([forward(x, rng) for _ in range(T)])\n"
                 "    return ys.mean(axis=0), ys.std(axis=0, ddof=1)"},
    {"id": "rep:drop_path", "drill": "drill04_variants", "concept": "drop-path",
     "minutes": 5, "title": "DropPath: stochastic depth per sample",
     "names": ["drop_path"],
     "task": "`x` is a residual branch's output for a batch, shape (N, ...); the block "
             "returns `skip + drop_path(x, p, rng)`. Write `drop_path(x, p, rng, "
             "train=True)`: each sample's WHOLE branch is dropped with probability p, so "
             "that sample's block is only its skip connection (stochastic depth, Huang et al. "
             "2016, drew one decision per block for the whole mini-batch and scaled at test "
             "time; you write timm's drop_path: one draw per sample, kept branches scaled by "
             "1 / (1 - p) in training). Draw with `rng.random`; outside training (or at "
             "p = 0) x comes back as it is. Any number of dimensions after N.",
     "stub": "def drop_path(x, p, rng, train=True):\n    raise NotImplementedError",
     "solution": "def drop_path(x, p, rng, train=True):\n"
                 "    if not train or p == 0:\n"
                 "        return x\n"
                 "    shape = (x.shape[0],) + (1,) * (x.ndim - 1)\n"
                 "    keep = rng.random(shape) >= p\n"
                 "    return x * keep / (1 - p)"},
    {"id": "rep:variance_shift", "drill": "drill05_batchnorm", "concept": "bn-shift",
     "minutes": 5, "title": "The variance shift, on paper",
     "names": ["variance_shift"],
     "task": "A unit's input x has mean `mean` and variance `var`; inverted dropout with drop "
             "probability p follows it (survivors scaled by 1 / (1 - p), mask independent of "
             "x). Write `variance_shift(mean, var, p)`: return `(train_var, ratio)`, the "
             "variance of the dropout's output in training mode and the ratio of the "
             "eval-mode variance to it (eval / train). The check compares your formula with "
             "a simulation.",
     "stub": "def variance_shift(mean, var, p):\n    raise NotImplementedError",
     "solution": "def variance_shift(mean, var, p):\n"
                 "    train_var = (var + mean ** 2) / (1 - p) - mean ** 2  # E[y^2] - E[y]^2\n"
                 "    return train_var, var / train_var"},
    {"id": "rep:seeded_mask", "drill": "drill06_at_scale", "concept": "seeded-masks",
     "minutes": 8, "title": "A dropout mask drawn again from its seed and offset",
     "names": ["seeded_dropout", "seeded_dropout_backward"],
     "task": "Backward must not keep the mask: it draws it again. Write "
             "`seeded_dropout(x, p, seed, offset)` (inverted dropout of a torch tensor, p the "
             "DROP probability) and `seeded_dropout_backward(grad_out, p, seed, offset)` (the "
             "gradient with respect to x). The mask is a function of (seed, offset) alone: "
             "element i of the flattened tensor uses number offset + i of the stream of a "
             "private `torch.Generator` seeded with `seed`, so a slice of a bigger tensor "
             "that starts at k gets that tensor's mask from k on (the part a fused kernel's "
             "Philox offset plays). The global generator must not move.",
     "stub": "import torch\n\n\ndef seeded_dropout(x, p, seed, offset):\n"
             "    raise NotImplementedError\n\n\n"
             "def seeded_dropout_backward(grad_out, p, seed, offset):\n"
             "    raise NotImplementedError",
     "solution": "import torch\n\n\ndef keep_mask(t, p, seed, offset):\n"
                 "    gen = torch.Generator().manual_seed(seed)\n"
                 "    u = torch.rand(offset + t.numel(), generator=gen)[offset:]\n"
                 "    return ((u >= p) / (1 - p)).view(t.shape).to(t.dtype)\n\n\n"
                 "def seeded_dropout(x, p, seed, offset):\n"
                 "    return x * keep_mask(x, p, seed, offset)\n\n\n"
                 "def seeded_dropout_backward(grad_out, p, seed, offset):\n"
                 "    return grad_out * keep_mask(grad_out, p, seed, offset)"},
]
_STARTED = {}  # rep id -> when start_rep was called


def rep(rep_id):
    found = [r for r in REPS if r["id"] == rep_id or r["id"] == "rep:" + rep_id]
    if not found:
        raise ValueError(f"no rep {rep_id!r}; the reps: {', '.join(r['id'] for r in REPS)}")
    return found[0]


def _within(got, want, sd, what):
    """None when |got - want| <= SIGMAS * sd, else the failure message."""
    if abs(got - want) <= SIGMAS * sd:
        return None
    return f"{what}: {got:.4f}, expected {want:.4f} ± {SIGMAS * sd:.4f} (6 sigma)"


def check_dropout_numpy(ns, seed=0):
    """Messages of failed checks (an empty list when all pass)."""
    fwd, bwd = ns["dropout_forward"], ns["dropout_backward"]
    rng = np.random.default_rng(seed)
    x = np.ones(200_000)
    p = 0.3
    out, _ = fwd(x.copy(), p, rng)
    fails = []
    if np.shape(out) != x.shape:
        return [f"the output's shape is {np.shape(out)}, not the input's {x.shape}"]
    n = x.size
    fails.append(_within(float(np.mean(out == 0)), p, math.sqrt(p * (1 - p) / n),
                         "share of zeros (p is the DROP probability)"))
    fails.append(_within(float(np.mean(out)), 1.0, math.sqrt(p / (1 - p) / n),
                         "mean output (survivors are scaled by 1 / (1 - p))"))
    kept = out[out != 0]
    if kept.size and not np.allclose(kept, 1 / (1 - p)):
        fails.append("survivors must be x / (1 - p): divide by the keep probability")
    small = rng.normal(size=(4, 5))
    if not np.array_equal(fwd(small, p, rng, train=False)[0], small):
        fails.append("outside training the input must come back unchanged")
    if not np.array_equal(fwd(small, 0.0, rng)[0], small):
        fails.append("at p = 0 the input must come back unchanged")
    w = rng.normal(size=small.shape)
    out, cache = fwd(small, 0.5, np.random.default_rng(seed + 1))
    grad = bwd(w, cache)
    eps, numeric = 1e-6, np.zeros_like(small)
    for idx in np.ndindex(small.shape):
        plus, minus = small.copy(), small.copy()
        plus[idx] += eps
        minus[idx] -= eps
        f = [np.sum(w * fwd(z, 0.5, np.random.default_rng(seed + 1))[0]) for z in (plus, minus)]
        numeric[idx] = (f[0] - f[1]) / (2 * eps)
    if np.shape(grad) != small.shape or not np.allclose(grad, numeric, rtol=1e-5, atol=1e-7):
        fails.append("the backward pass does not match the numerical gradient: the gradient "
                     "is dout times the same scaled mask as the forward pass")
    return [f for f in fails if f]


def check_export_fold(ns, seed=0):
    fold = ns["fold_dropout"]
    rng = np.random.default_rng(seed)
    layers = [(rng.normal(size=(4, 6)), rng.normal(size=6)),
              (rng.normal(size=(6, 5)), rng.normal(size=5)),
              (rng.normal(size=(5, 2)), rng.normal(size=2))]
    copies = [(W.copy(), b.copy()) for W, b in layers]
    p, dropped = 0.4, {1, 2}
    got = fold(layers, p, dropped)
    fails = []
    if any(not (np.array_equal(W, W0) and np.array_equal(b, b0))
           for (W, b), (W0, b0) in zip(layers, copies)):
        fails.append("the input arrays changed: work on copies")
    if len(got) != len(layers):
        return fails + [f"{len(got)} layers back, expected {len(layers)}"]
    for i, ((W, b), (W0, b0)) in enumerate(zip(got, copies)):
        keep = 1 - p if i in dropped else 1.0
        if not np.allclose(b, b0):
            fails.append(f"layer {i}: the bias must not be scaled (it never saw dropout)")
        if not np.allclose(W, W0 * keep):
            fails.append(f"layer {i}: expected its weights times {keep:g}: scale by the keep "
                         "probability 1 - p, only the layers whose input was dropped")
    return fails


def check_mc_dropout(ns, seed=0):
    mc = ns["mc_mean_std"]
    rng = np.random.default_rng(seed)
    calls = []

    def listed(x, rng_):
        calls.append(rng_)
        return x * len(calls)  # pass k gives k * x: known mean and spread

    x = np.array([1.0, -2.0, 0.5])
    mean, std = mc(listed, x, 5, rng)
    if np.shape(mean) != x.shape or np.shape(std) != x.shape:
        return [f"mean and std must have the input's shape {x.shape} (reduce over the passes "
                f"only); got {np.shape(mean)} and {np.shape(std)}"]
    fails = []
    if len(calls) != 5:
        fails.append(f"forward was called {len(calls)} times, expected T = 5")
    ks = np.arange(1, 6)
    if not np.allclose(mean, x * ks.mean()):
        fails.append("the mean over the passes is wrong (average the T outputs)")
    spread = [np.abs(x) * ks.std(ddof=d) for d in (0, 1)]
    if not any(np.allclose(std, s) for s in spread):
        fails.append("the std over the passes is wrong (spread of the T outputs, per element)")
    if any(r is not rng for r in calls):
        fails.append("pass the rng on to forward: the passes must draw from it")
    p, T = 0.5, 1000

    def dropout(x_, rng_):
        return x_ * (rng_.random(x_.shape) >= p) / (1 - p)

    mean, std = mc(dropout, np.full(3, 2.0), T, rng)
    # one pass is 0 or 4: mean 2, std 2; the mean of T passes has sd 2 / sqrt(T)
    fails += [_within(float(m), 2.0, 2.0 / math.sqrt(T), "MC mean of x = 2 at p = 0.5")
              for m in np.ravel(mean)]
    return [f for f in fails if f]


def check_drop_path(ns, seed=0):
    drop = ns["drop_path"]
    rng = np.random.default_rng(seed)
    n, p = 20_000, 0.3
    x = np.ones((n, 3, 4))
    out = np.asarray(drop(x.copy(), p, rng))
    if out.shape != x.shape:
        return [f"the output's shape is {out.shape}, not the input's {x.shape}"]
    flat, fails = out.reshape(n, -1), []
    if not np.all(flat == flat[:, :1]):
        fails.append("one draw per sample: each sample's whole branch is kept or dropped, "
                     "never single elements")
    dropped = flat[:, 0] == 0
    fails.append(_within(float(dropped.mean()), p, math.sqrt(p * (1 - p) / n),
                         "share of dropped samples (p is the DROP probability)"))
    if (flat != 0).any() and not np.allclose(flat[flat != 0], 1 / (1 - p)):
        fails.append("kept branches must be x / (1 - p): divide by the keep probability")
    small = rng.normal(size=(4, 2, 3, 3))
    if not np.array_equal(drop(small, p, rng, train=False), small):
        fails.append("outside training x must come back unchanged")
    if not np.array_equal(drop(small, 0.0, rng), small):
        fails.append("at p = 0 x must come back unchanged")
    try:
        for shape in ((6, 5), (6, 2, 3, 3)):
            y = np.asarray(drop(np.ones(shape), 0.5, rng))
            assert y.shape == shape and np.all(y.reshape(6, -1) == y.reshape(6, -1)[:, :1])
    except (AssertionError, ValueError):
        fails.append("any number of dimensions after N: a mask of shape (N, 1, ..., 1)")
    return [f for f in fails if f]


SHIFT_CASES = [  # mean, var, p, what a wrong answer here most likely misses
    (0.0, 2.0, 0.3, "at mean 0 it is var / (1 - p): the scale 1 / (1 - p) squared, times the "
                    "keep probability 1 - p (p is the DROP probability)"),
    (1.5, 1.0, 0.3, "the mean adds to it too: E[y^2] = (var + mean^2) / (1 - p), then "
                    "subtract mean^2"),
    (-2.0, 0.5, 0.1, "the mean adds to it too: E[y^2] = (var + mean^2) / (1 - p), then "
                     "subtract mean^2"),
]


def check_variance_shift(ns, seed=0, n=100_000):
    """Against a simulation of n draws; its standard error is estimated from the draws."""
    rng = np.random.default_rng(seed)
    fails = []
    for mean, var, p, why in SHIFT_CASES:
        train_var, ratio = (float(v) for v in ns["variance_shift"](mean, var, p))
        x = rng.normal(mean, math.sqrt(var), n)
        y = x * (rng.random(n) >= p) / (1 - p)
        dev = (y - y.mean()) ** 2
        bad = _within(train_var, float(dev.mean()), float(dev.std()) / math.sqrt(n),
                      f"train-mode variance at mean {mean:g}, var {var:g}, p {p:g} "
                      "(simulated)")
        if bad:
            fails.append(f"{bad}; {why}")
        elif not math.isclose(ratio, var / train_var, rel_tol=1e-6):
            fails.append(f"ratio {ratio:.4f}: it is eval over train, var / train_var, "
                         "below 1 (eval mode sees the smaller variance)")
    return fails


def check_seeded_mask(ns, seed=0):
    import torch  # here, not at the top: the release step reads REPS without torch
    fwd, bwd = ns["seeded_dropout"], ns["seeded_dropout_backward"]
    n, p, s, offset = 100_000, 0.3, 1000 + seed, 7
    state = torch.get_rng_state()
    out = fwd(torch.ones(n), p, s, offset)
    fails = []
    if not torch.equal(torch.get_rng_state(), state):
        fails.append("the global generator moved: draw from a private torch.Generator")
    if tuple(out.shape) != (n,):
        return fails + [f"the output's shape is {tuple(out.shape)}, not the input's ({n},)"]
    kept = out != 0
    fails.append(_within(1 - kept.double().mean().item(), p, math.sqrt(p * (1 - p) / n),
                         "share of zeros (p is the DROP probability)"))
    if kept.any() and not torch.allclose(out[kept].double(), torch.tensor(1 / (1 - p)).double()):
        fails.append("survivors must be x / (1 - p): divide by the keep probability")
    torch.rand(3)  # the rest of the step moves the global generator before backward
    grad = bwd(torch.ones(n), p, s, offset)
    if not (torch.equal(grad != 0, kept) and torch.allclose(grad, out)):
        fails.append("backward must draw the same mask again from (seed, offset): its "
                     "gradient is not the forward's scaled mask")
    if torch.equal(fwd(torch.ones(n), p, s + 1, offset), out):
        fails.append("another seed gave the same mask: seed the generator with `seed`")
    if not torch.equal(fwd(torch.ones(offset + n), p, s, 0)[offset:], out):
        fails.append("the offset: element i uses number offset + i of the seed's stream, so a "
                     "slice from k gets the whole tensor's mask from k on")
    x = torch.randn(4, 5, 6, generator=torch.Generator().manual_seed(seed))
    y, g = fwd(x, p, s, 0), bwd(torch.ones(4, 5, 6), p, s, 0)
    if tuple(y.shape) != (4, 5, 6) or not torch.allclose(y, x * g):
        fails.append("a 3-D x: the mask must take x's shape, and backward the same mask")
    return [f for f in fails if f]


CHECKS = {"rep:dropout_numpy": check_dropout_numpy, "rep:export_fold": check_export_fold,
          "rep:mc_dropout": check_mc_dropout, "rep:drop_path": check_drop_path,
          "rep:variance_shift": check_variance_shift, "rep:seeded_mask": check_seeded_mask}


def start_rep(rep_id):
    """Print the task and start its clock; then write the code in the blank cell below."""
    r = rep(rep_id)
    _STARTED[r["id"]] = time.time()
    print(wrap(f"{r['title']} ({r['minutes']} minutes, from a blank cell, no notes).\n\n"
               f"{r['task']}\n\nThe clock runs: write it in the next cell, run it, then run "
               "the check."))


def check_rep(rep_id, namespace, path=None, now=None):
    """Run the rep's checks on your code, tell the time taken and record a card."""
    r = rep(rep_id)
    now = time.time() if now is None else now
    missing = [n for n in r["names"] if not callable(namespace.get(n))]
    if missing:
        print(f"Define {', '.join(missing)} first (run the cell with your code).")
        return None
    try:
        fails = CHECKS[r["id"]](namespace)
    except NotImplementedError:
        print("Not written yet: replace the `raise NotImplementedError` lines.")
        return None
    except Exception as e:  # the learner's code raised: one line, no traceback
        fails = [f"your code raised {type(e).__name__}: {e}"]
    took = now - _STARTED[r["id"]] if r["id"] in _STARTED else None
    in_time = took is not None and took <= r["minutes"] * 60
    value = 0 if fails else (2 if in_time else 1)
    clock = (f"{took / 60:.1f} of {r['minutes']} minutes" if took is not None
             else "no clock (run start_rep first to time it)")
    for f in fails:
        print(wrap("FAIL  " + f))
    print(wrap(("All checks pass" if not fails else f"{len(fails)} check(s) failed")
               + f"; time: {clock}. Recorded {value} of 2."))
    box = load_progress(path)["cards"].get(r["id"], {}).get("box", 0)
    box, due = schedule(value, box, now)
    record_card(r["id"], value, box, due, drill=r["drill"], topic=r["title"], path=path, now=now)
    return value


def show_solution(rep_id):
    """A model solution, for after you have tried."""
    print(rep(rep_id)["solution"])
