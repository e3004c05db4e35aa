"""Drill 04's checks: the reference passes every one over 1,000 seeds; every mutant fails
exactly the checks it declares, with its hint in the first failure; every correct
alternative passes.

False fails: one run of all 77 checks (15 narrated, 31 stress, 31 hidden) holds at most 43
statistical tests at 6 sigma, each failing a correct module with probability about 2e-9
(checkkit.FALSE_FAIL), so the 1,000-seed proof fails by chance with probability below 1e-4.
"""
import contextlib
import io
import multiprocessing
import os

import pytest
import torch

from grader.payload.checkkit import evaluate, verdict
from solutions.drill04_variants.checks import VISIBLE
from solutions.drill04_variants.drill import DRILL
from solutions.drill04_variants.hidden import HIDDEN
from solutions.drill04_variants.tests.reference import (TARGETS, declared, mutant_files,
                                                        namespace, sources)

ALL = [*VISIBLE, *DRILL.extra, *HIDDEN]
HIDDEN_NAMES = {c.name for c in HIDDEN}
SEEDS = 1000
# tokens of hidden checks' inputs (p values, sizes) that their messages must not show
LEAKS = ("p=", "0.3", "0.75", "0.15", "1000", "8x8", "9x7")



def _proof(seeds):
    """Every check on the reference for each seed; inputs prepared once (they are fixed)."""
    torch.set_num_threads(1)
    ns = namespace()
    prepared = [(c, c.prepare()) for c in ALL]
    failures = []
    for seed in seeds:
        torch.manual_seed(seed)
        for c, inputs in prepared:
            try:
                results = c.execute(ns[c.target], inputs)
            except Exception as e:  # noqa: BLE001 - reported as a failure
                failures.append((seed, c.name, f"raised {e!r}"))
                continue
            status, message = verdict(c, inputs, results)
            if status != "pass":
                failures.append((seed, c.name, message))
    return failures


def test_reference_passes_every_check_on_1000_seeds():
    halves = [range(0, SEEDS, 2), range(1, SEEDS, 2)]  # two processes, one per core
    with multiprocessing.get_context("fork").Pool(2) as pool:
        failures = [f for part in pool.map(_proof, halves) for f in part]
    assert failures == []


def test_every_check_has_a_mutant_and_names_are_known():
    names = {c.name for c in ALL}
    covered = set()
    for path in mutant_files("buggy"):
        bugs, hint = declared(path)
        assert bugs and hint, path
        assert bugs <= names, (path, bugs - names)
        covered |= bugs
    assert names - covered == set()


def test_five_answer_cells_one_per_target():
    _, answers = sources()
    assert len(answers) == len(TARGETS)
    for target, src in zip(TARGETS, answers):
        assert f"class {target}(" in src


def _outcomes(path):
    """{check: (status, message)} with the file's definitions over the reference answers."""
    ns = namespace()
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), ns)
    out = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for c in ALL:
            out[c.name] = evaluate(c, ns[c.target])
    return out


@pytest.mark.parametrize("path", mutant_files("buggy"), ids=os.path.basename)
def test_buggy_mutant_fails_exactly_its_checks(path):
    torch.manual_seed(0)
    bugs, hint = declared(path)
    outcomes = _outcomes(path)
    failing = [c.name for c in ALL if outcomes[c.name][0] in ("fail", "error")]
    assert set(failing) == bugs
    assert hint in outcomes[failing[0]][1]
    leaks = [(name, token) for name in failing if name in HIDDEN_NAMES
             for token in LEAKS if token in outcomes[name][1]]
    assert leaks == [], "a hidden check's message reveals its inputs"


@pytest.mark.parametrize("path", mutant_files("correct"), ids=os.path.basename)
def test_correct_alternative_passes_every_check(path):
    torch.manual_seed(0)
    outcomes = _outcomes(path)
    assert {k: v for k, v in outcomes.items() if v[0] != "pass"} == {}


def test_stub_is_todo_not_error():
    """A class whose methods raise NotImplementedError makes its checks "todo"."""
    ns = namespace()
    stub_src = ("class GaussianDropout(nn.Module):\n"
                "    def __init__(self, p=0.5):\n"
                "        super().__init__()\n"
                "        raise NotImplementedError('todo')\n")
    exec(stub_src, ns)
    for c in ALL:
        if c.target == "GaussianDropout":
            assert evaluate(c, ns[c.target])[0] == "todo", c.name
