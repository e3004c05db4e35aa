"""The visible checks for drill 06 (dropout at scale), defined once: eight narrated ones,
each in a cell of its own, and a stress tier of seven run in one cell. The stress tier tests
every property the grader's hidden checks test (hidden.py runs the same builders and verdicts
on other seeds and sizes).

`make release` pastes this file into the student notebook after the check kit, and the
grader imports it, so it may only import torch, the standard library and the kit.

Three targets: SeededDropout (a torch.autograd.Function used as SeededDropout.apply(x, p,
seed)), saved_bytes(fn, *args) and dropout_memory(batch, seq, d_model, n_heads, n_layers,
p_attn, p_resid, dtype). Inputs are built here, the learner's code only runs them, and the
verdicts decide from inputs and results alone. The two statistical tests (drop_rate,
same_seed) allow SIGMAS standard deviations derived from n and p: a correct answer fails one
with probability FALSE_FAIL (about 2e-9). Every other check is exact and never fails a
correct answer by chance.
"""
import math

import torch
import torch.nn.functional as F

from grader.payload.checkkit import (FALSE_FAIL, SIGMAS, Check, CheckSet, bound,  # noqa: F401
                                     scale_hint)

EPS32 = torch.finfo(torch.float32).eps


def nonzero_randn(shape, seed, dtype=torch.float32):
    """Standard normal input with no exact zeros, so a zero in the output means 'dropped'."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=gen, dtype=torch.float64)
    x = torch.where(x.abs() < 1e-3, torch.full_like(x, 0.5), x)
    return x.to(dtype)


# --- running the learner's SeededDropout -------------------------------------------------
def sd_case(x, p, seed, grad_out=None, transpose=False):
    """One call SeededDropout.apply(x, p, seed); backward with grad_out when it is given."""
    return dict(x=x, p=p, seed=seed, grad_out=grad_out, transpose=transpose)


def run_seeded(SeededDropout, c):
    """Apply the learner's Function to one case: {"y", "grad"} as plain tensors.

    An untouched stub's NotImplementedError propagates (the check is "todo")."""
    x = c["x"].detach().clone()
    if c["transpose"]:
        x = x.transpose(0, -1)  # a non-contiguous view
    x.requires_grad_(c["grad_out"] is not None)
    y = SeededDropout.apply(x, c["p"], c["seed"])
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"SeededDropout.apply returned {type(y).__name__}, not a tensor")
    grad = None
    if c["grad_out"] is not None:
        if not y.requires_grad:
            raise RuntimeError("the output is detached from the autograd graph")
        if y.shape != c["grad_out"].shape:  # no sizes: they would reveal a hidden input
            raise RuntimeError("the output's shape differs from the input's")
        (y * c["grad_out"]).sum().backward()  # = y.backward(grad_out), minus its imports
        grad = x.grad.detach().clone() if x.grad is not None else torch.zeros_like(x)
    return {"y": y.detach().clone(), "grad": grad}


def run_seeded_cases(SeededDropout, cases):
    """execute: every case through the learner's Function."""
    return [run_seeded(SeededDropout, c) for c in cases]


def shape_dtype_problem(cases, results):
    """A message when an output's shape or dtype differs from its input's, else None."""
    for c, r in zip(cases, results):
        want = c["x"].transpose(0, -1).shape if c["transpose"] else c["x"].shape
        if r["y"].shape != want:  # no sizes: they would reveal a hidden check's input
            return "the output's shape differs from the input's: dropout keeps the shape"
        if r["y"].dtype != c["x"].dtype:
            return (f"a {c['x'].dtype} input came back as {r['y'].dtype}: keep the input's "
                    "dtype (make the mask in x's dtype, or cast it)")
    return None


def seeded_check(name, title, hint, prepare, judge, after=()):
    """A check of SeededDropout; a wrong output shape or dtype fails it before its judge."""
    def judge_shape_first(cases, results):
        problem = shape_dtype_problem(cases, results)
        return (False, problem) if problem else judge(cases, results)
    judge_shape_first.verdict = judge  # the judge behind it, for the drill's tests
    return Check(name, title, "SeededDropout", hint, prepare, run_seeded_cases,
                 judge_shape_first, after)


# --- 1. the gradient equals the stored-mask version's ------------------------------------
def cases_grad_matches(seed=11):
    x = nonzero_randn(2000, seed=seed)
    up = nonzero_randn(2000, seed=seed + 1)
    return [sd_case(x, 0.3, seed, grad_out=up)]


