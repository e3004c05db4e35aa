"""The release step: a solution notebook becomes the student notebook.

- `# @drill instructor` cells are dropped;
- `# BEGIN SOLUTION: hint` ... `# END SOLUTION` regions become `raise NotImplementedError(hint)`;
- `# @drill inline PATH` cells get the text of PATH (a module of this repo), so the student
  notebook needs nothing from this repo and each check or widget is written once;
- outputs, execution counts and editor metadata are cleared.
"""
import os
import re

from grader import notebook

SOLUTION = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<hint>.*?))?\s*$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
INLINE_NOTE = "# Pasted in by `make release` from {path} in the course repository: edit that file.\n"


class ReleaseError(ValueError):
    """The solution notebook breaks a release rule; the message names the cell."""


def stub_solutions(text, where="cell"):
    """Replace every solution region of a cell's source by a NotImplementedError stub."""
    out, hint_line, inside = [], None, False
    for line in text.splitlines(keepends=True):
        start = SOLUTION.match(line.rstrip("\n"))
        if start:
            if inside:
                raise ReleaseError(f"{where}: nested '# BEGIN SOLUTION'")
            inside = True
            hint = start.group("hint") or "write your code here"
            hint_line = f'{start.group("indent")}raise NotImplementedError({hint!r})\n'
            out.append(hint_line)
        elif END.match(line.rstrip("\n")):
            if not inside:
                raise ReleaseError(f"{where}: '# END SOLUTION' without a BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: '# BEGIN SOLUTION' without an END")
    return "".join(out)


def inline_source(root, marker_line, path):
    """The source of an inline cell: its marker, a note, and the module's text."""
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        raise ReleaseError(f"inline cell names {path}, which does not exist")
    with open(full, encoding="utf-8") as f:
        body = f.read()
    return marker_line + "\n" + INLINE_NOTE.format(path=path) + body.rstrip("\n")


def student_cell(cell, index, root):
    """The student version of one solution cell, or None when it is dropped."""
    src = notebook.source(cell)
    role, arg = notebook.role(cell)
    if role == "instructor":
        return None
    where = f"cell {index + 1}"
    if role == "inline":
        src = inline_source(root, src.lstrip("\n").split("\n", 1)[0].rstrip(), arg)
    else:
        src = stub_solutions(src, where)
    out = {"cell_type": cell["cell_type"], "id": f"cell-{index + 1:02d}",
           "metadata": {}, "source": notebook.split_lines(src)}
    tags = cell.get("metadata", {}).get("tags")
    if tags:
        out["metadata"]["tags"] = list(tags)
    if cell["cell_type"] == "code":
        out["execution_count"] = None
        out["outputs"] = []
    return out


def release(solution_path, root):
    """Return the student notebook JSON text generated from a solution notebook."""
    nb = notebook.read(solution_path)
    cells = [student_cell(c, i, root) for i, c in enumerate(nb["cells"])]
    meta = nb.get("metadata", {})
    student = {
        "cells": [c for c in cells if c is not None],
        "metadata": {k: meta[k] for k in ("kernelspec", "language_info") if k in meta},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    student["metadata"].get("language_info", {}).pop("version", None)
    return notebook.dumps(student)
