"""The visible checks for drill 02 (ClassicDropout, export_weights, engine_forward): eight
narrated ones, each in a cell of its own, and a stress tier of sixteen run in one cell that
tests every property the grader's hidden checks test (hidden.py runs the same builders and
verdicts on other nets, sizes and seeds).

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it imports only the standard library, torch, numpy and the kit.

Nets are described by plain specs, so a check builds the same model in every process:
  ("linear", n_in, n_out[, bias])  ("relu",)  ("tanh",)
  ("dropout", p)   nn.Dropout, inverted      ("classic", p)   the learner's ClassicDropout
prepare() draws the weights and the probe batch from fixed seeds and computes what
model.eval() returns; execute() builds the model in the child (the classic layers are
instances of the learner's own class, so their export code recognises them; a stub
constructor is bypassed, so export checks do not wait for ClassicDropout) and returns
what the learner's function gave back, as tensors and plain values; judge() replays an
export with a few lines of torch and names the bug behind a mismatch.
"""
import math
import re
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from grader.payload.checkkit import FALSE_FAIL, SIGMAS, Check, CheckSet, bound  # noqa: F401

TOL32 = 1e-5  # the contract: the engine equals model.eval() to 1e-5 relative
TOL64 = 1e-10


# --- nets from specs -------------------------------------------------------------------
def draw_params(spec, seed, dtype=torch.float32):
    """Weights and biases for every linear entry of spec: [(W, b or None), ...]."""
    gen = torch.Generator().manual_seed(seed)
    params = []
    for entry in spec:
        if entry[0] == "linear":
            n_in, n_out = entry[1], entry[2]
            has_bias = entry[3] if len(entry) > 3 else True
            bound_w = 1.5 / math.sqrt(n_in)
            w = (torch.rand(n_out, n_in, generator=gen, dtype=torch.float64) * 2 - 1) * bound_w
            b = (torch.rand(n_out, generator=gen, dtype=torch.float64) - 0.5) if has_bias else None
            params.append((w.to(dtype), None if b is None else b.to(dtype)))
    return params


def probe_batch(spec, seed, rows=32, dtype=torch.float32):
    """A fixed input batch for the net: rows x (the first linear's input width)."""
    n_in = next(e[1] for e in spec if e[0] == "linear")
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(rows, n_in, generator=gen, dtype=torch.float64).to(dtype)


def spec_eval(spec, params, x):
    """What model.eval()(x) returns for the net: inverted dropout is the identity at
    inference, classic dropout multiplies by its keep probability 1 - p."""
    h, k = x, 0
    for entry in spec:
        kind = entry[0]
        if kind == "linear":
            w, b = params[k]
            h, k = F.linear(h, w, b), k + 1
        elif kind == "relu":
            h = torch.relu(h)
        elif kind == "tanh":
            h = torch.tanh(h)
        elif kind == "classic":
            h = h * (1.0 - entry[1])
    return h


def export_case(spec, seed, dtype=torch.float32, **info):
    """One net for export_weights: its spec, weights, probe batch and model.eval() output.

    info: the expected layer kinds and, per linear layer, the factor its weight should
    carry (`fold`), for the hints."""
    params = draw_params(spec, seed, dtype)
    x = probe_batch(spec, seed + 1, dtype=dtype)
    return dict(spec=spec, params=params, x=x, expected=spec_eval(spec, params, x),
                dtype=dtype, **info)


class _StandInClassic(nn.Module):
    """Used when the learner defines no ClassicDropout class: the eval-mode rule."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x * (1.0 - self.p)


_StandInClassic.__name__ = _StandInClassic.__qualname__ = "ClassicDropout"


def classic_class(target):
    """The ClassicDropout class defined beside the target (the learner's own, so
    isinstance and `type(layer) is ClassicDropout` both recognise the layers), or a
    stand-in when there is none. Export checks never run its forward: what model.eval()
    returns is computed in prepare() from the spec."""
    learner = getattr(target, "__globals__", {}).get("ClassicDropout")
    if isinstance(learner, type) and issubclass(learner, nn.Module):
        return learner
    return _StandInClassic


def classic_layer(cls, p):
    """cls(p); when the learner's constructor is still a stub (or rejects p), the layer is
    built without it, with p stored as self.p, so export checks do not depend on it."""
    try:
        layer = cls(p)
    except Exception:  # noqa: BLE001 - the constructor is checked by its own checks
        layer = cls.__new__(cls)
        nn.Module.__init__(layer)
    if not isinstance(getattr(layer, "p", None), (int, float)):
        try:
            layer.p = p
        except Exception:  # noqa: BLE001 - a read-only property: the learner's own p
            pass
    return layer


def build_model(spec, params, classic_cls):
    """The nn.Sequential for a spec, in eval mode, with the drawn weights copied in."""
    modules, k = [], 0
    for entry in spec:
        kind = entry[0]
        if kind == "linear":
            w, b = params[k]
            k += 1
            lin = nn.Linear(entry[1], entry[2], bias=b is not None).to(w.dtype)
            with torch.no_grad():
                lin.weight.copy_(w)
                if b is not None:
                    lin.bias.copy_(b)
            modules.append(lin)
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "tanh":
            modules.append(nn.Tanh())
        elif kind == "dropout":
            modules.append(nn.Dropout(entry[1]))
        elif kind == "classic":
            modules.append(classic_layer(classic_cls, entry[1]))
    return nn.Sequential(*modules).eval()


def _as_tensor(value):
    """An exported array as a tensor (a copy), whatever array type the learner used."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    return torch.from_numpy(np.array(value, copy=True))


