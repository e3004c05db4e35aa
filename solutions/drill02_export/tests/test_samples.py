"""The drill declares the samples an instructor needs to see first (tests/test_drills.py
checks that they are current and grade as declared)."""
from solutions.drill02_export.drill import DRILL
from solutions.drill02_export.tests.helpers import ALL_CHECKS


def test_samples_cover_a_correct_a_stub_and_two_bugs():
    kinds = sorted(DRILL.samples.values())
    assert kinds.count("correct") == 1 and kinds.count("stub") == 1
    assert {"buggy/export_double_scaling", "buggy/export_raw_classic"} <= set(kinds)
    assert len(ALL_CHECKS) > 8
