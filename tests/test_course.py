"""The course as a whole: the workspace, release's guard, progress, the home notebook, the
interview simulator and the README's course table.

Nothing here names a drill: every drill found in solutions/ is expected in the course files.
The notebooks are executed with papermill once each (about 10 s a run, two at a time).
"""
import concurrent.futures
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only

import pytest
from grading_helpers import unguarded_imports

from grader.build import course, notebook, questions, release, workspace
from grader.grading import drills

ROOT = Path(drills.ROOT)
IDS = drills.ids()
PAYLOAD = ROOT / "grader" / "payload"


@pytest.fixture(autouse=True)
def own_session(monkeypatch):
    """progress.session_id() sets an environment variable: keep it out of later tests."""
    monkeypatch.delenv("DROPOUT_DRILLS_SESSION", raising=False)


def load(name, monkeypatch=None, no_widgets=False):
    """A payload module executed the way its pasted cell is (progress first, as pasted)."""
    if no_widgets:
        monkeypatch.setitem(sys.modules, "ipywidgets", None)
    ns = {"__name__": f"inline_{name}"}
    for part in ("progress", name) if name != "progress" else ("progress",):
        src = (PAYLOAD / f"{part}.py").read_text()
        src = "\n".join(ln for ln in src.split("\n") if not release.REPO_IMPORT.match(ln))
        exec(compile(src, f"{part}.py", "exec"), ns)
    return types.SimpleNamespace(**ns)


def grader_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def nb(cells):
    return notebook.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def code(src, outputs=(), count=None):
    return {"cell_type": "code", "source": src, "metadata": {}, "outputs": list(outputs),
            "execution_count": count}


# ------------------------------------------------------------------ the workspace
def test_workspace_is_filled_once_and_never_overwritten(tmp_path):
    src, work = tmp_path / "notebooks", tmp_path / "workspace"
    src.mkdir()
    (src / "a.ipynb").write_text("course v1")
    said = []
    assert workspace.fill(str(src), str(work), said.append) == ["a.ipynb"]
    assert (work / "a.ipynb").read_text() == "course v1" and "never overwrite" in said[-1]
    (work / "a.ipynb").write_text("my answers")
    (src / "a.ipynb").write_text("course v2")  # a new release of the same drill
    (src / "b.ipynb").write_text("a new drill")
    said.clear()
    assert workspace.fill(str(src), str(work), said.append) == ["b.ipynb"]
    assert (work / "a.ipynb").read_text() == "my answers"
    assert (work / "b.ipynb").read_text() == "a new drill"
    assert any("a.ipynb: kept" in s and "has changed" in s for s in said)
    assert any("b.ipynb: new" in s for s in said)
    said.clear()
    assert workspace.fill(str(src), str(work), said.append) == [] and said == []  # said once


def test_workspace_survives_release_and_a_rebuild(tmp_path):
    """`release` writes only its --out folder; a second fill (a rebuild, a new `make lab`)
    and `make clean` leave the learner's files as they are."""
    out, work = tmp_path / "notebooks", tmp_path / "workspace"
    first = grader_cli("release", "--out", str(out))
    assert first.returncode == 0, first.stderr
    workspace.fill(str(out), str(work), lambda _: None)
    mine = work / f"{IDS[0]}.ipynb"
    learner = json.loads(mine.read_text())
    for cell in learner["cells"]:
        if notebook.role(cell)[0] == "answer":
            cell["source"] = "# @drill answer\nprint('my own answer')\n"
    mine.write_text(json.dumps(learner))
    before = {p: p.read_bytes() for p in work.iterdir()}
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                            text=True).stdout
    again = grader_cli("release", "--out", str(out), "--force")
    assert again.returncode == 0, again.stderr
    workspace.fill(str(out), str(work), lambda _: None)
    make = subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), "clean"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert make.returncode == 0, make.stderr
    assert {p: p.read_bytes() for p in work.iterdir()} == before
    assert subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                          text=True).stdout == status, "release wrote outside --out"


def test_make_lab_opens_the_git_ignored_workspace():
    plan = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "grader workspace" in plan and re.search(r"jupyter lab workspace/", plan)
    ignored = subprocess.run(["git", "check-ignore", "-q", "workspace/x.ipynb"], cwd=ROOT)
    assert ignored.returncode == 0, "workspace/ must be git-ignored"
    for target in ("release", "clean"):
        plan = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert "workspace" not in plan.stdout, target


# ------------------------------------------------------------------ release's guard
def test_learner_work_is_recognised():
    fresh = nb([code("# @drill setup x\n"), code("# @drill answer\nraise NotImplementedError\n")])
    assert release.learner_work(fresh, fresh) is None
    answered = nb([code("# @drill setup x\n"), code("# @drill answer\ny = 1\n")])
    assert "answer cell 2" in release.learner_work(answered, fresh)
    ran = nb([code("# @drill setup x\n", count=1),
              code("# @drill answer\nraise NotImplementedError\n")])
    assert "cell 1 has been run" in release.learner_work(ran, fresh)
    output = nb([code("# @drill setup x\n", [{"output_type": "stream", "text": "hi"}]),
                 code("# @drill answer\nraise NotImplementedError\n")])
    assert "has been run" in release.learner_work(output, fresh)
    fewer = nb([code("# @drill setup x\n")])
    assert "answer cells" in release.learner_work(fewer, fresh)
    assert "cannot be read" in release.learner_work("{not json", fresh)


