"""Drill 05, dropout meets BatchNorm: what the grader checks and what each is worth."""
from grader.grading.model import Drill
from solutions.drill05_batchnorm import checks, hidden

DRILL = Drill(
    title="Dropout meets BatchNorm: the variance shift and the exact ensemble",
    minutes=45, level="intermediate", track="research",
    produces="the variance-shift formula derived and checked by sampling, a BatchNorm "
             "recalibration, an exact 2^n-mask ensemble, and measured answers to 'do they "
             "clash?' and 'is it an ensemble?'",
    targets={"dropout_variance": "function", "recalibrate_bn": "function",
             "mask_ensemble": "function"},
    visible=list(checks.VISIBLE),
    hidden=hidden.HIDDEN,
    samples={"ioffesergey_5001_9001_bn.ipynb": "correct",
             "Christian Szegedy_5002_assignsubmission_file_/bn.ipynb": "buggy/variance_only_on_var",
             "lixiang_LATE_5003_9003_drill05_batchnorm.ipynb": "buggy/recal_dropout_on",
             "baldipierre_5004_9004_bn.ipynb": "stub"},
    # the deck's concept per card: question label, target, or bug:<mutant>
    concepts={"cold": "bn-shift", "Q1": "bn-shift", "Q2": "bn-shift", "Q3": "bn-shift",
              "Q4": "ensemble", "Q5": "bn-shift", "F1": "bn-shift", "F2": "bn-shift",
              "F3": "ensemble", "F4": "ensemble", "F5": "bn-shift", "F6": "ensemble",
              "dropout_variance": "bn-shift", "recalibrate_bn": "bn-shift",
              "mask_ensemble": "ensemble"},
)
