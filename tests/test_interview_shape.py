"""Every drill runs as an interview: the cold start first, then timed blocks that hold no reading,
each on the timer, then a debrief off the clock (solutions/README.md, "The interview's shape").

The budgets are stated here once:
- above the cold start at most WORDS_ABOVE words of markdown and no model answer;
- inside the timed blocks at most WORDS_TIMED words of markdown outside `<details>` blocks (about
  four minutes of reading at 200 words a minute) and CODE_TIMED lines of code outside answer and
  pasted cells;
- SPOKEN seconds at least for each spoken answer (a question, a probe, a follow-up);
- coding time at least twice the reference (its code inside the answer cells' solution regions,
  comment lines left out) typed at TYPING_CPM characters a minute, a fluent typist's rate.
"""
import ast
import math
import re

import pytest

from grader.build import course, notebook, release
from grader.grading import drills

BLOCKS = ("Cold start", "Questions", "Clarify", "Code", "Checks", "Two follow-ups")
HEADING = re.compile(r"^## (.+) \((\d+) min\)\s*$")
DEBRIEF = "## Debrief (after the clock)"
WORDS_ABOVE, WORDS_TIMED, CODE_TIMED = 150, 800, 25
SPOKEN, TYPING_CPM = 90, 150
DETAILS = re.compile(r"<details>.*?</details>", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
UNTIMED_CODE = {"answer", "inline", "on-demand", "instructor"}


def first_line(cell):
    return notebook.source(cell).lstrip().split("\n", 1)[0].strip()


def words(text):
    return len(re.findall(r"[A-Za-z0-9][\w'’-]*", COMMENT.sub("", text)))


def layout(drill_id):
    """(cells above the cold start, [(name, minutes, cells)], cells of the debrief)."""
    nb = notebook.read(drills.ROOT + "/" + drills.paths(drill_id)[0])
    above, blocks, debrief, where = [], [], None, "above"
    for cell in nb["cells"]:
        line = first_line(cell) if cell["cell_type"] == "markdown" else ""
        m = HEADING.match(line)
        if line == DEBRIEF:
            debrief, where = [], "debrief"
        elif m and where != "debrief":
            blocks.append((m.group(1), int(m.group(2)), []))
            where = "timed"
        if where == "above":
            above.append(cell)
        elif where == "timed" and debrief is None:
            blocks[-1][2].append(cell)
        else:
            debrief.append(cell)
    return above, blocks, debrief


def timer_plan(cells):
    """The plan literal the timer cell shows: show_timer([...]) or PLAN = [...]; show_timer(PLAN)."""
    for cell in cells:
        src = notebook.source(cell)
        if cell["cell_type"] != "code" or "show_timer(" not in src:
            continue
        tree = ast.parse(src)
        values = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                  for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "show_timer":
                arg = node.args[0]
                return [tuple(b) for b in ast.literal_eval(values.get(getattr(arg, "id", None),
                                                                      arg))]
    return None


def markdown(cells, keep_details=False):
    text = "\n".join(notebook.source(c) for c in cells if c["cell_type"] == "markdown")
    return text if keep_details else DETAILS.sub("", text)


def code_lines(cells):
    """Lines a learner reads in code cells that are neither answers nor pasted modules."""
    n = 0
    for c in cells:
        if c["cell_type"] != "code" or notebook.role(c)[0] in UNTIMED_CODE:
            continue
        n += sum(1 for line in notebook.source(c).splitlines()[1:]
                 if line.strip() and not line.strip().startswith("#"))
    return n


def reference_chars(cells):
    """Characters of the reference code inside the answer cells' solution regions."""
    total = 0
    for c in cells:
        if c["cell_type"] != "code" or notebook.role(c)[0] != "answer":
            continue
        inside = False
        for line in notebook.source(c).splitlines():
            if release.SOLUTION.match(line):
                inside = True
            elif release.END.match(line):
                inside = False
            elif inside and not line.strip().startswith("#"):  # comments are not typed
                total += len(line.strip())
    return total


@pytest.fixture(params=drills.ids(), scope="module")
def shape(request):
    return request.param, layout(request.param)


def test_the_timed_blocks_come_in_the_one_order_and_a_debrief_follows(shape):
    drill_id, (_, blocks, debrief) = shape
    assert tuple(name for name, _, _ in blocks) == BLOCKS, drill_id
    assert debrief is not None, f"{drill_id}: no `{DEBRIEF}` heading after the timed blocks"


def test_nothing_above_the_cold_start_answers_it(shape):
    drill_id, (above, _, _) = shape
    text = markdown(above, keep_details=True)
    assert "<details>" not in text, f"{drill_id}: a model answer above the cold start"
    assert words(text) <= WORDS_ABOVE, f"{drill_id}: {words(text)} words above the cold start"
    assert not any("show_rubric(" in notebook.source(c) for c in above), \
        f"{drill_id}: the rubric sits above the cold start"


def test_the_timer_shows_the_blocks_and_they_add_up_to_the_drills_minutes(shape):
    drill_id, (above, blocks, _) = shape
    plan = timer_plan(above)
    assert plan == [(name, minutes) for name, minutes, _ in blocks], drill_id
    assert sum(m for _, m in plan) == course.drill_info(drill_id)["minutes"], drill_id


def test_the_timed_blocks_hold_no_reading_and_no_demos(shape):
    drill_id, (_, blocks, _) = shape
    cells = [c for _, _, block in blocks for c in block]
    assert words(markdown(cells)) <= WORDS_TIMED, f"{drill_id}: {words(markdown(cells))} words"
    assert code_lines(cells) <= CODE_TIMED, f"{drill_id}: {code_lines(cells)} lines of code"


def test_every_spoken_answer_gets_its_time(shape):
    drill_id, (_, blocks, _) = shape
    by_name = {name: (minutes, cells) for name, minutes, cells in blocks}
    for name in ("Questions", "Two follow-ups"):
        minutes, cells = by_name[name]
        answers = markdown(cells, keep_details=True).count("<details>")
        assert answers, f"{drill_id}: no model answers in {name}"
        assert minutes * 60 >= SPOKEN * answers, f"{drill_id}: {answers} answers in {minutes} min"
    assert markdown(by_name["Two follow-ups"][1], keep_details=True).count("<details>") == 2


def test_the_coding_request_has_a_clarifying_step_and_time_to_type_the_answer(shape):
    drill_id, (_, blocks, _) = shape
    by_name = {name: (minutes, cells) for name, minutes, cells in blocks}
    assert "<details>" in markdown(by_name["Clarify"][1], keep_details=True), \
        f"{drill_id}: the interviewer's answers to clarifying questions are missing"
    minutes, cells = by_name["Code"]
    chars = reference_chars(cells)
    assert chars, f"{drill_id}: no answer cell in the Code block"
    assert minutes >= math.ceil(2 * chars / TYPING_CPM), f"{drill_id}: {chars} characters"


def test_the_checks_block_runs_the_stress_test_and_the_scoreboard(shape):
    drill_id, (_, blocks, _) = shape
    src = "\n".join(notebook.source(c) for c in dict((n, c) for n, _, c in blocks)["Checks"])
    assert "stress_test(globals())" in src and "run_all_checks(globals())" in src, drill_id
