"""Hidden checks for drill 02: the rest of the spec, kept in the grader.

Messages name the bug but never the inputs (sizes, p values, which net). Every check here is
deterministic: the ClassicDropout ones use p = 0 (nothing random) or only the constructor,
and the export and engine ones use fixed weights and inputs. No false fails.
"""
import re

import torch

from grader.payload.checkkit import Check
from solutions.drill02_export.checks import (
    CLASSIC_NET, INVERTED_NET, build_model, classic_case, classic_check, classic_class,
    engine_case, export_case, judge_engines, judge_exports, nonzero_randn, plain_layers,
    run_engines, run_exports, structure_problem)


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
    return export_case(spec, seed, dtype, **scales(spec))


def exports_verdict(ok):
    def judge(cases, results):
        passed, message = judge_exports(cases, results, show=False)
        return passed, message or ok
    return judge


def export_check(name, title, hint, prepare, judge, after=()):
    return Check(name, title, "export_weights", hint, prepare, run_exports, judge, after)


# --- depth 1 to 4 --------------------------------------------------------------------------
def cases_depths():
    nets = [
        [("classic", 0.5), ("linear", 7, 2)],
        [("linear", 7, 10), ("relu",), ("classic", 0.5), ("linear", 10, 2)],
        [("linear", 7, 10), ("tanh",), ("classic", 0.5), ("linear", 10, 10), ("relu",),
         ("classic", 0.5), ("linear", 10, 2)],
        [("linear", 7, 10), ("relu",), ("classic", 0.5), ("linear", 10, 10), ("tanh",),
         ("classic", 0.5), ("linear", 10, 10), ("relu",), ("classic", 0.5), ("linear", 10, 2)],
    ]
    return [case(net, seed=300 + i) for i, net in enumerate(nets)]


# --- dropout on the inputs -------------------------------------------------------------------
def cases_input_dropout():
    return [case([("classic", 0.2), ("linear", 5, 9), ("relu",), ("classic", 0.5),
                  ("linear", 9, 2)], seed=310)]


# --- a different p per layer ------------------------------------------------------------------
def cases_per_layer_p():
    net = [("linear", 6, 12), ("relu",), ("classic", 0.1), ("linear", 12, 12), ("tanh",),
           ("classic", 0.7), ("linear", 12, 12), ("relu",), ("dropout", 0.3), ("linear", 12, 12),
           ("relu",), ("classic", 0.25), ("linear", 12, 3)]
    return [case(net, seed=320)]


# --- biases exported as they are ---------------------------------------------------------------
def cases_bias_untouched():
    return [case(CLASSIC_NET, seed=330), case(INVERTED_NET, seed=331),
            case([("classic", 0.3), ("linear", 5, 9), ("relu",), ("classic", 0.5),
                  ("linear", 9, 2)], seed=332)]


def verdict_bias_untouched(cases, results):
    """Deterministic: every exported bias equals the model's, element for element."""
    for c, r in zip(cases, results):
        problem = structure_problem(c, r, show=False)
        if problem:
            return False, problem
        linears = [e for e in r["layers"] if e["kind"] == "linear"]
        for e, (_, b) in zip(linears, c["params"]):
            if not torch.allclose(e["bias"].double(), b.double(), rtol=1e-7, atol=0.0):
                return False, ("a bias was changed: dropout scales the activations that the "
                               "weight multiplies, never the bias; export every bias as it is")
    return True, "every bias is exported as it is"


# --- Linear layers without bias -------------------------------------------------------------------
def cases_no_bias():
    return [case([("linear", 6, 10, False), ("relu",), ("classic", 0.5), ("linear", 10, 10, False),
                  ("tanh",), ("dropout", 0.3), ("linear", 10, 2, False)], seed=340),
            case([("linear", 6, 10), ("relu",), ("classic", 0.5), ("linear", 10, 2, False)],
                 seed=341)]


# --- float64 nets --------------------------------------------------------------------------------
def cases_float64():
    return [case(CLASSIC_NET, seed=350, dtype=torch.float64),
            case(INVERTED_NET, seed=351, dtype=torch.float64)]


