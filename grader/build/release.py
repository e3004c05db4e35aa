"""The release step: a solution notebook becomes the student notebook.

- `# @drill instructor` cells are dropped;
- `# @drill setup` gets the drill's id (its folder name: the one place it is written) on its
  marker line, and a `DRILL_ID = "<id>"` line after it, which pasted code (progress) reads;
- `# BEGIN SOLUTION: hint` ... `# END SOLUTION` regions become `raise NotImplementedError(hint)`;
- `# @drill inline PATH` cells get the text of PATH (a module of this repo), so the student
  notebook needs nothing from this repo and each check or widget is written once. A pasted
  module's imports of repo modules pasted earlier in the notebook are dropped (their names
  are already defined); an import of one not pasted earlier is an error. Pasted cells are
  collapsed (Colab's form view, JupyterLab's hidden source) so they do not stand between
  lessons;
- right after the cell that pastes the drill's checks come two generated, collapsed cells:
  grader/payload/ondemand.py (hint() and solution()) and `# @drill on-demand`, holding
  SOLUTIONS = {name: reference code} for every name the answer cells define (the answer
  cell's code without its solution markers, zlib-compressed and base64-encoded so that it is
  not read at a glance), so hints and the reference work offline;
- outputs, execution counts and editor metadata are cleared.
"""
import ast
import base64
import os
import re
import zlib

from grader.build import notebook

SOLUTION = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<hint>.*?))?\s*$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
INLINE_NOTE = "# Pasted in by `make release` from {path} in the course repository: edit that file.\n"
INLINE_TITLE = '# @title {title} (pasted code: double-click to show) {{ display-mode: "form" }}'
COLLAPSED = {"cellView": "form", "jupyter": {"source_hidden": True}}
DRILL_ID_LINE = re.compile(r"^DRILL_ID\s*=.*\n?", re.MULTILINE)
REPO_IMPORT = re.compile(r"^from\s+((?:grader|solutions)\.[\w.]+)\s+import\s+.*$")
ONDEMAND = "grader/payload/ondemand.py"
ONDEMAND_TITLE = ('# @title Reference answers for solution() (generated: double-click to show) '
                  '{ display-mode: "form" }')
CHUNK = 76  # characters per line of an encoded reference


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


def without_markers(src):
    """An answer cell's source with its BEGIN/END SOLUTION lines removed (the reference)."""
    return "".join(line for line in src.splitlines(keepends=True)
                   if not (SOLUTION.match(line.rstrip("\n")) or END.match(line.rstrip("\n"))))


def defined_names(src):
    """Top-level names a piece of code defines (classes, functions, assignments), in order."""
    names = []
    for node in ast.parse(src).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
    return [n for i, n in enumerate(names) if n not in names[:i]]


def encode(text):
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def references(cells):
    """{name: reference code} for every name the solution's answer cells define."""
    out = {}
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or notebook.role(cell)[0] != "answer":
            continue
        lines = without_markers(notebook.source(cell)).lstrip("\n").split("\n")
        head = 2 if notebook.TITLE.match(lines[0]) else 1  # the marker (after a Colab title)
        code = "\n".join(lines[head:]).strip("\n") + "\n"
        try:
            names = defined_names(code)
        except SyntaxError as e:
            raise ReleaseError(f"cell {i + 1}: the answer is not valid Python ({e.msg})") from None
        for name in names:
            out.setdefault(name, code)
    return out


def ondemand_source(refs):
    """The generated cell's source: SOLUTIONS with each reference encoded, in short lines."""
    lines = [ONDEMAND_TITLE, "# @drill on-demand",
             "# Generated by `make release` from the solution's answer cells; solution(name)",
             "# shows one after you confirm. Encoded so that scrolling past does not spoil it.",
             "SOLUTIONS = {"]
    for name, code in refs.items():
        text = encode(code)
        parts = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
        lines.append(f"    {name!r}: (")
        lines += [f'        "{part}"' for part in parts]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines)


def module_of(path):
    """The dotted module name of a repo file: solutions/x/checks.py -> solutions.x.checks."""
    return path[:-3].replace("/", ".") if path.endswith(".py") else path


