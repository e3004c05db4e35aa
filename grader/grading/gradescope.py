"""Gradescope entry point: grade the one submission in /autograder and write results.json.

Gradescope runs `run_autograder`, which runs `python3 -m grader gradescope` from
/autograder/source. The root /autograder can be moved with the AUTOGRADER_ROOT environment
variable, so the same script runs against a fake tree in tests. results.json is always
written, even when nothing gradable was submitted or grading itself crashed: without it
Gradescope shows the student a bare "autograder failed" message.
"""
import json
import os
import traceback

from grader.grading import collect
from grader.grading.model import Submission, failed
from grader.build.notebook import write_atomic
from grader.grading.report import results_json



def root():
    """The autograder root: /autograder on Gradescope, elsewhere in tests."""
    return os.environ.get("AUTOGRADER_ROOT", "/autograder")


def student_id(submission_dir):
    """Submitters' emails from Gradescope's metadata (joined for groups), else 'student'."""
    meta = os.path.join(os.path.dirname(os.path.abspath(submission_dir)),
                        "submission_metadata.json")
    try:
        with open(meta, encoding="utf-8") as f:
            users = json.load(f).get("users") or []
        ids = [str(u.get("email") or u.get("name") or u.get("id")) for u in users]
        return ",".join(ids) or "student"
    except (OSError, ValueError, AttributeError, RecursionError):
        return "student"


def grade_folder(submission_dir, grade):
    """Grade the newest notebook (or .py) in submission_dir; a crash in grade becomes a Result.

    grade(sub) -> Result defaults to grader.grading.pipeline.grade_one.
    """
    student = student_id(submission_dir)
    sub, _ = collect.latest(submission_dir, student)
    if sub is None:
        present = sorted(os.listdir(submission_dir)) if os.path.isdir(submission_dir) else []
        listed = ", ".join(present[:10]) or "nothing"
        nobody = Submission(student=student, name="", kind="", data=b"")
        return failed(nobody, f"no .ipynb or .py file found in the submission (found: {listed})")
    try:
        if grade is None:
            from grader.grading.pipeline import grade_one as grade  # lazy: pulls in torch
        return grade(sub)
    except Exception as e:  # the grader's own bug: keep the trace for staff (stdout is hidden)
        traceback.print_exc()
        return failed(sub, f"the autograder itself failed ({type(e).__name__}); the details "
                           "are in the log for course staff")


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
