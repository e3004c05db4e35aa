"""The sample submissions are current, and grade as declared when their cells run the way
the grader runs them (setup, answer, pasted and unmarked cells; never demo cells)."""
import os

import matplotlib
import pytest

from grader.build import notebook
from solutions.drill06_at_scale.drill import DRILL
from solutions.drill06_at_scale.tests import samples
from solutions.drill06_at_scale.tests.helpers import ALL_CHECKS, declared, one_thread, outcomes

matplotlib.use("Agg")


def test_samples_on_disk_are_current():
    want = samples.samples()
    on_disk = sorted(os.listdir(samples.OUT))
    assert on_disk == sorted(want)
    for name, text in want.items():
        with open(os.path.join(samples.OUT, name), encoding="utf-8") as f:
            assert f.read() == text, (f"{name} is stale: run "
                                      "python -m solutions.drill06_at_scale.tests.samples")


def graded_namespace(path):
    nb = notebook.read(path)
    ns = {"__name__": "__main__"}
    for cell in notebook.code_cells(nb):
        if notebook.role(cell)[0] in ("demo", "instructor"):
            continue
        exec(compile(notebook.source(cell), path, "exec"), ns)
    return ns


@pytest.mark.parametrize("name", sorted(DRILL.samples))
def test_sample_grades_as_declared(name):
    kind = DRILL.samples[name]
    with one_thread():
        got = outcomes(graded_namespace(os.path.join(samples.OUT, name)))
    order = [c.name for c in ALL_CHECKS]
    if kind == "correct":
        assert all(s == "pass" for s, _ in got.values()), got
    elif kind == "stub":
        assert all(s == "todo" for s, _ in got.values()), got
    else:
        bugs, hint = declared(os.path.join(samples.FOLDER, "mutants", kind + ".py"))
        failing = [n for n in order if got[n][0] != "pass"]
        assert failing == bugs and hint in got[failing[0]][1]
