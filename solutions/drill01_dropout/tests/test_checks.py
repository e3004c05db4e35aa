"""The notebook's checks (six narrated, the stress tier): never fail the reference, always
catch the bug each one targets.

False fails: one run of the scoreboard holds 60 binomial 6-sigma tests (drop_rate,
expectation, far_p_rate 2, fresh_each_call, each_element 3, shape_kept, under_no_grad,
steady 50), each failing a correct module with probability <= 2.1e-9: <= 1.3e-7 per run,
so 1,000 seeded runs false-fail with <= 1.3e-4. The other checks compare values to within a
few units of rounding, whatever the mask: 20 seeds cover them.
"""
import contextlib
import io
import runpy
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from grader.payload.checkkit import evaluate, verdict
from solutions.drill01_dropout.checks import (VISIBLE, case, check, nonzero_randn,
                                              run_all_checks, run_case)

REFERENCE = Path(__file__).parent.parent / "mutants" / "correct" / "rand_like_ge.py"


def reference():
    return runpy.run_path(str(REFERENCE))["Dropout"]


STATISTICAL = {"drop_rate", "expectation", "far_p_rate", "fresh_each_call", "each_element",
               "shape_kept", "under_no_grad", "steady"}


def test_reference_passes_every_check_on_1000_seeds():
    """Inputs are prepared once (run_case never changes them); masks are new every seed. The
    statistical checks run on all 1,000 seeds, the exact ones on the first 20."""
    Dropout = reference()
    prepared = [(spec, spec.prepare()) for spec in VISIBLE]
    assert STATISTICAL <= set(VISIBLE.by_name)
    failures = []
    for seed in range(1000):
        torch.manual_seed(seed)
        for spec, inputs in prepared:
            if seed >= 20 and spec.name not in STATISTICAL:
                continue
            status, message = verdict(spec, inputs, spec.execute(Dropout, inputs))
            if status != "pass":
                failures.append((seed, spec.name, message))
    assert failures == []