def test_release_refuses_to_overwrite_a_learners_notebook(tmp_path):
    out = tmp_path / "notebooks"
    assert grader_cli("release", "--out", str(out)).returncode == 0
    target = out / f"{IDS[0]}.ipynb"
    generated = target.read_text()
    work = json.loads(generated)
    answer = next(c for c in work["cells"] if notebook.role(c)[0] == "answer")
    answer["source"] = ["# @drill answer\n", "x = 'my answer'\n"]
    target.write_text(json.dumps(work))
    mine = target.read_bytes()
    refused = grader_cli("release", "--out", str(out))
    assert refused.returncode != 0
    errors = refused.stderr.strip().splitlines()
    assert len(errors) == 1 and target.name in errors[0] and "--force" in errors[0]
    assert target.read_bytes() == mine
    forced = grader_cli("release", "--out", str(out), "--force")
    assert forced.returncode == 0 and target.read_text() == generated


def test_setup_cell_carries_the_drill_id_for_pasted_code(tmp_path):
    sol = tmp_path / "sol.ipynb"
    sol.write_text(nb([code("# @drill setup\nDRILL_ID = 'stale'\nimport os\n")]))
    student = json.loads(release.release(str(sol), str(tmp_path), "drill42_new"))
    assert "".join(student["cells"][0]["source"]) == (
        '# @drill setup drill42_new\nDRILL_ID = "drill42_new"\nimport os\n')


@pytest.mark.parametrize("drill_id", IDS)
def test_every_student_notebook_names_its_drill_and_pastes_progress(drill_id):
    student = notebook.read(str(ROOT / drills.paths(drill_id)[1]))
    setup = next(notebook.source(c) for c in student["cells"] if notebook.role(c)[0] == "setup")
    assert setup.split("\n")[1] == f'DRILL_ID = "{drill_id}"'
    inlined = [notebook.role(c)[1] for c in student["cells"] if notebook.role(c)[0] == "inline"]
    assert "grader/payload/progress.py" in inlined
    assert inlined.index("grader/payload/progress.py") < inlined.index("grader/payload/checkkit.py")


