"""The student notebook uploaded alone (as to Colab) runs: pristine, and with the answer in.

Each test copies the notebook into an empty folder and executes it there with papermill, so
any import of this repository or any missing file would fail it.
"""
import json
import os
import re
import shutil

import papermill
import pytest

from grader.build import notebook
from grader.grading import drills

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTION, STUDENT = (os.path.join(ROOT, p) for p in drills.paths("drill01_dropout"))


def _answer_source(nb):
    return next(notebook.source(c) for c in nb["cells"] if notebook.role(c)[0] == "answer")


def _execute(tmp_path, nb):
    """Execute nb alone in tmp_path; return the text of all its outputs."""
    src = tmp_path / "upload.ipynb"
    src.write_text(json.dumps(nb))
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(src), str(out), cwd=str(tmp_path), kernel_name="python3",
                               progress_bar=False, log_output=False)
    done = notebook.read(str(out))
    texts = []
    for cell in notebook.code_cells(done):
        for o in cell.get("outputs", []):
            texts.append("".join(o.get("text", "")))
            texts.append("".join(o.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


@pytest.fixture
def alone(tmp_path):
    folder = tmp_path / "colab"
    folder.mkdir()
    shutil.copy(STUDENT, folder / "student.ipynb")
    return folder


def test_pristine_student_notebook_runs_and_reports_nothing_implemented(alone):
    nb = notebook.read(str(alone / "student.ipynb"))
    text = _execute(alone, nb)
    assert "Score: 0 of 6 passed (6 not implemented yet)" in text
    assert "not implemented yet" in text
    assert "Traceback" not in text


def test_student_notebook_with_the_reference_answer_passes_and_shrinks_the_gap(alone):
    nb = notebook.read(str(alone / "student.ipynb"))
    reference = _answer_source(notebook.read(SOLUTION))
    reference = "".join(line for line in reference.splitlines(keepends=True)
                        if "SOLUTION" not in line)
    for cell in nb["cells"]:
        if notebook.role(cell)[0] == "answer":
            cell["source"] = reference
    text = _execute(alone, nb)
    assert "Score: 6 of 6 passed" in text
    gaps = {float(m.group(1)): float(m.group(2))
            for m in re.finditer(r"^\s*([\d.]+) \|\s*[\d.]+ \|\s*[\d.]+ \|\s*(-?[\d.]+)\s*$",
                                 text, flags=re.M)}
    assert set(gaps) >= {0.0, 0.5}, text
    assert gaps[0.5] < gaps[0.0]