def plain_layers(layers):
    """The learner's layer list as plain values: [{kind, keys, weight, bias, types}, ...]."""
    if not isinstance(layers, (list, tuple)):
        return {"not_list": type(layers).__name__}
    out = []
    for entry in layers:
        if not isinstance(entry, dict):
            out.append({"not_dict": type(entry).__name__})
            continue
        item = {"kind": str(entry.get("kind")), "keys": sorted(str(k) for k in entry)}
        for key in ("weight", "bias"):
            if key in entry:
                value = entry[key]
                item[key] = None if value is None else _as_tensor(value)
                item[key + "_type"] = type(value).__name__
        out.append(item)
    return out


def run_export(export_weights, case):
    """execute for one case: build the model, export it, return the layers as plain values
    and whether the export shares memory with, or changed, the model's parameters."""
    model = build_model(case["spec"], case["params"], classic_class(export_weights))
    before = [t.detach().clone() for t in model.parameters()]
    layers = export_weights(model)
    plain = plain_layers(layers)
    shared = False
    if isinstance(layers, (list, tuple)):
        views = [t.detach().numpy() for t in model.parameters()]
        for entry in layers:
            if isinstance(entry, dict):
                for key in ("weight", "bias"):
                    value = entry.get(key)
                    if isinstance(value, np.ndarray):
                        shared = shared or any(np.shares_memory(value, v) for v in views)
                    elif isinstance(value, torch.Tensor):
                        shared = shared or any(value.data_ptr() == t.data_ptr()
                                               for t in model.parameters())
    changed = any(not torch.equal(a, t.detach()) for a, t in zip(before, model.parameters()))
    return {"layers": plain, "shared": shared, "changed_model": changed}


def run_exports(export_weights, cases):
    """execute: every case through the learner's export_weights."""
    return [run_export(export_weights, c) for c in cases]


# --- judging an export -------------------------------------------------------------------
def replay(layers, x):
    """The exported layer list applied to x, in float64 (only to judge an export)."""
    h = x.double()
    for e in layers:
        if e["kind"] == "linear":
            b = e["bias"]
            h = F.linear(h, e["weight"].double(), None if b is None else b.double())
        elif e["kind"] == "relu":
            h = torch.relu(h)
        elif e["kind"] == "tanh":
            h = torch.tanh(h)
    return h


def close(got, want, dtype):
    """Equal to `want` within the contract's tolerance for its dtype (relative to its
    largest entry, so outputs near zero do not fail on rounding)."""
    tol = TOL64 if dtype == torch.float64 else TOL32
    if got.shape != want.shape:
        return False
    want = want.double()
    scale = max(want.abs().max().item(), 1e-12)
    return bool(((got.double() - want).abs() <= tol * (want.abs() + scale)).all())


def expected_kinds(spec):
    """The layer kinds the engine reads: every entry that is not a dropout."""
    return [e[0] for e in spec if e[0] not in ("dropout", "classic")]


def structure_problem(case, result, show=True):
    """A message when the exported list does not have the contract's shape, else None.

    show=False keeps sizes and kinds out of the message (hidden checks)."""
    layers = result["layers"]
    if isinstance(layers, dict):
        return f"export_weights returned a {layers['not_list']}; return a list of dicts"
    bad = next((e for e in layers if "not_dict" in e), None)
    if bad:
        return f"an exported layer is a {bad['not_dict']}; each layer is a plain dict"
    kinds, want = [e["kind"] for e in layers], expected_kinds(case["spec"])
    if kinds != want:
        if any("drop" in k.lower() or "classic" in k.lower() for k in kinds):
            return ("the export lists a dropout layer; the engine has no dropout layer: emit "
                    "nothing for nn.Dropout or ClassicDropout")
        if show:
            return f"exported kinds {kinds}, expected {want} (one dict per Linear/ReLU/Tanh)"
        return "the exported kinds are not one 'linear'/'relu'/'tanh' dict per such layer, in order"
    linears = [e for e in layers if e["kind"] == "linear"]
    for e, (w, b) in zip(linears, case["params"]):
        if "weight" not in e or "bias" not in e:
            return "a linear dict needs both 'weight' and 'bias' keys (bias None when absent)"
        if e["weight"] is None or tuple(e["weight"].shape) != tuple(w.shape):
            if e["weight"] is not None and tuple(e["weight"].shape) == tuple(w.shape[::-1]):
                return "a weight is transposed: export W with shape (out, in), as nn.Linear stores it"
            return "a weight does not have the Linear's shape (out, in)"
        if b is None and e["bias"] is not None:
            return "a Linear without bias must export bias None"
        if b is not None and (e["bias"] is None or tuple(e["bias"].shape) != tuple(b.shape)):
            return "a Linear's bias must be exported with shape (out,)"
    return None


def _same(a, b):
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1e-6, atol=1e-12)


