"""Every drill, found the way the grader finds it, passes the same end-to-end checks.

Nothing here names a drill: a new folder solutions/drillNN_topic/ is tested by adding it.
  - its student notebook is what release generates, and valid nbformat;
  - its samples are what the sample step generates, and grade as declared;
  - its student notebook runs alone in an empty folder: pristine (every visible check "not
    implemented yet", no traceback) and with the solution's answers (every visible check
    passes);
  - each mutants/buggy/*.py fails exactly the checks its `# bug:` line names, the first of
    them with a message holding its `# hint:` text, and at least one of them is a check the
    student notebook runs (its scoreboard: narrated and stress checks); each
    mutants/correct/*.py passes all;
  - `python -m grader check` runs exactly the notebook's checks (the scoreboard's, and the
    drill's extra checks), plus the source checks the README names.
"""
import concurrent.futures
import contextlib
import importlib
import io
import os
import re
from pathlib import Path

import nbformat
import pytest
import torch
from grading_helpers import unguarded_imports

from grader.build import notebook, release, samples
from grader.grading import drills
from grader.grading.model import SourceCheck
from grader.grading.pipeline import Grader, cells_of
from grader.grading.sandbox.child import strip_magics
from grader.payload import checkkit

ROOT = Path(drills.ROOT)
IDS = drills.ids()
SCORE = re.compile(r"Score: (\d+) of (\d+) passed")


def mutants(kind):
    return [(d, p) for d in IDS
            for p in sorted((ROOT / "solutions" / d / "mutants" / kind).glob("*.py"))]


def test_the_course_has_its_drills():
    assert IDS and all(drills.ID.match(d) for d in IDS)


@pytest.mark.parametrize("drill_id", IDS)
def test_student_notebook_is_the_release_of_its_solution(drill_id):
    solution, student = drills.paths(drill_id)
    text = release.release(str(ROOT / solution), str(ROOT), drill_id)
    assert (ROOT / student).read_text(encoding="utf-8") == text, "run `make release`"
    nbformat.validate(nbformat.reads(text, as_version=4))
    nbformat.validate(nbformat.read(str(ROOT / solution), as_version=4))
    assert f"# @drill setup {drill_id}" in text


@pytest.mark.parametrize("drill_id", IDS)
def test_samples_are_what_the_sample_step_writes(drill_id):
    drill = drills.load(drill_id)
    want = samples.samples(drill)
    folder = Path(drill.folder) / "samples"
    have = {str(p.relative_to(folder)): p.read_text(encoding="utf-8")
            for p in folder.rglob("*.ipynb")}
    assert set(have) == set(want), "run `make solutions` (or python -m grader.build.samples)"
    for name in want:
        assert have[name] == want[name], f"{name} is stale: run python -m grader.build.samples"
        nbformat.validate(nbformat.reads(want[name], as_version=4))


def test_every_drills_samples_grade_as_declared():
    """One batch over every drill's samples, two at a time, as an instructor would run it."""
    jobs = []
    for drill_id in IDS:
        drill = drills.load(drill_id)
        for name, kind in drill.samples.items():
            path = Path(drill.folder) / "samples" / name
            sub = _submission(path)
            jobs.append((drill, kind, sub))
    results = Grader().grade([sub for _, _, sub in jobs], jobs=2)
    for (drill, kind, sub), result in zip(jobs, results):
        where = f"{drill.id}/{sub.name} ({kind})"
        assert result.status == "graded" and result.assignment == drill.id, (where, result.reason)
        assert not result.cell_errors, (where, result.cell_errors)
        statuses = {c.name: c.status for c in result.checks}
        if kind == "correct":
            assert result.score == result.max_score, (where, _failing(result))
        elif kind == "stub":
            assert result.score == 0 and set(statuses.values()) == {"todo"}, (where, statuses)
        else:
            bugs = set(_bugs(Path(drill.folder) / "mutants" / (kind + ".py")))
            lost = {c.name for c in result.checks if c.score < c.max_score}
            assert lost == bugs, (where, sorted(lost), sorted(bugs))


def _submission(path):
    from grader.grading.collect import collect
    subs, problems = collect([str(path)])
    assert not problems and len(subs) == 1, problems
    return subs[0]


def _failing(result):
    return [(c.name, c.message) for c in result.checks if c.status != "pass"]


def _bugs(path):
    bugs, _ = samples.mutant_header(path.read_text())
    assert bugs, f"{path}: its first line must be '# bug: check, check'"
    return bugs


# --- mutants, in this process ------------------------------------------------------
def reference_namespace(drill):
    """A namespace holding what the solution's setup and answer cells define."""
    nb = notebook.read(os.path.join(drills.ROOT, drills.paths(drill.id)[0]))
    ns = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb["cells"]:
            role = notebook.role(cell)[0]
            if cell.get("cell_type") == "code" and role in ("setup", "answer"):
                exec(compile(strip_magics(samples.without_markers(notebook.source(cell))),
                             f"{drill.id} {role}", "exec"), ns)
    return ns