def verdict_grad_matches(cases, results):
    """Exact up to float32 rounding (rtol 4 eps); no false fails."""
    c, r = cases[0], results[0]
    p, up, y, g = c["p"], c["grad_out"], r["y"], r["grad"]
    kept = y != 0
    want = up.double() * kept / (1 - p)  # what a version that stored forward's mask returns
    if torch.allclose(g.double(), want, rtol=4 * EPS32, atol=0.0):
        return True, "gradient = upstream * mask / (1 - p), with forward's own mask"
    if not kept.any():
        return False, "every unit was dropped in forward, so the gradient cannot be compared"
    zero_where_dropped = (g[~kept] == 0).all().item()
    zero_where_kept = (g[kept] == 0).double().mean().item()
    if not zero_where_dropped and zero_where_kept > 0.01:
        return False, ("backward zeroed other units than forward did: it drew a NEW mask. "
                       "Reseed a generator with the same seed in backward so the mask repeats")
    if not zero_where_dropped:
        return False, ("units dropped in forward received gradient: backward must apply "
                       "forward's mask (regenerated from the seed)")
    if torch.allclose(g[kept].double(), torch.full_like(want[kept], 1 / (1 - p))):
        return False, ("the gradient ignores grad_output: return grad_output * mask / (1 - p)")
    ratio = (g[kept].double() / up[kept].double()).median().item()
    return False, scale_hint(ratio, p, "gradients on survivors are", "the upstream gradient")


# --- 2. nothing of the input's size is kept for backward ---------------------------------
# A tensor of at least n/16 elements counts as input-sized: a bool mask is n, a bit-packed one
# n/8; a seed or offset tensor (1 element) or even the CPU generator's state (5,056 bytes)
# stays far below it for the 100,000-element input used here.
SIZE_FRACTION = 16


def cases_no_saved_mask(seed=21):
    return [sd_case(torch.ones(100_000), 0.3, seed)]  # only sizes matter here


def _tensors_in(value, depth=0):
    """Tensors inside an attribute value: a tensor, or lists / tuples / dicts of them."""
    if isinstance(value, torch.Tensor):
        return [value]
    if depth < 3 and isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors_in(v, depth + 1)]
    if depth < 3 and isinstance(value, dict):
        return [t for v in value.values() for t in _tensors_in(v, depth + 1)]
    return []


def run_saved_probe(SeededDropout, cases):
    """What the learner's forward keeps for backward: tensors packed by autograd (through
    saved_tensors_hooks) and tensors stored as attributes of ctx. Sizes only."""
    c = cases[0]
    x = c["x"].detach().clone().requires_grad_(True)
    packed = []

    def pack(t):
        packed.append({"numel": t.numel(), "bytes": t.numel() * t.element_size(),
                       "is_input": t.untyped_storage().data_ptr() == x.untyped_storage().data_ptr(),
                       "dtype": str(t.dtype).replace("torch.", "")})
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = SeededDropout.apply(x, c["p"], c["seed"])
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"SeededDropout.apply returned {type(y).__name__}, not a tensor")
    attrs = []
    node = y.grad_fn
    for name, value in (vars(node).items() if node is not None and hasattr(node, "__dict__")
                        else []):
        for t in _tensors_in(value):
            attrs.append({"name": str(name), "numel": t.numel(),
                          "bytes": t.numel() * t.element_size(),
                          "is_input": t.untyped_storage().data_ptr()
                          == x.untyped_storage().data_ptr()})
    return {"packed": packed, "attrs": attrs, "has_graph": node is not None}


def verdict_no_saved_mask(cases, results):
    """Deterministic."""
    n = cases[0]["x"].numel()
    r, big = results, n // SIZE_FRACTION
    if not r["has_graph"]:
        return False, "the output has no grad_fn: it is detached from the autograd graph"
    for t in r["packed"]:
        if t["numel"] >= big:
            if t["is_input"]:
                return False, ("forward saves x for backward; dropout's gradient does not "
                               "need x, and saving it can keep a whole activation alive")
            return False, (f"forward saves a {t['dtype']} tensor of {t['numel']} elements "
                           f"({t['bytes']} bytes for a {n}-element input) with "
                           "save_for_backward: that is the mask; keep only the seed and "
                           "draw the mask again in backward")
    for t in r["attrs"]:
        if t["numel"] >= big:
            return False, (f"ctx.{t['name']} holds a tensor of {t['numel']} elements: a "
                           "mask (or input) kept on ctx costs the same memory as "
                           "save_for_backward; keep only the seed and p on ctx")
    kept = sum(t["bytes"] for t in r["packed"] + r["attrs"])
    return True, (f"backward keeps {kept} bytes of tensors for a {n}-element input "
                  "(the seed is enough)")


# --- 3. drop rate ------------------------------------------------------------------------
def cases_drop_rate(seed=31):
    return [sd_case(torch.ones(100_000), 0.3, seed)]  # only the zeros matter here


