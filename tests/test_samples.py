"""The sample submissions that `make grade` grades: up to date, and graded in the right order."""
import csv
import importlib.util
import os
import re
import shlex
import subprocess
import sys

from grader.grading import drills

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(REPO, "submissions", "samples")
# submissions/make_samples.py is a script; loaded by path
_spec = importlib.util.spec_from_file_location(
    "make_samples", os.path.join(REPO, "submissions", "make_samples.py"))
make_samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_samples)

# what each bug gets wrong for certain (deterministic or 6-sigma checks)
TARGETS = {"Alan_Turing": {"expectation", "survivor_scale", "gradient"},  # * (1 - p)
           "hoppergrace": {"eval_identity"}}  # if self.train


def committed():
    out = {}
    for here, _, files in os.walk(SAMPLES):
        for f in files:
            path = os.path.join(here, f)
            with open(path, encoding="utf-8") as fh:
                out[os.path.relpath(path, SAMPLES).replace(os.sep, "/")] = fh.read()
    return out


def test_committed_samples_match_the_generator():
    assert committed() == make_samples.samples(), (
        "submissions/samples/ is stale: run .venv/bin/python submissions/make_samples.py")


def test_every_sample_differs():
    made = make_samples.samples()
    assert len(set(made.values())) == len(make_samples.NAMES) == len(made)


def make_grade_command(out):
    """The `grade` target's command from the Makefile, writing to out instead of graded/."""
    with open(os.path.join(REPO, "Makefile"), encoding="utf-8") as f:
        recipe = re.search(r"^grade:.*\n\t(.+)$", f.read(), re.MULTILINE).group(1)
    argv = shlex.split(recipe.replace("$(PY)", sys.executable))
    argv[argv.index("--out") + 1] = str(out)
    return argv


def test_make_grade_ranks_the_samples(tmp_path):
    proc = subprocess.run(make_grade_command(tmp_path / "graded"), cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "graded" / "gradebook.csv"))}
    assert sorted(rows) == ["Alan_Turing", "hoppergrace", "lovelaceada", "noetheremmy"]
    assert all(r["status"] == "graded" for r in rows.values())
    score = {s: float(r["score"]) for s, r in rows.items()}
    full = float(rows["lovelaceada"]["max_score"])
    assert score["lovelaceada"] == full > 0
    assert score["noetheremmy"] == 0
    drill = drills.load("drill01_dropout")
    titles = {c.name: c.title for c in drill.checks}
    for student, targets in TARGETS.items():
        lost = sum(c.points for c in drill.checks if c.name in targets)
        assert 0 < score[student] <= full - lost, (student, score[student])
        assert all(float(rows[student][titles[t]]) == 0 for t in targets), student
