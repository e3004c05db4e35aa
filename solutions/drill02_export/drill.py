"""Drill 02, the export trap: what the grader checks and what each is worth."""
from grader.grading.model import Drill
from solutions.drill02_export import checks, hidden

DRILL = Drill(
    title="The export trap: from a PyTorch model with dropout to an offline engine",
    minutes=50, level="intermediate", track="ML engineer",
    produces="a ClassicDropout module, an exporter that folds 1 - p where it belongs, a "
             "NumPy engine that matches model.eval(), and a spoken answer to the C++ "
             "blow-up question",
    targets={"ClassicDropout": "module", "export_weights": "function",
             "engine_forward": "function"},
    visible=list(checks.VISIBLE),
    hidden=hidden.HIDDEN,
    points={"export_inverted": 2.0, "export_classic": 2.0},
    samples={"curiemarie_2001_6001_export.ipynb": "correct",
             "Grace Hopper_2002_assignsubmission_file_/export.ipynb": "buggy/export_double_scaling",
             "turingalan_LATE_2003_6003_drill02_export.ipynb": "buggy/export_raw_classic",
             "noetheremmy_2004_6004_export.ipynb": "stub"},
    # the deck's concept per card: question label, target, or bug:<mutant>
    concepts={"cold": "export-fold", "Q1": "inverted-scale", "Q2": "inverted-scale",
              "Q3": "export-fold", "Q4": "export-fold", "Q5": "export-fold", "F1": "export-fold",
              "F2": "mc-variance", "F3": "ensemble", "F4": "noise-moments", "F5": "dropconnect",
              "F6": "export-fold", "ClassicDropout": "inverted-scale",
              "export_weights": "export-fold", "engine_forward": "export-fold",
              "bug:classic_keep_prob_p": "p-notation"},
)