def weight_hint(case, result):
    """Name the scaling bug from the exported weights and biases of the linear layers.

    case["fold"][j]: the factor linear j's weight must carry (1 - p of a classic dropout
    feeding it, else 1); case["inverted"][j]: the keep probability of an inverted dropout
    feeding it (else 1); case["produces"][j]: that of a classic dropout after it (else 1)."""
    linears = [e for e in result["layers"] if e["kind"] == "linear"]
    for j, (e, (w, b)) in enumerate(zip(linears, case["params"])):
        fold, inv, prod = case["fold"][j], case["inverted"][j], case["produces"][j]
        got = e["weight"]
        if not _same(got, w * fold):
            if fold != 1 and _same(got, w):
                return ("a Linear fed by a ClassicDropout was exported raw: its inputs are "
                        "1/(1-p) times larger than in training; multiply its weight by 1 - p")
            if fold != 1 and _same(got, w / fold):
                return ("a weight was divided by the keep probability: classic dropout "
                        "multiplies by 1 - p at inference, it never divides")
            if fold != 1 and _same(got, w * (1 - fold)):
                return "a weight was scaled by p: fold in the KEEP probability 1 - p"
            if inv != 1 and _same(got, w * inv):
                return ("double scaling: a Linear after nn.Dropout was scaled by 1 - p, but "
                        "inverted dropout already rescaled in training; export it as it is")
            if prod != 1 and _same(got, w * prod):
                return ("the Linear BEFORE a ClassicDropout was scaled; fold 1 - p into the "
                        "Linear that consumes the dropped activations")
            return "a weight is not the model's weight (times 1 - p of a classic dropout feeding it)"
        if b is not None and not _same(e["bias"], b):
            return ("a bias was changed: dropout scales the activations multiplied by the "
                    "weight, never the bias; export the bias as it is")
    return None


def judge_exports(cases, results, show=True):
    """Deterministic: structure, then the replayed output against model.eval()."""
    for case, result in zip(cases, results):
        problem = structure_problem(case, result, show)
        if problem:
            return False, problem
        out = replay(result["layers"], case["x"])
        if not close(out, case["expected"], case["dtype"]):
            hint = weight_hint(case, result)
            if hint:
                return False, hint
            ratio = (out.norm() / case["expected"].double().norm()).item()
            return False, ("the exported net's output differs from model.eval()"
                           + (f" (its norm is {ratio:.3g} times as large)" if show else ""))
    return True, None


# --- engine cases ------------------------------------------------------------------------
def engine_case(spec, seed, dtype=torch.float32, rows=32):
    """A layer list as export_weights would write it (NumPy arrays), a batch and the
    output the framework computes for it."""
    params = draw_params(spec, seed, dtype)
    x = probe_batch(spec, seed + 1, rows, dtype)
    layers, k = [], 0
    for entry in spec:
        if entry[0] == "linear":
            w, b = params[k]
            k += 1
            layers.append({"kind": "linear", "weight": w.numpy().copy(),
                           "bias": None if b is None else b.numpy().copy()})
        else:
            layers.append({"kind": entry[0]})
    return dict(layers=layers, x=x.numpy().copy(), expected=spec_eval(spec, params, x),
                dtype=dtype)


def _copy_layers(layers):
    return [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in e.items()}
            for e in layers]


def run_engine(engine_forward, case):
    """execute for one case: the engine's output as a tensor, and what it returned."""
    out = engine_forward(_copy_layers(case["layers"]), case["x"].copy())
    is_array = isinstance(out, np.ndarray)
    return {"type": type(out).__name__, "is_array": is_array,
            "dtype": str(out.dtype) if hasattr(out, "dtype") else "",
            "out": _as_tensor(out) if hasattr(out, "shape") else None}


def run_engines(engine_forward, cases):
    return [run_engine(engine_forward, c) for c in cases]


def judge_engines(cases, results, show=True):
    """Deterministic: a NumPy array of the framework's shape and values."""
    for case, r in zip(cases, results):
        if not r["is_array"]:
            return False, f"engine_forward returned a {r['type']}; return a numpy.ndarray"
        want, got = case["expected"], r["out"]
        if tuple(got.shape) != tuple(want.shape):
            return False, ("the engine's output has the wrong shape"
                           + (f" {tuple(got.shape)}, expected {tuple(want.shape)}" if show else "")
                           + " (x @ W.T gives (batch, out); no squeeze or transpose)")
        if case["dtype"] == torch.float64 and r["dtype"] != "float64":
            return False, (f"float64 layers and input came back as {r['dtype']}: do the "
                           "arithmetic in the arrays' own dtype (no astype(np.float32))")
        if not close(got, want, case["dtype"]):
            return False, "the engine's output differs from the framework's" + (
                "" if not show else ": a linear layer is x @ W.T + b (W has shape (out, in)), "
                "then the activation")
    return True, None


# --- no torch inside the engine ------------------------------------------------------------
def _torch_object(value):
    if isinstance(value, types.ModuleType):
        return value.__name__.split(".")[0] == "torch"
    module = getattr(value, "__module__", None) or getattr(type(value), "__module__", "")
    return isinstance(module, str) and module.split(".")[0] == "torch"


def torch_names(fn, seen=None, depth=0):
    """Global names a function (and the plain functions it calls) reads that are torch."""
    seen = set() if seen is None else seen
    code = getattr(fn, "__code__", None)
    if code is None or code in seen or depth > 4:
        return []
    seen.add(code)
    names, codes = [], [code]
    while codes:
        c = codes.pop()
        codes.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        names.extend(c.co_names)
    found = []
    for cell in fn.__closure__ or ():
        try:
            if _torch_object(cell.cell_contents):
                found.append("a torch object captured by a closure")
        except ValueError:
            pass
    for name in dict.fromkeys(n for n in names if n):
        value = fn.__globals__.get(name)
        if value is None:
            continue
        if _torch_object(value):
            found.append(name)
        elif isinstance(value, types.FunctionType):
            found.extend(torch_names(value, seen, depth + 1))
    return list(dict.fromkeys(found))


