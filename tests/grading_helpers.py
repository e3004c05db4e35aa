"""Shared by the end-to-end grading tests: run `python -m grader`, build submissions, read outputs;
and the payload import rule, which the drill and course notebook tests both apply."""
import ast
import csv
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from grader.build import notebook, samples
from grader.grading import drills

REPO = Path(__file__).resolve().parent.parent
# What a fresh Colab runtime has; anything else (ipywidgets, IPython, onnx) must be optional.
COLAB = set(sys.stdlib_module_names) | {"torch", "numpy", "matplotlib"}
# The engine's tests grade drill 01's notebooks and its corpus of implementations: a real
# drill, not a toy; other drills are tested by tests/test_drills.py and their own tests.
DRILL = "drill01_dropout"
IMPLEMENTATIONS = REPO / "solutions" / DRILL / "mutants"
SOLUTION, STUDENT = (REPO / p for p in drills.paths(DRILL))


def run_grader(*args, timeout=300, **kwargs):
    """`python -m grader ARGS` from the repository root; a CompletedProcess with text.
    `grade` gets --assignment drill 01 unless given one: a .py file names no drill."""
    args = [str(a) for a in args]
    if args[0] == "grade" and "--assignment" not in args:
        args += ["--assignment", DRILL]
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def notebook_with(code):
    """The student notebook's text with `code` as its answer cell."""
    nb = samples.with_code(notebook.read(STUDENT), code)
    return notebook.dumps(nb)


def implementations(kind):
    """Sorted paths of drill 01's mutants/<kind>/*.py."""
    return sorted((IMPLEMENTATIONS / kind).glob("*.py"))


def bug_targets(path):
    """The check names from a buggy implementation's `# bug: a, b` first line."""
    bugs, _ = samples.mutant_header(path.read_text())
    assert bugs, path
    return bugs  # exactly the failing checks


def gradebook(out):
    """{student: row} from out/gradebook.csv."""
    with open(Path(out) / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def results(out, student):
    with open(Path(out) / student / "results.json", encoding="utf-8") as f:
        return json.load(f)


def without_timing(value):
    """A gradebook row or results.json with every seconds/execution_time field removed."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items()
                if k not in ("seconds", "execution_time")}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def fill(folder, files):
    """Write {relative path: text or bytes} under folder; returns folder."""
    for rel, content in files.items():
        path = Path(folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return Path(folder)


def run_built_autograder(root, tmp_path, timeout=300):
    """Build the Gradescope zip, unpack it into root/source as Gradescope does, and run its
    run_autograder against the fake tree at root (with the grader from the zip only)."""
    import zipfile
    spec = importlib.util.spec_from_file_location("gs_build", REPO / "gradescope" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    zipfile.ZipFile(build.build(str(tmp_path / "gradescope.zip"))).extractall(root / "source")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    env.pop("PYTHONPATH", None)  # the grader must come from source/, not from this checkout
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=timeout)


def unguarded_imports(code, where):
    """The imports in pasted code that a fresh Colab runtime might lack and that no
    `try: ... except ImportError` guards, as messages. Repo imports (grader, solutions) are
    skipped: release drops them and checks the module was pasted earlier."""
    tree = ast.parse(code)
    guarded = {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try)
               and any(isinstance(h.type, ast.Name) and h.type.id in
                       ("ImportError", "ModuleNotFoundError") for h in t.handlers)
               for n in ast.walk(ast.Module(body=t.body, type_ignores=[]))}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""])
            for name in names:
                top = name.split(".")[0]
                if top not in COLAB | {"grader", "solutions"} and id(node) not in guarded:
                    out.append(f"{where}: `import {name}` is not guarded")
    return out
