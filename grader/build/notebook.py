"""Reading and writing notebooks as plain JSON, and the cell markers the course relies on.

nbformat is not used: it costs over a second to import and a notebook is JSON. Cells are
recognised by a marker on their first source line (`# @drill ROLE [ARG]`; after a Colab
`# @title` line, the second), never by cell metadata, because editors (Colab, JupyterLab)
may drop metadata when a learner saves.
"""
import json
import os
import re
import tempfile

MARKER = re.compile(r"^(?:#|<!--)\s*@drill\s+([\w-]+)(?:\s+(\S.*?))?\s*$")
# Roles: setup (imports; ARG is the drill id), answer (the learner's code), inline PATH (a
# module pasted in by release), instructor (dropped by release), demo (drill-owned cells that
# the grader does not need: plots, widgets, checks), on-demand (the reference answers that
# release generates for solution()).
ROLES = {"setup", "answer", "inline", "instructor", "demo", "on-demand"}
SETUP_LINE = re.compile(r"^#\s*@drill\s+setup\b.*$", re.MULTILINE)
TITLE = re.compile(r"^#\s*@title\b")


class NotebookError(ValueError):
    """A file that cannot be read as a notebook; the message is one line for a gradebook."""


def parse(text, name="notebook"):
    """Parse notebook JSON text into a dict with a list of cells, or raise NotebookError."""
    if not text.strip():
        raise NotebookError(f"{name} is empty")
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise NotebookError(f"{name} is not valid JSON (line {e.lineno}: {e.msg})") from None
    except RecursionError:
        raise NotebookError(f"{name} is JSON nested too deeply to be a notebook") from None
    if not isinstance(nb, dict) or "cells" not in nb and "worksheets" not in nb:
        raise NotebookError(f"{name} is JSON but not a notebook (no 'cells')")
    if "worksheets" in nb:  # nbformat 3: cells live in worksheets, code under 'input'
        cells = []
        for sheet in nb.get("worksheets") or []:
            for cell in (sheet or {}).get("cells") or []:
                if isinstance(cell, dict):
                    src = cell.get("input", cell.get("source", ""))
                    cells.append({"cell_type": cell.get("cell_type"), "source": src})
        nb = {"cells": cells, "metadata": nb.get("metadata", {}), "nbformat": 4}
    if not isinstance(nb["cells"], list):
        raise NotebookError(f"{name} has 'cells' that is not a list")
    return nb


def read(path):
    """Read a notebook file; undecodable bytes are replaced rather than fatal."""
    with open(path, "rb") as f:
        raw = f.read()
    if b"\x00" in raw[:4096]:
        raise NotebookError(f"{os.path.basename(path)} is binary data, not a notebook")
    return parse(raw.decode("utf-8", errors="replace"), os.path.basename(path))


def source(cell):
    """A cell's source as one string, whatever shape the file stored it in."""
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def role(cell):
    """(role, arg) from a cell's marker line, or (None, None) for an unmarked cell.

    Code cells mark with `# @drill ROLE`, markdown cells with `<!-- @drill ROLE -->`.
    """
    lines = source(cell).lstrip("\n").split("\n", 2)
    first = lines[0].strip()
    if TITLE.match(first) and len(lines) > 1:
        first = lines[1].strip()
    if first.startswith("<!--") and first.endswith("-->"):
        first = first[:-3]
    m = MARKER.match(first)
    if m and m.group(1) in ROLES:
        return m.group(1), m.group(2)
    return None, None


def code_cells(nb):
    """The code cells of a parsed notebook, in order."""
    return [c for c in nb["cells"] if isinstance(c, dict) and c.get("cell_type") == "code"]


def dumps(nb):
    """Serialise the way Jupyter does (1-space indent, sorted keys), so diffs stay small."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def split_lines(text):
    """Jupyter's on-disk form of a source string: a list of lines keeping their newlines."""
    return text.splitlines(keepends=True)


def write_atomic(path, text):
    """Write text so that a reader never sees half a file, even if we are killed midway."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
