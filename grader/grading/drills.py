"""Drills are found by convention: every folder solutions/<id>/ holding a drill.py.

The folder name is the drill's id, its solution is solutions/<id>/solution.ipynb and its
student notebook notebooks/<id>.ipynb; drill.py defines DRILL (grader.grading.model.Drill).
Nothing else lists the drills, so adding one touches its own folder only.
"""
import importlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTIONS = os.path.join(ROOT, "solutions")
SETUP_MARK = re.compile(r"^#\s*@drill\s+setup\s+([\w-]+)", re.MULTILINE)
ID = re.compile(r"^drill\d\d_[a-z0-9_]+$")


class UnknownAssignment(ValueError):
    """The assignment id names no drill."""


def ids(root=ROOT):
    """The drill ids, in course order (the number in the id)."""
    folder = os.path.join(root, "solutions")
    return sorted(d for d in os.listdir(folder)
                  if ID.match(d) and os.path.isfile(os.path.join(folder, d, "drill.py")))


def paths(drill_id):
    """(solution, student) notebook paths relative to the repository, without importing."""
    return f"solutions/{drill_id}/solution.ipynb", f"notebooks/{drill_id}.ipynb"


def load(drill_id):
    """The Drill in solutions/<drill_id>/drill.py (imports its checks, and so torch)."""
    if drill_id not in ids():
        raise UnknownAssignment(f"unknown assignment {drill_id!r}; known: {', '.join(ids())}")
    drill = importlib.import_module(f"solutions.{drill_id}.drill").DRILL
    drill.id, drill.folder = drill_id, os.path.join(SOLUTIONS, drill_id)
    return drill


def detect(sources):
    """The drill id named by a `# @drill setup ID` marker in any of the sources, else None."""
    known = set(ids())
    for text in sources:
        m = SETUP_MARK.search(text)
        if m and m.group(1) in known:
            return m.group(1)
    return None
