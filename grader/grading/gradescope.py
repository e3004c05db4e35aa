"""Gradescope entry point: grade the one submission in /autograder and write results.json.

Gradescope runs `run_autograder`, which runs `python3 -m grader.gradescope` from
/autograder/source. The root /autograder can be moved with the AUTOGRADER_ROOT environment
variable, so the same script runs against a fake tree in tests. results.json is always
written, even when nothing gradable was submitted or grading itself crashed: without it
Gradescope shows the student a bare "autograder failed" message.
"""
import hashlib
import json
import os
import traceback

from grader.grading.model import Result, Submission
from grader.build.notebook import write_atomic
from grader.grading.report import results_json

SKIP_DIRS = {".ipynb_checkpoints", "__MACOSX", "__pycache__"}


def root():
    """The autograder root: /autograder on Gradescope, elsewhere in tests."""
    return os.environ.get("AUTOGRADER_ROOT", "/autograder")


def candidates(folder):
    """Every .ipynb, else every .py, under folder, newest first (mtime, then name)."""
    found = {"ipynb": [], "py": []}
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for f in files:
            kind = f.rsplit(".", 1)[-1].lower() if "." in f else ""
            if kind in found and not f.startswith("."):
                path = os.path.join(here, f)
                found[kind].append((os.path.getmtime(path), os.path.relpath(path, folder), path))
    files = found["ipynb"] or found["py"]
    return sorted(files, reverse=True)


def student_id(submission_dir):
    """Submitters' emails from Gradescope's metadata (joined for groups), else 'student'."""
    meta = os.path.join(os.path.dirname(os.path.abspath(submission_dir)),
                        "submission_metadata.json")
    try:
        with open(meta, encoding="utf-8") as f:
            users = json.load(f).get("users") or []
        ids = [str(u.get("email") or u.get("name") or u.get("id")) for u in users]
        return ",".join(ids) or "student"
    except (OSError, ValueError, AttributeError):
        return "student"


def failed(student, reason, source=""):
    """A zero-score Result that tells the student, in one line, why nothing was graded."""
    return Result(student=student, assignment="", status="error", reason=reason, checks=[],
                  seconds=0.0, sha256="", source_name=source)


def grade_folder(submission_dir, grade):
    """Grade the newest notebook (or .py) in submission_dir; a crash in grade becomes a Result.

    grade(sub) -> Result defaults to grader.pipeline.grade_one.
    """
    student = student_id(submission_dir)
    files = candidates(submission_dir)
    if not files:
        present = sorted(os.listdir(submission_dir)) if os.path.isdir(submission_dir) else []
        seen = ", ".join(present[:10]) or "nothing"
        return failed(student, f"no .ipynb or .py file found in the submission (found: {seen})")
    mtime, name, path = files[0]
    with open(path, "rb") as f:
        data = f.read()
    sub = Submission(student=student, name=name, kind=path.rsplit(".", 1)[-1].lower(), data=data,
                     sha256=hashlib.sha256(data).hexdigest(), order=(mtime, name))
    try:
        if grade is None:
            from grader.grading.pipeline import grade_one as grade  # lazy: pulls in torch
        result = grade(sub)
    except Exception as e:  # the grader's own bug: keep the trace for staff (stdout is hidden)
        traceback.print_exc()
        result = failed(student, f"the autograder itself failed ({type(e).__name__}); "
                                 "the details are in the log for course staff", name)
        result.sha256 = sub.sha256
    if not result.superseded:
        result.superseded = [n for _, n, _ in files[1:]]
    return result


def main(submission_dir=None, results_dir=None, grade=None):
    """Write results_dir/results.json for the submission; folders default to AUTOGRADER_ROOT's."""
    submission_dir = submission_dir or os.path.join(root(), "submission")
    results_dir = results_dir or os.path.join(root(), "results")
    result = grade_folder(submission_dir, grade)
    out = results_json(result)
    write_atomic(os.path.join(results_dir, "results.json"), json.dumps(out, indent=1) + "\n")
    print(f"{result.student}: {result.status} {result.score}/{result.max_score} "
          f"{result.source_name} {result.reason}".rstrip())
    return result