def run_no_torch(engine_forward, case):
    """execute: read the engine's code for torch names, then run it recording torch calls."""
    from torch.overrides import TorchFunctionMode

    class Recorder(TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.calls = []

        def __torch_function__(self, func, types_, args=(), kwargs=None):
            name = getattr(func, "__name__", str(func))
            if name not in self.calls:
                self.calls.append(name)
            return func(*args, **(kwargs or {}))

    static = torch_names(engine_forward)
    with Recorder() as rec:
        out = engine_forward(_copy_layers(case["layers"]), case["x"].copy())
    return {"static": static, "calls": list(rec.calls),
            "is_array": isinstance(out, np.ndarray), "type": type(out).__name__}


def judge_no_torch(case, result):
    found = result["static"] + [f"torch.{c}" for c in result["calls"]]
    if found:
        return False, ("engine_forward uses torch (" + ", ".join(found[:6]) + "); the C++ "
                       "engine has no torch: NumPy only")
    if not result["is_array"]:
        return False, f"engine_forward returned a {result['type']}, not a numpy.ndarray"
    return True, "engine_forward runs on NumPy alone"


# --- ClassicDropout ------------------------------------------------------------------------
def classic_case(p, x, train=True, construct_only=False):
    return dict(p=p, x=x, train=train, construct_only=construct_only)


def run_classic(ClassicDropout, c):
    """One run of the learner's module; the constructor's exception becomes plain values
    when construct_only (an untouched stub's NotImplementedError still propagates)."""
    if c["construct_only"]:
        try:
            ClassicDropout(c["p"])
        except NotImplementedError:
            raise
        except Exception as e:  # noqa: BLE001 - recorded, judged by the verdict
            return {"init_error": type(e).__name__, "value_error": isinstance(e, ValueError)}
        return {"init_error": None, "value_error": False}
    module = ClassicDropout(c["p"])
    module.train(c["train"])
    y = module(c["x"].clone())
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"forward returned {type(y).__name__}, not a tensor")
    return {"out": y.detach().clone()}


def run_classics(ClassicDropout, cases):
    return [run_classic(ClassicDropout, c) for c in cases]


def nonzero_randn(n, seed, dtype=torch.float32):
    """Standard normal values with no exact zeros, so a zero in the output means dropped."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=gen, dtype=torch.float64)
    return torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x).to(dtype)


def shape_problem(cases, results):
    for c, r in zip(cases, results):
        if "out" in r and r["out"].shape != c["x"].shape:
            return "the output's shape differs from the input's: dropout keeps the shape"
    return None


def classic_check(name, title, hint, prepare, judge, after=()):
    """A check of the learner's ClassicDropout; a wrong output shape fails it first."""
    def judge_shape_first(cases, results):
        problem = shape_problem(cases, results)
        return (False, problem) if problem else judge(cases, results)
    return Check(name, title, "ClassicDropout", hint, prepare, run_classics, judge_shape_first,
                 after)


# 1. training drops about p of the elements
def cases_classic_drop_rate():
    return [classic_case(0.3, torch.ones(50_000))]


def verdict_classic_drop_rate(cases, results):
    """One binomial test on n = 50,000: false-fail probability FALSE_FAIL."""
    p, n = cases[0]["p"], cases[0]["x"].numel()
    dropped = (results[0]["out"] == 0).double().mean().item()
    tol = bound(p, n)
    msg = f"p={p}: dropped {dropped:.4f} of {n} elements, expected {p} ± {tol:.4f}"
    if abs(dropped - p) <= tol:
        return True, msg
    if dropped in (0.0, 1.0):
        return False, msg + "; all or nothing was dropped in train mode: is the mask applied?"
    if abs(dropped - (1 - p)) <= tol:
        return False, msg + ("; you dropped with probability 1 - p: p is the DROP probability, "
                             "keep each unit with probability 1 - p")
    return False, msg


# 2. training does not rescale the survivors
def cases_classic_unscaled():
    return [classic_case(0.3, nonzero_randn(5_000, seed=2))]


def verdict_classic_unscaled(cases, results):
    """Deterministic (exact up to one rounding)."""
    x, y, p = cases[0]["x"], results[0]["out"], cases[0]["p"]
    kept = y != 0
    if not kept.any():
        return False, "every unit was dropped, so there are no survivors to inspect"
    if torch.allclose(y[kept].double(), x[kept].double(), rtol=1e-6, atol=0.0):
        return True, "survivors pass through unchanged in training"
    ratio = (y[kept].double() / x[kept].double()).median().item()
    if abs(ratio - 1 / (1 - p)) < 1e-4:
        return False, ("survivors were divided by 1 - p: that is inverted dropout (nn.Dropout); "
                       "classic dropout leaves them as they are and scales at inference")
    if abs(ratio - (1 - p)) < 1e-4:
        return False, ("survivors were multiplied by 1 - p in training: the (1 - p) belongs to "
                       "eval mode only")
    return False, f"survivors are {ratio:.4g} times the input; classic dropout keeps them as they are"


# 3. eval multiplies by 1 - p
def cases_classic_eval():
    return [classic_case(0.3, nonzero_randn(1000, seed=3), train=False)]