class _Base(nn.Module):
    """Validating constructor shared by the mutants; forward is what each one gets wrong."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(p)
        self.p = p

    def keep(self, x):
        return (torch.rand_like(x) >= self.p).to(x.dtype)


class TrainMethodFlag(_Base):
    def forward(self, x):
        if not self.train:  # bound method, always truthy: never takes the eval branch
            return x
        return x * self.keep(x) / (1 - self.p)


class EvalRescaled(_Base):
    def forward(self, x):
        if not self.training:
            return x * (1 - self.p)
        return x * self.keep(x) / (1 - self.p)


class KeepProbP(_Base):
    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) < self.p) / (1 - self.p)


class NoScaling(_Base):
    def forward(self, x):
        return x * self.keep(x) if self.training else x


class TimesKeep(_Base):
    def forward(self, x):
        return x * self.keep(x) * (1 - self.p) if self.training else x


class ScaledTwice(_Base):
    def forward(self, x):
        return x * self.keep(x) / (1 - self.p) ** 2 if self.training else x


class TimesThree(_Base):
    def forward(self, x):
        return x * self.keep(x) * 3 if self.training else x


class DividedByP(_Base):
    def forward(self, x):
        return x * self.keep(x) / self.p if self.training else x


class Detached(_Base):
    def forward(self, x):
        return (x * self.keep(x) / (1 - self.p)).detach() if self.training else x


class UnscaledGradient(_Base):
    """Right values, but the rescaling is detached, so the gradient is the bare mask."""

    def forward(self, x):
        if not self.training:
            return x
        kept = x * self.keep(x)
        return kept + (kept * (1 / (1 - self.p) - 1)).detach()


MUTANTS = [
    ("eval_identity", TrainMethodFlag, "self.train is a method"),
    ("eval_identity", EvalRescaled, "scaled by (1 - p)"),
    ("drop_rate", KeepProbP, "DROP probability"),
    ("expectation", NoScaling, "the mean shrank by (1 - p): divide"),
    ("expectation", TimesKeep, "multiplied survivors by (1 - p) instead of dividing"),
    ("expectation", ScaledTwice, "scaled twice"),
    ("expectation", TimesThree, "the mean is 2.4"),
    ("expectation", DividedByP, "divided by p"),
    ("survivor_scale", DividedByP, "divided by p"),
    ("gradient", DividedByP, "divided by p"),
    ("survivor_scale", NoScaling, "equal to the input: divide by (1 - p)"),
    ("survivor_scale", TimesKeep, "you multiplied by (1 - p) instead of dividing"),
    ("survivor_scale", ScaledTwice, "scaled twice"),
    ("survivor_scale", TimesThree, "3 times the input"),
    ("p0_identity", DividedByP, "divided by p"),
    ("gradient", Detached, "detached"),
    ("gradient", UnscaledGradient, "gradients on survivors are equal to the upstream"),
]


@pytest.mark.parametrize("name, mutant, hint", MUTANTS,
                         ids=[f"{n}-{m.__name__}" for n, m, _ in MUTANTS])
def test_each_check_fails_its_bug_and_names_it(name, mutant, hint):
    torch.manual_seed(0)
    status, message = evaluate(VISIBLE.by_name[name], mutant)
    assert status in ("fail", "error")  # error: our own runner refused the output
    assert hint in message


class DividedByPGuarded(DividedByP):
    """Divides by p, but returns x at p = 0, so the p = 0 check cannot see the bug."""

    def forward(self, x):
        return x if self.p == 0 else super().forward(x)


@pytest.mark.parametrize("mutant", [DividedByP, DividedByPGuarded])
def test_the_visible_six_catch_the_notation_trap(mutant):
    """At p = 0.5, 1/p = 1/(1-p): the scale checks use p = 0.2, where dividing by p is caught
    (and named) even when p = 0 is special-cased."""
    torch.manual_seed(0)
    outcomes = {c.name: evaluate(c, mutant) for c in VISIBLE}
    caught = {n for n, (s, _) in outcomes.items() if s == "fail"}
    assert {"expectation", "survivor_scale", "gradient"} <= caught
    assert all("divided by p" in outcomes[n][1] for n in ("expectation", "survivor_scale",
                                                           "gradient"))
    for c in VISIBLE:
        if c.name in ("expectation", "survivor_scale", "gradient"):
            p = c.prepare()[0]["p"]
            assert abs(1 / p - 1 / (1 - p)) > 1, (c.name, p)


class Stub(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        raise NotImplementedError("your code here")


class StubInit(nn.Module):
    def __init__(self, p=0.5):
        raise NotImplementedError


@pytest.mark.parametrize("stub", [Stub, StubInit])
def test_stub_is_todo_everywhere(stub):
    assert {evaluate(spec, stub)[0] for spec in VISIBLE} == {"todo"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run_all_checks({"Dropout": stub})
    n = len(VISIBLE.checks)
    assert f"Score: 0 of {n} passed ({n} not implemented yet)" in out.getvalue()


def test_check_prints_its_verdict():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check("eval_identity", reference())
        check("eval_identity", TrainMethodFlag)
    assert out.getvalue().count("PASS") == 1 and out.getvalue().count("FAIL") == 1


class Flatten(_Base):
    def forward(self, x):
        return x.reshape(1, -1)


class Double(_Base):
    def forward(self, x):
        return x.double() if not self.training else x.double() * 2


def test_judge_fails_wrong_shape_and_uncomparable_output_without_crashing():
    for bad, words in [(Flatten, "shape"), (Double, "could not be judged")]:
        spec = VISIBLE.by_name["survivor_scale"]
        cases = spec.prepare()
        results = [run_case(bad, c) for c in cases]
        status, message = verdict(spec, cases, results)
        assert status == "fail" and words in message


def test_construct_only_records_the_constructor_error():
    Dropout = reference()
    bad = run_case(Dropout, case(1.5, construct_only=True))
    good = run_case(Dropout, case(0.0, construct_only=True))
    assert bad["init_error"] == "ValueError" and bad["init_value_error"]
    assert good["init_error"] is None


def test_results_are_tensors_and_plain_values_only():
    """What crosses the process boundary must not carry the learner's objects."""
    result = run_case(reference(), case(0.5, nonzero_randn(10, seed=0), grad_out=torch.ones(10)))
    plain = (torch.Tensor, float, bool, int, str, type(None))
    for value in result.values():
        items = value if isinstance(value, list) else [value]
        assert all(type(v) in plain or isinstance(v, torch.Tensor) for v in items)
