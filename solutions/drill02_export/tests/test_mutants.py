"""Every buggy mutant fails exactly its `# bug:` checks, first with its hint; every correct
alternative passes every check (the mutant's definitions override the reference answers)."""

import pytest
import torch

from solutions.drill02_export.tests.helpers import (
    ALL_CHECKS, MUTANTS, grade, mutant_header, mutant_target, namespace)

BUGGY = sorted((MUTANTS / "buggy").glob("*.py"))
CORRECT = sorted((MUTANTS / "correct").glob("*.py"))


@pytest.mark.parametrize("path", BUGGY, ids=lambda p: p.stem)
def test_buggy_mutant_fails_exactly_its_checks(path):
    bugs, hint = mutant_header(path)
    source = path.read_text()
    target = mutant_target(source)  # one target each
    torch.manual_seed(0)
    # only the mutant's own target changed; the other targets' checks run the reference,
    # which test_reference proves passes them (this keeps the whole file under 10 s)
    results = grade(namespace(source), [c for c in ALL_CHECKS if c.target == target])
    failing = [n for n, (s, _) in results.items() if s != "pass"]
    assert set(failing) == bugs, (path.name, failing)
    first = results[failing[0]][1]
    assert hint in first, (path.name, hint, first)


@pytest.mark.parametrize("path", CORRECT, ids=lambda p: p.stem)
def test_correct_alternative_passes_every_check(path):
    source = path.read_text()
    target = mutant_target(source)
    torch.manual_seed(0)
    results = grade(namespace(source), [c for c in ALL_CHECKS if c.target == target])
    assert all(s == "pass" for s, _ in results.values()), {
        n: r for n, r in results.items() if r[0] != "pass"}


def test_every_check_has_a_mutant_that_fails_it():
    covered = set().union(*(mutant_header(p)[0] for p in BUGGY))
    assert covered == {c.name for c in ALL_CHECKS}, {c.name for c in ALL_CHECKS} - covered


def test_the_samples_bugs_are_mutants():
    from solutions.drill02_export.drill import DRILL
    for kind in DRILL.samples.values():
        if kind.startswith("buggy/"):
            assert (MUTANTS / f"{kind}.py").is_file(), kind
