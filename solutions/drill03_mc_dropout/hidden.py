"""Hidden checks for drill 03 (Monte Carlo dropout): the stress tier's properties on inputs
the notebook never shows.

Every property here is also tested in the notebook (checks.py's stress tier); what stays
hidden is only other seeds, sizes and models (a deeper nest of containers, other nets,
other T and points), so that an answer cannot be tuned to the inputs it can read. The case
builders and verdicts are checks.py's; the messages name the bug without the inputs.

No check here is statistical: the seeded ones compare with the plain loop run under the
same seed (equal up to float rounding), the rest are exact. None fails a correct answer
by chance.
"""
import functools

import torch.nn as nn

from grader.payload.checkkit import Check
from grader.grading.model import on_other_inputs
from solutions.drill03_mc_dropout.checks import (
    Block, course_net, classify_cases, dtype_cases, exception_case, grid, inplace_cases,
    nested_cases, prior_mode_cases, run_classify_seeded, run_exception, run_inside_each,
    run_no_graph, run_predict, run_seeded_predict, seeded_build, seeded_cases,
    verdict_classify_reference, verdict_dtype, verdict_exception_restores,
    verdict_inplace_input, verdict_nested, verdict_no_graph, verdict_prior_modes, verdict_t_one,
    verdict_vectorised, wide_net)


def nested_net():
    """Blocks inside lists, every torch dropout class, normalisation layers around them."""
    return seeded_build(20, lambda: nn.Sequential(
        nn.Linear(4, 8), Block(), nn.ModuleList([Block(), nn.FeatureAlphaDropout(0.1),
                                                 nn.Dropout3d(0.1), nn.Dropout1d(0.1)]),
        nn.BatchNorm2d(3), nn.GroupNorm(2, 4)))


def cases_nested():
    return nested_cases(nested_net)


def cases_exception_restores():
    return exception_case(nested_net())


def cases_t_one():
    return seeded_cases(wide_net(0.5, seed=21), grid(6, -1.0, 1.0), 1, seed=5)


def cases_prior_modes():
    return prior_mode_cases(22, grid(8, -1.0, 1.0))


def cases_vectorised():
    return seeded_cases(course_net(0.5, seed=23, d_in=1, d_out=2), grid(5, -2.0, 2.0), 40,
                        seed=11)


def cases_no_graph():
    return [{"model": wide_net(0.5, seed=24), "x": grid(6, -1.0, 1.0), "T": 10}]


def cases_dtype():
    return dtype_cases(25, 6)


def cases_inplace_input():
    return inplace_cases(26, 7, 3)


def cases_classify_reference():
    return classify_cases((30, 31), 8)


def hidden_check(target, name, title, hint, prepare, execute, judge, after=()):
    return Check(name, title, target, hint, prepare, execute, judge, tuple(after))


HIDDEN = on_other_inputs([
    hidden_check("enable_mc_dropout", "nested", "nested and unusual dropout modules",
                 "every dropout module, at any depth, of any dropout class",
                 cases_nested, run_inside_each, functools.partial(verdict_nested, hidden=True)),
    hidden_check("enable_mc_dropout", "exception_restores", "modes restored after an exception",
                 "restore in a finally block and let the exception through",
                 cases_exception_restores, run_exception, verdict_exception_restores),
    hidden_check("mc_predict", "t_one", "T = 1", "one pass: the std is zero, not NaN",
                 cases_t_one, run_seeded_predict, verdict_t_one),
    hidden_check("mc_predict", "prior_modes", "the model is left as it was",
                 "eval, train or mixed before the call: the same after it",
                 cases_prior_modes, run_predict,
                 functools.partial(verdict_prior_modes, hidden=True)),
    hidden_check("mc_predict", "vectorised", "vectorised, equal to the loop",
                 "one batched call, pass-major, same numbers as the loop under one seed",
                 cases_vectorised, run_seeded_predict, verdict_vectorised),
    hidden_check("mc_predict", "no_graph", "no autograd graph", "the passes run under no_grad",
                 cases_no_graph, run_no_graph, verdict_no_graph),
    hidden_check("mc_predict", "dtype", "dtype kept", "float64 stays float64",
                 cases_dtype, run_predict, verdict_dtype),
    hidden_check("mc_predict", "inplace_input", "in-place dropout leaves x alone",
                 "the model gets a copy of x", cases_inplace_input, run_predict,
                 verdict_inplace_input),
    hidden_check("mc_classify", "classify_reference", "classification scores match",
                 "mean softmax; entropies in nats; MI = H[mean] - mean H",
                 cases_classify_reference, run_classify_seeded, verdict_classify_reference),
])

