"""Batch grading into an output folder that survives interruption.

Each student's results.json and feedback.html are written atomically the moment they are
ready; a rerun with the same --out reuses every result whose submission hash and grading
settings are unchanged, so a batch killed at any point finishes without regrading or
duplicating anything. The gradebook is rebuilt from the results at the end. No input stops
the batch: whatever one file makes go wrong is that student's row, with a one-line reason.
"""
import json
import os
import sys

from tqdm import tqdm

from grader.build import notebook
from grader.grading import collect, report
from grader.grading.config import Config
from grader.grading.model import Submission, failed
from grader.grading.pipeline import Grader


def student_dir(out, student):
    return os.path.join(out, collect.safe_id(student))


def load_previous(out, sub, digest):
    """The saved result for this exact submission and config, or None."""
    path = os.path.join(student_dir(out, sub.student), "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            result = report.result_from_json(json.load(f))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    if result.sha256 == sub.sha256 and result.config == digest:
        return result
    return None


def save(out, result):
    folder = student_dir(out, result.student)
    notebook.write_atomic(os.path.join(folder, "feedback.html"), report.feedback_html(result))
    notebook.write_atomic(os.path.join(folder, "results.json"),
                          json.dumps(report.results_json(result), indent=1) + "\n")


def grade_paths(paths, out, jobs=1, assignment=None, config=None, progress=True):
    """Grade everything under paths into out; returns a one-paragraph summary."""
    config = config or Config()
    subs, problems = collect.collect(paths)
    grader = Grader(assignment, config)
    digest = config.digest()
    os.makedirs(out, exist_ok=True)
    results, todo = [], []
    for problem in problems:
        sub = Submission(student=problem.student, name=problem.name, kind="", data=b"")
        results.append(failed(sub, problem.reason, assignment or "", config=digest))
    for sub in subs:
        previous = load_previous(out, sub, digest)
        (results.append(previous) if previous else todo.append(sub))
    reused = len(results) - len(problems)
    for result in results[:len(problems)]:
        save(out, result)
    bar = tqdm(total=len(todo), unit="submission", disable=not progress or not todo,
               file=sys.stderr, dynamic_ncols=True, mininterval=0.5)

    errors = 0

    def done(result):
        nonlocal errors
        save(out, result)
        errors += result.status == "error"
        bar.set_postfix(errors=errors, refresh=False)
        bar.update(1)
    try:
        results += grader.grade(todo, jobs=jobs, on_done=done)
    finally:
        bar.close()
    check_names, titles = [], {}
    for r in results:
        for c in r.checks:
            if c.name not in titles:
                check_names.append(c.name)
                titles[c.name] = c.title
    report.write_gradebook(os.path.join(out, "gradebook.csv"), results, check_names, titles)
    errors = sum(r.status == "error" for r in results)
    return (f"{len(results)} submissions: {len(todo)} graded now, {reused} reused from an "
            f"earlier run, {errors} with errors. Gradebook: {os.path.join(out, 'gradebook.csv')}")
