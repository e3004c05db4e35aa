"""Drill 01, the paper-to-code mock interview: what the grader checks and what each is worth."""
from grader.grading.model import Drill
from grader.grading.scratch import from_scratch_check, record_torch_dropout_calls
from grader.payload.checkkit import Check
from solutions.drill01_dropout import checks, hidden, training

DEMO_SEED = 0  # data seed of the graded demo; the reference passes on >= 99% of seeds


def _demo_judge(_seed, numbers):
    passed = training.demo_passes(numbers)
    return passed, (f"train/test gap {numbers['gap_p0']:.3f} at p = 0 and "
                    f"{numbers['gap_p05']:.3f} at p = 0.5 (must be at least "
                    f"{training.GAP_MARGIN:g} below the first)")


DEMO = Check(name="demo", title="the demo's train/test gap shrinks with dropout",
             target="Dropout",
             hint="with p = 0.5 the gap between test and train loss must be clearly smaller "
                  "than with p = 0",
             prepare=lambda: DEMO_SEED, execute=training.demo_numbers, judge=_demo_judge,
             # training uses every property the other checks test: a bug there explains it
             after=tuple(c.name for c in [*checks.VISIBLE, *hidden.HIDDEN]))

DRILL = Drill(
    title="Dropout: the paper-to-code mock interview",
    minutes=40, level="core",
    produces="a 30-second summary of Srivastava et al. (2014), spoken answers, an "
             "inverted-dropout `nn.Module`, six passing sanity checks, a train/test gap "
             "that shrinks",
    targets={"Dropout": "module"},
    visible=list(checks.VISIBLE),
    extra=[DEMO],
    hidden=hidden.HIDDEN,
    source_checks=[from_scratch_check("Dropout")],
    points={"demo": 2.0, "from_scratch": 0.0},
    shows={"demo": {"train_p0": "train loss, p = 0", "test_p0": "test loss, p = 0",
                    "gap_p0": "test - train gap, p = 0", "train_p05": "train loss, p = 0.5",
                    "test_p05": "test loss, p = 0.5", "gap_p05": "test - train gap, p = 0.5"}},
    guard=record_torch_dropout_calls,
    samples={"lovelaceada_1001_5001_dropout.ipynb": "correct",
             "Alan Turing_1002_assignsubmission_file_/dropout.ipynb": "buggy/scale_by_keep",
             "hoppergrace_LATE_1003_5003_drill01_dropout.ipynb": "buggy/train_method_flag",
             "noetheremmy_1004_5004_dropout.ipynb": "stub"},
)
