"""The Gradescope bundle and entry point, run against fake /autograder trees."""
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.grading import gradescope
from grading_helpers import run_built_autograder
from grader.grading.model import CheckResult, Result

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# gradescope/build.py is a script, not a package; loaded by path so that PyPI's `build`
# package, if installed, cannot be picked up instead.
_spec = importlib.util.spec_from_file_location("gradescope_build",
                                               os.path.join(REPO, "gradescope", "build.py"))
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)


def test_zip_has_the_autograder_at_its_root(tmp_path):
    dest = build.build(str(tmp_path / "gradescope.zip"))
    with zipfile.ZipFile(dest) as z:
        names = z.namelist()
        run = z.getinfo("run_autograder")
        assert (run.external_attr >> 16) & 0o111  # executable
        assert b"python" in z.read("run_autograder")
    for name in ("setup.sh", "run_autograder", "requirements-grader.txt",
                 "grader/grading/model.py", "grader/grading/report.py",
                 "grader/grading/gradescope.py", "grader/build/notebook.py",
                 "grader/grading/templates/feedback.html.j2", "grader/payload/checkkit.py",
                 "solutions/__init__.py", "solutions/drill01_dropout/drill.py",
                 "solutions/drill01_dropout/hidden.py"):
        assert name in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.endswith(".ipynb") or "/tests/" in n or "/mutants/" in n]