def evaluate_all(drill, ns, source):
    """{check: (status, message)} in feedback order, follow-ons explained, as graded."""
    run = [c for c in drill.all_checks() if not isinstance(c, SourceCheck)]
    guard = drill.guard() if drill.guard else contextlib.nullcontext([])
    with guard as calls, contextlib.redirect_stdout(io.StringIO()):
        torch.manual_seed(0)
        out = {}
        for c in run:
            obj = ns.get(c.target)
            out[c.name] = (checkkit.evaluate(c, obj) if obj is not None
                           else ("todo", "not defined"))
        out = checkkit.explain(run, out)
        for c in drill.source_checks:
            passed, message = c.judge(source, list(calls))
            out[c.name] = ("pass" if passed else "fail", message)
    return {c.name: out[c.name] for c in drill.all_checks()}


def _mutant_outcomes(drill_id, path):
    drill = drills.load(drill_id)
    ns = reference_namespace(drill)
    code = path.read_text()
    exec(compile(code, str(path), "exec"), ns)
    return drill, evaluate_all(drill, ns, code)


@pytest.mark.parametrize("drill_id, path", mutants("buggy"),
                         ids=[f"{d}-{p.stem}" for d, p in mutants("buggy")])
def test_each_buggy_mutant_fails_exactly_its_checks_and_is_named_first(drill_id, path):
    drill, outcomes = _mutant_outcomes(drill_id, path)
    failing = [n for n, (s, _) in outcomes.items() if s in ("fail", "error")]
    assert set(failing) == set(_bugs(path)), failing
    hint = samples.mutant_header(path.read_text())[1]
    assert hint, f"{path}: its second line must be '# hint: words of the first failing message'"
    first = outcomes[failing[0]][1]
    assert hint.lower() in first.lower(), (failing[0], first)


def notebook_outcomes(drill_id, path):
    """{check: status} of the student notebook's scoreboard (narrated and stress checks)
    for a mutant, run in this process as the notebook runs them."""
    drill = drills.load(drill_id)
    ns = reference_namespace(drill)
    exec(compile(path.read_text(), str(path), "exec"), ns)
    with contextlib.redirect_stdout(io.StringIO()):
        torch.manual_seed(0)
        out = {c.name: checkkit.evaluate(c, ns[c.target]) for c in drill.visible}
    return {name: status for name, (status, _) in out.items()}


@pytest.mark.parametrize("drill_id, path", mutants("buggy"),
                         ids=[f"{d}-{p.stem}" for d, p in mutants("buggy")])
def test_each_buggy_mutant_fails_a_check_the_student_notebook_runs(drill_id, path):
    """What the grader catches, the learner catches too: no bug passes the whole scoreboard."""
    statuses = notebook_outcomes(drill_id, path)
    assert {s for s in statuses.values()} - {"pass"}, (
        f"{path.name} passes every notebook check: add a stress check for its bug")


@pytest.mark.parametrize("drill_id", IDS)
def test_grader_check_runs_what_the_notebook_runs(drill_id):
    """`python -m grader check` and the notebook give one verdict: the checks the command
    runs are the scoreboard's (read from the pasted cells of the student notebook), the
    drill's extra checks, and source checks; each narrated check has its own cell and the
    stress tier its `stress_test(globals())` cell."""
    drill = drills.load(drill_id)
    student = notebook.read(str(ROOT / drills.paths(drill_id)[1]))
    ns = {"__name__": "pasted"}
    sources = [notebook.source(c) for c in notebook.code_cells(student)]
    for src in sources:
        if notebook.role({"source": src})[0] == "setup" or "# @drill inline" in src:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(strip_magics(src), "pasted", "exec"), ns)
    board = ns["run_all_checks"].__self__  # the CheckSet the scoreboard cell runs
    graded = [c for c, _, _ in Grader(drill_id, visible_only=True).checks(drill)]
    shown = {c.name for c in board} | {c.name for c in drill.extra}
    assert {c.name for c in graded if not isinstance(c, SourceCheck)} == shown
    assert all(isinstance(c, SourceCheck) for c in graded if c.name not in shown)
    assert [c.name for c in board] == [c.name for c in drill.visible]
    code = "\n".join(sources)
    for c in board.narrated:
        assert re.search(rf"""check\(["']{c.name}["']""", code), f"no cell runs check {c.name}"
    if board.stress:
        assert "stress_test(globals())" in code
    assert "run_all_checks(globals())" in code