def verdict_float64(cases, results):
    """Deterministic: float64 arrays, output equal to 1e-10 relative."""
    for c, r in zip(cases, results):
        problem = structure_problem(c, r, show=False)
        if problem:
            return False, problem
        for e in r["layers"]:
            for key in ("weight", "bias"):
                if e.get(key) is not None and e[key].dtype != torch.float64:
                    return False, (f"a float64 model was exported as {e[key].dtype}: keep the "
                                   "parameters' dtype (no .float() or astype(np.float32))")
    return exports_verdict("float64 nets export in float64, exactly")(cases, results)


# --- a net without dropout ---------------------------------------------------------------------
def cases_no_dropout():
    return [case([("linear", 6, 10), ("relu",), ("linear", 10, 10), ("tanh",), ("linear", 10, 3)],
                 seed=360)]


# --- p = 0 layers -------------------------------------------------------------------------------
def cases_p_zero():
    return [case([("linear", 6, 10), ("relu",), ("classic", 0.0), ("linear", 10, 10), ("relu",),
                  ("dropout", 0.0), ("linear", 10, 3)], seed=370),
            case([("classic", 0.0), ("linear", 6, 4), ("tanh",), ("classic", 0.5),
                  ("linear", 4, 2)], seed=371)]


# --- a ReLU between the dropout and its Linear, before the first Linear too ----------------
def cases_before_first_linear():
    return [case([("classic", 0.3), ("relu",), ("linear", 6, 10), ("tanh",), ("linear", 10, 2)],
                 seed=380),
            case([("linear", 6, 10), ("classic", 0.5), ("relu",), ("linear", 10, 3)], seed=381)]


# --- exported arrays are NumPy copies --------------------------------------------------------
def cases_no_share():
    return [case(INVERTED_NET, seed=390), case(CLASSIC_NET, seed=391)]


def verdict_no_share(cases, results):
    """Deterministic."""
    for c, r in zip(cases, results):
        problem = structure_problem(c, r, show=False)
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
BAD_NETS = [  # (spec, index of the classic dropout that cannot be folded, or None)
    ([("linear", 4, 6), ("relu",), ("classic", 0.5)], 2),
    ([("linear", 4, 6), ("classic", 0.5), ("tanh",), ("linear", 6, 2)], 1),
    ([("linear", 4, 6), ("relu",), ("classic", 0.5), ("relu",)], 2),
    ([("linear", 4, 6), ("tanh",), ("dropout", 0.5), ("tanh",), ("linear", 6, 2)], None),
    ([("linear", 4, 6), ("relu",), ("dropout", 0.5)], None),
]


def cases_bad_nets():
    return [dict(case(spec, seed=400 + i), bad=bad) for i, (spec, bad) in enumerate(BAD_NETS)]


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


def verdict_bad_nets(cases, results):
    """Deterministic."""
    for c, r in zip(cases, results):
        if c["bad"] is None:
            if r["error"]:
                return False, (f"export_weights raised {r['error']} for an nn.Dropout that is "
                               "not followed by a Linear; inverted dropout needs no folding: "
                               "export the net as it is")
            passed, message = judge_exports([c], [r], show=False)
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
def engines_verdict(ok):
    def judge(cases, results):
        passed, message = judge_engines(cases, results, show=False)
        return passed, message or ok
    return judge


def cases_engine_float64():
    return [engine_case([("linear", 5, 12), ("relu",), ("linear", 12, 8), ("tanh",),
                         ("linear", 8, 3)], seed=500, dtype=torch.float64)]


def cases_engine_no_bias():
    return [engine_case([("linear", 5, 12, False), ("relu",), ("linear", 12, 8), ("tanh",),
                         ("linear", 8, 3, False)], seed=510)]


def cases_engine_shapes():
    return [engine_case([("linear", 5, 1)], seed=520, rows=1),
            engine_case([("relu",), ("linear", 4, 3)], seed=521, rows=7),
            engine_case([("linear", 3, 6), ("tanh",)], seed=522, rows=1)]


def engine_check(name, title, hint, prepare, ok, after=("engine_matches",)):
    return Check(name, title, "engine_forward", hint, prepare, run_engines, engines_verdict(ok),
                 after)


# --- ClassicDropout: p = 0 and bad p -----------------------------------------------------------
def cases_classic_p_zero():
    x = nonzero_randn(10_000, seed=600)
    return [classic_case(0.0, x), classic_case(0.0, x, train=False)]


