"""The CI workflow runs what the README promises, where contributors are, on paths that exist.

A step that names a missing file fails on every run (the record step once looped over
notebooks/*.ipynb and asked for solutions/00_start_here/solution.ipynb), and a job that is
always red hides the one red test step that matters.
"""
import glob
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from grader.grading import drills

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
# a token with a slash or a file suffix, as a path in a shell line is written
PATH = re.compile(r"(?<![\w$./-])(?:[\w.*${}-]+/)+[\w.*${}-]*"
                  r"|(?<![\w/.-])[\w-]+\.(?:txt|ipynb|cfg|py|yml)\b")
MADE_BY_THE_RUN = (".venv/", "executed/", "/")  # created by the job itself, or absolute


def load():
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps():
    return [(name, step) for name, job in load()["jobs"].items() for step in job["steps"]]


def named_paths():
    """Every repository path a step names: in its shell lines and in `with:` file options."""
    found = []
    for job, step in steps():
        for line in step.get("run", "").splitlines():
            line = re.sub(r'"[^"]*==[^"]*"|"[^"]*[<>][^"]*"', "", line)  # version specifiers
            found += [(job, m.group(0)) for m in PATH.finditer(line)
                      if not m.group(0).startswith(MADE_BY_THE_RUN)]
        with_ = step.get("with", {})
        found += [(job, with_[k]) for k in ("cache-dependency-path",) if k in with_]
    return found


def test_the_workflow_names_paths():
    assert {p for _, p in named_paths()} >= {"requirements.txt", "solutions/drill*/solution.ipynb",
                                             "tests/test_drills.py"}


@pytest.mark.parametrize("job, path", named_paths())
def test_every_path_a_step_names_exists(job, path):
    for name in {path.replace("${id}", d).replace("$id", d) for d in drills.ids()}:
        assert glob.glob(str(ROOT / name)), f"job {job!r} names {name}, which does not exist"


def test_the_record_step_calls_papermill_on_files_that_exist(tmp_path):
    """The record step's own shell lines, run with papermill replaced by a stub that only
    checks its input notebook and --cwd folder exist: every drill's two notebooks."""
    step, = [s for _, s in steps() if ".venv/bin/papermill" in s.get("run", "")]
    stub = (f'papermill() {{ echo "$1" >> "{tmp_path}/calls"; '
            'test -f "$1" && test -d "$4" || { echo "missing: $1 or $4"; exit 1; }; }\n')
    script = step["run"].replace(".venv/bin/papermill", "papermill")
    script = script.replace("executed", str(tmp_path / "executed"))
    run = subprocess.run(["bash", "-eo", "pipefail", "-c", stub + script], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    calls = (tmp_path / "calls").read_text().split()
    assert sorted(calls) == sorted([p for d in drills.ids() for p in drills.paths(d)])


def test_the_test_job_runs_make_test_on_linux_and_macos_with_old_and_new_python():
    job = load()["jobs"]["test"]
    matrix = job["strategy"]["matrix"]
    assert {"ubuntu-latest"} <= set(matrix["os"]) and any("macos" in o for o in matrix["os"])
    assert {"3.10", "3.13"} <= set(matrix["python"])
    assert "make test" in [s.get("run", "").strip() for s in job["steps"]]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_no_step_after_the_tests_can_turn_the_job_red_or_hide_them():
    job = load()["jobs"]["test"]["steps"]
    after = job[[s.get("run", "").strip() for s in job].index("make test") + 1:]
    for step in after:
        assert step.get("if") == "always()", step.get("name", step.get("uses"))
        if "run" in step:
            assert step.get("continue-on-error") is True, step["name"]


def test_no_registry_host_is_written_into_the_workflow():
    text = WORKFLOW.read_text(encoding="utf-8")
    assert not re.search(r"https?://|\b[\w-]+\.(org|com|io|net)\b", text)
