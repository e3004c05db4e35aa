"""Drill 01, the paper-to-code mock interview: what the grader checks and what each is worth."""
from grader.grading.model import Drill
from grader.grading.scratch import from_scratch_check, record_torch_dropout_calls
from grader.payload.checkkit import Check
from solutions.drill01_dropout import checks, hidden, training

def _demo_judge(seeds, numbers):
    """False fails: about 4e-4 for a correct module (measured, see training.demo_passes)."""
    passed = training.demo_passes(numbers)
    return passed, (f"clean test loss {numbers['test_p0']:.3f} at p = 0 and "
                    f"{numbers['test_p05']:.3f} at p = 0.5, mean of {len(seeds)} data sets "
                    f"(must be at least {training.TEST_MARGIN:g} lower with dropout)")


DEMO = Check(name="demo", title="the demo's test loss drops with dropout",
             target="Dropout",
             hint="with p = 0.5 the clean test loss must be clearly lower than with p = 0",
             prepare=lambda: training.DEMO_DATA_SEEDS, execute=training.demo_numbers,
             judge=_demo_judge,
             # training uses every property the other checks test: a bug there explains it
             after=tuple(c.name for c in [*checks.VISIBLE, *hidden.HIDDEN]))

DRILL = Drill(
    title="Dropout: a mock interview from the paper to the code",
    minutes=40, level="core", track="ML engineer",
    produces="a one-minute spoken account of Srivastava et al. (2014), clarifying questions, "
             "an inverted-dropout `nn.Module` that passes six narrated checks and the stress "
             "test, a test loss that drops with dropout",
    targets={"Dropout": "module"},
    visible=list(checks.VISIBLE),
    extra=[DEMO],
    hidden=hidden.HIDDEN,
    source_checks=[from_scratch_check("Dropout")],
    points={"demo": 2.0, "from_scratch": 0.0},
    # the demo's numbers are means over its 5 data sets; the verdict reads the clean test loss
    shows={"demo": {"test_p0": "clean test loss, p = 0 (graded)",
                    "test_p05": "clean test loss, p = 0.5 (graded)",
                    "train_p0": "train loss, p = 0", "train_p05": "train loss, p = 0.5",
                    "gap_p0": "test - train gap, p = 0", "gap_p05": "test - train gap, p = 0.5"}},
    guard=record_torch_dropout_calls,
    samples={"lovelaceada_1001_5001_dropout.ipynb": "correct",
             "Alan Turing_1002_assignsubmission_file_/dropout.ipynb": "buggy/scale_by_keep",
             "hoppergrace_LATE_1003_5003_drill01_dropout.ipynb": "buggy/train_method_flag",
             "noetheremmy_1004_5004_dropout.ipynb": "stub"},
    # the deck's concept per card: question label, target, or bug:<mutant>
    concepts={"cold": "purpose", "coldp": "ensemble", "Q1": "purpose", "Q1p": "noise-moments",
              "Q2": "inverted-scale", "Q3": "train-eval", "Q4": "purpose", "Q5": "ensemble",
              "Q5p": "implementation", "Q6": "export-fold", "Q6p": "noise-moments",
              "P1": "implementation", "P2": "train-eval", "F1": "mc-variance", "F2": "bn-shift",
              "F3": "dropconnect", "F4": "structured", "F5": "drop-path", "F6": "noise-moments",
              "F7": "purpose", "F8": "purpose", "Dropout": "implementation",
              "bug:keep_prob_p": "p-notation", "bug:scale_by_p": "p-notation",
              "bug:scale_by_p_guarded": "p-notation", "bug:train_method_flag": "train-eval",
              "bug:ignores_training": "train-eval", "bug:eval_rescaled": "inverted-scale",
              "bug:no_scaling": "inverted-scale", "bug:scale_by_keep": "inverted-scale"},
)
