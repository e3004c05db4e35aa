"""Hidden checks for drill 02: the stress tier's properties on inputs the notebook never shows.

Every property here is also tested in the notebook (checks.py's stress tier); what stays
hidden is only other nets, sizes, p values and seeds, so that an answer cannot be tuned to
the inputs it can read. Builders and verdicts are checks.py's, run with show=False: the
messages name the bug but never the inputs. Every check here is deterministic: the
ClassicDropout ones use p = 0 (nothing random) or only the constructor, and the export and
engine ones use fixed weights and inputs. No false fails.
"""
import functools

import torch

from grader.payload.checkkit import Check
from grader.grading.model import on_other_inputs
from solutions.drill02_export.checks import (
    CLASSIC_NET, INVERTED_NET, bad_net_cases, bad_p_cases, case, classic_check, engine_case,
    engine_check, engines_verdict, export_check, exports_verdict, p_zero_cases, run_bad_nets,
    verdict_bad_nets, verdict_bias_untouched, verdict_classic_bad_p, verdict_classic_p_zero,
    verdict_float64, verdict_no_share)


def hidden_exports(ok):
    return exports_verdict(ok, show=False)


def hidden_engines(ok):
    return engines_verdict(ok, show=False)


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


def cases_input_dropout():
    return [case([("classic", 0.2), ("linear", 5, 9), ("relu",), ("classic", 0.5),
                  ("linear", 9, 2)], seed=310)]


def cases_per_layer_p():
    net = [("linear", 6, 12), ("relu",), ("classic", 0.1), ("linear", 12, 12), ("tanh",),
           ("classic", 0.7), ("linear", 12, 12), ("relu",), ("dropout", 0.3), ("linear", 12, 12),
           ("relu",), ("classic", 0.25), ("linear", 12, 3)]
    return [case(net, seed=320)]


def cases_bias_untouched():
    return [case(CLASSIC_NET, seed=330), case(INVERTED_NET, seed=331),
            case([("classic", 0.3), ("linear", 5, 9), ("relu",), ("classic", 0.5),
                  ("linear", 9, 2)], seed=332)]


def cases_no_bias():
    return [case([("linear", 6, 10, False), ("relu",), ("classic", 0.5), ("linear", 10, 10, False),
                  ("tanh",), ("dropout", 0.3), ("linear", 10, 2, False)], seed=340),
            case([("linear", 6, 10), ("relu",), ("classic", 0.5), ("linear", 10, 2, False)],
                 seed=341)]


def cases_float64():
    return [case(CLASSIC_NET, seed=350, dtype=torch.float64),
            case(INVERTED_NET, seed=351, dtype=torch.float64)]


def cases_no_dropout():
    return [case([("linear", 6, 10), ("relu",), ("linear", 10, 10), ("tanh",), ("linear", 10, 3)],
                 seed=360)]


def cases_p_zero():
    return [case([("linear", 6, 10), ("relu",), ("classic", 0.0), ("linear", 10, 10), ("relu",),
                  ("dropout", 0.0), ("linear", 10, 3)], seed=370),
            case([("classic", 0.0), ("linear", 6, 4), ("tanh",), ("classic", 0.5),
                  ("linear", 4, 2)], seed=371)]


def cases_before_first_linear():
    return [case([("classic", 0.3), ("relu",), ("linear", 6, 10), ("tanh",), ("linear", 10, 2)],
                 seed=380),
            case([("linear", 6, 10), ("classic", 0.5), ("relu",), ("linear", 10, 3)], seed=381)]


def cases_no_share():
    return [case(INVERTED_NET, seed=390), case(CLASSIC_NET, seed=391)]


BAD_NETS = [  # (spec, index of the classic dropout that cannot be folded, or None)
    ([("linear", 4, 6), ("relu",), ("classic", 0.5)], 2),
    ([("linear", 4, 6), ("classic", 0.5), ("tanh",), ("linear", 6, 2)], 1),
    ([("linear", 4, 6), ("relu",), ("classic", 0.5), ("relu",)], 2),
    ([("linear", 4, 6), ("tanh",), ("dropout", 0.5), ("tanh",), ("linear", 6, 2)], None),
    ([("linear", 4, 6), ("relu",), ("dropout", 0.5)], None),
]


def cases_bad_nets():
    return bad_net_cases(BAD_NETS, seed=400)


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


def cases_classic_p_zero():
    return p_zero_cases(10_000, seed=600)


def cases_classic_bad_p():
    return bad_p_cases((-0.1, 1.01, 2.0), (0.5, 1.0, 0.999), seed=610)


HIDDEN = on_other_inputs([
    export_check("export_depths", "export at depth 1 to 4", "fold at every classic dropout",
                 cases_depths, hidden_exports("depth 1 to 4 export right"),
                 after=("export_classic",)),
    export_check("export_input_dropout", "classic dropout on the inputs",
                 "it scales the first Linear", cases_input_dropout,
                 hidden_exports("dropout on the inputs is folded into the first layer")),
    export_check("export_per_layer_p", "a different p per layer", "each dropout its own 1 - p",
                 cases_per_layer_p, hidden_exports("every layer folds its own keep probability")),
    export_check("export_bias_untouched", "biases untouched", "only the weights are scaled",
                 cases_bias_untouched, functools.partial(verdict_bias_untouched, show=False)),
    export_check("export_no_bias", "Linear layers without bias", "bias None",
                 cases_no_bias, hidden_exports("layers without bias export bias None")),
    export_check("export_float64", "float64 nets", "keep the dtype", cases_float64,
                 functools.partial(verdict_float64, show=False)),
    export_check("export_no_dropout", "a net with no dropout", "nothing to fold",
                 cases_no_dropout, hidden_exports("a net without dropout exports as it is")),
    export_check("export_p_zero", "p = 0 layers", "1 - p = 1", cases_p_zero,
                 hidden_exports("p = 0 layers export right")),
    export_check("export_before_first_linear", "a ReLU between a dropout and its Linear",
                 "ReLU(k x) = k ReLU(x) for k >= 0", cases_before_first_linear,
                 hidden_exports("the fold skips a ReLU, also before the first Linear")),
    export_check("export_no_share", "exported arrays are NumPy copies",
                 "changing them never changes the model", cases_no_share,
                 functools.partial(verdict_no_share, show=False)),
    Check("export_bad_nets", "ValueError when a classic dropout cannot be folded",
          "export_weights", "nothing linear after it, or a Tanh in between", cases_bad_nets,
          run_bad_nets, functools.partial(verdict_bad_nets, show=False)),
    engine_check("engine_float64", "engine keeps float64", "no float32 cast",
                 cases_engine_float64, hidden_engines("float64 in, float64 out, to 1e-10")),
    engine_check("engine_no_bias", "engine with bias None", "skip a missing bias",
                 cases_engine_no_bias, hidden_engines("layers without bias run")),
    engine_check("engine_shapes", "engine output shapes", "(batch, out), also for 1 x 1",
                 cases_engine_shapes,
                 hidden_engines("depth 1, a batch of one and a leading ReLU keep their shape")),
    classic_check("classic_p_zero", "ClassicDropout(0) is the identity", "1 - p = 1",
                  cases_classic_p_zero, verdict_classic_p_zero),
    classic_check("classic_bad_p", "ValueError for p outside [0, 1]", "p is a probability",
                  cases_classic_bad_p, verdict_classic_bad_p),
])

