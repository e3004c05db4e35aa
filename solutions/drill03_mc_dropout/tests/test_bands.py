"""The numbers drill 03's prose quotes from its demos, held to bands measured over seeds.

The demos train float32 nets, so their printed digits differ from one CPU to another (vector
width, BLAS kernels, thread split) and nbval does not compare those cells verbatim. This
test reruns the demos (the solution's own answers, the notebook's calls) and asserts every
quoted number inside a band. A band is the range measured over 20 training seeds (0-19, the
data fixed: `python -m solutions.drill03_mc_dropout.tests.test_bands` prints it again),
widened by a margin of a quarter of its width on each side: another seed or another CPU lands
inside it, a broken demo does not. BAND_SEED picks the training seed (0, the notebook's, by
default; `make test-perturbed` uses another).
"""

import pytest
import torch

from solutions.drill03_mc_dropout import mcdemo
from solutions.drill03_mc_dropout.tests.common import reference_namespace
from tests import bands

PS = [0.05, 0.1, 0.2, 0.3]

# quantity: (lowest, highest) over seeds 0-19, measured with this file's __main__; the test
# allows a quarter of the width beyond each end (MARGIN)
MEASURED = {
    "std_data": (0.05964, 0.0747),  # seed 0: 0.07154
    "std_gap_over_data": (1.792, 2.496),  # seed 0: 2.289
    "std_far_over_data": (0.74, 1.77),  # seed 0: 1.246
    "rmse_far_over_data": (8.931, 11.34),  # seed 0: 10.37
    "cover_data_mc_only": (0.5075, 0.6725),  # seed 0: 0.6475
    "cover_data_total": (0.895, 0.955),  # seed 0: 0.9425
    "cover_gap_total": (0.545, 1),  # seed 0: 0.9775
    "cover_far_total": (0.0375, 0.125),  # seed 0: 0.0925
    "spread_p03_over_p005_data": (1.825, 2.428),  # seed 0: 2.241
    "spread_p03_over_p005_gap": (1.794, 2.527),  # seed 0: 2.184
    "right_std_over_data": (0.2019, 0.68),  # seed 0: 0.2019
    "ens_cover_far": (0.13, 0.52),  # seed 0: 0.2375
    "ens_minus_mc_cover_far": (0.045, 0.4225),  # seed 0: 0.145
    "ens_minus_mc_cover_gap": (-0.685, 0.135),  # seed 0: -0.3125
    "bn_eval": (0.6254, 0.9129),  # seed 0: 0.9129
    "bn_train_alone": (0.0117, 0.09912),  # seed 0: 0.03334
    "bn_train_crowd": (-0.8961, -0.3848),  # seed 0: -0.5618
    "cls_entropy_disc": (0.618, 0.6754),  # seed 0: 0.6657
    "cls_mi_disc": (0.006301, 0.01432),  # seed 0: 0.011
    "cls_mi_far_minus_disc": (0.02819, 0.07685),  # seed 0: 0.04586
    "noise_slope": (-0.5263, -0.466),  # seed 0: -0.4839
}
MARGIN = 0.25


def regression_numbers(seed, ns=None):
    """What Demos 1, 2, 4 and 6 print and the prose quotes, for one training seed."""
    ns = ns or reference_namespace()
    mc_predict = ns["mc_predict"]
    data = mcdemo.gap_data()
    stack = mcdemo.train_stack(data, PS + [0.0] * 5, seed=seed)
    model = stack.member(PS.index(0.1))
    out = {}
    with mcdemo.one_thread():
        torch.manual_seed(0)
        mc = {n: mc_predict(model, data[n][0], T=100) for n in ("test", "gap", "far")}
        std = {n: mc[n][1].mean().item() for n in mc}
        rmse = {n: (mc[n][0] - data[n][1]).pow(2).mean().sqrt().item() for n in mc}
        out["std_data"] = std["test"]
        out["std_gap_over_data"] = std["gap"] / std["test"]
        out["std_far_over_data"] = std["far"] / std["test"]
        out["rmse_far_over_data"] = rmse["far"] / rmse["test"]
        y = {n: data[n][1] for n in mc}
        out["cover_data_mc_only"] = mcdemo.coverage(*mc["test"], y["test"])
        out["cover_data_total"] = mcdemo.coverage(mc["test"][0], mcdemo.total_std(mc["test"][1]),
                                                  y["test"])
        cover_gap = mcdemo.coverage(mc["gap"][0], mcdemo.total_std(mc["gap"][1]), y["gap"])
        out["cover_gap_total"] = cover_gap
        out["cover_far_total"] = mcdemo.coverage(mc["far"][0], mcdemo.total_std(mc["far"][1]),
                                                 y["far"])
        spreads = {}
        for k, p in enumerate(PS):
            torch.manual_seed(0)
            spreads[p] = [mc_predict(stack.member(k), data[n][0], T=100)[1].mean().item()
                          for n in ("test", "gap")]
        out["spread_p03_over_p005_data"] = spreads[0.3][0] / spreads[0.05][0]
        out["spread_p03_over_p005_gap"] = spreads[0.3][1] / spreads[0.05][1]
        # beyond the data on the right (x in [3.5, 5]), where the prose says the band shrinks
        torch.manual_seed(0)
        right = torch.linspace(3.5, 5.0, 50).unsqueeze(1)
        out["right_std_over_data"] = mc_predict(model, right, T=100)[1].mean().item() / std["test"]
        ens = {n: mcdemo.ensemble_predict(stack, data[n][0], range(4, 9)) for n in ("gap", "far")}
        out["ens_cover_far"] = mcdemo.coverage(ens["far"][0], mcdemo.total_std(ens["far"][1]),
                                               y["far"])
        out["ens_minus_mc_cover_far"] = out["ens_cover_far"] - out["cover_far_total"]
        out["ens_minus_mc_cover_gap"] = mcdemo.coverage(
            ens["gap"][0], mcdemo.total_std(ens["gap"][1]), y["gap"]) - cover_gap
        torch.manual_seed(1)
        ts = [1, 4, 16, 64, 256]
        out["noise_slope"] = mcdemo.slope(ts, mcdemo.estimator_noise(
            mc_predict, model, torch.tensor([0.0]), ts))
    return out


