"""The registry of drills. A new drill is a package here with a `DRILL` (grader.model.Drill);
the core (release, sandbox, pipeline, report) never changes for it."""
import importlib
import re

PACKAGES = {"dropout01": "grader.drills.dropout01"}
SETUP_MARK = re.compile(r"^#\s*@drill\s+setup\s+([\w-]+)", re.MULTILINE)


class UnknownAssignment(ValueError):
    """The assignment id is not a registered drill."""


def ids():
    return sorted(PACKAGES)


def load(drill_id):
    """The Drill registered under drill_id (imports its checks, and so torch)."""
    if drill_id not in PACKAGES:
        raise UnknownAssignment(f"unknown assignment {drill_id!r}; known: {', '.join(ids())}")
    return importlib.import_module(PACKAGES[drill_id]).DRILL


def paths(drill_id):
    """(solution, student) notebook paths, without importing the drill's checks."""
    module = importlib.import_module(PACKAGES[drill_id] + ".paths")
    return module.SOLUTION, module.STUDENT


def detect(sources):
    """The drill id named by a `# @drill setup ID` marker in any of the sources, else None."""
    for text in sources:
        m = SETUP_MARK.search(text)
        if m and m.group(1) in PACKAGES:
            return m.group(1)
    return None
