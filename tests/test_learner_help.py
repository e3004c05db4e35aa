"""What a learner gets besides a verdict: graded hints, the reference on demand (recorded in
progress and shown at home), and errors that name the line of their code that raised."""
import builtins
import json
import linecache
from pathlib import Path

import pytest

from grader.build import notebook
from grader.grading import drills
from grader.grading.model import Submission
from grader.grading.pipeline import Grader
from grader.payload import checkkit
from solutions.drill01_dropout import checks

PAYLOAD = Path(__file__).parent.parent / "grader" / "payload"


@pytest.fixture
def pasted(tmp_path, monkeypatch):
    """A drill notebook's namespace: progress.py and ondemand.py pasted, HINTS, SOLUTIONS."""
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__main__", "DRILL_ID": "drill99_x",
          "HINTS": {"Net": ["first", "second", "third"]},
          "SOLUTIONS": {"Net": "eNorKMrMK9FQz0jNyclX1+QCACx3BOs="}}
    for name in ("progress.py", "ondemand.py"):
        exec(compile((PAYLOAD / name).read_text(), name, "exec"), ns)
    return ns


def test_hints_come_one_at_a_time_and_say_which(pasted, capsys):
    for _ in range(4):
        pasted["hint"]("Net")
    out = capsys.readouterr().out
    assert "Hint 1 of 3 for Net:\n  first" in out and "Hint 2 of 3" in out
    assert "Hint 3 of 3 for Net (the last one):\n  third" in out
    assert "No more hints for Net: you have seen all 3" in out and 'solution("Net")' in out
    help_ = json.loads(Path("progress.json").read_text())["drills"]["drill99_x"]["help"]
    assert help_["Net"] == {"hints": 3, "solution": False}


def test_an_unknown_target_names_the_known_ones(pasted, capsys):
    pasted["hint"]("Nett")
    pasted["solution"]("Nett", confirm=True)
    out = capsys.readouterr().out
    assert "No hints for 'Nett': try one of \"Net\"" in out
    assert "No reference answers for 'Nett'" in out
    assert "help" not in json.loads(Path("progress.json").read_text())["drills"]["drill99_x"]


def test_the_reference_waits_for_a_yes(pasted, capsys, monkeypatch):
    pasted["solution"]("Net")  # pytest's stdin cannot be read: as under papermill or nbval
    assert "Not shown" in capsys.readouterr().out
    assert "help" not in json.loads(Path("progress.json").read_text())["drills"]["drill99_x"]
    monkeypatch.setattr(builtins, "input", lambda prompt: "no")
    pasted["solution"]("Net")
    assert "print('hello')" not in capsys.readouterr().out
    monkeypatch.setattr(builtins, "input", lambda prompt: "yes")
    pasted["solution"]("Net")
    assert "print('hello')" in capsys.readouterr().out
    help_ = json.loads(Path("progress.json").read_text())["drills"]["drill99_x"]["help"]
    assert help_["Net"] == {"hints": 0, "solution": True}


def test_home_shows_the_help_used_beside_the_score(pasted):
    pasted["record_checks"](19, 19)
    pasted["hint"]("Net")
    pasted["hint"]("Net")
    pasted["solution"]("Net", confirm=True)
    exec(compile((PAYLOAD / "home.py").read_text().replace(
        "from grader.payload.progress import", "# "), "home.py", "exec"), pasted)
    drills_ = [{"id": "drill99_x", "title": "X", "minutes": 40}]
    table = pasted["progress_table"](drills_, pasted["load_progress"]())
    assert "help used" in table[0] and "2 hints, 1 solution" in table[1]
    assert "19 of 19" in table[1]


def test_suggested_next_wants_the_full_verdict(pasted):
    exec(compile((PAYLOAD / "home.py").read_text().replace(
        "from grader.payload.progress import", "# "), "home.py", "exec"), pasted)
    pasted["record_checks"](6, 6)  # a score from a release before the stress tier
    data = pasted["load_progress"]()
    old, new = {"id": "drill99_x", "checks": 6}, {"id": "drill99_x", "checks": 19}
    assert pasted["next_drill"]([old], data) is None
    assert pasted["next_drill"]([new], data) == new


# --- errors with a line ------------------------------------------------------------------
ANSWER = '''import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        mask = torch.rand(x.shap) < self.p
        return x * mask
'''


def test_a_raising_answer_names_its_line_in_the_notebook():
    """IPython compiles each cell under a file name it keeps in linecache, as here."""
    name = "/tmp/ipykernel_1/123.py"
    linecache.cache[name] = (len(ANSWER), None, ANSWER.splitlines(keepends=True), name)
    ns = {}
    exec(compile(ANSWER, name, "exec"), ns)
    status, message = checkkit.evaluate(checks.VISIBLE.by_name["drop_rate"], ns["Dropout"])
    assert status == "error"
    assert message == ("raised AttributeError: 'Tensor' object has no attribute 'shap' "
                       "(your cell, line 13: `mask = torch.rand(x.shap) < self.p`)")


def test_an_error_outside_the_learners_code_says_only_what_was_raised():
    class Broken:
        def __init__(self, p):
            pass  # constructs, but is no module: the kit's runner raises in its own code

    status, message = checkkit.evaluate(checks.VISIBLE.by_name["drop_rate"], Broken)
    assert (status, message) == ("error", "raised AttributeError: 'Broken' object has no "
                                          "attribute 'train'")


def test_a_hidden_error_keeps_the_line_and_drops_the_text():
    shown = checkkit.without_inputs("raised RuntimeError: shape '[7, 9]' is invalid for size "
                                    "100 (your cell 5, line 3: `y = x.view(7, 9)`)")
    assert shown == ("your code raised RuntimeError on this hidden check's inputs "
                     "(your cell 5, line 3: `y = x.view(7, 9)`)")
    assert checkkit.without_inputs("raised ValueError: size 100") == (
        "your code raised ValueError on this hidden check's inputs")


def test_the_grader_names_the_cell_and_line_that_raised():
    student = notebook.read(str(Path(drills.ROOT) / drills.paths("drill01_dropout")[1]))
    for i, cell in enumerate(student["cells"]):
        if notebook.role(cell)[0] == "answer":
            cell["source"] = "# @drill answer\n" + ANSWER.split("\n\n\n", 1)[1]
            where = i + 1
    sub = Submission("s", "s.ipynb", "ipynb", notebook.dumps(student).encode())
    result = Grader("drill01_dropout").grade([sub])[0]
    by_name = {c.name: c for c in result.checks}
    assert by_name["drop_rate"].message.startswith(
        "raised AttributeError: 'Tensor' object has no attribute 'shap' "
        f"(your cell {where}, line 10: `mask = torch.rand(x.shap) < self.p`)")