def verdict_classic_eval(cases, results):
    """Deterministic."""
    x, y, p = cases[0]["x"], results[0]["out"], cases[0]["p"]
    if torch.allclose(y.double(), x.double() * (1 - p), rtol=1e-6, atol=0.0):
        return True, f"eval(): output is (1 - p) = {1 - p:g} times the input"
    if (y == 0).any():
        return False, ("eval(): units were dropped; branch on self.training (self.train is a "
                       "method and always truthy)")
    ratio = (y.double() / x.double()).median().item()
    if abs(ratio - 1) < 1e-6:
        return False, ("eval(): the output equals the input; classic dropout did not rescale in "
                       "training, so eval must multiply by the keep probability 1 - p")
    if abs(ratio - p) < 1e-6:
        return False, "eval(): multiplied by p, the drop probability; multiply by 1 - p"
    if abs(ratio - 1 / (1 - p)) < 1e-4:
        return False, "eval(): divided by 1 - p; classic dropout multiplies by 1 - p"
    return False, f"eval(): output is {ratio:.4g} times the input, expected 1 - p = {1 - p:g}"


# 4. E[training output] equals the eval output
def cases_classic_expectation():
    x = torch.linspace(0.5, 1.5, 50_000)  # a ramp: a mask that favours a region shows up
    return [classic_case(0.4, x), classic_case(0.4, x, train=False)]


def verdict_classic_expectation(cases, results):
    """The training mean is sum(m_i x_i)/n with m_i ~ Bernoulli(1 - p): standard deviation
    sqrt(p (1 - p) sum x_i^2) / n. One two-sided test at SIGMAS: false-fail probability
    FALSE_FAIL."""
    x, p = cases[0]["x"].double(), cases[0]["p"]
    n = x.numel()
    train_mean = results[0]["out"].double().mean().item()
    eval_mean = results[1]["out"].double().mean().item()
    tol = SIGMAS * math.sqrt(p * (1 - p) * (x * x).sum().item()) / n
    msg = f"mean in training {train_mean:.4f}, in eval {eval_mean:.4f} (allowed gap ± {tol:.4f})"
    if abs(train_mean - eval_mean) <= tol:
        return True, msg
    if eval_mean != 0 and abs(train_mean / eval_mean - 1 / (1 - p)) < 0.01:
        return False, msg + ("; training is 1/(1 - p) times eval: either training rescales "
                             "or eval does not multiply by 1 - p, not both")
    return False, msg + ("; E[training output] must equal the eval output: keep every unit "
                         "with the same probability 1 - p, at random (a mask that depends on "
                         "position or value breaks this)")


# --- the visible nets ----------------------------------------------------------------------
INVERTED_NET = [("linear", 6, 16), ("relu",), ("dropout", 0.5), ("linear", 16, 16), ("relu",),
                ("dropout", 0.5), ("linear", 16, 3)]
CLASSIC_NET = [("linear", 6, 16), ("tanh",), ("classic", 0.5), ("linear", 16, 16), ("relu",),
               ("classic", 0.5), ("linear", 16, 3)]


def cases_export_inverted():
    return [export_case(INVERTED_NET, seed=11, fold=[1, 1, 1], inverted=[1, 0.5, 0.5],
                        produces=[1, 1, 1])]


def cases_export_classic():
    return [export_case(CLASSIC_NET, seed=21, fold=[1, 0.5, 0.5], inverted=[1, 1, 1],
                        produces=[0.5, 0.5, 1])]


def verdict_export_inverted(cases, results):
    """Deterministic."""
    passed, message = judge_exports(cases, results)
    return passed, message or "inverted net: the exported layers reproduce model.eval()"


def verdict_export_classic(cases, results):
    """Deterministic."""
    passed, message = judge_exports(cases, results)
    return passed, message or "classic net: 1 - p folded in; the export reproduces model.eval()"


ENGINE_NET = [("linear", 5, 12), ("relu",), ("linear", 12, 8), ("tanh",), ("linear", 8, 3)]


def cases_engine():
    return [engine_case(ENGINE_NET, seed=31)]


def verdict_engine(cases, results):
    """Deterministic."""
    passed, message = judge_engines(cases, results)
    return passed, message or "the engine's output equals the framework's to float32 rounding"


def cases_no_torch():
    return engine_case(ENGINE_NET, seed=41, rows=4)


# --- the stress tier: what the hidden checks test, on this notebook's own inputs -------
# The verdicts and case builders below serve both tiers: the stress checks run them on the
# nets here, the grader's hidden checks (hidden.py) on other nets, sizes and seeds, with
# show=False so that their messages never reveal the inputs.
def scales(spec):
    """Per linear layer: the factor its weight must carry (product of 1 - p of the classic
    dropouts feeding it), the inverted keep feeding it, and the classic keep after it."""
    fold, inverted, produces = [], [], []
    classic, inv, last = 1.0, 1.0, None
    for entry in spec:
        if entry[0] == "classic":
            classic *= 1.0 - entry[1]
            if last is not None:
                produces[last] *= 1.0 - entry[1]
        elif entry[0] == "dropout":
            inv *= 1.0 - entry[1]
        elif entry[0] == "linear":
            fold.append(classic)
            inverted.append(inv)
            produces.append(1.0)
            last, classic, inv = len(fold) - 1, 1.0, 1.0
    return dict(fold=fold, inverted=inverted, produces=produces)


