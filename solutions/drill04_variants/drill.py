"""Drill 04, beyond Bernoulli: three dropout variants graded, two optional ones at 0 points."""
from grader.grading.model import Drill
from grader.grading.scratch import from_scratch_check, record_torch_dropout_calls
from solutions.drill04_variants import checks, hidden

DRILL = Drill(
    title="Beyond Bernoulli: spatial dropout, DropBlock, DropPath",
    minutes=45, level="intermediate", track="ML engineer",
    produces="three dropout variants as `nn.Module`s (SpatialDropout2d, DropBlock2d, DropPath) "
             "with their own passing checks, two optional ones (DropConnectLinear, "
             "GaussianDropout); moments derived and measured; a conv net on 8x8 digits "
             "compared over seeds",
    targets={"SpatialDropout2d": "module", "DropBlock2d": "module", "DropPath": "module",
             "DropConnectLinear": "module", "GaussianDropout": "module"},
    visible=list(checks.VISIBLE),
    hidden=hidden.HIDDEN,
    # 0 points: flags nn.Dropout2d, F.dropout and friends anywhere in the answers (the spec
    # asks for plain tensor ops); the target only names where the flag is shown
    source_checks=[from_scratch_check("SpatialDropout2d")],
    # the optional modules' checks (narrated, stress and hidden) are shown but worth 0 points
    points={"from_scratch": 0.0,
            **{c.name: 0.0 for c in [*checks.VISIBLE.narrated, *checks.VISIBLE.stress,
                                     *hidden.HIDDEN] if c.target in checks.OPTIONAL}},
    guard=record_torch_dropout_calls,
    samples={"ghiasigolnaz_4001_8001_variants.ipynb": "correct",
             "Sophie Germain_4002_assignsubmission_file_/variants.ipynb": "buggy/dp_per_element",
             "kovalevskayasofia_LATE_4003_8003_drill04_variants.ipynb": "buggy/db_no_rescale",
             "hypatiaalexandria_4004_8004_variants.ipynb": "stub"},
    # the deck's concept per card: question label, target, or bug:<mutant>
    concepts={"cold": "structured", "Q1": "structured", "Q1p": "drop-path", "Q2": "structured",
              "Q3": "structured", "Q4": "drop-path", "Q5": "dropconnect", "Q6": "noise-moments",
              "Q6p": "bn-shift", "F1": "structured", "F2": "structured", "F3": "structured",
              "F4": "drop-path", "F5": "noise-moments", "F6": "purpose",
              "SpatialDropout2d": "structured", "DropBlock2d": "structured",
              "DropPath": "drop-path", "DropConnectLinear": "dropconnect",
              "GaussianDropout": "noise-moments"},
)
