"""Tests for the shared learner widgets (grader/payload/{timer,rubric}.py), and the generated
simulator and home notebooks run as plain text (no widgets, as on a bare Colab kernel).

The modules are loaded by executing their source, as the notebook cell does.
Widgets are real ipywidgets objects created without a frontend (works on 7.7
and 8.x); clicks go through ``Button.click()``.
"""
import builtins
import sys
import threading
import time
import types
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only: the inlined modules never choose a backend

import pytest

PAYLOAD = Path(__file__).resolve().parents[1] / "grader" / "payload"


def load(name, folder=PAYLOAD):
    """Execute a pasted module's source in a fresh module, like re-running its cell."""
    path = folder / f"{name}.py"
    module = types.ModuleType(f"inline_{name}")
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def load_without_widgets(name, monkeypatch, folder=PAYLOAD):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # `import ipywidgets` now fails
    module = load(name, folder)
    assert module.widgets is None
    return module


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def timer_threads(timer):
    return [t for t in threading.enumerate() if t.name == timer.THREAD_NAME and t.is_alive()]


@pytest.fixture
def timer():
    module = load("timer")
    vars(builtins).pop(module.REGISTRY, None)  # each test starts in a fresh kernel
    yield module
    for thread in timer_threads(module):  # never leave a ticking thread behind
        thread.drill_pause()
    vars(builtins).pop(module.REGISTRY, None)


# ---------------------------------------------------------------- timer: clock
def test_blocks_advance_on_schedule(timer):
    fake = FakeClock()
    clock = timer.InterviewClock(clock=fake)
    assert clock.total == 40 * 60
    clock.start()
    expected = [(0, 0, "Cold open", 180), (179, 0, "Cold open", 1),
                (180, 1, "Skim the paper", 600), (13 * 60, 2, "Questions out loud", 420),
                (20 * 60, 3, "Clarify and code", 840), (34 * 60 + 1, 4, "Prove it works", 359)]
    for elapsed, index, name, block_left in expected:
        fake.t = 1000.0 + elapsed
        status = clock.status()
        assert (status.index, status.name) == (index, name)
        assert status.block_left == pytest.approx(block_left)
        assert status.total_left == pytest.approx(40 * 60 - elapsed)


def test_pause_freezes_and_start_resumes(timer):
    fake = FakeClock()
    clock = timer.InterviewClock(clock=fake)
    clock.start()
    fake.t += 100
    clock.start()  # a second Start must not restart the count
    fake.t += 20
    clock.pause()
    fake.t += 500  # paused time does not count
    assert not clock.running and clock.elapsed() == pytest.approx(120)
    clock.start()
    fake.t += 30
    assert clock.running and clock.elapsed() == pytest.approx(150)


def test_reset_returns_to_first_block(timer):
    fake = FakeClock()
    clock = timer.InterviewClock(clock=fake)
    clock.start()
    fake.t += 900
    clock.reset()
    fake.t += 60
    assert not clock.running
    assert clock.status() == (0, "Cold open", 180, 40 * 60, 0)


def test_overtime_is_negative_time_left_in_last_block(timer):
    fake = FakeClock()
    clock = timer.InterviewClock([("A", 1), ("B", 2)], clock=fake)
    clock.start()
    fake.t += 3 * 60 + 65
    status = clock.status()
    assert (status.index, status.name) == (1, "B")
    assert status.block_left == pytest.approx(-65) and status.total_left == pytest.approx(-65)
    assert timer.fmt(status.total_left) == "1:05"


def test_plan_text_lists_blocks_with_minutes(timer):
    text = timer.plan_text()
    assert "(40 min)" in text
    for name, span in [("Cold open", "0-3"), ("Skim the paper", "3-13"),
                       ("Questions out loud", "13-20"), ("Clarify and code", "20-34"),
                       ("Prove it works", "34-40")]:
        line = next(line for line in text.splitlines() if name in line)
        assert span in line


