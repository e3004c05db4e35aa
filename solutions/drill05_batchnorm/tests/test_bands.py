"""The claims drill 05's prose makes about Demo 2 (three placements trained in float32), held
to bands measured over seeds.

Training amplifies last-bit differences between CPUs, so nbval does not compare Demo 2's two
tables verbatim; this test reruns the demo (lab.train_placements and the solution's own
answers) and asserts each number the prose reads off them inside a band. A band is the range
over 20 seeds (0-19; `python -m solutions.drill05_batchnorm.tests.test_bands` prints it
again), widened by a quarter of its width on each side. BAND_SEED picks the seed (0, the
notebook's, by default; `make test-perturbed` uses another).
"""

import pytest
import torch

from solutions.drill05_batchnorm import lab
from solutions.drill05_batchnorm.tests.test_drill05 import REFERENCE
from tests import bands

# quantity: (lowest, highest) over seeds 0-19, measured with this file's __main__
MEASURED = {
    "acc_before": (0.8215, 0.873),  # seed 0: 0.8383
    "acc_recal_minus_before": (-0.009, 0.009),  # seed 0: 0.00125
    "acc_before_minus_none": (0.01125, 0.046),  # seed 0: 0.0395
    "acc_before_minus_after": (0.01, 0.04275),  # seed 0: 0.0215
    "ce_recal_minus_before": (-0.02619, -0.0006347),  # seed 0: -0.01719
    "ratio_first": (0.7753, 0.8404),  # seed 0: 0.7841
    "ratio_deeper_minus_first": (-0.1392, -0.0871),  # seed 0: -0.1045
    "predicted_error": (0.004713, 0.05089),  # seed 0: 0.008469
    "recal_ratio_low": (0.9873, 1.002),  # seed 0: 0.9952
    "recal_ratio_high": (0.9908, 1.004),  # seed 0: 0.9971
    "deeper_eval_growth": (1.189, 1.288),  # seed 0: 1.269
}
MARGIN = 0.25


def demo2_numbers(seed):
    """Demo 2's two tables, reduced to the quantities the prose reads off them."""
    nets, (x_train, _, x_test, y_test), _ = lab.train_placements(seed=seed)
    with lab.single_thread():
        fixed = lab.recalibrated_copy(REFERENCE["recalibrate_bn"], nets["before BN"], x_train)
        (acc_b, ce_b), (acc_r, ce_r), (acc_a, _), (acc_n, _) = (
            lab.scores(n, x_test, y_test)
            for n in (nets["before BN"], fixed, nets["after last BN"], nets["none"]))
        rows = lab.variance_by_layer(nets["before BN"], x_train, REFERENCE["dropout_variance"])
        again = lab.variance_by_layer(fixed, x_train, REFERENCE["dropout_variance"])
    ratios = [r["eval"] / r["running"] for r in rows]
    recal = [r["eval"] / r["running"] for r in again]
    return {
        "acc_before": acc_b,
        "acc_recal_minus_before": acc_r - acc_b,
        "acc_before_minus_none": acc_b - acc_n,
        "acc_before_minus_after": acc_b - acc_a,
        "ce_recal_minus_before": ce_r - ce_b,
        "ratio_first": ratios[0],
        "ratio_deeper_minus_first": ratios[1] - ratios[0],
        "predicted_error": max(abs(r["predicted"] / r["train"] - 1) for r in rows),
        "recal_ratio_low": min(recal),
        "recal_ratio_high": max(recal),
        "deeper_eval_growth": again[1]["eval"] / rows[1]["eval"],
    }


def band(name):
    return bands.band(MEASURED[name], MARGIN)


@pytest.fixture(scope="module")
def numbers():
    return demo2_numbers(bands.band_seed())


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_quoted_number_is_inside_its_band(numbers, name):
    bands.assert_in_band(name, numbers[name], MEASURED[name], MARGIN)


CLAIMS = {  # cell "Read it honestly": quantity -> what the prose says of it
    "ratio_first": lambda v: v < 0.9,  # eval inputs clearly quieter than the running variance
    "ratio_deeper_minus_first": lambda v: v < 0,  # lower in the deeper block
    "predicted_error": lambda v: v < 0.06,  # the formula predicts within a few percent
    "recal_ratio_low": lambda v: v > 0.98,  # after recalibration the ratio is close to 1
    "recal_ratio_high": lambda v: v < 1.02,
    "deeper_eval_growth": lambda v: v > 1,  # the deeper BN's eval input grows
    "ce_recal_minus_before": lambda v: v < 0,  # the cross-entropy improves a little
    "acc_recal_minus_before": lambda v: abs(v) < 0.015,  # the accuracy barely moves
    "acc_before_minus_after": lambda v: v > 0,  # "before BN" is the most accurate
    "acc_before_minus_none": lambda v: v > 0,
}


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_the_prose_holds_for_this_run_and_every_measured_seed(numbers, name):
    lo, hi = MEASURED[name]
    assert CLAIMS[name](lo) and CLAIMS[name](hi), f"the prose about {name} fails some seed"
    assert CLAIMS[name](numbers[name]), f"{name} = {numbers[name]:.4f}: the prose is wrong here"


if __name__ == "__main__":  # measure the bands: 20 seeds on one thread
    torch.set_num_threads(1)
    runs = [demo2_numbers(s) for s in range(20)]
    for key in MEASURED:
        values = [r[key] for r in runs]
        print(f'    "{key}": ({min(values):.4g}, {max(values):.4g}),  # seed 0: {values[0]:.4g}')
