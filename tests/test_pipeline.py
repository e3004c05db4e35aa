"""The grading core's judging step, without a child process."""
from grader.grading import drills
from grader.grading.model import Submission
from grader.grading.pipeline import Grader
from grader.grading.sandbox import Outcome


def test_a_failed_check_carries_its_hint_and_a_passed_one_does_not():
    drill = drills.load("drill01_dropout")
    grader = Grader()
    sub = Submission(student="s", name="s.py", kind="py", data=b"")
    outcome = Outcome(tasks={"eval_identity": ("error", "raised ValueError: boom")})
    result = grader.judge(sub, drill, [("s.py", "")], outcome)
    by_name = {c.name: c for c in result.checks}
    hint = drill.check("eval_identity").hint
    assert by_name["eval_identity"].message == f"raised ValueError: boom (hint: {hint})"
    assert by_name["from_scratch"].status == "pass"
    assert "hint:" not in by_name["from_scratch"].message
