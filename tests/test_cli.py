"""End to end through `python -m grader` in a subprocess: check, grade, and the Gradescope script."""
import json
import os
import re
import sys
import zipfile

import pytest
from grading_helpers import (DRILL, IMPLEMENTATIONS, SOLUTION, STUDENT, fill, gradebook,
                             notebook_with, results, run_built_autograder, run_grader)

from grader.grading import drills, report
from solutions.drill01_dropout import checks, hidden

TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
NUMBER = (int, float)

# Raises on inputs of 3 or more dimensions, quoting the hidden input in its message.
QUOTES_INPUT = '''import torch
import torch.nn as nn


class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(p)
        self.p = p

    def forward(self, x):
        if x.dim() > 2:
            raise ValueError(f"cannot handle shape {tuple(x.shape)} at p={self.p}")
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)
'''


def assert_gradescope_schema(d):
    """results.json as Gradescope documents it (autograder specifications, output format)."""
    assert set(d) <= TOP_KEYS, set(d) - TOP_KEYS
    assert isinstance(d["score"], NUMBER) and isinstance(d["execution_time"], int)
    assert isinstance(d["output"], str) and isinstance(d["tests"], list)
    assert d.get("output_format", "text") in FORMATS
    assert d.get("stdout_visibility", "hidden") in VISIBILITY
    for t in d["tests"]:
        assert set(t) <= TEST_KEYS, set(t) - TEST_KEYS
        assert isinstance(t["name"], str) and isinstance(t["output"], str)
        assert isinstance(t["score"], NUMBER) and isinstance(t["max_score"], NUMBER)
        assert 0 <= t["score"] <= t["max_score"]
        assert t["status"] in ("passed", "failed") and t["visibility"] in VISIBILITY
    assert abs(d["score"] - sum(t["score"] for t in d["tests"])) < 1e-9


def hidden_only_shapes():
    """Printed shapes of the hidden checks' inputs that no visible check uses."""
    def shapes(specs):
        out = set()
        for spec in specs:
            for c in spec.prepare():
                if c.get("x") is not None:
                    x = c["x"].transpose(0, -1) if c["transpose"] else c["x"]
                    out |= {tuple(c["x"].shape), tuple(x.shape)}
        return out
    return {str(s) for s in shapes(hidden.HIDDEN) - shapes(checks.VISIBLE)}


def test_hidden_only_shapes_are_found():
    assert "(4, 5, 6, 7)" in hidden_only_shapes()


def test_check_passes_the_solution():
    proc = run_grader("check", SOLUTION, "--assignment", DRILL)  # a solution names no drill
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("  ")]
    assert lines and all(ln.split()[0] == "pass" for ln in lines), proc.stdout


def test_check_reports_the_stub_as_not_implemented():
    proc = run_grader("check", STUDENT)
    assert proc.returncode == 1
    assert "not implemented yet" in proc.stdout
    assert "Visible checks: 0 /" in proc.stdout
    assert "written from scratch" not in proc.stdout.replace("written from scratch (no", "")
    assert not [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("pass")]


def test_a_bad_config_is_a_one_line_error(tmp_path):
    (tmp_path / "c.json").write_text('{"points": {"demo": 2}, "limit": {}}')
    proc = run_grader("grade", STUDENT, "--out", tmp_path / "out", "--config", tmp_path / "c.json")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "unknown key 'limit'" in proc.stderr and not (tmp_path / "out").exists()


def test_grade_one_notebook_gets_full_marks(tmp_path):
    proc = run_grader("grade", SOLUTION, "--out", tmp_path / "out", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"1 submissions: 1 graded now, 0 reused", proc.stdout), proc.stdout
    [row] = gradebook(tmp_path / "out").values()
    assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]) > 0


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """One batch over a folder (Canvas and Moodle names, two files each for two students),
    a zip and a .py file; returns (process, out folder)."""
    tmp = tmp_path_factory.mktemp("mixed")
    stub = STUDENT.read_text()
    correct = notebook_with((IMPLEMENTATIONS / "correct" / "rand_like_ge.py").read_text())
    inbox = fill(tmp / "inbox", {
        "lovelaceada_1001_5001_dropout.ipynb": stub,  # older Canvas attachment id
        "lovelaceada_1001_5002_dropout.ipynb": correct,
        "Alan Turing_1002_assignsubmission_file_/draft.ipynb": stub,
        "Alan Turing_1002_assignsubmission_file_/final.ipynb":
            notebook_with((IMPLEMENTATIONS / "correct" / "prints.py").read_text()),
    })
    moodle = inbox / "Alan Turing_1002_assignsubmission_file_"
    os.utime(moodle / "draft.ipynb", (1_000_000, 1_000_000))
    os.utime(moodle / "final.ipynb", (2_000_000, 2_000_000))
    with zipfile.ZipFile(tmp / "late.zip", "w") as z:
        z.writestr("hopper.ipynb", notebook_with(QUOTES_INPUT))
        z.writestr("noether.ipynb", stub)
    py = fill(tmp, {"turing.py": (IMPLEMENTATIONS / "correct" / "where.py").read_text()})
    out = tmp / "out"
    proc = run_grader("grade", inbox, tmp / "late.zip", py / "turing.py", "--out", out,
                      "--jobs", "2", "--assignment", "drill01_dropout")
    return proc, out