def case(spec, seed, dtype=torch.float32):
    """export_case with the hints' scale factors derived from the spec."""
    return export_case(spec, seed, dtype, **scales(spec))


def exports_verdict(ok, show=True):
    def judge(cases, results):
        passed, message = judge_exports(cases, results, show=show)
        return passed, message or ok
    return judge


def export_check(name, title, hint, prepare, judge, after=()):
    return Check(name, title, "export_weights", hint, prepare, run_exports, judge, after)


def verdict_bias_untouched(cases, results, show=True):
    """Deterministic: every exported bias equals the model's, element for element."""
    for c, r in zip(cases, results):
        problem = structure_problem(c, r, show=show)
        if problem:
            return False, problem
        linears = [e for e in r["layers"] if e["kind"] == "linear"]
        for e, (_, b) in zip(linears, c["params"]):
            if not torch.allclose(e["bias"].double(), b.double(), rtol=1e-7, atol=0.0):
                return False, ("a bias was changed: dropout scales the activations that the "
                               "weight multiplies, never the bias; export every bias as it is")
    return True, "every bias is exported as it is"


def verdict_float64(cases, results, show=True):
    """Deterministic: float64 arrays, output equal to 1e-10 relative."""
    for c, r in zip(cases, results):
        problem = structure_problem(c, r, show=show)
        if problem:
            return False, problem
        for e in r["layers"]:
            for key in ("weight", "bias"):
                if e.get(key) is not None and e[key].dtype != torch.float64:
                    return False, (f"a float64 model was exported as {e[key].dtype}: keep the "
                                   "parameters' dtype (no .float() or astype(np.float32))")
    return exports_verdict("float64 nets export in float64, exactly", show)(cases, results)


def verdict_no_share(cases, results, show=True):
    """Deterministic."""
    for c, r in zip(cases, results):
        problem = structure_problem(c, r, show=show)
        if problem:
            return False, problem
        for e in r["layers"]:
            for key in ("weight", "bias"):
                kind = e.get(key + "_type")
                if e.get(key) is not None and kind != "ndarray":
                    return False, (f"a {key} was exported as a {kind}; the engine reads NumPy "
                                   "arrays (.detach().cpu().numpy().copy())")
        if r["changed_model"]:
            return False, ("export_weights changed the model's own parameters (an in-place "
                           "scale?): export scaled copies and leave the model alone")
        if r["shared"]:
            return False, ("an exported array shares memory with the model's parameter "
                           "(.numpy() is a view): writing to it would change the model; .copy() it")
    return True, "the exported arrays are NumPy copies; the model is untouched"


# --- ValueError for a classic dropout that cannot be folded ------------------------------------
def bad_net_cases(nets, seed):
    """nets: [(spec, index of the classic dropout that cannot be folded, or None)]."""
    return [dict(case(spec, seed=seed + i), bad=bad) for i, (spec, bad) in enumerate(nets)]


def run_bad_nets(export_weights, cases):
    """The export of each net, or the exception it raised as plain values."""
    out = []
    for c in cases:
        model = build_model(c["spec"], c["params"], classic_class(export_weights))
        try:
            layers = export_weights(model)
        except NotImplementedError:
            raise
        except Exception as e:  # noqa: BLE001 - judged below
            out.append({"error": type(e).__name__, "value_error": isinstance(e, ValueError),
                        "message": str(e)[:300]})
            continue
        out.append({"error": None, "layers": plain_layers(layers)})
    return out


def verdict_bad_nets(cases, results, show=True):
    """Deterministic."""
    for c, r in zip(cases, results):
        if c["bad"] is None:
            if r["error"]:
                return False, (f"export_weights raised {r['error']} for an nn.Dropout that is "
                               "not followed by a Linear; inverted dropout needs no folding: "
                               "export the net as it is")
            passed, message = judge_exports([c], [r], show=show)
            if not passed:
                return False, message
            continue
        if not r["error"]:
            return False, ("a ClassicDropout with no Linear after it, or feeding a Tanh, was "
                           "exported silently; its 1 - p cannot be folded: raise ValueError")
        if not r["value_error"]:
            return False, (f"raised {r['error']} for a ClassicDropout that cannot be folded; "
                           "raise ValueError")
        msg = r["message"]
        if not (re.search(rf"(?<![\d.]){c['bad']}(?![\d.])", msg) or "classic" in msg.lower()):
            return False, ("the ValueError does not name the layer: say which one (its index in "
                           "the Sequential, or that it is the ClassicDropout)")
    return True, "ValueError naming the layer when a classic dropout cannot be folded"


# --- engine: float64, no bias, shapes ---------------------------------------------------------
def engines_verdict(ok, show=True):
    def judge(cases, results):
        passed, message = judge_engines(cases, results, show=show)
        return passed, message or ok
    return judge


def engine_check(name, title, hint, prepare, judge, after=("engine_matches",)):
    return Check(name, title, "engine_forward", hint, prepare, run_engines, judge, after)


# --- ClassicDropout: p = 0 and bad p -----------------------------------------------------------
def p_zero_cases(n, seed):
    x = nonzero_randn(n, seed=seed)
    return [classic_case(0.0, x), classic_case(0.0, x, train=False)]


def verdict_classic_p_zero(cases, results):
    """Deterministic: nothing is dropped, nothing is scaled."""
    for c, r in zip(cases, results):
        if not torch.equal(r["out"], c["x"]):
            mode = "training" if c["train"] else "eval"
            return False, (f"ClassicDropout(0) changed its input in {mode} mode: with p = 0 "
                           "nothing is dropped and 1 - p = 1")
    return True, "p = 0 is the identity in both modes"