def test_zip_skips_caches_and_is_reproducible(tmp_path):
    repo = tmp_path / "repo"
    for rel in ("gradescope/setup.sh", "gradescope/run_autograder", "requirements-grader.txt",
                "grader/a.py", "grader/__pycache__/a.cpython-311.pyc", "grader/sub/b.py",
                "grader/sub/.ipynb_checkpoints/b-checkpoint.py", "solutions/__init__.py",
                "solutions/drill01_x/drill.py", "solutions/drill01_x/solution.ipynb",
                "solutions/drill01_x/tests/test_a.py", "solutions/notes/x.py"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("x")
    first = build.build(str(tmp_path / "1.zip"), str(repo))
    second = build.build(str(tmp_path / "2.zip"), str(repo))
    assert zipfile.ZipFile(first).namelist() == [
        "grader/a.py", "grader/sub/b.py", "requirements-grader.txt", "run_autograder",
        "setup.sh", "solutions/__init__.py", "solutions/drill01_x/drill.py"]
    assert open(first, "rb").read() == open(second, "rb").read()


def fake_tree(tmp_path, files, emails=("ada@example.org",)):
    """An /autograder lookalike; files maps relative path -> (text, mtime)."""
    root = tmp_path / "autograder"
    sub = root / "submission"
    sub.mkdir(parents=True)
    for rel, (text, mtime) in files.items():
        (sub / rel).parent.mkdir(parents=True, exist_ok=True)
        (sub / rel).write_text(text)
        os.utime(sub / rel, (mtime, mtime))
    meta = {"users": [{"email": e, "name": "x", "id": 1} for e in emails]}
    (root / "submission_metadata.json").write_text(json.dumps(meta))
    return root


def stub(seen):
    def grade(sub):
        seen.append(sub)
        check = CheckResult("shape", "Keeps the shape", 1, 1, True, "pass", "")
        return Result(student=sub.student, assignment="drill01_dropout", status="graded",
                      reason="", checks=[check], seconds=3.2, sha256=sub.sha256,
                      source_name=sub.name, captured_output="hello from the student",
                      superseded=list(sub.superseded))  # as the pipeline does
    return grade


def read_results(root):
    return json.loads((root / "results" / "results.json").read_text())


def test_main_grades_the_newest_notebook(tmp_path):
    root = fake_tree(tmp_path, {"old.ipynb": ("{}", 1000), "deep/new.ipynb": ('{"a": 1}', 2000),
                                "helper.py": ("x = 1", 3000),
                                ".ipynb_checkpoints/newest.ipynb": ("{}", 4000)})
    seen = []
    gradescope.main(str(root / "submission"), str(root / "results"), grade=stub(seen))
    [sub] = seen
    assert (sub.name, sub.kind, sub.data, sub.student) == (
        "deep/new.ipynb", "ipynb", b'{"a": 1}', "ada@example.org")
    # sha256 of {"a": 1}, from `printf '{"a": 1}' | sha256sum`
    assert sub.sha256 == "f9d86028c6e0d64e225186f96acb69338b2c59764df79162107f5c4bb34d1310"
    out = read_results(root)
    assert out["score"] == 1 and out["extra_data"]["superseded"] == ["old.ipynb"]
    assert out["extra_data"]["sha256"] == sub.sha256
    assert "hello from the student" not in out["output"]


def test_main_falls_back_to_py_and_reads_env_root(tmp_path, monkeypatch):
    root = fake_tree(tmp_path, {"hw.py": ("x = 1", 1000), "notes.txt": ("", 2000)},
                     emails=("a@x.org", "b@x.org"))
    monkeypatch.setenv("AUTOGRADER_ROOT", str(root))
    seen = []
    gradescope.main(grade=stub(seen))
    assert (seen[0].name, seen[0].kind, seen[0].student) == ("hw.py", "py", "a@x.org,b@x.org")
    assert read_results(root)["score"] == 1


def test_nothing_to_grade_scores_zero_and_says_why(tmp_path):
    root = fake_tree(tmp_path, {"report.pdf": ("%PDF", 1000)})
    seen = []
    gradescope.main(str(root / "submission"), str(root / "results"), grade=stub(seen))
    out = read_results(root)
    assert seen == [] and out["score"] == 0 and out["tests"] == []
    assert "no .ipynb or .py file" in out["output"] and "report.pdf" in out["output"]


def test_a_crashing_grader_still_writes_results(tmp_path, capsys):
    root = fake_tree(tmp_path, {"hw.ipynb": ("{}", 1000)})

    def grade(sub):
        raise RuntimeError("secret internal detail")

    gradescope.main(str(root / "submission"), str(root / "results"), grade=grade)
    out = read_results(root)
    assert out["score"] == 0 and out["extra_data"]["status"] == "error"
    assert "autograder itself failed" in out["output"]
    assert "secret internal detail" not in out["output"]
    assert "secret internal detail" in capsys.readouterr().err  # for staff, in hidden stdout


@pytest.mark.skipif(sys.platform == "win32", reason="run_autograder is a bash script")
def test_run_autograder_script_on_a_fake_tree(tmp_path):
    """The real script from the built zip, unpacked the way Gradescope unpacks it."""
    root = fake_tree(tmp_path, {})
    proc = run_built_autograder(root, tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = read_results(root)
    assert out["score"] == 0 and "no .ipynb or .py file" in out["output"]


def grader_only_python(tmp_path):
    """A venv holding only requirements-grader.txt and what those need, as Gradescope's image
    does: the distributions are linked from this venv's site-packages (no download)."""
    import importlib.metadata as md
    import re
    import sysconfig
    from packaging.requirements import Requirement
    todo = [Requirement(line.strip()) for line in open(os.path.join(REPO, "requirements-grader.txt"))
            if line.strip()[:1].isalnum()]
    dists = {}
    while todo:
        req = todo.pop()
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in dists or req.marker and not req.marker.evaluate({"extra": ""}):
            continue
        dists[name] = md.distribution(name)
        todo += [Requirement(r) for r in dists[name].requires or []]
    venv = tmp_path / "grader-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    for dist in dists.values():
        tops = {Path(str(f)).parts[0] for f in dist.files or []}
        for top in tops - {"..", "bin"}:
            src = Path(dist.locate_file(top))
            if src.exists() and not (site / top).exists():
                (site / top).symlink_to(src)
    return venv / "bin" / "python"


def test_grading_needs_only_the_grader_requirements(tmp_path):
    """Gradescope's image has no IPython or ipywidgets: a correct submission, with the pasted
    widget cells it carries, grades with no cell error (the grader runs no widget cell)."""
    from grading_helpers import IMPLEMENTATIONS, notebook_with
    python = grader_only_python(tmp_path)
    probe = subprocess.run([str(python), "-c", "import IPython"], capture_output=True)
    assert probe.returncode != 0  # the venv really lacks what requirements.txt adds
    sub = tmp_path / "ada.ipynb"
    sub.write_text(notebook_with((IMPLEMENTATIONS / "correct" / "bernoulli.py").read_text()))
    proc = subprocess.run([str(python), "-m", "grader", "grade", str(sub), "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "out" / "ada" / "results.json").read_text())
    assert result["extra_data"]["cell_errors"] == []
    assert result["score"] == sum(t["max_score"] for t in result["tests"])