def batchnorm_numbers(seed):
    """Demo 3: the BatchNorm net's eval prediction at x = 0.5, and model.train()'s two."""
    data = mcdemo.gap_data()
    bn_model = mcdemo.train_regressor(data, p=0.1, batchnorm=True, steps=300, seed=seed)
    x0 = torch.tensor([[0.5]])
    crowd = torch.cat([x0, data["test"][0][:50]])
    with torch.no_grad():
        out = {"bn_eval": bn_model(x0).item()}
    torch.manual_seed(0)
    with mcdemo.one_thread():
        out["bn_train_alone"] = mcdemo.train_mode_predict(bn_model, x0, 2000)[0].item()
        out["bn_train_crowd"] = mcdemo.train_mode_predict(bn_model, crowd, 2000)[0][0].item()
    return out


def classification_numbers(seed, ns=None):
    """Demo 5: mean entropy and mutual information in the coin-flip disc and far away."""
    mc_classify = (ns or reference_namespace())["mc_classify"]
    xc, yc = mcdemo.two_moons()
    clf = mcdemo.train_classifier(xc, yc, seed=seed)
    pts, _, _ = mcdemo.plane(n=60)
    torch.manual_seed(0)
    with mcdemo.one_thread():
        scores = mc_classify(clf, pts, T=30)
    disc, far = mcdemo.in_noisy_disc(pts), mcdemo.distance_to_data(pts, xc) > 1.0
    return {"cls_entropy_disc": scores["entropy"][disc].mean().item(),
            "cls_mi_disc": scores["mutual_info"][disc].mean().item(),
            "cls_mi_far_minus_disc": (scores["mutual_info"][far].mean()
                                      - scores["mutual_info"][disc].mean()).item()}


def band(name):
    return bands.band(MEASURED[name], MARGIN)


@pytest.fixture(scope="module")
def numbers():
    seed = bands.band_seed()
    ns = reference_namespace()
    return {**regression_numbers(seed, ns), **batchnorm_numbers(seed),
            **classification_numbers(seed, ns)}


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_quoted_number_is_inside_its_band(numbers, name):
    bands.assert_in_band(name, numbers[name], MEASURED[name], MARGIN)


CLAIMS = {  # what the prose says of each quantity (cells 8-10, 15, 24 and 32)
    "cover_data_mc_only": lambda v: 0.45 < v < 0.75,  # the passes alone: about 50-70 %
    "cover_data_total": lambda v: v > 0.85,  # the noise added: close to nominal
    "std_gap_over_data": lambda v: 1.5 < v < 3,  # about twice as wide in the gap
    "std_far_over_data": lambda v: v < 2,  # far away the spread hardly grows
    "right_std_over_data": lambda v: v < 0.8,  # on the right it shrinks below its data width
    "rmse_far_over_data": lambda v: v > 7,  # while the error grows about tenfold
    "cover_far_total": lambda v: v < 0.15,  # so coverage collapses there
    "spread_p03_over_p005_data": lambda v: 1.6 < v < 2.7,  # p from 0.05 to 0.3: about doubles
    "spread_p03_over_p005_gap": lambda v: 1.6 < v < 2.7,
    "ens_minus_mc_cover_far": lambda v: v > 0,  # far away the ensemble covers more
    "bn_eval": lambda v: v > 0.5,
    "bn_train_alone": lambda v: 0 < v < 0.15,  # model.train(): near 0 alone
    "bn_train_crowd": lambda v: v < 0,  # and negative in a batch
    "noise_slope": lambda v: -0.6 < v < -0.4,  # 1/sqrt(T)
    "cls_entropy_disc": lambda v: v > 0.5,  # the coin-flip disc: high entropy...
    "cls_mi_disc": lambda v: v < 0.05,  # ... little disagreement
    "cls_mi_far_minus_disc": lambda v: v > 0,  # the passes disagree more away from the data
}


@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_the_prose_holds_for_this_run_and_every_measured_seed(numbers, name):
    lo, hi = MEASURED[name]
    assert CLAIMS[name](lo) and CLAIMS[name](hi), f"the prose about {name} fails some seed"
    assert CLAIMS[name](numbers[name]), f"{name} = {numbers[name]:.4f}: the prose is wrong here"


if __name__ == "__main__":  # measure the bands: 20 seeds, about a minute on one thread
    torch.set_num_threads(1)
    ns = reference_namespace()
    runs = [{**regression_numbers(s, ns), **batchnorm_numbers(s), **classification_numbers(s, ns)}
            for s in range(20)]
    for key in MEASURED:
        values = [r[key] for r in runs]
        print(f'    "{key}": ({min(values):.4g}, {max(values):.4g}),  # seed 0: {values[0]:.4g}')