# ------------------------------------------------------------------ progress
def test_progress_records_per_drill_and_nothing_without_a_drill(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = load("progress")
    assert p.record_checks(2, 6) is None and not (tmp_path / "progress.json").exists()
    p.record_start("d1", now=100.0)
    assert p.record_time(0, drill="d1", now=101.0) is None  # a timer that never ran
    p.record_checks(2, 6, drill="d1", now=110.0)
    p.record_checks(6, 6, drill="d1", now=120.0)
    p.record_rubric(7, 10, drill="d1", now=130.0)
    p.record_time(600, drill="d1", now=140.0)
    p.record_time(900, drill="d1", now=150.0)  # the same kernel: the largest reading counts
    p.record_time(0, drill="d1", now=151.0)  # the timer was reset: time spent stays
    p.record_time(950, drill="d1", now=155.0, every=30)  # a tick too soon: skipped
    monkeypatch.setenv(p.SESSION_ENV, "another-kernel")
    p.record_time(300, drill="d1", now=190.0, every=30)  # another session adds up
    p.record_start("d1", now=999.0)  # started stays the first time
    d1 = json.loads((tmp_path / "progress.json").read_text())["drills"]["d1"]
    assert d1["started"] == 100.0
    assert (d1["checks"]["passed"], d1["checks"]["total"]) == (6, 6)
    assert (d1["rubric"]["score"], d1["rubric"]["total"]) == (7, 10)
    assert d1["time"]["seconds"] == 1200
    assert len(p.load_progress()["history"]) == 6  # 2 checks, 1 rubric, 3 time readings


def test_progress_code_round_trip_merges_into_another_session(tmp_path, monkeypatch, capsys):
    p = load("progress")
    here, there = tmp_path / "here.json", tmp_path / "there.json"
    p.record_checks(3, 6, drill="d1", path=str(here), now=10.0)
    p.record_card("d1:abc", 2, 1, 99.0, drill="d1", path=str(here), now=11.0)
    p.record_rubric(5, 10, drill="d2", path=str(there), now=5.0)
    p.record_checks(1, 6, drill="d1", path=str(there), now=1.0)  # older than here's
    assert p.export_progress(path=str(here)) is None  # printed, no Out[] echo
    code = p.progress_code(path=str(here))
    assert code in capsys.readouterr().out and "\n" not in code
    p.import_progress("  " + code[:40] + "\n" + code[40:], path=str(there))  # pasted in pieces
    got = p.load_progress(str(there))
    assert got["drills"]["d1"]["checks"]["passed"] == 3
    assert got["drills"]["d2"]["rubric"]["score"] == 5
    assert got["cards"]["d1:abc"]["score"] == 2
    with pytest.raises(ValueError, match="damaged"):
        p.import_progress(code[:-8] + "!!!!!!!!", path=str(there))
    with pytest.raises(ValueError, match="not a progress code"):
        p.import_progress("hello", path=str(there))


def test_history_is_bounded(tmp_path):
    p = load("progress")
    assert p.HISTORY_LIMIT >= 100
    p.save_progress.__globals__["HISTORY_LIMIT"] = 30  # the same rule, fewer writes
    path = str(tmp_path / "p.json")
    for i in range(50):
        p.record_checks(i % 7, 6, drill="d", path=path, now=float(i))
    history = p.load_progress(path)["history"]
    assert len(history) == 30 and history[-1]["t"] == 49 and history[0]["t"] == 20


def test_pasted_cells_record_start_scoreboard_and_the_timer_and_rubric_hooks(tmp_path,
                                                                            monkeypatch):
    """As in a notebook: one namespace; the progress cell, then the kit's scoreboard."""
    monkeypatch.chdir(tmp_path)
    ns = {"__name__": "__main__", "DRILL_ID": "drill99_x"}
    for part in ("progress", "checkkit"):
        exec(compile((PAYLOAD / f"{part}.py").read_text(), part, "exec"), ns)
    assert "drill99_x" in json.loads((tmp_path / "progress.json").read_text())["drills"]
    check = ns["Check"]("same", "returns its input", "T", "hint", lambda: 3,
                        lambda f, x: f(x), lambda x, y: (x == y, "ok"))
    other = ns["Check"]("todo", "not written", "U", "hint", lambda: 3,
                        lambda f, x: f(x), lambda x, y: (True, ""))
    ns["T"] = lambda x: x
    ns["CheckSet"]("kit", [check, other]).scoreboard(ns)
    # the one-line hooks the timer and the rubric call, from their own pasted cells
    exec("globals().get('record_time', lambda *a, **k: None)(754.0)\n"
         "globals().get('record_rubric', lambda *a, **k: None)(8, 10)\n", ns)
    d = json.loads((tmp_path / "progress.json").read_text())["drills"]["drill99_x"]
    assert (d["checks"]["passed"], d["checks"]["total"]) == (1, 2)
    assert d["time"]["seconds"] == 754.0 and d["rubric"]["score"] == 8


def test_the_kit_records_nothing_without_the_progress_module(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    from grader.payload import checkkit
    check = checkkit.Check("same", "returns its input", "T", "hint", lambda: 3,
                           lambda f, x: f(x), lambda x, y: (x == y, "ok"))
    checkkit.CheckSet("kit", [check]).scoreboard({"T": lambda x: x, "DRILL_ID": "drill99_x"})
    assert "Score: 1 of 1 passed" in capsys.readouterr().out
    assert not (tmp_path / "progress.json").exists()
    assert "progress" not in (PAYLOAD / "checkkit.py").read_text().split('"""')[2].split(
        "class CheckSet")[0]  # no import of it


# ------------------------------------------------------------------ the home notebook
def test_course_notebooks_are_current():
    for path, text in course.generated().items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, f"{path}: run `make release`"


def test_home_lists_every_drill_in_the_suggested_order():
    home = notebook.read(str(ROOT / course.HOME))
    text = "\n".join(notebook.source(c) for c in home["cells"] if c["cell_type"] == "markdown")
    infos = course.course()
    assert {d["id"] for d in infos} == set(IDS)
    rows = [ln for ln in text.splitlines() if re.match(r"\| \d+ \| \[", ln)]
    assert len(rows) == len(IDS)
    levels = [course.LEVELS.index(d["level"]) for d in infos]
    assert levels == sorted(levels)
    for row, d in zip(rows, infos):
        assert d["title"] in row and d["file"] in row and f"{d['minutes']} min" in row
        assert d["level"] in row and d["track"] in row and d["produces"] in row
    assert "Colab" in text and "export_progress" in text


def test_drill_info_reads_the_declaration_without_importing(tmp_path):
    (tmp_path / "solutions" / "drill42_new").mkdir(parents=True)
    (tmp_path / "solutions" / "drill42_new" / "drill.py").write_text(
        "import nothing_that_exists\nDRILL = Drill(title='T', minutes=30, level='senior',\n"
        "    track='systems', produces='a ' 'thing', targets={})\n")
    assert course.drill_info("drill42_new", str(tmp_path)) == {
        "id": "drill42_new", "title": "T", "minutes": 30, "level": "senior",
        "track": "systems", "produces": "a thing", "file": "drill42_new.ipynb"}


def test_a_drill_declares_a_known_level_and_track():
    from grader.grading.model import Drill
    for level, track in (("core", "hobby"), ("expert", "research")):
        with pytest.raises(ValueError, match="use one of"):
            Drill(title="T", minutes=30, level=level, track=track, produces="x", targets={},
                  visible=[])


def test_home_reads_progress_and_plots_once_there_is_history(tmp_path, capsys):
    home = load("home")
    drills_ = [{"id": "a", "title": "A", "minutes": 40}, {"id": "b", "title": "B", "minutes": 45}]
    path = str(tmp_path / "progress.json")
    assert home.show_progress(drills_, path=path) is None  # printed, no Out[] echo
    out = capsys.readouterr().out
    assert "Drills started: 0 of 2" in out and "Suggested next: a" in out and "appears here" in out
    home.record_checks(6, 6, drill="a", path=path, now=1000.0)
    home.record_rubric(9, 10, drill="a", path=path, now=2000.0)
    home.record_time(2400, drill="a", path=path, now=3000.0)
    home.record_card("a:1", 1, 1, 5000.0, drill="a", path=path, now=4000.0)
    home.show_progress(drills_, path=path)
    out = capsys.readouterr().out
    row = next(ln for ln in out.splitlines() if ln.startswith("a "))
    assert "6 of 6" in row and "9 of 10" in row and "40 min" in row
    assert "Drills started: 1 of 2" in out and "Suggested next: b" in out
    assert "1 questions answered" in out and "appears here" not in out
    assert set(home.series(home.load_progress(path))) == {
        ("checks", "a"), ("rubric", "a"), ("rubric", "interview (daily mean)")}


def test_progress_plot_has_dates_a_line_per_drill_and_points_only_on_change(tmp_path):
    import datetime
    import matplotlib.dates as mdates
    home = load("home")
    path, day = str(tmp_path / "progress.json"), 86400.0
    t0 = datetime.datetime(2026, 12, 1, 10).timestamp()
    for k in range(3):  # the same score three times on one day: one point
        home.record_checks(0, 6, drill="a", path=path, now=t0 + 60 * k)
    home.record_checks(0, 7, drill="b", path=path, now=t0 + 120)
    data = home.load_progress(path)
    points = home.series(data)
    assert points[("checks", "a")][1] == [0.0] and set(points) == {("checks", "a"),
                                                                    ("checks", "b")}
    fig = home.plot_progress(data)  # nothing passed, all on one day: still a readable plot
    left = fig.axes[0]
    assert left.get_ylim() == (-0.05, 1.05) and len(left.lines) == 2
    assert isinstance(left.xaxis.get_major_formatter(), mdates.DateFormatter)
    low, high = (mdates.num2date(x).date() for x in left.get_xlim())
    assert (high - low).days >= 2  # a day either side, not 0.000 to 0.008 "days"
    home.record_checks(6, 6, drill="a", path=path, now=t0 + 2 * day)
    points = home.series(home.load_progress(path))
    assert points[("checks", "a")][1] == [0.0, 1.0]
    assert [t.date().day for t in points[("checks", "a")][0]] == [1, 3]


def test_plan_to_the_interview_streak_and_todays_session(tmp_path, capsys):
    import datetime
    home = load("home")
    path = str(tmp_path / "progress.json")
    drills_ = [{"id": "a", "title": "A", "minutes": 40}, {"id": "b", "title": "B", "minutes": 45},
               {"id": "c", "title": "C", "minutes": 45}]
    deck = ([{"id": f"a:{i}", "drill": "a", "kind": "question", "concept": "ensemble"}
             for i in range(8)] + [{"id": "a:bug:x", "drill": "a", "kind": "bug",
                                    "concept": "ensemble"},
                                   {"id": "rep:r", "drill": "a", "kind": "rep",
                                    "concept": "ensemble"}])
    today = datetime.date(2026, 12, 10)
    noon = datetime.datetime(2026, 12, 10, 12).timestamp()
    for back in (3, 2, 1):  # three days in a row before today, then a gap
        home.record_card("a:0", 2, 2, noon + 3 * 86400, drill="a", path=path,
                         now=noon - back * 86400)
    home.record_checks(6, 6, drill="a", path=path, now=noon - 5 * 86400)
    home.record_card("a:1", 0, 0, noon - 60, drill="a", path=path, now=noon - 86400)
    data = home.load_progress(path)
    assert home.streak(data, today) == 3
    assert home.streak(data, today + datetime.timedelta(days=2)) == 0
    due, bug, rep = home.todays_session(deck, data["cards"], noon)
    assert [c["id"] for c in due] == ["a:1"] and bug["id"] == "a:bug:x" and rep["id"] == "rep:r"
    days = home.show_plan(drills_, deck, "2026-12-14", path=path, today=today, now=noon)
    out = capsys.readouterr().out
    assert "Streak: 3 days in a row (practise today to keep it)." in out
    assert "1 due card: a" in out and "a:bug:x" in out and "rep:r" in out
    assert [d for d, _ in days] == [today + datetime.timedelta(days=k) for k in range(5)]
    text = [" ".join(jobs) for _, jobs in days]
    assert "drill b" in text[0] and "drill c" in text[2] and "drill a" not in " ".join(text)
    assert "1 card due" in text[0] and "1 card due" in text[3]  # a:1 today, a:0 on the 13th
    assert sum(int(j.split()[0]) for _, jobs in days for j in jobs if "new card" in j) == 6
    assert "interview day" in text[-1] and "Thu 10 Dec" in out
    assert all(len(line) <= home.WIDTH for line in out.splitlines())
    assert home.show_plan(drills_, deck, "14/12/2026", path=path, today=today) is None
    assert "write the interview date as YYYY-MM-DD" in capsys.readouterr().out
    assert home.show_plan(drills_, deck, "", path=path, today=today) is None
    assert "Set your interview date" in capsys.readouterr().out


# ------------------------------------------------------------------ the simulator
def test_questions_follow_the_extraction_convention():
    cells = [
        {"cell_type": "markdown", "source": "# Drill\n## Cold start (2 minutes)\n\n> *\"Why "
            "dropout?\"*\n\nSay it out loud.\n\n<details><summary>What a strong answer holds"
            "</summary>\n\n- **Overfitting:** it fights it,\n  on small data.\n- A cost.\n"
            "</details>\n\n**Probe.** *\"Why not an ensemble?\"*\n\n<details><summary>Reply"
            "</summary>\nCost. Five trainings.\n</details>"},
        {"cell_type": "markdown", "source": "## Part 2 · The dialogue\nIntro."},
        {"cell_type": "markdown", "source":
            "**Q1. Why?**\n\n<details><summary>Model answer</summary>\n\nBecause.\n\n</details>"
            "\n\n**Pushback:** *\"Really?\"*\n\n<details><summary>Answer</summary>\n\nYes."
            "\n</details>"},
        {"cell_type": "markdown", "source": "**Not a question**, no details follow.\n\n"
                                            "<details><summary>Notes</summary>x</details>"},
        {"cell_type": "markdown", "source": "<!-- @drill instructor -->\n**Q9. Secret?**\n\n"
                                            "<details><summary>A</summary>no</details>"},
        {"cell_type": "markdown", "source":
            "### Follow-ups\n**F1. Which?**\n<details><summary>Model answer</summary>\nThis one."
            " Li et al. (2019) say so, and more than once. The end of it all is here."
            "\n</details>\n\n"
            "<details><summary>Pushback: \"And that?\"</summary>\nThat too.\n</details>"},
    ]
    got = questions.extract({"cells": cells}, "drill42_new")
    assert [(q["question"], q["answer"][:10], q["topic"], q["kind"], q["label"]) for q in got] == [
        ("*\"Why dropout?\"*", "- **Overfi", "Cold start (2 minutes)", "cold", "cold"),
        ("**Probe.** *\"Why not an ensemble?\"*", "Cost. Five", "Cold start (2 minutes)",
         "probe", "coldp"),
        ("**Q1. Why?**", "Because.", "Part 2 · The dialogue", "question", "Q1"),
        ("**Pushback:** *\"Really?\"*", "Yes.", "Part 2 · The dialogue", "probe", "Q1p"),
        ("**Not a question**, no details follow.", "x", "Part 2 · The dialogue", "question",
         "P1"),
        ("**F1. Which?**", "This one. ", "Follow-ups", "question", "F1"),
        ("\"And that?\"", "That too.", "Follow-ups", "probe", "F1p"),
    ]
    # a bullet list is the checklist (continuation lines joined), else the sentences
    assert got[0]["checklist"] == ["**Overfitting:** it fights it, on small data.", "A cost."]
    assert got[1]["checklist"] == ["Cost. Five trainings."]  # a short sentence is merged
    assert got[5]["checklist"] == ["This one.", "Li et al. (2019) say so, and more than once.",
                                   "The end of it all is here."]
    assert got[3]["follows"] == "**Q1. Why?**" and got[3]["chain"] == got[2]["id"]
    assert got[1]["chain"] == got[0]["id"]
    assert all(60 <= q["seconds"] <= 180 and q["drill"] == "drill42_new" for q in got)
    assert len({q["id"] for q in got}) == len(got)
    # the stated rule: 30 s to think plus the words at 130 a minute, rounded up to 10 s
    assert questions.seconds_for("word " * 1000) == 180 and questions.seconds_for("x") == 60
    assert questions.seconds_for("word " * 130) == 90  # 30 + 60
    assert questions.seconds_for("word " * 150) == 100  # 30 + 69.2, rounded up
    # a cold start's own time: its heading's, unless its text states one; else the rule
    assert got[0]["seconds"] == 120 and got[1]["seconds"] == questions.seconds_for("Cost. Five")
    said = dict(cells[0], source=cells[0]["source"].replace("Say it", "You have one minute. Say"))
    assert questions.extract({"cells": [said]}, "d")[0]["seconds"] == 60
    bare = dict(cells[0], source=cells[0]["source"].replace(" (2 minutes)", "")
                .replace("- A cost.", "- A cost" + " word" * 150))
    cold = questions.extract({"cells": [bare]}, "d")[0]
    assert cold["seconds"] == questions.seconds_for(cold["answer"]) == 110
    assert questions.stated_seconds(["Answer in 90 seconds.", "(2 minutes)"]) == 90
    assert questions.stated_seconds(["A second view, a minor one."]) is None


def test_every_drill_has_every_card_kind_with_a_concept_and_the_simulator_holds_them_all():
    from grader.build import concepts
    bank = course.deck()
    assert {q["drill"] for q in bank} == set(IDS)
    for drill_id in IDS:
        kinds = [q["kind"] for q in bank if q["drill"] == drill_id]
        assert kinds.count("cold") == 1, drill_id
        assert {"question", "probe", "bug"} <= set(kinds), drill_id
        mutants = list((ROOT / "solutions" / drill_id / "mutants" / "buggy").glob("*.py"))
        assert kinds.count("bug") == len(mutants), drill_id
    assert {r["drill"] for r in course.rep_cards()} == set(IDS), "a drill without a coding rep"
    untagged = [(q["drill"], q["label"]) for q in bank if q["concept"] not in concepts.VOCABULARY]
    assert not untagged, f"give these cards a concept in their drill.py: {untagged}"
    assert all(q["checklist"] and q["reread"] for q in bank)
    # a probe comes right after its question or an earlier probe of it
    for a, b in zip(bank, bank[1:]):
        if b["kind"] == "probe":
            assert b["chain"] in (a["id"], a.get("chain"))
    sim = (ROOT / course.SIMULATOR).read_text()
    for q in bank + course.rep_cards():
        assert json.dumps(q["id"]) in sim or repr(q["id"]) in sim


@pytest.mark.parametrize("path", [course.HOME, course.SIMULATOR])
def test_course_notebooks_import_only_what_a_fresh_colab_has(path):
    """Every code cell of the home notebook and the simulator (pasted modules, data, the reps'
    stubs) follows the payload import rule that tests/test_drills.py applies to drills."""
    cells = [c for c in notebook.read(str(ROOT / path))["cells"] if c["cell_type"] == "code"]
    assert any(notebook.role(c)[0] == "inline" for c in cells)
    assert [m for i, c in enumerate(cells)
            for m in unguarded_imports(notebook.source(c), f"{path} cell {i}")] == []


def test_low_scores_come_back_sooner_and_due_cards_first():
    sim = load("simulator")
    now = 1_000_000.0
    due = {s: sim.schedule(s, 2, now)[1] for s in (0, 1, 2)}
    assert due[0] < due[1] < due[2]
    assert sim.schedule(0, 4, now)[0] == 0
    # a 2 on a new card: 3 days, then 7, then 21 (as the simulator's intro says)
    box, days = 0, []
    for _ in range(4):
        box, due = sim.schedule(2, box, now)
        days.append((due - now) / 86400)
    assert days == [3, 7, 21, 21] and sim.schedule(1, 3, now)[1] - now == 86400
    assert "3 days, then 7, then 21 days" in (ROOT / course.SIMULATOR).read_text()
    qs = [{"id": str(i), "drill": "d", "topic": "t", "kind": "question"} for i in range(10)]
    cards = {"3": {"due": now - 5, "box": 0}, "7": {"due": now + 500, "box": 2},
             "8": {"due": now - 50, "box": 1}}
    import random
    chosen = sim.draw(qs, cards, 3, now, random.Random(0))
    assert {q["id"] for q in chosen} >= {"3", "8"} and "7" not in {q["id"] for q in chosen}
    everything = sim.draw(qs, cards, 10, now, random.Random(0))
    assert sorted(q["id"] for q in everything) == sorted(q["id"] for q in qs)


def _bank(n=5):
    return [{"id": f"d{i % 2}:{i}", "drill": f"d{i % 2}", "topic": f"topic {i % 2}",
             "kind": "question", "question": f"**Q{i}. Why {i}?**", "answer": f"Because {i}.",
             "seconds": 60} for i in range(n)]


def test_text_mode_round_records_cards_and_names_weak_topics(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sim = load("simulator", monkeypatch, no_widgets=True)
    assert sim.widgets is None
    r = sim.run_interview(_bank(), n=3, seed=1, titles={"d0": "Drill zero"})
    out = capsys.readouterr().out
    first = r.current
    assert "runs as text" in out and f"Why {first['id'].split(':')[1]}?" in out
    sim.reveal()
    assert first["answer"] in capsys.readouterr().out
    sim.score(0)  # comes back later in this round
    assert first in r.queue
    while r.current is not None:  # missed again when it comes back: it stays weak
        sim.score(0 if r.current is first else 2)
    out = capsys.readouterr().out
    assert "The round is over" in out and "missed: Q" in out
    assert re.search(rf"Weak concepts.*\n  1\.0  {first['topic']} \(2 of 3 answered\)\n"
                     rf" +reread: {first['drill']} › {first['topic']}", out)
    cards = json.loads((tmp_path / "progress.json").read_text())["cards"]
    assert cards[first["id"]]["score"] == 0 and cards[first["id"]]["reviews"] == 2
    assert len(cards) == 3 and len(r.scores) == 4
    ticks = []
    sim.countdown(12, sleep=ticks.append, step=5)
    assert ticks == [5, 5, 2] and "Time." in capsys.readouterr().out


def test_widget_round_asks_reveals_and_scores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sim = load("simulator")
    if sim.widgets is None:
        pytest.skip("ipywidgets is not installed")
    r = sim.Round(_bank(), n=2, seed=0)
    w = sim.InterviewWidget(r, tick=0.01)
    assert list(w.buttons.children) == [w.ask_button]
    w.ask_button.click()
    assert r.current is not None and list(w.buttons.children) == [w.done_button]
    assert r.current["question"] in str(w.out.outputs)
    w.done_button.click()
    assert w._thread is None and list(w.buttons.children) == w.score_buttons
    assert r.current["answer"] in str(w.out.outputs)
    w.score_buttons[1].click()
    assert list(w.buttons.children) == [w.ask_button]
    w.ask_button.click()
    r.current["seconds"] = 0  # the clock runs out: the answer opens by itself
    import time
    for _ in range(200):
        if list(w.buttons.children) == w.score_buttons:
            break
        time.sleep(0.01)
    assert list(w.buttons.children) == w.score_buttons
    w.score_buttons[2].click()
    assert "Round over" in w.label.value and "This round: 3 of 4 points" in str(w.out.outputs)
    assert sorted(c["score"] for c in
                  json.loads((tmp_path / "progress.json").read_text())["cards"].values()) == [1, 2]


def _chained_bank():
    """Two questions with a probe each, checklists of four items, and a spot-the-bug card."""
    out = []
    for i in range(2):
        q = {"id": f"d:{i}", "drill": "d", "topic": "t", "kind": "question", "label": f"Q{i}",
             "concept": "c", "question": f"**Q{i}. Why {i}?**", "answer": "A.",
             "checklist": ["one", "two", "three", "four"], "seconds": 60}
        out += [q, dict(q, id=f"d:{i}p", kind="probe", label=f"Q{i}p", chain=q["id"],
                        follows=q["question"], question=f"Really {i}?")]
    out.append({"id": "d:bug:x", "drill": "d", "topic": "t", "kind": "bug", "label": "bug:x",
                "concept": "c", "question": "Spot it", "answer": "B.",
                "checklist": ["what", "see"], "seconds": 90})
    return out


def test_probes_follow_their_question_and_a_miss_brings_the_question_back(tmp_path,
                                                                          monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sim = load("simulator", monkeypatch, no_widgets=True)
    for seed in range(20):
        r = sim.Round(_chained_bank(), n=4, seed=seed, bugs=1, path=str(tmp_path / f"{seed}"))
        ids = [q["id"] for q in r.queue]
        assert sorted(ids) == ["d:0", "d:0p", "d:1", "d:1p", "d:bug:x"]
        for i in range(2):
            assert ids.index(f"d:{i}p") == ids.index(f"d:{i}") + 1
    r = sim.run_interview(_chained_bank(), n=4, seed=3, bugs=0)
    while r.current["kind"] != "probe":
        sim.reveal()
        sim.said(1, 2, 3)  # 75 %: a 2
    probe = r.current
    sim.reveal()
    sim.said(1)  # 25 %: a 0, so the question and its probe come back, in order
    ids = [q["id"] for q in r.queue]
    assert ids[-2:] == [probe["chain"], probe["id"]]
    out = capsys.readouterr().out
    assert "3 of 4 ticked: recorded 2" in out and "1 of 4 ticked: recorded 0" in out
    assert "(a pushback on your answer to: Q" in out and "\n1. one\n2. two\n" in out
    with pytest.raises(ValueError, match="1 to 4"):
        r.score_ticks([5])


def test_text_mode_wraps_long_lines_between_words(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sim = load("simulator", monkeypatch, no_widgets=True)
    words = [f"word{k}-with-hyphens" for k in range(60)]
    bank = [dict(_chained_bank()[0], question="**Q1. " + " ".join(words) + "?**",
                 answer=" ".join(reversed(words)) + ".\n\n```python\n" + "x = 1  # " + "y" * 120
                 + "\n```")]
    sim.run_interview(bank, n=1, seed=0)
    sim.reveal()
    out = capsys.readouterr().out
    code_line = "x = 1  # " + "y" * 120
    assert code_line in out.splitlines()  # code is never wrapped
    assert all(len(line) <= sim.WIDTH for line in out.splitlines() if line != code_line)
    printed = set(out.split())
    assert all(w in printed or w + "?" in printed or w + "." in printed for w in words)


def test_widget_checklist_ticks_score_and_buttons_show_whole_labels(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sim = load("simulator")
    if sim.widgets is None:
        pytest.skip("ipywidgets is not installed")
    r = sim.Round(_chained_bank()[:2], n=2, seed=0, bugs=0)
    w = sim.InterviewWidget(r, tick=0.01)
    # the label that was cut to "Done: model a...": short, on a button as wide as its label
    assert w.done_button.description == "Done" and w.done_button.layout.width == "auto"
    assert all(b.layout.width == "auto" for b in [*w.score_buttons, w.ticks_button])
    w.ask_button.click()
    w.done_button.click()
    assert list(w.buttons.children) == [w.ticks_button, *w.score_buttons]
    assert len(w.checks) == 4 and "three" in str(w.ticklist.children[2].children[1].value)
    assert sim.inline_html("**a** `x < y`") == "<b>a</b> <code>x &lt; y</code>"
    for c in w.checks[:3]:
        c.value = True
    w.ticks_button.click()  # 3 of 4 = 75 %: a 2
    cards = json.loads((tmp_path / "progress.json").read_text())["cards"]
    assert cards["d:0"]["score"] == 2 and w.checks == [] and r.current is None
    assert r.queue[0]["id"] == "d:0p"  # the probe comes next


# ------------------------------------------------------------------ executed with papermill
def _papermill(args):
    """Execute a notebook with its kernel in `folder`. A papermill process per run: papermill
    changes the working directory of its whole process, so two runs in threads would race."""
    source, folder = args
    out = folder / ("out-" + Path(source).name)
    run = subprocess.run([sys.executable, "-m", "papermill", str(source), str(out), "--cwd",
                          str(folder), "--kernel", "python3", "--no-progress-bar"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    cells = notebook.code_cells(notebook.read(str(out)))
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    return "".join("".join(o["text"]) if isinstance(o.get("text"), list) else o.get("text", "")
                   for o in outputs if o.get("output_type") == "stream")


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The simulator alone in an empty folder, and one drill answered, then the home
    notebook in that drill's folder (papermill, two at a time)."""
    from grader.build import samples
    empty, shared = tmp_path_factory.mktemp("empty"), tmp_path_factory.mktemp("shared")
    student = notebook.read(str(ROOT / drills.paths(IDS[0])[1]))
    answered = samples.answered(student, notebook.read(str(ROOT / drills.paths(IDS[0])[0])))
    drill_nb = tmp_path_factory.mktemp("src") / f"{IDS[0]}.ipynb"
    drill_nb.write_text(notebook.dumps(answered))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        alone, drill = pool.map(_papermill, [(ROOT / course.SIMULATOR, empty), (drill_nb, shared)])
    progress = json.loads((shared / "progress.json").read_text())
    home = _papermill((ROOT / course.HOME, shared))
    return {"alone": alone, "drill": drill, "progress": progress, "home": home,
            "shared": shared}


def run_cells_as_text(path, folder, monkeypatch, capsys):
    """Every code cell of a notebook in one namespace, in `folder`, without ipywidgets."""
    monkeypatch.chdir(folder)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    ns = {"__name__": "__main__"}
    for cell in notebook.code_cells(notebook.read(str(path))):
        exec(compile(notebook.source(cell), str(path), "exec"), ns)
    return capsys.readouterr().out, ns


def test_simulator_runs_alone_with_every_drills_questions(executed):
    text = executed["alone"]
    bank = course.deck()
    assert f"{len(bank)} cards from {len(IDS)} drill" in text
    for drill_id in IDS:
        n = sum(q["drill"] == drill_id for q in bank)
        assert re.search(rf"{drill_id}\b.*: {n} cards", " ".join(text.split())), drill_id
    assert "A round of " in text and "Traceback" not in text


def test_progress_from_a_drill_is_read_by_home_and_simulator(executed, monkeypatch, capsys):
    entry = executed["progress"]["drills"][IDS[0]]
    total = entry["checks"]["total"]
    assert entry["checks"]["passed"] == total and "started" in entry
    row = next(ln for ln in executed["home"].splitlines() if ln.startswith(IDS[0]))
    assert f"{total} of {total}" in row
    assert f"Drills started: 1 of {len(IDS)}" in executed["home"]
    assert "Streak: 1 day in a row." in executed["home"]  # the drill ran today
    assert "Set your interview date" in executed["home"] and "one coding rep" in executed["home"]
    # the simulator, as plain text (no widgets), in the same folder
    out, ns = run_cells_as_text(ROOT / course.SIMULATOR, executed["shared"], monkeypatch, capsys)
    assert f"your checks: {total} of {total}" in out and "runs as text" in out
    first = ns["interview"].current
    assert first is not None and questions_text(first) in " ".join(out.split())
    ns["reveal"]()
    ns["score"](1)
    cards = json.loads((executed["shared"] / "progress.json").read_text())["cards"]
    assert cards[first["id"]]["score"] == 1


def questions_text(q):
    """The question as printed, whitespace joined (printed text is wrapped)."""
    return " ".join(q["question"].replace("**", "").split())


# ------------------------------------------------------------------ the README
def test_readme_course_table_is_current():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert course.with_table(text, course.readme_block()) == text, "run `make release`"
    for d in course.course():
        assert f"](notebooks/{d['file']})" in text


def test_readme_table_check_fails_when_stale(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    stale = text.replace(course.readme_block(), course.TABLE_START + "\nold\n" + course.TABLE_END)
    assert stale != text and course.with_table(stale, course.readme_block()) == text
    with pytest.raises(ValueError):
        course.with_table("no markers", course.readme_block())


def test_readme_set_up_and_cpu_torch_without_addresses():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text[text.index("## Set up"):text.index("## Doing a drill")]
    assert setup.index("make lab") < setup.index("make test")
    assert "second terminal" in setup and "Get Started" in setup and "CPU" in setup
    assert not re.search(r"https?://|\w+\.(org|com|net|io)\b", setup)