def test_grade_exits_0_whatever_the_scores(mixed):
    proc, out = mixed
    assert proc.returncode == 0, proc.stderr
    assert "5 submissions: 5 graded now, 0 reused" in proc.stdout
    assert float(gradebook(out)["noether"]["score"]) == 0


def test_gradebook_columns_and_latest_wins(mixed):
    _, out = mixed
    drill = drills.load("drill01_dropout")
    rows = gradebook(out)
    with open(out / "gradebook.csv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
    titles = [c.title for c in drill.all_checks()]
    assert header.split(",")[:3] == ["student", "score", "max_score"]
    for title in titles:
        assert title in header
    assert header.endswith("status,reason,seconds,source,superseded")
    assert sorted(rows) == ["Alan_Turing", "hopper", "lovelaceada", "noether", "turing"]
    for student in ("lovelaceada", "Alan_Turing", "turing"):
        row = rows[student]
        assert row["status"] == "graded" and row["score"] == row["max_score"] != "0", student
        for t, c in zip(titles, drill.all_checks()):
            points = drill.points_of(c)
            assert row[t] == "not flagged" if points == 0 else float(row[t]) == points
    assert rows["lovelaceada"]["source"].endswith("lovelaceada_1001_5002_dropout.ipynb")
    assert "lovelaceada_1001_5001_dropout.ipynb" in rows["lovelaceada"]["superseded"]
    assert rows["Alan_Turing"]["source"].endswith("final.ipynb")
    assert "draft.ipynb" in rows["Alan_Turing"]["superseded"]
    assert rows["hopper"]["source"].endswith("late.zip:hopper.ipynb")
    assert 0 < float(rows["hopper"]["score"]) < float(rows["hopper"]["max_score"])
    float(rows["turing"]["seconds"])


def test_results_json_follows_gradescope_schema(mixed):
    _, out = mixed
    for student in gradebook(out):
        d = results(out, student)
        assert_gradescope_schema(d)
        row = gradebook(out)[student]
        assert d["score"] == pytest.approx(float(row["score"]))


def test_captured_output_only_in_the_hidden_test(mixed):
    _, out = mixed
    d = results(out, "Alan_Turing")  # prints.py prints in forward
    holding = [t for t in d["tests"] if "kept fraction" in t["output"]]
    assert [(t["name"], t["visibility"]) for t in holding] == [(report.CAPTURED, "hidden")]
    assert "kept fraction" not in d["output"]
    assert "kept fraction" not in (out / "Alan_Turing" / "feedback.html").read_text()


def test_feedback_never_shows_hidden_inputs(mixed):
    _, out = mixed
    d = results(out, "hopper")
    failed = {t["extra_data"]["name"] for t in d["tests"] if t["status"] == "failed"}
    assert {"independent", "shapes"} <= failed  # its exception quoted their inputs
    secrets = hidden_only_shapes()
    for student in gradebook(out):
        page = (out / student / "feedback.html").read_text()
        shown = json.dumps([d["output"]] + [t["output"] for t in results(out, student)["tests"]
                                            if t["visibility"] != "hidden"])
        for secret in secrets:
            assert secret not in page, (student, secret)
            assert secret not in shown, (student, secret)


def test_bad_path_is_a_one_line_error(tmp_path):
    proc = run_grader("grade", tmp_path / "nope", "--out", tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error:")
    assert "nope" in proc.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["grade", "check"])
def test_unknown_assignment_is_a_one_line_error(tmp_path, command):
    extra = ["--out", tmp_path / "out"] if command == "grade" else []
    proc = run_grader(command, SOLUTION, "--assignment", "nope", *extra)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unknown assignment 'nope'" in proc.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="run_autograder is a bash script")
def test_run_autograder_grades_a_correct_answer(tmp_path):
    """The real script and pipeline on a fake /autograder tree holding a correct answer."""
    root = tmp_path / "autograder"
    answered = notebook_with((IMPLEMENTATIONS / "correct" / "rand_like_ge.py").read_text())
    fill(root, {"submission/01_dropout_mock_interview.ipynb": answered,
                "submission_metadata.json": json.dumps({"users": [{"email": "ada@example.org"}]})})
    proc = run_built_autograder(root, tmp_path)
    assert proc.returncode == 0, proc.stderr
    d = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_schema(d)
    graded = [t for t in d["tests"] if t["name"] != report.CAPTURED]
    assert d["score"] == sum(t["max_score"] for t in graded) > 0
    assert all(t["status"] == "passed" for t in graded)
    assert d["extra_data"]["student"] == "ada@example.org"
