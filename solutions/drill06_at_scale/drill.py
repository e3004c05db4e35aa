"""Drill 06, dropout at scale: what the grader checks and what each is worth."""
from grader.grading.model import Drill
from solutions.drill06_at_scale import checks, hidden

DRILL = Drill(
    title="Dropout at scale: mask memory, seeded masks, fused kernels",
    minutes=45, level="senior", track="systems",
    produces="a seeded-dropout autograd Function that keeps no mask, a saved-tensor byte "
             "counter, the dropout memory bill of a GPT-style stack, spoken answers on "
             "checkpointing, tensor parallelism and fused kernels",
    targets={"SeededDropout": "autograd", "saved_bytes": "function",
             "dropout_memory": "function"},
    visible=list(checks.VISIBLE),
    hidden=hidden.HIDDEN,
    points={"grad_matches": 2.0, "no_saved_mask": 2.0},
    samples={"daotri_6001_1601_scale.ipynb": "correct",
             "hennessyj_6002_1602_drill06_at_scale.ipynb": "buggy/saves_mask",
             "pattersond_LATE_6003_1603_scale.ipynb": "buggy/fresh_backward_mask",
             "lattnerc_6004_1604_at_scale.ipynb": "stub"},
    # the deck's concept per card: question label, target, or bug:<mutant>
    concepts={"cold": "mask-memory", "Q1": "mask-memory", "Q2": "fused-kernels",
              "Q3": "seeded-masks", "Q4": "seeded-masks", "Q5": "fused-kernels",
              "Q6": "mask-memory", "F1": "mask-memory", "F2": "mask-memory", "F3": "mask-memory",
              "F4": "seeded-masks", "F5": "seeded-masks", "SeededDropout": "seeded-masks",
              "saved_bytes": "mask-memory", "dropout_memory": "mask-memory"},
)
