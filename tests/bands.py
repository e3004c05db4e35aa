"""Bands for numbers that come out of training or sampling, shared by the drills' band tests.

A band is the min-max measured over training seeds, widened by MARGIN of its width on each
side; BAND_SEED picks the seed a test run trains with (0, the notebook's; `make
test-perturbed` sets another)."""
import os

MARGIN = 0.25


def band_seed():
    return int(os.environ.get("BAND_SEED", "0"))


def band(measured, margin=MARGIN):
    """(low, high) of a measured (min, max), widened by margin of its width on each side."""
    lo, hi = measured
    pad = margin * (hi - lo)
    return lo - pad, hi + pad


def assert_in_band(name, value, measured, margin=MARGIN):
    lo, hi = band(measured, margin)
    assert lo <= value <= hi, f"{name} = {value:.4f}, band [{lo:.4f}, {hi:.4f}]"