def bad_p_cases(bad_ps, good_ps, seed):
    """Constructor calls for p outside [0, 1] (bad) and inside it; the first case runs
    forward, so an untouched stub reports "not implemented yet"."""
    return ([classic_case(0.5, nonzero_randn(100, seed=seed))]
            + [dict(classic_case(p, None, construct_only=True), bad=True) for p in bad_ps]
            + [dict(classic_case(p, None, construct_only=True), bad=False) for p in good_ps])


def verdict_classic_bad_p(cases, results):
    """Deterministic."""
    for c, r in zip(cases[1:], results[1:]):
        if c["bad"] and not r["value_error"]:
            got = f"raised {r['init_error']}" if r["init_error"] else "raised nothing"
            return False, f"ClassicDropout(p) with p outside [0, 1] {got}; raise ValueError"
        if not c["bad"] and r["init_error"]:
            return False, (f"ClassicDropout(p) raised {r['init_error']} for a valid p; classic "
                           "dropout accepts every p in [0, 1] (p = 1 is legal: it divides by "
                           "nothing)")
    return True, "ValueError outside [0, 1]; every p in [0, 1] constructs"


# --- the stress tier's own inputs ---------------------------------------------------------------
def cases_stress_depths():
    nets = [[("classic", 0.4), ("linear", 4, 3)],
            [("linear", 4, 8), ("tanh",), ("classic", 0.4), ("linear", 8, 8), ("relu",),
             ("classic", 0.4), ("linear", 8, 8), ("tanh",), ("classic", 0.4), ("linear", 8, 3)]]
    return [case(net, seed=200 + i) for i, net in enumerate(nets)]


def cases_stress_input_dropout():
    return [case([("classic", 0.3), ("linear", 4, 8), ("tanh",), ("linear", 8, 3)], seed=210)]


def cases_stress_per_layer_p():
    return [case([("linear", 4, 8), ("relu",), ("classic", 0.2), ("linear", 8, 8), ("relu",),
                  ("dropout", 0.3), ("linear", 8, 8), ("tanh",), ("classic", 0.6),
                  ("linear", 8, 3)], seed=220)]


def cases_stress_bias_untouched():
    return [case(CLASSIC_NET, seed=230), case(INVERTED_NET, seed=231)]


def cases_stress_no_bias():
    return [case([("linear", 4, 8, False), ("relu",), ("classic", 0.5), ("linear", 8, 3, False)],
                 seed=240),
            case([("linear", 4, 8, False), ("tanh",), ("dropout", 0.5), ("linear", 8, 3)],
                 seed=241)]


def cases_stress_float64():
    return [case(CLASSIC_NET, seed=250, dtype=torch.float64)]


def cases_stress_no_dropout():
    return [case([("linear", 4, 8), ("tanh",), ("linear", 8, 3)], seed=260)]


def cases_stress_p_zero():
    return [case([("linear", 4, 8), ("relu",), ("classic", 0.0), ("linear", 8, 3)], seed=270),
            case([("linear", 4, 8), ("relu",), ("dropout", 0.0), ("linear", 8, 3)], seed=271)]


def cases_stress_before_first_linear():
    return [case([("linear", 4, 8), ("classic", 0.4), ("relu",), ("linear", 8, 3)], seed=280),
            case([("classic", 0.4), ("relu",), ("linear", 4, 3)], seed=281)]


def cases_stress_no_share():
    return [case(CLASSIC_NET, seed=290)]


STRESS_BAD_NETS = [  # (spec, index of the classic dropout that cannot be folded, or None)
    ([("linear", 3, 5), ("tanh",), ("classic", 0.4)], 2),
    ([("linear", 3, 5), ("classic", 0.4), ("tanh",), ("linear", 5, 2)], 1),
    ([("linear", 3, 5), ("tanh",), ("dropout", 0.4)], None),
]


def cases_stress_bad_nets():
    return bad_net_cases(STRESS_BAD_NETS, seed=295)


def cases_stress_engine_float64():
    return [engine_case(ENGINE_NET, seed=560, dtype=torch.float64)]


def cases_stress_engine_no_bias():
    return [engine_case([("linear", 5, 6, False), ("tanh",), ("linear", 6, 2, False)],
                        seed=570)]


def cases_stress_engine_shapes():
    return [engine_case([("linear", 5, 1)], seed=580, rows=3),
            engine_case([("linear", 5, 4), ("relu",)], seed=581, rows=1)]


def cases_stress_classic_p_zero():
    return p_zero_cases(2_000, seed=690)


def cases_stress_classic_bad_p():
    return bad_p_cases((-0.5, 1.5), (0.0, 1.0), seed=695)


