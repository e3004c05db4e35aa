"""Drill 03, Monte Carlo dropout: what the grader checks and what each is worth."""
from grader.grading.model import Drill
from solutions.drill03_mc_dropout import checks, hidden

DRILL = Drill(
    title="Monte Carlo dropout: uncertainty you can plot and check",
    minutes=45, level="intermediate", track="research",
    produces="a context manager that switches on only dropout, a batched mc_predict and "
             "mc_classify (entropy and mutual information), error bars on a toy with a gap, "
             "a calibration check, and sixteen passing checks",
    targets={"enable_mc_dropout": "function", "mc_predict": "function",
             "mc_classify": "function"},
    visible=list(checks.VISIBLE),
    hidden=hidden.HIDDEN,
    samples={"galyarin_3001_7001_mc.ipynb": "correct",
             "Zoubin Ghahramani_3002_assignsubmission_file_/mc.ipynb": "buggy/train_mode",
             "houlsbyneil_3003_7003_drill03_mc_dropout.ipynb": "buggy/no_restore",
             "kendallalex_3004_7004_mc.ipynb": "stub"},
    # the deck's concept per card: question label, target, or bug:<mutant>
    concepts={"cold": "mc-variance", "Q1": "mc-variance", "Q2": "mc-variance", "Q3": "mc-variance",
              "Q4": "ensemble", "Q5": "mc-variance", "F1": "mc-variance", "F2": "mc-variance",
              "F3": "train-eval", "F4": "bn-shift", "F5": "mc-variance", "F6": "mc-variance",
              "enable_mc_dropout": "train-eval", "mc_predict": "mc-variance",
              "mc_classify": "mc-variance"},
)
