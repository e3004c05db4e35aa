"""The grading core's judging step, without a child process."""
from grader.grading import drills
from grader.grading.model import Submission
from grader.grading.pipeline import Grader
from grader.grading.sandbox import Outcome

DRILL = drills.load("drill01_dropout")
SUB = Submission(student="s", name="s.py", kind="py", data=b"")


def judged(tasks):
    result = Grader().judge(SUB, DRILL, [("s.py", "")], Outcome(tasks=tasks))
    return {c.name: c for c in result.checks}


def test_a_failed_check_carries_its_hint_and_a_passed_one_does_not():
    by_name = judged({"eval_identity": ("error", "raised ValueError: boom")})
    hint = next(c for c in DRILL.visible if c.name == "eval_identity").hint
    assert by_name["eval_identity"].message == f"raised ValueError: boom (hint: {hint})"
    assert by_name["from_scratch"].status == "pass"
    assert "hint:" not in by_name["from_scratch"].message


def test_a_failure_caused_by_another_says_so_instead_of_guessing():
    by_name = judged({"survivor_scale": ("error", "raised ValueError: boom"),
                      "gradient": ("error", "raised ValueError: boom")})
    assert by_name["gradient"].message == ("follows from: survivors scaled by 1/(1-p) "
                                           "(fix that first)")
    assert by_name["gradient"].score == 0


def test_an_untouched_stub_is_not_reported_as_written_from_scratch():
    todo = {c.name: ("todo", "not implemented yet") for c in DRILL.all_checks()}
    by_name = judged(todo)
    assert by_name["from_scratch"].status == "todo"
    assert {c.status for c in by_name.values()} == {"todo"}


def test_a_missing_target_is_todo_and_a_wrong_kind_fails_for_its_checks_only():
    from grader.grading.sandbox.child import resolve
    import torch
    found = resolve({"A": object, "B": torch.nn.Linear, "f": len},
                    {"A": "module", "B": "module", "C": "function", "f": "function"})
    assert found["A"] == ("fail", "`A` is not a subclass of torch.nn.Module")
    assert found["B"][0] == "ok" and found["f"][0] == "ok"
    assert found["C"] == ("todo", "`C` is not defined yet")


def test_feedback_shows_the_drills_numbers_with_readable_labels():
    result = Grader().judge(SUB, DRILL, [("s.py", "")], Outcome(tasks={
        "demo": ("ok", {"gap_p0": 0.4, "gap_p05": 0.1, "train_p0": 0.1})}))
    assert result.shown == {"test - train gap, p = 0": 0.4, "test - train gap, p = 0.5": 0.1,
                            "train loss, p = 0": 0.1}
