"""Unit tests of the demo helpers in mcdemo.py (each one can fail)."""
import math

import pytest
import torch
import torch.nn.functional as F

from grader.payload.checkkit import bound
from solutions.drill03_mc_dropout import mcdemo
from solutions.drill03_mc_dropout.tests.common import reference_namespace


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    yield


def test_one_thread_restores_the_thread_count():
    torch.set_num_threads(2)
    with mcdemo.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)


def test_gap_data_keeps_the_gap_empty_and_the_regions_apart():
    data = mcdemo.gap_data(n_train=48, n_test=100, seed=3)
    x = data["train"][0]
    assert x.shape == (48, 1) and not ((x > -1) & (x < 1)).any()
    assert ((data["gap"][0] > -1) & (data["gap"][0] < 1)).all()
    assert (data["far"][0].abs() >= 3.5).all()
    resid = data["test"][1] - mcdemo.truth(data["test"][0])
    assert abs(resid.std().item() - mcdemo.NOISE) < 0.03  # 100 draws of N(0, 0.1^2)


def test_coverage_and_total_std():
    mean, y = torch.zeros(4, 1), torch.tensor([[0.5], [1.5], [-2.5], [2.0]])
    assert mcdemo.coverage(mean, torch.ones(4, 1), y) == 0.75  # |y| <= 2 for three of four
    assert torch.allclose(mcdemo.total_std(torch.tensor([0.3]), noise=0.4), torch.tensor([0.5]))


def test_reliability_of_a_true_gaussian_is_on_the_diagonal():
    """n = 20,000 standard normal targets: observed coverage at level q is Binomial(n, q)/n;
    allowed 6 sigma (checkkit.bound), false-fail probability about 2e-9 per level."""
    g = torch.Generator().manual_seed(0)
    n = 20_000
    y = torch.randn(n, 1, generator=g)
    levels = [0.1, 0.5, 0.9]
    got = mcdemo.reliability(torch.zeros(n, 1), torch.ones(n, 1), y, levels)
    assert all(abs(o - q) <= bound(q, n) for o, q in zip(got, levels)), got
    wide = mcdemo.reliability(torch.zeros(n, 1), 2 * torch.ones(n, 1), y, levels)
    assert all(w > o for w, o in zip(wide, got))  # a too-wide std over-covers


def test_slope_of_an_exact_power_law():
    ts = [1, 4, 16, 64]
    assert abs(mcdemo.slope(ts, [3.0 / math.sqrt(t) for t in ts]) + 0.5) < 1e-12


def test_estimator_noise_falls_like_one_over_sqrt_t():
    ns = reference_namespace()
    torch.manual_seed(0)
    net = mcdemo.Regressor(p=0.3, hidden=16).eval()
    torch.manual_seed(1)
    noise = mcdemo.estimator_noise(ns["mc_predict"], net, torch.tensor([0.5]), [1, 64], repeats=400)
    assert noise[0] > 0 and 4.0 < noise[0] / noise[1] < 16.0  # 8 expected; std of stds ~ 4%


def test_stacked_members_equal_ordinary_regressors():
    stack = mcdemo.StackedMLP([0.1, 0.0, 0.3], hidden=8, seed=0).eval()
    x = torch.linspace(-2, 2, 7).unsqueeze(1)
    with torch.no_grad():
        out = stack(x.expand(3, *x.shape))
        for k in range(3):
            assert torch.allclose(stack.member(k)(x), out[k], atol=1e-6)
            assert stack.member(k).net[3].p == stack.ps[k]


def test_stacked_loss_gives_each_member_its_own_gradient():
    data = mcdemo.gap_data(n_train=10, n_test=4)
    x, y = data["train"]
    stack = mcdemo.StackedMLP([0.0, 0.0], hidden=8, seed=1).eval()
    loss = F.mse_loss(stack(x.expand(2, *x.shape)), y.expand(2, *y.shape), reduction="sum") / 10
    grads = torch.autograd.grad(loss, list(stack.weights))
    alone = stack.member(1)
    F.mse_loss(alone(x), y).backward()
    assert torch.allclose(grads[0][1], alone.net[0].weight.grad.T, atol=1e-6)


def test_fit_reduces_the_loss_and_returns_eval_mode():
    data = mcdemo.gap_data(n_train=20, n_test=4)
    torch.manual_seed(0)
    net = mcdemo.Regressor(p=0.0, hidden=16)
    x, y = data["train"]
    before = F.mse_loss(net(x), y).item()
    mcdemo.fit(net, x, y, F.mse_loss, steps=200)
    assert not net.training and F.mse_loss(net(x), y).item() < before / 4


def test_train_mode_predict_is_batch_dependent_and_restores_the_mode():
    torch.manual_seed(0)
    net = mcdemo.Regressor(p=0.0, hidden=8, batchnorm=True).eval()
    x0, others = torch.tensor([[0.5]]), torch.linspace(-3, 3, 9).unsqueeze(1)
    alone = mcdemo.train_mode_predict(net, x0, 4)[0]
    crowd = mcdemo.train_mode_predict(net, torch.cat([x0, others]), 4)[0][:1]
    assert not net.training and not torch.allclose(alone, crowd)


def test_two_moons_labels_and_noisy_disc():
    x, y = mcdemo.two_moons(n=400, seed=0)
    assert x.shape == (400, 2) and set(y.tolist()) == {0, 1}
    noisy = mcdemo.in_noisy_disc(x)
    clean = ~noisy
    assert noisy.sum() > 10  # the disc holds data, so its labels' noise is visible
    assert (y[:200][clean[:200]] == 0).all() and (y[200:][clean[200:]] == 1).all()


def test_plane_and_distance():
    pts, xs, ys = mcdemo.plane(n=5)
    assert pts.shape == (25, 2) and torch.equal(pts[1], torch.stack([xs[1], ys[0]]))
    d = mcdemo.distance_to_data(torch.tensor([[0.0, 0.0], [3.0, 4.0]]), torch.zeros(1, 2))
    assert torch.allclose(d, torch.tensor([0.0, 5.0]))


def test_functional_dropout_is_invisible_and_the_module_version_is_not():
    ns = reference_namespace()
    head = mcdemo.FunctionalHead(p=0.3, hidden=8)
    fixed = mcdemo.module_version(head)
    x = torch.linspace(-1, 1, 4).unsqueeze(1)
    torch.manual_seed(0)
    assert mcdemo.torch.all(ns["mc_predict"](head, x, T=20)[1] < 1e-6)
    torch.manual_seed(0)
    assert (ns["mc_predict"](fixed, x, T=20)[1] > 0).all()
    with torch.no_grad():
        torch.manual_seed(5)
        a = head.train()(x)
        torch.manual_seed(5)
        b = fixed.train()(x)
    assert torch.equal(a, b)


def test_ensemble_predict_uses_only_the_chosen_members():
    stack = mcdemo.StackedMLP([0.0, 0.0, 0.0], hidden=8, seed=2).eval()
    x = torch.zeros(3, 1)
    mean, std = mcdemo.ensemble_predict(stack, x, [1])
    with torch.no_grad():
        assert torch.allclose(mean, stack.member(1)(x), atol=1e-6) and (std == 0).all()