def verdict_drop_rate(cases, results):
    """One binomial test, n = 100,000: false-fail probability FALSE_FAIL."""
    p, n = cases[0]["p"], cases[0]["x"].numel()
    dropped = (results[0]["y"] == 0).double().mean().item()
    tol = bound(p, n)
    msg = f"p={p}: dropped {dropped:.4f} of {n} elements, expected {p} ± {tol:.4f}"
    if abs(dropped - p) <= tol:
        return True, msg
    if dropped in (0.0, 1.0):
        return False, msg + "; all or nothing was dropped: is the mask applied per element?"
    if abs(dropped - (1 - p)) <= tol:
        return False, msg + ("; you dropped with probability 1 - p: p is the DROP "
                             "probability, keep each unit with probability 1 - p")
    return False, msg


# --- 4. survivors are scaled by 1/(1-p) --------------------------------------------------
def cases_survivor_scale(seed=41):
    return [sd_case(nonzero_randn(10_000, seed=seed), 0.25, seed)]


def verdict_survivor_scale(cases, results):
    """Exact up to float32 rounding; no false fails."""
    p, x, y = cases[0]["p"], cases[0]["x"], results[0]["y"]
    kept = y != 0
    if not kept.any():
        return False, "every unit was dropped, so there are no survivors to inspect"
    if torch.allclose(y[kept].double(), x[kept].double() / (1 - p), rtol=4 * EPS32, atol=0):
        return True, f"survivors are x / (1 - p) = {1 / (1 - p):.4g} x"
    return False, scale_hint((y[kept].double() / x[kept].double()).median().item(), p)


# --- 5. same seed, same mask; another seed, another mask ---------------------------------
def cases_same_seed(seed=51):
    x = torch.ones(20_000)  # only where the zeros fall matters here
    return [sd_case(x, 0.5, seed), sd_case(x, 0.5, seed), sd_case(x, 0.5, seed + 1)]


def run_same_seed(SeededDropout, cases):
    """The three calls, with the global RNG moved on between them (as training does)."""
    out = []
    for c in cases:
        out.append(run_seeded(SeededDropout, c))
        torch.rand(7)  # other code draws random numbers between two dropout calls
    return out


def verdict_same_seed(cases, results):
    """Exact for the repeat; one binomial test (n = 20,000, q = p^2 + (1-p)^2) for the other
    seed: false-fail probability FALSE_FAIL."""
    first, again, other = (r["y"] for r in results)
    if not torch.equal(first, again):
        return False, ("the same seed gave a different output: draw the mask from a "
                       "torch.Generator seeded with `seed`, not from the global RNG")
    p, n = cases[0]["p"], first.numel()
    agree = ((first != 0) == (other != 0)).double().mean().item()
    q = p * p + (1 - p) ** 2
    if agree > q + bound(q, n):
        return False, ("a different seed gave (nearly) the same mask: the seed is ignored "
                       "(a constant seed, or a generator seeded once)")
    if agree < q - bound(q, n):
        return False, "masks for two seeds are anti-correlated: draw each from its own seed"
    return True, (f"same seed, same output; another seed agrees on {agree:.3f} of units "
                  f"(expected {q:.2f})")


def judge_same_seed(cases, results):
    problem = shape_dtype_problem(cases, results)
    return (False, problem) if problem else verdict_same_seed(cases, results)


# --- running the learner's saved_bytes ---------------------------------------------------
def _naive_dropout(x):
    """The textbook line: multiply by a boolean mask, divide by the keep probability."""
    return x * (torch.rand_like(x) < 0.9) / 0.9


def _torch_dropout(x):
    return F.dropout(x, 0.1, training=True)


def _scaled_matmul(a, w):
    return (a * 2.0) @ w  # the scaled copy of a is an intermediate; w is an input


def _square_of_shift(a):
    b = a + 1.0
    return b * b  # mul saves b twice: one tensor, kept once


class _Linear(torch.nn.Module):
    """A linear layer whose parameters are not counted (they stay alive anyway)."""

    def __init__(self, d_in, d_out, seed):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.weight = torch.nn.Parameter(torch.randn(d_out, d_in, generator=gen))
        self.bias = torch.nn.Parameter(torch.zeros(d_out))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def sb_case(label, fn, shapes, dtype=torch.float32, expected=0, inputs_kept=0,
            params_kept=0, saved_twice=0):
    """One call saved_bytes(fn, *inputs); the inputs are built in the child from shapes.

    expected: the right answer; the other numbers are what the op also keeps of its inputs,
    of a module's parameters, and a tensor it saves a second time (to name a wrong answer)."""
    return dict(label=label, fn=fn, shapes=shapes, dtype=dtype, expected=expected,
                inputs_kept=inputs_kept, params_kept=params_kept, saved_twice=saved_twice)