VISIBLE = CheckSet("Export drill checks", [
    classic_check("classic_drop_rate", "ClassicDropout drops about p in training",
                  "p is the probability of dropping a unit",
                  cases_classic_drop_rate, verdict_classic_drop_rate),
    classic_check("classic_unscaled", "ClassicDropout does not rescale in training",
                  "survivors pass through as they are", cases_classic_unscaled,
                  verdict_classic_unscaled),
    classic_check("classic_eval", "ClassicDropout multiplies by 1 - p in eval",
                  "the correction happens at inference", cases_classic_eval,
                  verdict_classic_eval),
    classic_check("classic_expectation", "E[training] equals eval",
                  "both modes agree on average", cases_classic_expectation,
                  verdict_classic_expectation,
                  after=("classic_drop_rate", "classic_unscaled", "classic_eval")),
    Check("engine_matches", "the engine reproduces the framework", "engine_forward",
          "x @ W.T + b, then ReLU or tanh", cases_engine, run_engines, verdict_engine),
    Check("engine_no_torch", "no torch inside the engine", "engine_forward",
          "the C++ engine has only arrays", cases_no_torch, run_no_torch, judge_no_torch),
    Check("export_inverted", "export of an inverted-dropout net", "export_weights",
          "nn.Dropout: weights as they are", cases_export_inverted, run_exports,
          verdict_export_inverted),
    Check("export_classic", "export of a classic-dropout net", "export_weights",
          "fold 1 - p into the consuming Linear's weight", cases_export_classic, run_exports,
          verdict_export_classic),
], stress=[
    export_check("depths", "export at depth 1 and 4", "fold at every classic dropout",
                 cases_stress_depths, exports_verdict("depth 1 and 4 export right"),
                 after=("export_classic",)),
    export_check("input_dropout", "classic dropout on the inputs",
                 "it scales the first Linear", cases_stress_input_dropout,
                 exports_verdict("dropout on the inputs is folded into the first layer")),
    export_check("per_layer_p", "a different p per layer", "each dropout its own 1 - p",
                 cases_stress_per_layer_p,
                 exports_verdict("every layer folds its own keep probability")),
    export_check("bias_untouched", "biases untouched", "only the weights are scaled",
                 cases_stress_bias_untouched, verdict_bias_untouched),
    export_check("no_bias", "Linear layers without bias", "bias None",
                 cases_stress_no_bias, exports_verdict("layers without bias export bias None")),
    export_check("float64", "float64 nets", "keep the dtype", cases_stress_float64,
                 verdict_float64),
    export_check("no_dropout", "a net with no dropout", "nothing to fold",
                 cases_stress_no_dropout,
                 exports_verdict("a net without dropout exports as it is")),
    export_check("p_zero", "p = 0 layers", "1 - p = 1", cases_stress_p_zero,
                 exports_verdict("p = 0 layers export right")),
    export_check("relu_between", "a ReLU between a dropout and its Linear",
                 "ReLU(k x) = k ReLU(x) for k >= 0", cases_stress_before_first_linear,
                 exports_verdict("the fold skips a ReLU, also before the first Linear")),
    export_check("no_share", "exported arrays are NumPy copies",
                 "changing them never changes the model", cases_stress_no_share,
                 verdict_no_share),
    Check("bad_nets", "ValueError when a classic dropout cannot be folded",
          "export_weights", "nothing linear after it, or a Tanh in between",
          cases_stress_bad_nets, run_bad_nets, verdict_bad_nets),
    engine_check("engine_keeps_float64", "engine keeps float64", "no float32 cast",
                 cases_stress_engine_float64,
                 engines_verdict("float64 in, float64 out, to 1e-10")),
    engine_check("engine_bias_none", "engine with bias None", "skip a missing bias",
                 cases_stress_engine_no_bias, engines_verdict("layers without bias run")),
    engine_check("engine_out_shapes", "engine output shapes", "(batch, out), also for 1 x 1",
                 cases_stress_engine_shapes,
                 engines_verdict("one output column and a batch of one keep their shape")),
    classic_check("classic_zero", "ClassicDropout(0) is the identity", "1 - p = 1",
                  cases_stress_classic_p_zero, verdict_classic_p_zero),
    classic_check("classic_invalid_p", "ValueError for p outside [0, 1]", "p is a probability",
                  cases_stress_classic_bad_p, verdict_classic_bad_p),
])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test

# Graded hints, the first giving the least away; `hint("export_weights")` shows the next one.
HINTS = {
    "ClassicDropout": [
        "Classic dropout does the correction at inference, not in training: the two modes "
        "must agree on average.",
        "In training draw a new random keep/drop decision per element on every call and "
        "multiply; branch on self.training (not self.train, which is a method).",
        "Training: x times (torch.rand_like(x) < 1 - p), nothing else; eval: x * (1 - p); "
        "the constructor checks 0 <= p <= 1 and raises ValueError otherwise.",
    ],
    "export_weights": [
        "Ask which dropout was trained: inverted dropout already rescaled in training, "
        "classic dropout leaves a factor 1 - p to apply at inference.",
        "That factor multiplies the activations a Linear reads, so it can live in the "
        "weight of the Linear that consumes the dropped units, never in its bias; a ReLU in "
        "between is fine (ReLU(k x) = k ReLU(x) for k >= 0), a Tanh is not.",
        "Walk the layers in order holding a pending 1 - p from the last ClassicDropout; at "
        "the next Linear multiply its weight copy (.detach().cpu().numpy().copy()) by it; "
        "at a Tanh or at the end with one still pending, raise ValueError naming the layer.",
    ],
    "engine_forward": [
        "Do exactly what nn.Linear, ReLU and Tanh do, with NumPy arrays only.",
        "nn.Linear stores W as (out, in), so a batch of rows needs the transpose; a missing "
        "bias is None.",
        "h @ W.T (+ b when it is not None), np.maximum(h, 0), np.tanh(h); no astype, no "
        "squeeze, and never import torch inside.",
    ],
}