@pytest.mark.parametrize("drill_id", IDS)
def test_every_target_has_graded_hints_and_a_reference(drill_id):
    """hint() and solution() work for every name the learner defines, offline: HINTS holds
    two or three hints per target, and the generated SOLUTIONS cell its reference code."""
    drill = drills.load(drill_id)
    checks = importlib.import_module(f"solutions.{drill_id}.checks")
    hints = getattr(checks, "HINTS", {})
    for target in drill.targets:
        assert 2 <= len(hints.get(target, [])) <= 3, f"HINTS[{target!r}]: two or three hints"
        assert all(isinstance(h, str) and h.strip() for h in hints[target])
    student = notebook.read(str(ROOT / drills.paths(drill_id)[1]))
    cell = next(notebook.source(c) for c in student["cells"]
                if notebook.role(c)[0] == "on-demand")
    ns = {}
    exec(cell, ns)
    assert set(drill.targets) <= set(ns["SOLUTIONS"])


@pytest.mark.parametrize("drill_id, path", mutants("correct"),
                         ids=[f"{d}-{p.stem}" for d, p in mutants("correct")])
def test_each_correct_alternative_passes_every_check(drill_id, path):
    _, outcomes = _mutant_outcomes(drill_id, path)
    assert {n: o for n, o in outcomes.items() if o[0] != "pass"} == {}


# --- the student notebook, alone in an empty folder ----------------------------------
def _run_alone(args):
    """Execute a notebook with papermill, in its own process, in a fresh empty folder (a
    process of its own: papermill changes the working folder of the process it runs in)."""
    import subprocess
    import sys
    text, folder = args
    (folder / "drill.ipynb").write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "papermill", "drill.ipynb", "out.ipynb", "--cwd",
                    str(folder), "--no-progress-bar", "-k", "python3"], cwd=folder, check=True,
                   capture_output=True, timeout=600)
    nb = notebook.read(str(folder / "out.ipynb"))
    return [o for c in notebook.code_cells(nb) for o in c.get("outputs", [])]


def _text(outputs):
    return "".join("".join(o.get("text", "")) if isinstance(o.get("text"), list)
                   else o.get("text", "") for o in outputs if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """{(drill, "pristine" | "answered"): outputs}, two kernels at a time."""
    work = []
    for drill_id in IDS:
        student = notebook.read(str(ROOT / drills.paths(drill_id)[1]))
        solution = notebook.read(str(ROOT / drills.paths(drill_id)[0]))
        for kind, nb in (("pristine", student), ("answered", samples.answered(student, solution))):
            work.append(((drill_id, kind),
                         (notebook.dumps(nb), tmp_path_factory.mktemp(f"{drill_id}-{kind}"))))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        done = pool.map(_run_alone, [args for _, args in work])
        return dict(zip([key for key, _ in work], done))


@pytest.mark.parametrize("drill_id", IDS)
def test_pristine_notebook_runs_alone_and_reports_not_implemented(drill_id, executed):
    outputs = executed[drill_id, "pristine"]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = _text(outputs)
    assert "Traceback" not in text
    got = SCORE.findall(text)
    assert got, "the scoreboard printed no 'Score: N of M passed' line"
    passed, total = map(int, got[-1])
    assert passed == 0 and f"({total} not implemented yet)" in text


@pytest.mark.parametrize("drill_id", IDS)
def test_answered_notebook_runs_alone_with_full_marks(drill_id, executed):
    outputs = executed[drill_id, "answered"]
    errors = [o.get("evalue") for o in outputs if o.get("output_type") == "error"]
    assert not errors
    text = _text(outputs)
    passed, total = map(int, SCORE.findall(text)[-1])
    assert passed == total == len(drills.load(drill_id).visible)
    assert "FAIL" not in text and "TODO" not in text


@pytest.mark.parametrize("drill_id", IDS)
def test_answered_cells_grade_in_the_sandbox_from_a_student_file(drill_id):
    """The grader runs only setup, answer and the learner's own cells: check none is a widget."""
    student = notebook.read(str(ROOT / drills.paths(drill_id)[1]))
    from grader.grading.model import Submission
    sub = Submission("s", "s.ipynb", "ipynb", notebook.dumps(student).encode())
    roles = {notebook.role(c)[0] for c in notebook.code_cells(student)}
    assert "setup" in roles and "answer" in roles
    assert all("@drill inline" not in src and "show_timer" not in src
               for _, src in cells_of(sub))


def test_payload_imports_only_what_a_fresh_colab_has():
    """What is pasted into a student notebook imports the standard library, torch, numpy,
    matplotlib; ipywidgets / IPython (and any optional extra, like onnx) only inside
    try: ... except ImportError, so a fresh Colab runtime can run every pasted cell."""
    pasted = set()
    for drill_id in IDS:
        nb = notebook.read(str(ROOT / drills.paths(drill_id)[0]))
        pasted |= {notebook.role(c)[1] for c in nb["cells"] if notebook.role(c)[0] == "inline"}
    assert pasted
    assert [m for path in sorted(pasted)
            for m in unguarded_imports((ROOT / path).read_text(), path)] == []