def run_saved_bytes(saved_bytes, cases):
    """execute: the learner's saved_bytes on every case (inputs require grad)."""
    out = []
    for i, c in enumerate(cases):
        gen = torch.Generator().manual_seed(1000 + i)
        args = [torch.randn(s, generator=gen).to(c["dtype"]).requires_grad_()
                for s in c["shapes"]]
        value = saved_bytes(c["fn"], *args)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"saved_bytes returned {type(value).__name__}, not an int")
        out.append(int(value))
    return out


def _itemsize(dtype):
    return torch.empty((), dtype=dtype).element_size()


def saved_bytes_problem(cases, results, show=True):
    """None when every case is right, else a message naming the likely bug."""
    for c, got in zip(cases, results):
        want = c["expected"]
        if got == want:
            continue
        msg = f"{c['label']}: got {got} bytes, expected {want}" if show else "a case is wrong"
        if got == 0:
            return msg + ("; nothing was counted: run fn under torch.autograd.graph."
                          "saved_tensors_hooks and add up the tensors pack() receives")
        size = _itemsize(c["dtype"])
        if size > 1 and got * size in (want, want + c["inputs_kept"], want + c["params_kept"]):
            return msg + "; you counted elements: multiply by element_size() for bytes"
        if c["inputs_kept"] and got in (want + c["inputs_kept"],
                                        want + c["inputs_kept"] + c["params_kept"]):
            return msg + ("; you counted the inputs: they stay alive anyway, skip tensors "
                          "whose storage is an input's")
        if c["params_kept"] and got == want + c["params_kept"]:
            return msg + ("; you counted the module's parameters: they stay alive anyway, "
                          "skip tensors whose storage is a parameter's")
        if c["saved_twice"] and got == want + c["saved_twice"]:
            return msg + ("; one tensor saved by two ops (or twice by one) is kept once: "
                          "count each storage once")
        return msg
    return None


# --- 6. saved_bytes on known cases -------------------------------------------------------
def cases_saved_bytes_known():
    n = 1000
    return [
        sb_case("x.exp()", torch.exp, [(n,)], expected=4 * n),  # keeps its result
        # on CPU torch's dropout keeps a scaled noise tensor in x's dtype
        sb_case("F.dropout(x, 0.1) on CPU", _torch_dropout, [(n,)], expected=4 * n),
        # the mul keeps the boolean mask: 1 byte per element
        sb_case("x * (rand_like(x) < 0.9) / 0.9", _naive_dropout, [(n,)], expected=n),
        # the matmul keeps the scaled copy of a (an intermediate) and w (an input)
        sb_case("(a * 2) @ w", _scaled_matmul, [(30, 20), (20, 10)], expected=4 * 30 * 20,
                inputs_kept=4 * 20 * 10),
    ]


def verdict_saved_bytes_known(cases, results):
    """Deterministic: the bytes follow from which tensors each op keeps."""
    problem = saved_bytes_problem(cases, results)
    if problem:
        return False, problem
    return True, ("exp 4 B/element, CPU F.dropout 4 B/element, bool-mask dropout "
                  "1 B/element, matmul its intermediate")


# --- 7. inputs and parameters are not counted --------------------------------------------
def cases_saved_bytes_inputs():
    return [
        sb_case("a * b (both inputs)", torch.mul, [(40, 50), (40, 50)], expected=0,
                inputs_kept=2 * 4 * 40 * 50),
        # F.linear keeps x (an input) and the weight (a parameter)
        sb_case("a linear module", _Linear(20, 10, seed=7), [(30, 20)], expected=0,
                inputs_kept=4 * 30 * 20, params_kept=4 * 20 * 10),
        sb_case("x.exp() in bfloat16", torch.exp, [(600,)], dtype=torch.bfloat16,
                expected=2 * 600),
    ]


def verdict_saved_bytes_inputs(cases, results):
    """Deterministic."""
    problem = saved_bytes_problem(cases, results)
    if problem:
        return False, problem
    return True, "inputs and a module's parameters are not counted; bfloat16 counts 2 bytes"


def saved_bytes_check(name, title, hint, prepare, judge, after=()):
    return Check(name, title, "saved_bytes", hint, prepare, run_saved_bytes, judge, after)


# --- running the learner's dropout_memory ------------------------------------------------
KINDS = ("attn", "resid", "mlp")


