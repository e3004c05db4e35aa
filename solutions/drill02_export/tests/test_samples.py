"""The sample submissions grade as DRILL.samples declares (in this process, all checks)."""
import pytest
import torch

from grader.build import notebook
from solutions.drill02_export.drill import DRILL
from solutions.drill02_export.tests.helpers import (
    ALL_CHECKS, MUTANTS, SAMPLES, grade, mutant_header, namespace, sample_notebook)


@pytest.mark.parametrize("name", sorted(DRILL.samples))
def test_sample_grades_as_declared(name):
    kind = DRILL.samples[name]
    path = SAMPLES / name
    assert path.is_file(), f"missing sample {name}: run helpers.write_samples()"
    nb = notebook.read(str(path))
    assert "# @drill setup drill02_export" in notebook.source(
        next(c for c in nb["cells"] if notebook.role(c)[0] == "setup"))
    torch.manual_seed(0)
    results = grade(namespace(nb=nb))
    statuses = {n: s for n, (s, _) in results.items()}
    if kind == "stub":
        assert set(statuses.values()) == {"todo"}, statuses
    elif kind == "correct":
        assert set(statuses.values()) == {"pass"}, statuses
    else:
        bugs, _ = mutant_header(MUTANTS / f"{kind}.py")
        assert {n for n, s in statuses.items() if s != "pass"} == bugs


def test_samples_are_current():
    """Committed samples equal what the helper writes from the current student notebook."""
    for name, kind in DRILL.samples.items():
        assert (SAMPLES / name).read_text(encoding="utf-8") == sample_notebook(kind), name


def test_samples_cover_a_correct_a_stub_and_two_bugs():
    kinds = sorted(DRILL.samples.values())
    assert kinds.count("correct") == 1 and kinds.count("stub") == 1
    assert {"buggy/export_double_scaling", "buggy/export_raw_classic"} <= set(kinds)
    assert len(ALL_CHECKS) > 8
