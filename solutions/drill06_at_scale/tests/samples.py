"""Build the sample submissions DRILL.samples names (the lead's `make samples` may replace
this): the student notebook with its answer cells replaced.

  correct        every answer cell holds the reference answer
  buggy/NAME     the reference, with the answer cell that defines the mutant's target
                 replaced by mutants/buggy/NAME.py (its `# bug`/`# hint` lines dropped)
  stub           the untouched student notebook

Run from the repository root: .venv/bin/python -m solutions.drill06_at_scale.tests.samples
"""
import json
import os
import re
import shutil

from grader.build import notebook
from solutions.drill06_at_scale import reference
from solutions.drill06_at_scale.drill import DRILL

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(FOLDER))
STUDENT = os.path.join(REPO, "notebooks", "drill06_at_scale.ipynb")
OUT = os.path.join(FOLDER, "samples")
DEFINES = re.compile(r"^(?:class|def)\s+(\w+)", re.MULTILINE)


def _answer_indices(nb):
    return [i for i, c in enumerate(nb["cells"]) if notebook.role(c)[0] == "answer"]


def _with_answers(student, answers):
    nb = json.loads(json.dumps(student))
    for i, src in zip(_answer_indices(nb), answers):
        nb["cells"][i]["source"] = notebook.split_lines(src)
    return nb


def samples():
    """{file name under samples/: notebook text}."""
    student = notebook.read(STUDENT)
    correct = reference.answer_sources()
    targets = set(DRILL.targets)
    out = {}
    for name, kind in DRILL.samples.items():
        if kind == "stub":
            nb = student
        elif kind == "correct":
            nb = _with_answers(student, correct)
        else:
            path = os.path.join(FOLDER, "mutants", kind + ".py")
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines(keepends=True)
            body = "".join(ln for ln in lines if not ln.startswith(("# bug:", "# hint:")))
            defined = set(DEFINES.findall(body)) & targets
            answers = [("# @drill answer\n" + body) if set(DEFINES.findall(src)) & defined
                       else src for src in correct]
            assert answers != correct, f"{kind} replaces no answer cell"
            nb = _with_answers(student, answers)
        out[name] = notebook.dumps(nb)
    return out


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for name, text in samples().items():
        notebook.write_atomic(os.path.join(OUT, name), text)
        print(os.path.relpath(os.path.join(OUT, name), REPO))


if __name__ == "__main__":
    main()
