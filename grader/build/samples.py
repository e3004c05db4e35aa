"""Generate the sample submissions that `make grade` grades (submissions/samples/).

Each sample is the current student notebook with only its answer cell replaced, so the
samples follow the course as it changes; tests/test_samples.py fails when the committed
files differ from what this script writes. Names follow the LMS exports `grade` reads:

  correct  the reference solution                       Canvas  lovelaceada_1001_5001_dropout.ipynb
  bug 1    survivors multiplied by (1 - p), not divided Moodle  Alan Turing_1002_.../dropout.ipynb
  bug 2    `if self.train` (a method, always truthy)    Canvas  hoppergrace_LATE_1003_5003_...
  stub     the untouched student notebook               Canvas  noetheremmy_1004_5004_dropout.ipynb

Run: .venv/bin/python submissions/make_samples.py
"""
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)

from grader.build import notebook, release
    from grader.grading import drills  # noqa: E402

DRILL = "dropout01"
OUT = os.path.join(HERE, "samples")
NAMES = {
    "correct": "lovelaceada_1001_5001_dropout.ipynb",
    "scale_by_keep": "Alan Turing_1002_assignsubmission_file_/dropout.ipynb",
    "train_method": "hoppergrace_LATE_1003_5003_01_dropout_mock_interview.ipynb",
    "stub": "noetheremmy_1004_5004_dropout.ipynb",
}
# (text in the reference, what the bug writes instead)
BUGS = {
    "scale_by_keep": ("return x * mask / keep", "return x * mask * keep"),
    "train_method": ("if not self.training", "if not self.train"),
}


def answer_index(nb):
    """The index of the one `# @drill answer` cell."""
    found = [i for i, c in enumerate(nb["cells"]) if notebook.role(c)[0] == "answer"]
    if len(found) != 1:
        raise ValueError(f"expected one answer cell, found {len(found)}")
    return found[0]


def reference_answer(solution_nb):
    """The solution's answer cell with the BEGIN/END SOLUTION marker lines removed."""
    src = notebook.source(solution_nb["cells"][answer_index(solution_nb)])
    return "".join(line for line in src.splitlines(keepends=True)
                   if not (release.SOLUTION.match(line.rstrip("\n"))
                           or release.END.match(line.rstrip("\n"))))


def with_answer(student_nb, answer):
    """The student notebook (a copy) with its answer cell's source replaced."""
    nb = json.loads(json.dumps(student_nb))
    nb["cells"][answer_index(nb)]["source"] = notebook.split_lines(answer)
    return nb


def samples(repo=REPO):
    """{path under samples/: notebook text} for every sample."""
    solution, student = (os.path.join(repo, p) for p in drills.paths(DRILL))
    student_nb = notebook.read(student)
    reference = reference_answer(notebook.read(solution))
    answers = {"correct": reference, "stub": None}
    for bug, (good, bad) in BUGS.items():
        if reference.count(good) != 1:
            raise ValueError(f"{bug}: the reference no longer contains {good!r} exactly once")
        answers[bug] = reference.replace(good, bad)
    return {NAMES[k]: notebook.dumps(student_nb if a is None else with_answer(student_nb, a))
            for k, a in answers.items()}


def main(out=OUT):
    """Rewrite out/ with exactly the samples (stale files removed)."""
    shutil.rmtree(out, ignore_errors=True)
    for name, text in samples().items():
        notebook.write_atomic(os.path.join(out, name), text)
        print(os.path.relpath(os.path.join(out, name), REPO))


if __name__ == "__main__":
    main(*sys.argv[1:2])
