"""Notebook + hidden checks against a corpus of correct and buggy Dropout implementations.

False fails: one full run (6 narrated + 13 stress + 12 hidden checks) holds 121 binomial
6-sigma tests, each failing a correct module with probability <= 2.1e-9 (exact binomial
tails for the n and p used), so <= 2.6e-7 per run and <= 1e-4 over the runs below. The
other checks compare values to within a few units of rounding and cannot fail a correct
module by chance.

Why 200 repeats on only two implementations is enough: a correct module's drop decisions are
i.i.d. Bernoulli(p) whatever its style, so the chance a statistical test false-fails is a
property of the bound, not of the style; the 200 seeded repeats (rand_like and bernoulli,
torch's two random paths) probe those bounds (the hidden checks' here; the notebook's get
1,000 seeds in test_checks.py). What does depend on style is the rounding and dtype/shape
handling, which is the same on every run of a style, so 20 full runs each (fresh masks every
time) cover the other styles.
"""
import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest
import torch

from grader.build.samples import mutant_header
from grader.grading.scratch import record_torch_dropout_calls, torch_dropout_uses
from grader.payload.checkkit import evaluate
from solutions.drill01_dropout.checks import VISIBLE
from solutions.drill01_dropout.hidden import HIDDEN

ALL = {c.name: c for c in [*VISIBLE, *HIDDEN]}
HIDDEN_NAMES = [c.name for c in HIDDEN]
ROOT = Path(__file__).parent.parent / "mutants"
CORRECT = sorted((ROOT / "correct").glob("*.py"))
BUGGY = sorted((ROOT / "buggy").glob("*.py"))
LONG_RUNS = {"rand_like_ge.py": 200, "bernoulli.py": 200}
SHORT_RUNS = 20


def load(path):
    """The file's Dropout class, executed in a fresh namespace."""
    return runpy.run_path(str(path))["Dropout"]


def run_all(Dropout, names=ALL):
    """{check name: (status, message)}, the learner's prints swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return {name: evaluate(ALL[name], Dropout) for name in names}


def test_names_are_unique_and_specs_well_formed():
    assert len(ALL) == len(VISIBLE.checks) + len(HIDDEN)
    for c in HIDDEN:
        assert c.title and c.hint and callable(c.prepare) and callable(c.judge)


def test_corpus_is_big_enough():
    assert len(CORRECT) >= 6 and len(BUGGY) >= 20


@pytest.mark.parametrize("path", CORRECT, ids=[p.stem for p in CORRECT])
def test_correct_implementations_pass_everything(path):
    Dropout = load(path)
    failures = []
    for seed in range(LONG_RUNS.get(path.name, SHORT_RUNS)):
        torch.manual_seed(seed)
        names = ALL if seed < SHORT_RUNS else HIDDEN_NAMES
        failures += [(seed, name, msg) for name, (status, msg) in run_all(Dropout, names).items()
                     if status != "pass"]
    assert failures == []


def expected_failures(path):
    names, _ = mutant_header(path.read_text())
    assert names, f"{path.name}: first line must be '# bug: <check names>'"
    return names


@pytest.mark.parametrize("path", BUGGY, ids=[p.stem for p in BUGGY])
def test_buggy_implementations_fail_the_named_checks(path):
    names = expected_failures(path)
    assert set(names) <= set(ALL) | {"from_scratch", "demo"}, names
    Dropout = load(path)
    for seed in range(3):  # the declared failures must not depend on the seed
        torch.manual_seed(seed)
        results = run_all(Dropout)
        for name in names:
            if name == "from_scratch":
                assert torch_dropout_uses(path.read_text()), "scratch.py missed torch's dropout"
            elif name == "demo":
                continue  # trains nets: tests/test_drills.py checks it once, in-process
            else:
                assert results[name][0] in ("fail", "error"), (seed, name, results[name])


def test_torch_dropout_is_right_in_behaviour_and_caught_at_run_time():
    """Only the from-scratch rules separate torch's F.dropout from a correct module: the
    notebook's no_torch_dropout check and the grader's guard both see it run."""
    with record_torch_dropout_calls() as called:
        Dropout = load(ROOT / "buggy" / "torch_dropout.py")
        torch.manual_seed(0)
        results = run_all(Dropout)
    assert {n for n, (status, _) in results.items() if status != "pass"} == {"no_torch_dropout"}
    assert "torch.nn.functional.dropout" in results["no_torch_dropout"][1]
    assert "torch.nn.functional.dropout" in called


def test_correct_implementation_calls_no_torch_dropout():
    with record_torch_dropout_calls() as called:
        run_all(load(ROOT / "correct" / "rand_like_ge.py"))
    assert called == []


def test_hidden_hints_do_not_reveal_inputs():
    """Messages of failed hidden checks name the bug, not the p values, sizes or seeds."""
    numbers = re.compile(r"\d+\.\d+|\d{2,}")
    for path in BUGGY:
        torch.manual_seed(0)
        results = run_all(load(path))
        for name in HIDDEN_NAMES:
            status, message = results[name]
            if status == "fail" and not message.startswith("raised"):
                public = re.sub(r"float\d+|0\.5", "", message)  # dtypes, 0.5: in the titles
                assert not numbers.findall(public), (path.name, message)
