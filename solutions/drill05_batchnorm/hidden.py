"""Hidden checks for drill 05: the stress tier's properties on other p, widths, shapes,
dtypes, conv nets and batch splits.

Every property tested here is also tested in the notebook, by the stress tier of VISIBLE in
checks.py, with the same case builders and verdicts (checks.property_checks); only the
inputs differ, so that an answer cannot be tuned to the inputs it can read. This file stays
in the grader; its messages name the bug without revealing the inputs, and a hidden check
whose notebook twin fails reports that it follows from it. All are deterministic (exact up
to rounding), so none fails a correct answer by chance.
"""
import torch

from grader.grading.model import on_other_inputs
from solutions.drill05_batchnorm.checks import STRESS_NAMES, property_checks

CHECKS = property_checks(
    after={k: (v,) for k, v in STRESS_NAMES.items()},
    variance_ps=(0.0, 0.1, 0.5, 0.8, 0.9), variance_seed=7, dtype_case=((3, 5), 0.25),
    conv=(11, 70, 32), batches=(12, 300, (128, 50)),
    ensembles=({"n_units": 1, "depth": 1, "p": 0.8, "seed": 20, "batch": 1, "n_classes": 2},
               {"n_units": 12, "depth": 2, "p": 0.1, "seed": 21, "batch": 3, "n_classes": 5},
               {"n_units": 5, "depth": 0, "p": 0.7, "seed": 22, "batch": 4,
                "dtype": torch.float32},
               {"n_units": 9, "depth": 1, "p": 0.25, "seed": 23, "batch": 7,
                "dtype": torch.float32}),
    train_mode={"n_units": 7, "depth": 1, "p": 0.5, "seed": 30, "batch": 5})
HIDDEN = on_other_inputs(CHECKS)