def block_params(d_model, n_layers, dtype, seed=0):
    """Weights of a small GPT-2-style stack (pre-LayerNorm, 4x MLP), requiring grad."""
    gen = torch.Generator().manual_seed(seed)

    def w(*shape):
        return (0.2 * torch.randn(*shape, generator=gen)).to(dtype).requires_grad_()
    return [dict(qkv=w(d_model, 3 * d_model), out=w(d_model, d_model),
                 up=w(d_model, 4 * d_model), down=w(4 * d_model, d_model))
            for _ in range(n_layers)]


def bool_mask_dropout(x, p, training=True):
    """Dropout that keeps a torch.bool mask (1 byte per element), like CUDA's fused kernel."""
    if not training or p == 0:
        return x
    return x * (torch.rand_like(x, dtype=torch.float32) >= p) / (1 - p)


def gpt_stack(x, params, n_heads, p_attn, p_resid, dropout=F.dropout, on_dropout=None):
    """A GPT-2-style stack: per layer, causal attention with dropout on its probabilities,
    dropout on the attention output ("resid") and on the MLP output ("mlp"), each before
    its residual add. on_dropout(kind, call) wraps each dropout call (to measure it)."""
    call = on_dropout or (lambda kind, f: f())
    b, s, d = x.shape
    dh = d // n_heads
    causal = torch.ones(s, s, dtype=torch.bool).triu(1)
    h = x
    for layer in params:
        a = F.layer_norm(h, (d,))
        q, k, v = (a @ layer["qkv"]).split(d, dim=-1)
        q, k, v = (t.reshape(b, s, n_heads, dh).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(dh)
        probs = scores.masked_fill(causal, float("-inf")).softmax(dim=-1)
        probs = call("attn", lambda: dropout(probs, p_attn, training=True))
        ctx = (probs @ v).transpose(1, 2).reshape(b, s, d)
        attn_out = ctx @ layer["out"]
        h = h + call("resid", lambda: dropout(attn_out, p_resid, training=True))
        mlp_out = F.gelu(F.layer_norm(h, (d,)) @ layer["up"]) @ layer["down"]
        h = h + call("mlp", lambda: dropout(mlp_out, p_resid, training=True))
    return h


def measure_mask_bytes(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype,
                       dropout=F.dropout):
    """Bytes autograd keeps inside each dropout call of a real small stack: {kind: bytes}.

    Each dropout call runs under its own saved_tensors_hooks, so only what that call keeps
    (its mask) is counted; the rest of the block is not. dtype: the stack's activations."""
    x = torch.randn(batch, seq, d_model, generator=torch.Generator().manual_seed(0))
    x = x.to(dtype).requires_grad_()
    measured = dict.fromkeys(KINDS, 0)

    def on_dropout(kind, f):
        storages = {}

        def pack(t):
            storages[t.untyped_storage().data_ptr()] = t
            return t
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = f()
        measured[kind] += sum(t.untyped_storage().nbytes() for t in storages.values())
        return out
    gpt_stack(x, block_params(d_model, n_layers, dtype), n_heads, p_attn, p_resid,
              dropout=dropout, on_dropout=on_dropout)
    measured["total"] = sum(measured[k] for k in KINDS)
    return measured


def mem_case(batch, seq, d_model, n_heads, n_layers, p_attn, p_resid, dtype,
             dropout=F.dropout, stack_dtype=None):
    """One configuration, with what a real stack of it keeps (measured here, in prepare).

    dtype is what the learner is told a mask element is; the stack runs in stack_dtype
    (default: dtype), e.g. a float32 stack whose bool_mask_dropout keeps torch.bool masks."""
    config = dict(batch=batch, seq=seq, d_model=d_model, n_heads=n_heads, n_layers=n_layers,
                  p_attn=p_attn, p_resid=p_resid, dtype=dtype)
    run = dict(config, dtype=stack_dtype or dtype)
    return dict(config=config, measured=measure_mask_bytes(**run, dropout=dropout))


def run_dropout_memory(dropout_memory, cases):
    """execute: the learner's dropout_memory on every configuration, as {kind: int}."""
    out = []
    for c in cases:
        got = dropout_memory(**c["config"])
        if not isinstance(got, dict):
            raise TypeError(f"dropout_memory returned {type(got).__name__}, not a dict")
        missing = [k for k in (*KINDS, "total") if k not in got]
        if missing:
            raise KeyError(f"dropout_memory's dict lacks {missing}")
        out.append({k: int(got[k]) for k in (*KINDS, "total")})
    return out


def memory_problem(cases, results, show=True):
    """None when every kind matches the measurement, else a message naming the likely bug;
    show=False keeps the sizes out (hidden checks)."""
    for c, got in zip(cases, results):
        cfg, want = c["config"], c["measured"]
        for kind in (*KINDS, "total"):
            if got[kind] == want[kind]:
                continue
            head = (f"{kind}: {got[kind]} bytes, measured {want[kind]}" if show
                    else f"the {kind} bytes are wrong")
            if want[kind] == 0:
                return head + ("; with p = 0 dropout returns its input and keeps nothing: "
                               "count 0 for that kind")
            if got[kind] == 0:
                return head + "; this kind's masks were not counted"
            ratio = got[kind] / want[kind]
            size = _itemsize(cfg["dtype"])
            guesses = [(1 / cfg["n_layers"], "forgot n_layers: every layer keeps its own masks"),
                       (1 / cfg["n_heads"], "forgot n_heads: each head has its own seq x seq "
                                            "attention probabilities"),
                       (1 / cfg["seq"], "seq instead of seq^2: attention probabilities are "
                                        "seq x seq per head"),
                       (4 / size, "4 bytes per element whatever the dtype: use the dtype's "
                                  "element size"),
                       (1 / size, "1 byte per element whatever the dtype: use the dtype's "
                                  "element size"),
                       (4.0, "the MLP's hidden width (4 d_model) was used: its dropout is on "
                             "the d_model-wide output")]
            for value, why in guesses:
                if value != 1 and abs(ratio - value) < 1e-9:
                    return head + "; " + why
            if kind == "total":
                return head + "; total is attn + resid + mlp"
            return head
    return None


def verdict_memory_vs_block(cases, results):
    """Deterministic: the measured bytes are exact."""
    problem = memory_problem(cases, results)
    if problem:
        return False, problem
    m = cases[0]["measured"]
    return True, (f"matches the measured stack: attn {m['attn']} B, resid {m['resid']} B, "
                  f"mlp {m['mlp']} B")


# --- 8. dropout_memory against a measured stack ------------------------------------------
def cases_memory_vs_block():
    return [mem_case(batch=2, seq=7, d_model=12, n_heads=3, n_layers=2, p_attn=0.1,
                     p_resid=0.2, dtype=torch.float32)]


# --- the stress tier: what the hidden checks test, on this notebook's own inputs -------
# The builders take their seeds and sizes as arguments: the stress checks use the defaults,
# the grader's hidden checks (hidden.py) other values.
def _grad_follows_output(c, r, rtol):
    """True when the gradient is upstream * (y != 0) / (1 - p) within rtol (in float64)."""
    kept = r["y"] != 0
    want = c["grad_out"].double() * kept / (1 - c["p"])
    return torch.allclose(r["grad"].double(), want, rtol=rtol, atol=0.0)


# --- two calls in flight: each backward uses its own seed --------------------------------
def cases_grad_interleaved(seed=161, n=3000):
    return [sd_case(nonzero_randn(n, seed=seed + i), 0.4, seed + 7 * i,
                    grad_out=nonzero_randn(n, seed=seed + 10 + i)) for i in range(2)]


def run_interleaved(SeededDropout, cases):
    """Both forwards first, then one backward through both (as two layers of a net do)."""
    xs = [c["x"].detach().clone().requires_grad_() for c in cases]
    ys = [SeededDropout.apply(x, c["p"], c["seed"]) for x, c in zip(xs, cases)]
    for y in ys:
        if not isinstance(y, torch.Tensor) or not y.requires_grad:
            raise RuntimeError("the output is not a tensor attached to the autograd graph")
    sum((y * c["grad_out"]).sum() for y, c in zip(ys, cases)).backward()
    return [{"y": y.detach().clone(),
             "grad": x.grad.detach().clone() if x.grad is not None else torch.zeros_like(x)}
            for x, y in zip(xs, ys)]


def verdict_grad_interleaved(cases, results):
    """Exact up to float32 rounding; no false fails."""
    for c, r in zip(cases, results):
        if not _grad_follows_output(c, r, 4 * EPS32):
            return False, ("with two calls in flight, a backward used the wrong mask: keep "
                           "each call's seed on its own ctx, not on the class or a global")
    return True, "each call's backward rebuilds its own mask"


# --- the global RNG is left alone --------------------------------------------------------
def cases_global_rng(seed=171, n=2000):
    return [sd_case(nonzero_randn(n, seed=seed), 0.3, seed,
                    grad_out=nonzero_randn(n, seed=seed + 1))]


def run_global_rng(SeededDropout, cases):
    torch.manual_seed(12345)
    before = torch.get_rng_state()
    out = run_seeded(SeededDropout, cases[0])
    return {"unchanged": bool(torch.equal(before, torch.get_rng_state())), **out}


def verdict_global_rng(cases, results):
    """Deterministic."""
    if not results["unchanged"]:
        return False, ("forward or backward changed the global RNG state (torch.manual_seed, "
                       "set_rng_state or an unseeded draw): use a private torch.Generator, "
                       "or every other random op in training shifts")
    return True, "the global RNG state is untouched"


# --- dtypes are kept, values right to the dtype's precision ------------------------------
DTYPES = (torch.bfloat16, torch.float16, torch.float64)


def cases_dtypes(seed=181, n=10_000):
    return [sd_case(nonzero_randn(n, seed=seed + i, dtype=dt), 0.3, seed + i,
                    grad_out=nonzero_randn(n, seed=seed + 10 + i, dtype=dt))
            for i, dt in enumerate(DTYPES)]


def verdict_dtypes(cases, results):
    """Deterministic: values within 2 eps of the dtype (one or two roundings)."""
    for c, r in zip(cases, results):
        x, y, p, dt = c["x"], r["y"], c["p"], c["x"].dtype
        eps = torch.finfo(dt).eps
        kept = y != 0
        if kept.all() or not kept.any():
            return False, f"a {dt} input was not dropped out (all or nothing kept)"
        if r["grad"].dtype != dt:
            return False, f"the gradient of a {dt} input is not {dt}"
        if not torch.allclose(y[kept].double(), x[kept].double() / (1 - p), rtol=2 * eps,
                              atol=0):
            return False, (f"survivors of a {dt} input are not x / (1 - p) to that dtype's "
                           "precision")
        if not _grad_follows_output(c, r, 2 * eps):
            return False, (f"for a {dt} input, backward's mask differs from forward's, or "
                           "is mis-scaled (is the mask drawn differently per dtype?)")
    return True, "bfloat16, float16 and float64 keep their dtype, values and mask"


# --- non-contiguous input, contiguous upstream gradient ----------------------------------
def cases_noncontiguous(seed=191, shape=(20, 50)):
    x = nonzero_randn(shape, seed=seed)  # transposed in the child: strided
    return [sd_case(x, 0.4, seed, grad_out=nonzero_randn(shape[::-1], seed=seed + 1),
                    transpose=True)]


def verdict_noncontiguous(cases, results):
    """Exact up to float32 rounding; no false fails."""
    c, r = cases[0], results[0]
    x, y, p = c["x"].transpose(0, -1), r["y"], c["p"]
    kept = y != 0
    if not torch.allclose(y[kept].double(), x[kept].double() / (1 - p), rtol=4 * EPS32, atol=0):
        return False, "for a non-contiguous input some survivor is not its own x / (1 - p)"
    if not _grad_follows_output(c, r, 4 * EPS32):
        return False, ("for a non-contiguous input, backward's mask lands on other elements "
                       "than forward's: empty_like/rand_like copy the strides of x or of "
                       "grad_output, which differ; draw into a fresh contiguous tensor")
    return True, "strided inputs get the same mask in forward and backward"


# --- saved_bytes: one storage counted once -----------------------------------------------
def _sin_plus_cos(a):
    b = a + 1.0
    return b.sin() + b.cos()  # both keep b


def cases_saved_bytes_dedupe(n=500):
    return [sb_case("b * b", _square_of_shift, [(n,)], expected=4 * n, saved_twice=4 * n),
            sb_case("b.sin() + b.cos()", _sin_plus_cos, [(n,)], expected=4 * n,
                    saved_twice=4 * n)]


def verdict_saved_bytes_dedupe(cases, results, show=True):
    """Deterministic."""
    problem = saved_bytes_problem(cases, results, show=show)
    if problem:
        return False, problem
    return True, "a tensor saved twice is counted once"


# --- dropout_memory: the mask's dtype and p = 0 ------------------------------------------
def cases_mask_dtype():
    return [mem_case(batch=2, seq=4, d_model=6, n_heads=2, n_layers=2, p_attn=0.1,
                     p_resid=0.2, dtype=torch.bfloat16),
            mem_case(batch=1, seq=5, d_model=8, n_heads=4, n_layers=2, p_attn=0.1,
                     p_resid=0.1, dtype=torch.bool, dropout=bool_mask_dropout,
                     stack_dtype=torch.float32)]


def cases_p_zero():
    return [mem_case(batch=1, seq=6, d_model=8, n_heads=2, n_layers=3, p_attn=0.0,
                     p_resid=0.2, dtype=torch.float32),
            mem_case(batch=1, seq=6, d_model=8, n_heads=2, n_layers=3, p_attn=0.2,
                     p_resid=0.0, dtype=torch.float32)]


def verdict_memory(cases, results, show=True):
    """Deterministic: the measured bytes are exact."""
    problem = memory_problem(cases, results, show=show)
    if problem:
        return False, problem
    return True, "matches the measured stacks"


VISIBLE = CheckSet("Dropout at scale checks", [
    seeded_check("grad_matches", "gradient equals the stored-mask version's",
                 "backward must rebuild forward's exact mask from the seed",
                 cases_grad_matches, verdict_grad_matches),
    Check("no_saved_mask", "nothing input-sized kept for backward", "SeededDropout",
          "keep the seed, not the mask", cases_no_saved_mask, run_saved_probe,
          verdict_no_saved_mask),
    seeded_check("drop_rate", "drops about p", "p is the probability of dropping a unit",
                 cases_drop_rate, verdict_drop_rate),
    seeded_check("survivor_scale", "survivors scaled by 1/(1-p)",
                 "inverted dropout rescales at train time",
                 cases_survivor_scale, verdict_survivor_scale),
    Check("same_seed", "same seed, same mask; new seed, new mask", "SeededDropout",
          "the mask is a function of the seed alone", cases_same_seed, run_same_seed,
          judge_same_seed),
    saved_bytes_check("saved_bytes_known", "saved_bytes on known ops",
                      "count what pack() receives, in bytes",
                      cases_saved_bytes_known, verdict_saved_bytes_known),
    saved_bytes_check("saved_bytes_inputs", "inputs and parameters not counted",
                      "they stay alive anyway", cases_saved_bytes_inputs,
                      verdict_saved_bytes_inputs),
    Check("memory_vs_block", "dropout_memory matches a measured stack", "dropout_memory",
          "attention masks are batch x heads x seq^2 per layer", cases_memory_vs_block,
          run_dropout_memory, verdict_memory_vs_block),
], stress=[
    Check("two_calls", "two calls in flight", "SeededDropout",
          "each call's backward uses its own seed", cases_grad_interleaved, run_interleaved,
          verdict_grad_interleaved, after=("grad_matches",)),
    Check("rng_untouched", "global RNG untouched", "SeededDropout",
          "forward and backward leave torch's global random state alone", cases_global_rng,
          run_global_rng, verdict_global_rng),
    seeded_check("dtypes_kept", "dtype kept", "half, bfloat16 and double stay as they are",
                 cases_dtypes, verdict_dtypes, after=("survivor_scale", "grad_matches")),
    seeded_check("strided", "strided input", "the mask follows logical positions",
                 cases_noncontiguous, verdict_noncontiguous,
                 after=("survivor_scale", "grad_matches")),
    Check("counted_once", "a storage counted once", "saved_bytes",
          "one tensor saved twice is kept once", cases_saved_bytes_dedupe, run_saved_bytes,
          verdict_saved_bytes_dedupe, after=("saved_bytes_known",)),
    Check("mask_dtype", "mask element size", "dropout_memory",
          "bytes per mask element follow dtype", cases_mask_dtype, run_dropout_memory,
          verdict_memory, after=("memory_vs_block",)),
    Check("p_zero", "p = 0 keeps nothing", "dropout_memory",
          "dropout with p = 0 keeps no mask", cases_p_zero, run_dropout_memory,
          verdict_memory, after=("memory_vs_block",)),
])
check, run_all_checks, stress_test = VISIBLE.check, VISIBLE.scoreboard, VISIBLE.stress_test

# Graded hints, the first giving the least away; `hint("SeededDropout")` shows the next one.
HINTS = {
    "SeededDropout": [
        "Dropout's gradient needs the mask, not x; a mask drawn from a seed can be drawn "
        "again, so forward only has to remember the seed and p.",
        "Draw the mask from a private torch.Generator seeded with `seed` (never the global "
        "one), on ctx keep only p and seed, and in backward draw the same mask again.",
        "Fill a new contiguous tensor of x's shape and dtype with Bernoulli(1 - p) using that "
        "generator and divide by 1 - p; backward returns grad_output times that mask, then "
        "None, None.",
    ],
    "saved_bytes": [
        "Autograd lets you watch every tensor an operation saves for backward, as it is saved.",
        "Run fn(*args) inside torch.autograd.graph.saved_tensors_hooks(pack, unpack); pack "
        "receives each saved tensor and must return it.",
        "Key what pack sees by t.untyped_storage().data_ptr(), skip the addresses of the "
        "inputs and of a module's parameters, and add up untyped_storage().nbytes() once per "
        "address.",
    ],
    "dropout_memory": [
        "Count the elements each dropout site masks in one layer, then think about layers "
        "and bytes per element.",
        "Attention probabilities are batch x n_heads x seq x seq; the attention output and "
        "the MLP output are batch x seq x d_model each (the MLP's dropout is on its output, "
        "not its 4x hidden layer).",
        "Multiply by n_layers and by torch.empty((), dtype=dtype).element_size(); a kind "
        "whose p is 0 costs 0, because F.dropout then returns its input.",
    ],
}
