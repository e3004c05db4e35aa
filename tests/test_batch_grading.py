"""Batches through the real grader (`python -m grader grade`: sandbox, checks, judge).

- Correct implementations: 20 gradings through the sandbox, every one full marks. The
  statistics themselves are proven in one process over 1,000 seeds (drill 01's tests); here
  each grading runs 14 statistical tests (6-sigma binomial bounds, each failing a correct
  module with probability about 2e-9) plus the demo (its numbers depend only on its fixed
  seed), so a false failure anywhere in the batch has probability below 20 * 14 * 1e-7.
- Buggy implementations: each loses exactly the points of the checks its `# bug:` line names.
- Resume: a batch killed at random points (SIGKILL, SIGINT) ends like an uninterrupted one,
  also a batch across drills in a folder-per-student layout.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grading_helpers import (DRILL, REPO, bug_targets, fill, gradebook, implementations,
                             results, run_grader, without_timing)

CORRECT = implementations("correct")
BUGGY = implementations("buggy")


def test_20_correct_gradings_get_full_marks(tmp_path):
    files = {f"s{i:03d}_{p.stem}.py": p.read_text()
             for i, p in zip(range(20), CORRECT * (20 // len(CORRECT) + 1))}
    fill(tmp_path / "in", files)
    proc = run_grader("grade", tmp_path / "in", "--out", tmp_path / "out", "--jobs", "2",
                      "--quiet", "--assignment", DRILL, timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = gradebook(tmp_path / "out")
    assert len(rows) == 20
    wrong = {s: r for s, r in rows.items()
             if r["status"] != "graded" or r["score"] != r["max_score"] or r["reason"]}
    assert not wrong, list(wrong.items())[:3]
    assert {r["max_score"] for r in rows.values()} != {"0"}


def test_every_buggy_implementation_loses_points(tmp_path):
    fill(tmp_path / "in", {p.name: p.read_text() for p in BUGGY})
    proc = run_grader("grade", tmp_path / "in", "--out", tmp_path / "out", "--jobs", "2",
                      "--quiet", "--assignment", DRILL)
    assert proc.returncode == 0, proc.stderr
    rows = gradebook(tmp_path / "out")
    assert sorted(rows) == sorted(p.stem for p in BUGGY)
    for path in BUGGY:
        row, d = rows[path.stem], results(tmp_path / "out", path.stem)
        failed = {t["extra_data"]["name"] for t in d["tests"]
                  if t.get("extra_data", {}).get("status") in ("fail", "error")}
        assert failed == set(bug_targets(path)), path.name
        if bug_targets(path) == ["from_scratch"]:
            continue  # torch's own dropout is correct; the rule is reported, not scored
        assert float(row["score"]) < float(row["max_score"]), path.name


# ---- resume ------------------------------------------------------------------------------
N_RESUME = 32


def start(inbox, out):
    """A grading run in its own process group, so that the whole group can be signalled."""
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(inbox), "--out",
                             str(out), "--jobs", "2", "--quiet", "--assignment", DRILL],
                            cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finished(out):
    return sum(os.path.exists(os.path.join(out, s, "results.json")) for s in
               (os.listdir(out) if os.path.isdir(out) else ()))


def interrupt(inbox, out, after, sig):
    """Start a run and signal its process group once `after` more results are written."""
    target = finished(out) + after
    proc = start(inbox, out)
    while finished(out) < target and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, sig)
    proc.communicate(timeout=60)
    return proc.returncode


def summary_counts(stdout):
    words = stdout.split()
    return int(words[words.index("graded") - 1]), int(words[words.index("reused") - 1])


def outputs(out):
    """Gradebook rows and every results.json, without timings, as JSON text (NaN == NaN)."""
    rows = gradebook(out)
    return json.dumps([without_timing(rows), {s: without_timing(results(out, s)) for s in rows}],
                      sort_keys=True, indent=1)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("resume")
    # numpy_mask draws from NumPy's unseeded generator: its grade differs from run to run
    styles = CORRECT + [p for p in BUGGY if "reproducible" not in bug_targets(p)]
    return fill(tmp / "in", {f"r{i:02d}.py": styles[i % len(styles)].read_text()
                             for i in range(N_RESUME)})


def test_killed_batches_resume_to_the_same_result(inbox, tmp_path):
    proc = run_grader("grade", inbox, "--out", tmp_path / "ref", "--jobs", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    reference = outputs(tmp_path / "ref")
    ref_rows = gradebook(tmp_path / "ref")
    assert len(ref_rows) == N_RESUME

    out = tmp_path / "out"
    rng = random.Random(20240601)  # fixed: a failure must be reproducible
    for sig in (signal.SIGKILL, signal.SIGINT, signal.SIGKILL):
        before = finished(out)
        code = interrupt(inbox, out, rng.randint(1, 8), sig)
        assert code in (-sig, 130), code  # SIGINT: the grader's own clean exit
        assert before < finished(out) < N_RESUME
    done = finished(out)
    proc = run_grader("grade", inbox, "--out", out, "--jobs", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert summary_counts(proc.stdout) == (N_RESUME - done, done)  # finished work reused
    assert outputs(out) == reference
    with open(out / "gradebook.csv", encoding="utf-8") as f:
        assert len(f.read().splitlines()) == N_RESUME + 1  # no duplicate rows

    assert ref_rows["r00"]["score"] == ref_rows["r00"]["max_score"]  # a correct one
    (inbox / "r00.py").write_text((REPO / "solutions" / DRILL / "mutants" / "buggy" / "no_scaling.py").read_text())
    proc = run_grader("grade", inbox, "--out", out, "--jobs", "2", "--quiet")
    assert summary_counts(proc.stdout) == (1, N_RESUME - 1)
    row = gradebook(out)["r00"]
    assert float(row["score"]) < float(row["max_score"])


# ---- resume across drills ----------------------------------------------------------------
ACROSS = {  # student -> (drill 01 sample, drill 02 sample): correct, buggy and stub of each
    "alice": ("lovelaceada_1001_5001_dropout.ipynb",
              "Grace Hopper_2002_assignsubmission_file_/export.ipynb"),
    "bob": ("noetheremmy_1004_5004_dropout.ipynb", "curiemarie_2001_6001_export.ipynb"),
    "carol": ("hoppergrace_LATE_1003_5003_drill01_dropout.ipynb",
              "noetheremmy_2004_6004_export.ipynb"),
}
D2 = "drill02_export"


def grade_across(inbox, out):
    """A run of a folder-per-student batch across two drills (no --assignment)."""
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(inbox), "--out",
                             str(out), "--jobs", "1", "--quiet"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def saved(out):
    return sorted(p.relative_to(out).as_posix() for p in Path(out).rglob("results.json"))


def outputs_across(out):
    """Both gradebooks, the course summary and every results.json, without timings."""
    books = {d: without_timing(gradebook(out / d)) for d in (DRILL, D2)}
    every = {p: without_timing(json.loads((out / p).read_text())) for p in saved(out)}
    return json.dumps([books, (out / "course_summary.csv").read_text(), every],
                      sort_keys=True, indent=1)


def test_a_killed_batch_across_drills_resumes_to_the_same_result(tmp_path):
    samples = REPO / "solutions"
    inbox = fill(tmp_path / "in", {
        f"{who}/{name}.ipynb": (samples / drill / "samples" / file).read_text()
        for who, files in ACROSS.items()
        for drill, name, file in zip((DRILL, D2), ("d1", "d2"), files)})
    ref = grade_across(inbox, tmp_path / "ref")
    stdout, stderr = ref.communicate(timeout=300)
    assert ref.returncode == 0, stderr
    assert len(saved(tmp_path / "ref")) == 6
    assert [ln for ln in stdout.splitlines() if ln.startswith("warning:")] == [
        f"warning: {who}: files for 2 drills ({DRILL}, {D2}) taken as one student, named "
        "after the folder (no LMS name: check the folder layout)" for who in ACROSS]

    out = tmp_path / "out"
    proc = grade_across(inbox, out)
    while len(saved(out)) < 2 and proc.poll() is None:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    done = len(saved(out))
    assert proc.returncode == -signal.SIGKILL and 0 < done < 6, (proc.returncode, done)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(inbox), "--out",
                           str(out), "--jobs", "1", "--quiet"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    counts = [summary_counts(ln) for ln in proc.stdout.splitlines()[:2]]
    assert [sum(c[0] for c in counts), sum(c[1] for c in counts)] == [6 - done, done]
    assert outputs_across(out) == outputs_across(tmp_path / "ref")
    assert len(gradebook(out / DRILL)) == len(gradebook(out / D2)) == 3  # no duplicate rows