def inline_source(root, path, pasted, where):
    """The source of an inline cell: a collapsed title, the marker, a note, the module's text.

    Imports of repo modules already in `pasted` are dropped; `path` is added to it."""
    full = os.path.join(root, path)
    if not os.path.isfile(full):
        raise ReleaseError(f"{where}: inline cell names {path}, which does not exist")
    with open(full, encoding="utf-8") as f:
        lines = f.read().rstrip("\n").split("\n")
    body = []
    open_paren = False  # inside a dropped `from ... import (a,\n b)` spanning lines
    for line in lines:
        if open_paren:
            open_paren = ")" not in line.split("#")[0]
            continue
        m = REPO_IMPORT.match(line)
        if m and m.group(1) not in pasted:
            raise ReleaseError(f"{where}: {path} imports {m.group(1)}, which is not pasted "
                               "into an earlier cell of this notebook")
        if m:
            code = line.split("#")[0]
            open_paren = "(" in code and ")" not in code
        else:
            body.append(line)
    pasted.add(module_of(path))
    doc = next((ln.strip('"\' ') for ln in lines if ln.strip()), path)
    doc = doc.rstrip(".")
    if len(doc) > 64:
        doc = doc[:64].rsplit(" ", 1)[0] + "..."
    title = INLINE_TITLE.format(title=doc)
    return "\n".join([title, f"# @drill inline {path}", INLINE_NOTE.format(path=path).rstrip()]
                     + body)


def student_cell(cell, index, root, drill_id, pasted):
    """The student version of one solution cell, or None when it is dropped."""
    src = notebook.source(cell)
    role, arg = notebook.role(cell)
    if role == "instructor":
        return None
    where = f"cell {index + 1}"
    metadata = {}
    if role == "inline":
        src = inline_source(root, arg, pasted, where)
        metadata.update(COLLAPSED)
    else:
        src = stub_solutions(src, where)
    if role == "setup":
        src = DRILL_ID_LINE.sub("", src)
        src = notebook.SETUP_LINE.sub(f'# @drill setup {drill_id}\nDRILL_ID = "{drill_id}"',
                                      src, count=1)
    out = {"cell_type": cell["cell_type"], "id": f"cell-{index + 1:02d}",
           "metadata": metadata, "source": notebook.split_lines(src)}
    tags = cell.get("metadata", {}).get("tags")
    if tags:
        out["metadata"]["tags"] = list(tags)
    if cell["cell_type"] == "code":
        out["execution_count"] = None
        out["outputs"] = []
    return out


def ondemand_cells(cells, root, pasted, index):
    """The two generated cells that follow the drill's checks: hint()/solution(), SOLUTIONS."""
    where = f"cell {index + 1} (after it)"
    stamp = f"cell-{index + 1:02d}"
    code = {"cell_type": "code", "execution_count": None, "metadata": dict(COLLAPSED),
            "outputs": []}
    return [dict(code, id=f"{stamp}-hints",
                 source=notebook.split_lines(inline_source(root, ONDEMAND, pasted, where))),
            dict(code, id=f"{stamp}-solutions",
                 source=notebook.split_lines(ondemand_source(references(cells))))]


def release(solution_path, root, drill_id):
    """Return the student notebook JSON text generated from a solution notebook."""
    nb = notebook.read(solution_path)
    pasted = set()
    cells, checks = [], f"solutions/{drill_id}/checks.py"
    for i, c in enumerate(nb["cells"]):
        cells.append(student_cell(c, i, root, drill_id, pasted))
        if notebook.role(c) == ("inline", checks):
            cells += ondemand_cells(nb["cells"], root, pasted, i)
    meta = nb.get("metadata", {})
    student = {
        "cells": [c for c in cells if c is not None],
        "metadata": {k: meta[k] for k in ("kernelspec", "language_info") if k in meta},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    student["metadata"].get("language_info", {}).pop("version", None)
    return notebook.dumps(student)


def learner_work(current, generated, name="notebook"):
    """Why the notebook text `current` must not be replaced by `generated`, or None.

    A notebook holds a learner's work when an answer cell differs from the one release
    generates (or the answer cells do not line up), when a code cell has outputs or an
    execution count (it was run), or when it cannot be read as a notebook at all."""
    try:
        have = notebook.parse(current, name)
    except notebook.NotebookError as e:
        return f"it cannot be read as a notebook ({e})"
    want = notebook.parse(generated, name)
    for i, cell in enumerate(have["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            return f"cell {i} has been run (it has outputs or an execution count)"

    def answers(nb):
        return [(i, notebook.source(c)) for i, c in enumerate(nb["cells"], 1)
                if isinstance(c, dict) and notebook.role(c)[0] == "answer"]
    mine, fresh = answers(have), answers(want)
    if len(mine) != len(fresh):
        return f"it has {len(mine)} answer cells where the release has {len(fresh)}"
    for (i, a), (_, b) in zip(mine, fresh):
        if a != b:
            return f"answer cell {i} differs from the stub the release writes"
    return None