# ---------------------------------------------------------------- timer: widget
def test_widget_shows_block_time_left_and_overtime(timer):
    fake = FakeClock()
    w = timer.TimerWidget(clock=fake)
    assert "Block 1/5: Cold open" in w.label.value and "total left 40:00" in w.label.value
    w.clock.start()
    fake.t += 34 * 60 + 5
    w.render()
    assert "Block 5/5: Prove it works" in w.label.value and "block left 5:55" in w.label.value
    fake.t += 6 * 60 + 60  # 40:00 + 1:05 in all
    w.render()
    assert "overtime +1:05" in w.label.value and "color:#c00" in w.label.value
    assert w.bar.bar_style == "danger" and w.bar.value == w.clock.total


def test_only_start_creates_a_thread_and_only_one(timer):
    w = timer.TimerWidget(clock=FakeClock())
    assert timer_threads(timer) == []
    w.start_button.click()
    first = timer_threads(timer)
    w.start_button.click()
    assert len(first) == 1 and timer_threads(timer) == first
    w.pause_button.click()
    assert timer_threads(timer) == [] and not w.clock.running
    w.start_button.click()
    w.reset_button.click()
    assert timer_threads(timer) == [] and w.clock.elapsed() == 0


def test_rerun_cell_pauses_the_older_timer(timer):
    old = timer.TimerWidget(clock=FakeClock())
    old.start_button.click()
    rerun = load("timer")  # the cell is executed again: new class, new widget
    new = rerun.TimerWidget(clock=FakeClock())
    new.start_button.click()
    threads = timer_threads(timer)
    assert len(threads) == 1 and threads[0].drill_pause == new.pause
    assert not old.clock.running and new.clock.running


@pytest.mark.parametrize("running", [True, False])
def test_rerun_cell_keeps_the_elapsed_time(timer, running):
    """Re-running the cell (or Run all) re-executes the module: the time carries over."""
    fake = FakeClock()
    old = timer.TimerWidget(clock=fake)
    old.start_button.click()
    fake.t += 100
    if not running:
        old.pause_button.click()
        fake.t += 500  # paused time does not count
    new = load("timer").TimerWidget(clock=fake)
    assert new.clock.running == running and not old.clock.running
    assert new.clock.elapsed() == pytest.approx(100) and new.taken_over == pytest.approx(100)
    assert "newer copy" in old.label.value
    fake.t += 50
    assert new.clock.elapsed() == pytest.approx(150 if running else 100)
    assert len(timer_threads(timer)) == (1 if running else 0)
    third = load("timer").TimerWidget(clock=fake)  # and again, from the newest copy
    assert third.clock.elapsed() == pytest.approx(150 if running else 100)
    third.reset_button.click()
    assert third.clock.elapsed() == 0 and timer_threads(timer) == []


def test_rerun_keeps_time_per_plan_only(timer):
    fake = FakeClock()
    old = timer.TimerWidget(clock=fake)
    old.start_button.click()
    fake.t += 100
    other = load("timer").TimerWidget([("A", 1)], clock=fake)
    assert other.clock.elapsed() == 0 and not other.clock.running and old.clock.running


def test_thread_ticks_the_display(timer):
    fake = FakeClock()
    w = timer.TimerWidget(clock=fake, tick=0.01)
    w.start_button.click()
    fake.t += 65
    deadline = time.monotonic() + 5  # generous: only guards against a hang
    while "block left 1:55" not in w.label.value and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "block left 1:55" in w.label.value