def verdict_classic_p_zero(cases, results):
    """Deterministic: nothing is dropped, nothing is scaled."""
    for c, r in zip(cases, results):
        if not torch.equal(r["out"], c["x"]):
            mode = "training" if c["train"] else "eval"
            return False, (f"ClassicDropout(0) changed its input in {mode} mode: with p = 0 "
                           "nothing is dropped and 1 - p = 1")
    return True, "p = 0 is the identity in both modes"


BAD_PS, GOOD_PS = (-0.1, 1.01, 2.0), (0.5, 1.0, 0.999)


def cases_classic_bad_p():
    # the first case runs forward, so an untouched stub reports "not implemented yet"
    return ([classic_case(0.5, nonzero_randn(100, seed=610))]
            + [classic_case(p, None, construct_only=True) for p in BAD_PS + GOOD_PS])


def verdict_classic_bad_p(cases, results):
    """Deterministic."""
    for c, r in zip(cases[1:], results[1:]):
        if c["p"] in BAD_PS and not r["value_error"]:
            got = f"raised {r['init_error']}" if r["init_error"] else "raised nothing"
            return False, f"ClassicDropout(p) with p outside [0, 1] {got}; raise ValueError"
        if c["p"] in GOOD_PS and r["init_error"]:
            return False, (f"ClassicDropout(p) raised {r['init_error']} for a valid p; classic "
                           "dropout accepts every p in [0, 1] (p = 1 is legal: it divides by "
                           "nothing)")
    return True, "ValueError outside [0, 1]; every p in [0, 1] constructs"


HIDDEN = [
    export_check("export_depths", "export at depth 1 to 4", "fold at every classic dropout",
                 cases_depths, exports_verdict("depth 1 to 4 export right"),
                 after=("export_classic",)),
    export_check("export_input_dropout", "classic dropout on the inputs",
                 "it scales the first Linear", cases_input_dropout,
                 exports_verdict("dropout on the inputs is folded into the first layer")),
    export_check("export_per_layer_p", "a different p per layer", "each dropout its own 1 - p",
                 cases_per_layer_p, exports_verdict("every layer folds its own keep probability")),
    export_check("export_bias_untouched", "biases untouched", "only the weights are scaled",
                 cases_bias_untouched, verdict_bias_untouched),
    export_check("export_no_bias", "Linear layers without bias", "bias None",
                 cases_no_bias, exports_verdict("layers without bias export bias None")),
    export_check("export_float64", "float64 nets", "keep the dtype", cases_float64,
                 verdict_float64),
    export_check("export_no_dropout", "a net with no dropout", "nothing to fold",
                 cases_no_dropout, exports_verdict("a net without dropout exports as it is")),
    export_check("export_p_zero", "p = 0 layers", "1 - p = 1", cases_p_zero,
                 exports_verdict("p = 0 layers export right")),
    export_check("export_before_first_linear", "a ReLU between a dropout and its Linear",
                 "ReLU(k x) = k ReLU(x) for k >= 0", cases_before_first_linear,
                 exports_verdict("the fold skips a ReLU, also before the first Linear")),
    export_check("export_no_share", "exported arrays are NumPy copies",
                 "changing them never changes the model", cases_no_share, verdict_no_share),
    Check("export_bad_nets", "ValueError when a classic dropout cannot be folded",
          "export_weights", "nothing linear after it, or a Tanh in between", cases_bad_nets,
          run_bad_nets, verdict_bad_nets),
    engine_check("engine_float64", "engine keeps float64", "no float32 cast",
                 cases_engine_float64, "float64 in, float64 out, to 1e-10"),
    engine_check("engine_no_bias", "engine with bias None", "skip a missing bias",
                 cases_engine_no_bias, "layers without bias run"),
    engine_check("engine_shapes", "engine output shapes", "(batch, out), also for 1 x 1",
                 cases_engine_shapes, "depth 1, a batch of one and a leading ReLU keep their shape"),
    classic_check("classic_p_zero", "ClassicDropout(0) is the identity", "1 - p = 1",
                  cases_classic_p_zero, verdict_classic_p_zero),
    classic_check("classic_bad_p", "ValueError for p outside [0, 1]", "p is a probability",
                  cases_classic_bad_p, verdict_classic_bad_p),
]
