"""Generate each drill's sample submissions, solutions/<id>/samples/, from DRILL.samples.

A sample is the current student notebook with answers filled in:
  "correct"        the solution's answer cells (markers removed)
  "stub"           the untouched student notebook
  "buggy/NAME"     the solution's answers, then mutants/buggy/NAME.py over them: an answer
                   cell whose definitions the mutant all redefines is replaced by it, else
                   the mutant becomes a new cell after the last answer cell
So the samples follow the course as it changes; tests/test_drills.py fails when a committed
sample differs from what this writes. Names follow the LMS exports `grade` reads.

Run: .venv/bin/python -m grader.build.samples [DRILL_ID ...]
"""
import ast
import copy
import os
import re
import shutil
import sys

from grader.build import notebook, release
from grader.grading import drills


def mutant_header(text):
    """(checks, hint) from a mutant's first lines, `# bug: a, b` then `# hint: words`: the
    checks it fails, exactly, and words of the first failing message. A Colab `# @title`
    line before them is skipped; a line that is missing gives None in its place."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:3]
    if lines and notebook.TITLE.match(lines[0]):
        lines = lines[1:]
    found = {}
    for key, line in zip(("bug", "hint"), lines):
        m = re.fullmatch(rf"#\s*{key}:\s*(.+)", line)
        found[key] = m.group(1).strip() if m else None
    bugs = found.get("bug")
    return ([b.strip() for b in bugs.split(",") if b.strip()] if bugs else None,
            found.get("hint"))


def answer_indices(nb):
    return [i for i, c in enumerate(nb["cells"]) if notebook.role(c)[0] == "answer"]


without_markers = release.without_markers  # an answer cell's source, solution markers removed


def defined_names(src):
    """Top-level names a piece of code defines (classes, functions, assignments)."""
    try:
        tree = ast.parse(src)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def answered(student_nb, solution_nb):
    """The student notebook (a copy) with the solution's answers in its answer cells."""
    nb = copy.deepcopy(student_nb)
    mine, theirs = answer_indices(nb), answer_indices(solution_nb)
    if len(mine) != len(theirs):
        raise ValueError(f"{len(mine)} answer cells in the student notebook, "
                         f"{len(theirs)} in the solution")
    for i, j in zip(mine, theirs):
        src = without_markers(notebook.source(solution_nb["cells"][j]))
        nb["cells"][i]["source"] = notebook.split_lines(src)
    return nb


def with_code(nb, code):
    """nb (a copy) with `code` over its answers: it replaces the answer cell whose
    definitions it all redefines, else it goes in a new cell after the last answer."""
    nb = copy.deepcopy(nb)
    answers = answer_indices(nb)
    mine = defined_names(code)
    for i in answers:
        theirs = defined_names(notebook.source(nb["cells"][i]))
        if theirs and theirs <= mine:
            nb["cells"][i]["source"] = notebook.split_lines("# @drill answer\n" + code)
            return nb
    cell = {"cell_type": "code", "execution_count": None, "id": "learner-extra",
            "metadata": {}, "outputs": [], "source": notebook.split_lines(code)}
    nb["cells"].insert(answers[-1] + 1 if answers else len(nb["cells"]), cell)
    return nb


def samples(drill):
    """{path under samples/: notebook text} for every sample the drill declares."""
    solution, student = (os.path.join(drills.ROOT, p) for p in drills.paths(drill.id))
    student_nb = notebook.read(student)
    full = answered(student_nb, notebook.read(solution))
    out = {}
    for name, kind in drill.samples.items():
        if kind == "stub":
            nb = student_nb
        elif kind == "correct":
            nb = full
        else:
            with open(os.path.join(drill.folder, "mutants", kind + ".py"), encoding="utf-8") as f:
                nb = with_code(full, f.read())
        out[name] = notebook.dumps(nb)
    return out


def main(ids):
    """Rewrite each drill's samples/ with exactly its samples (stale files removed)."""
    for drill_id in ids or drills.ids():
        drill = drills.load(drill_id)
        out = os.path.join(drill.folder, "samples")
        shutil.rmtree(out, ignore_errors=True)
        for name, text in samples(drill).items():
            notebook.write_atomic(os.path.join(out, name), text)
            print(os.path.relpath(os.path.join(out, name), drills.ROOT))


if __name__ == "__main__":
    main(sys.argv[1:])