def test_show_timer_prints_plan_and_starts_nothing(timer, monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(timer, "display", shown.append)
    timer.show_timer()
    assert "Clarify and code" in capsys.readouterr().out
    assert len(shown) == 1 and timer_threads(timer) == []


def test_timer_text_only_without_ipywidgets(monkeypatch, capsys):
    module = load_without_widgets("timer", monkeypatch)
    module.show_timer([("Read", 2), ("Code", 3)])
    out = capsys.readouterr().out
    assert "Read" in out and "2-5" in out and "Start" not in out
    assert timer_threads(module) == []


# ---------------------------------------------------------------- rubric
RUBRIC = [("Zeroes units with probability p", 2), ("Scales kept units by 1/(1-p)", 3),
          ("Turns dropout off at eval", 5)]
FLAGS = ["Says dropout stays on at eval", "Scales by p <instead>"]
def test_rubric_score_and_flags_do_not_subtract():
    rubric = load("rubric")
    checked = ["Zeroes units with probability p", "Turns dropout off at eval"]
    assert rubric.rubric_score(RUBRIC, checked, []) == (7, 10, [])
    assert rubric.rubric_score(RUBRIC, checked + checked[:1], FLAGS[::-1] + FLAGS) == (
        7, 10, FLAGS[::-1])
    assert rubric.rubric_score(RUBRIC, [], []) == (0, 10, [])
    with pytest.raises(ValueError):
        rubric.rubric_score(RUBRIC, ["zeroes units"], [])


def test_rubric_widget_live_total_and_warnings():
    rubric = load("rubric")
    w = rubric.RubricWidget(RUBRIC, FLAGS)
    assert "Score: 0 / 10" in w.summary.value
    assert w.box.children[0] is w.summary  # the score sits above the boxes being ticked
    w.criteria[0].value = w.criteria[2].value = True
    assert "Score: 7 / 10" in w.summary.value and "red flag" not in w.summary.value
    w.flags[1].value = True
    assert "Score: 7 / 10" in w.summary.value
    assert "red flag: Scales by p &lt;instead&gt;" in w.summary.value


def test_rubric_text_without_ipywidgets(monkeypatch, capsys):
    module = load_without_widgets("rubric", monkeypatch)
    module.show_rubric(RUBRIC, FLAGS)
    out = capsys.readouterr().out
    assert "Rubric (10 points)" in out and "[ ] Scales kept units by 1/(1-p) (3 pt)" in out
    assert "[ ] Says dropout stays on at eval" in out


def test_timer_and_rubric_tell_the_progress_file(timer):
    """In a notebook, progress.py's record_time / record_rubric sit in the same globals."""
    calls = []
    timer.record_time = lambda *a, **k: calls.append(("time", a, k))
    fake = FakeClock()
    w = timer.TimerWidget(clock=fake)
    assert calls == []  # drawing an idle timer records nothing
    w.clock.start()
    fake.t += 125
    w.render()
    w.pause()
    assert ("time", (125.0,), {"every": 30}) in calls and calls[-1] == ("time", (125.0,), {})
    rubric = load("rubric")
    rubric.record_rubric = lambda *a, **k: calls.append(("rubric", a))
    r = rubric.RubricWidget(RUBRIC, FLAGS)
    assert calls[-1][0] == "time"  # the first drawing is not a score
    r.criteria[0].value = True
    assert calls[-1] == ("rubric", (2, 10))


# ---------------------------------------------------------------- the course notebooks, as text
def _run_as_text(path, folder, monkeypatch, edit=lambda src: src):
    """Every code cell of a generated notebook in one namespace, in folder, with ipywidgets
    unimportable (as on a plain kernel): what Colab without a widget frontend would run."""
    from grader.build import notebook
    monkeypatch.chdir(folder)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    ns = {"__name__": "__main__"}
    for cell in notebook.code_cells(notebook.read(str(path))):
        exec(compile(edit(notebook.source(cell)), str(path), "exec"), ns)
    return ns


def test_simulator_reps_and_home_plan_run_as_text(tmp_path, monkeypatch, capsys):
    import datetime
    import json
    from grader.build import course
    from grader.payload import reps
    root = Path(course.drills.ROOT)
    stubs = {r["stub"]: r["solution"] for r in reps.REPS}

    def solve(src):  # a learner who writes each rep's model solution in its blank cell
        for stub, solution in stubs.items():
            src = src.replace(stub, solution)
        return src
    ns = _run_as_text(root / course.SIMULATOR, tmp_path, monkeypatch, solve)
    out = capsys.readouterr().out
    assert "runs as text" in out and out.count("All checks pass") == len(reps.REPS)
    ns["reveal"]()
    ns["said"](1)
    cards = json.loads((tmp_path / "progress.json").read_text())["cards"]
    assert {r["id"] for r in reps.REPS} <= set(cards) and len(cards) == len(reps.REPS) + 1
    date = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()
    _run_as_text(root / course.HOME, tmp_path, monkeypatch,
                 lambda src: src.replace('INTERVIEW_DATE = ""', f'INTERVIEW_DATE = "{date}"'))
    out = capsys.readouterr().out
    assert "The plan to your interview on" in out and "(7 days)" in out
    assert "Streak: 1 day in a row." in out and "interview day" in out
