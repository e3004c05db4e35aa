"""What the drill's tests share: the reference answers, read from the solution notebook."""
import contextlib
import io
import json
import os
import re


FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOLUTION = os.path.join(FOLDER, "solution.ipynb")
MUTANTS = os.path.join(FOLDER, "mutants")
MARKERS = re.compile(r"^\s*# (BEGIN|END) SOLUTION")


def cell_source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def cells_with_marker(marker):
    with open(SOLUTION, encoding="utf-8") as f:
        nb = json.load(f)
    return [cell_source(c) for c in nb["cells"]
            if c["cell_type"] == "code" and cell_source(c).lstrip().startswith(marker)]


def reference_namespace():
    """A fresh namespace holding the setup cell's imports and the reference answers."""
    ns = {}
    setup, = cells_with_marker("# @drill setup")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(setup, ns)
    for src in cells_with_marker("# @drill answer"):
        exec("".join(l for l in src.splitlines(True) if not MARKERS.match(l)), ns)
    return ns


def mutant_files(kind):
    folder = os.path.join(MUTANTS, kind)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py"))


def with_mutant(path):
    """The reference namespace with the mutant's definitions executed over it."""
    ns = reference_namespace()
    with open(path, encoding="utf-8") as f:
        exec(compile(f.read(), path, "exec"), ns)
    return ns


def header(path):
    """(declared failing checks, hint) from a buggy mutant's first two lines."""
    with open(path, encoding="utf-8") as f:
        first, second = f.readline(), f.readline()
    assert first.startswith("# bug:") and second.startswith("# hint:"), path
    return [b.strip() for b in first[len("# bug:"):].split(",")], second[len("# hint:"):].strip()

