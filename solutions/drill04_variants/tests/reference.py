"""The solution notebook's answers, executed the way the grader runs them: the setup cell,
then every `# @drill answer` cell with its BEGIN/END SOLUTION marker lines removed."""
import functools
import os
import re

from grader.build import notebook, release

HERE = os.path.dirname(os.path.abspath(__file__))
SOLUTION = os.path.join(os.path.dirname(HERE), "solution.ipynb")
MUTANTS = os.path.join(os.path.dirname(HERE), "mutants")
TARGETS = ("SpatialDropout2d", "DropBlock2d", "DropPath", "DropConnectLinear", "GaussianDropout")


def strip_markers(src):
    return "".join(line for line in src.splitlines(keepends=True)
                   if not (release.SOLUTION.match(line.rstrip("\n"))
                           or release.END.match(line.rstrip("\n"))))


@functools.lru_cache(maxsize=1)
def sources():
    """(setup source, [answer sources]) of the solution notebook."""
    nb = notebook.read(SOLUTION)
    setup = [notebook.source(c) for c in nb["cells"] if notebook.role(c)[0] == "setup"]
    answers = [strip_markers(notebook.source(c)) for c in nb["cells"]
               if notebook.role(c)[0] == "answer"]
    return setup[0], answers


def namespace():
    """A fresh namespace holding the reference answers."""
    setup, answers = sources()
    ns = {"__name__": "__main__"}
    exec(compile(setup, "setup", "exec"), ns)
    for i, src in enumerate(answers):
        exec(compile(src, f"answer-{i}", "exec"), ns)
    return ns


def mutant_files(kind):
    folder = os.path.join(MUTANTS, kind)
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".py"))


def declared(path):
    """({bug check names}, hint) from a buggy mutant's first two lines."""
    with open(path) as f:
        first, second = f.readline(), f.readline()
    bugs = {b.strip() for b in re.sub(r"^#\s*bug:", "", first).split(",") if b.strip()}
    return bugs, re.sub(r"^#\s*hint:", "", second).strip()
