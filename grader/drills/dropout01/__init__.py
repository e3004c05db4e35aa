"""Drill 01, the Dropout mock interview: what the grader checks and how much each is worth."""
from grader.drills.dropout01 import checks, hidden, scratch, training
from grader.drills.dropout01.paths import SOLUTION, STUDENT
from grader.model import Check, Drill

DEMO_SEED = 0  # data seed of the graded demo; the reference passes on >= 99% of seeds


def _run_cases(target, cases):
    return [checks.run_case(target, c) for c in cases]


def _case_check(name, spec, visible, points=1.0):
    title, reason, make_cases, verdict = spec

    def judge(cases, results):
        status, message = checks.judge(verdict, cases, results)
        return status == "pass", message
    return Check(name=name, title=title, points=points, visible=visible, hint=reason,
                 prepare=make_cases, execute=_run_cases, judge=judge)


def _demo_judge(_seed, numbers):
    passed = training.demo_passes(numbers)
    return passed, (f"train/test gap {numbers['gap_p0']:.3f} at p = 0 and "
                    f"{numbers['gap_p05']:.3f} at p = 0.5 (must be at least "
                    f"{training.GAP_MARGIN:g} below the first)")


def _scratch_judge(source, calls):
    found = sorted(set(scratch.torch_dropout_uses(source)) | set(calls))
    if not found:
        return True, "written from scratch: no use of torch's own dropout"
    return False, "uses torch's own dropout: " + ", ".join(found)


DRILL = Drill(
    id="dropout01",
    title="Dropout: the paper-to-code mock interview",
    solution=SOLUTION,
    student=STUDENT,
    target="Dropout",
    checks=(
        [_case_check(n, s, visible=True) for n, s in checks.VISIBLE.items()]
        + [_case_check(n, s, visible=False) for n, s in hidden.HIDDEN.items()]
        + [Check(name="demo", title="the demo's train/test gap shrinks with dropout",
                 points=2.0, visible=True,
                 hint="with p = 0.5 the gap between test and train loss must be clearly "
                      "smaller than with p = 0",
                 prepare=lambda: DEMO_SEED, execute=training.demo_numbers, judge=_demo_judge),
           Check(name="from_scratch", title="written from scratch (no torch dropout)",
                 points=0.0, visible=True,
                 hint="build the mask yourself; torch's own dropout is not the exercise",
                 prepare=lambda: None, execute=None, judge=_scratch_judge, uses_source=True)]
    ),
    guard=scratch.record_torch_dropout_calls,
)
