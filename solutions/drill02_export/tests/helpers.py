"""Shared helpers of the drill's tests: the reference answers, mutants, in-process grading."""
import contextlib
import io
import pathlib
import re

from grader.build import notebook, release
from grader.payload.checkkit import evaluate
from solutions.drill02_export import checks, hidden

HERE = pathlib.Path(__file__).resolve().parent
DRILL_DIR = HERE.parent
REPO = DRILL_DIR.parent.parent
SOLUTION = DRILL_DIR / "solution.ipynb"
MUTANTS = DRILL_DIR / "mutants"
ALL_CHECKS = list(checks.VISIBLE) + list(hidden.HIDDEN)
TARGETS = ("ClassicDropout", "export_weights", "engine_forward")


def cells_of(nb, role):
    return [notebook.source(c) for c in nb["cells"] if notebook.role(c)[0] == role]


def strip_markers(src):
    """An answer cell without its BEGIN/END SOLUTION marker lines."""
    return "".join(line for line in src.splitlines(keepends=True)
                   if not (release.SOLUTION.match(line.rstrip("\n"))
                           or release.END.match(line.rstrip("\n"))))


def reference_answers():
    """The solution's three answer cells, markers removed, in notebook order."""
    return [strip_markers(s) for s in cells_of(notebook.read(SOLUTION), "answer")]


def namespace(*extra_sources, nb=None):
    """What the grader builds: the setup cell, the answer cells, then extra sources (a
    mutant's definitions override the reference's). Prints are swallowed."""
    nb = nb or notebook.read(SOLUTION)
    ns = {"__name__": "__submission__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for src in cells_of(nb, "setup") + [strip_markers(s) for s in cells_of(nb, "answer")]:
            exec(compile(src, "<cell>", "exec"), ns)
        for src in extra_sources:
            exec(compile(src, "<mutant>", "exec"), ns)
    return ns


def grade(ns, check_list=ALL_CHECKS):
    """{check name: (status, message)}, evaluated in this process, in check order."""
    out = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for c in check_list:
            out[c.name] = (evaluate(c, ns[c.target]) if c.target in ns
                           else ("todo", "not defined"))
    return out


def mutant_header(path):
    """(set of check names from `# bug:`, hint text from `# hint:`)."""
    lines = pathlib.Path(path).read_text().splitlines()
    bug = re.match(r"#\s*bug:\s*(.*)$", lines[0]).group(1)
    hint = re.match(r"#\s*hint:\s*(.*)$", lines[1]).group(1).strip()
    return {b.strip() for b in bug.split(",") if b.strip()}, hint


def mutant_target(source):
    """Which target a mutant file redefines (each redefines exactly one)."""
    found = [t for t in TARGETS
             if re.search(rf"^(class|def)\s+{t}\b", source, re.MULTILINE)]
    if len(found) != 1:
        raise ValueError(f"a mutant must define exactly one target, found {found}")
    return found[0]
