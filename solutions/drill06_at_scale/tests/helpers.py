"""Shared by the drill's tests: the reference answers, every check, the mutants."""
import glob
import os


from grader.payload import checkkit
from solutions.drill06_at_scale import checks, hidden, reference

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALL_CHECKS = list(checks.VISIBLE) + list(hidden.HIDDEN)



def mutant_paths(kind):
    return sorted(glob.glob(os.path.join(FOLDER, "mutants", kind, "*.py")))


def namespace_with(path=None):
    """The reference answers, with a mutant file's definitions over them."""
    ns = reference.answers()
    if path:
        with open(path, encoding="utf-8") as f:
            exec(compile(f.read(), path, "exec"), ns)
    return ns


def outcomes(ns, which=ALL_CHECKS):
    """{check name: (status, message)} with every check evaluated in this process."""
    return {c.name: checkkit.evaluate(c, ns[c.target]) for c in which}


def declared(path):
    """(bug check names, hint words) from a buggy mutant's first two lines."""
    with open(path, encoding="utf-8") as f:
        first, second = f.readline(), f.readline()
    assert first.startswith("# bug:") and second.startswith("# hint:"), path
    bugs = [s.strip() for s in first.split(":", 1)[1].split(",") if s.strip()]
    return bugs, second.split(":", 1)[1].strip()
