"""Drill 01 training demo: batched == one-net training, the sweep's shape, the demo verdict.

The demo verdict is statistical over data seeds. Measured for the reference on seeds
1000-1399: one data set alone fails the test-loss verdict 12 times in 400 (3%); the graded
verdict averages 5 data sets, and 200,000 bootstrap groups of 5 from those runs fail 4e-4
of the time. The test below runs 20 fresh groups (seeds 2000-2099) in one batch and expects
none to fail (chance of any failing, at 4e-4 each: about 0.8%); the seeds are fixed, so on
one torch build the outcome is deterministic.
"""
import runpy
from pathlib import Path

import pytest
import torch

from solutions.drill01_dropout import training as T

IMPLEMENTATIONS = Path(__file__).parent.parent / "mutants"
Reference = runpy.run_path(str(IMPLEMENTATIONS / "correct" / "rand_like_ge.py"))["Dropout"]


class Identity(torch.nn.Module):
    """A 'dropout' that does nothing."""

    def __init__(self, p=0.5):
        super().__init__()

    def forward(self, x):
        return x


def test_batched_equals_one_net_at_a_time():
    """float64, so rounding cannot be amplified: measured agreement is ~3e-16 relative.
    (In float32 the p=0 net, which memorises noise, drifts to ~1e-3 relative.)"""
    ps, seeds, data_seeds = [0.0, 0.5, 0.5, 0.3, 0.9], [3, 3, 4, 7, 8], [10, 10, 11, 12, 10]
    batched = T.train_batched(Reference, ps, seeds, data_seeds, steps=60, dtype=torch.float64)
    for m, (p, seed, data_seed) in enumerate(zip(ps, seeds, data_seeds)):
        one = T.train_one(Reference, p, seed, data_seed, steps=60, dtype=torch.float64)
        for key in ("train", "test"):
            assert one[key] == pytest.approx(batched[key][m].item(), rel=1e-10, abs=1e-12)


class Recorder(Reference):
    """The reference, recording the mask of every training-mode call (masked ones, so the
    ReLU's own zeros don't make the nets' patterns differ)."""
    masks = []

    def forward(self, x):
        mask = super().forward(torch.ones_like(x))
        if self.training:
            Recorder.masks.append(mask)
        return x * mask


def test_each_net_draws_its_own_masks():
    Recorder.masks = []
    T.train_batched(Recorder, [0.5, 0.5, 0.5], [1, 2, 3], data_seeds=[0, 0, 0], steps=2)
    step0, step1 = Recorder.masks[:3], Recorder.masks[3:6]
    assert len(Recorder.masks) == 6
    assert not torch.equal(step0[0], step0[1]) and not torch.equal(step0[1], step0[2])
    assert not torch.equal(step0[0], step1[0])  # and a fresh mask every step


def test_training_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    T.train_batched(Reference, [0.5], [0], steps=3)
    assert torch.equal(torch.rand(3), expected)


def test_sweep_drops_sharply_then_rises_and_train_loss_rises_with_p():
    """Mean test loss over the 5 sweep seeds: high at p=0 (overfits), lowest in the middle,
    higher again at p=0.9 (underfits); the train loss climbs with p. Measured: test 0.31 at
    p=0, 0.16 at p=0.6, 0.24 at p=0.9; over 8 groups of 5 seeds the ratios to the middle
    minimum were >= 1.87 and >= 1.41."""
    sweep = T.run_sweep(Reference)
    mean = sweep["test"].mean(dim=1)
    middle = [i for i, p in enumerate(sweep["ps"]) if 0.2 <= p <= 0.7]
    best = mean[middle].min()
    assert sweep["test"].shape == (10, 5)
    assert mean.argmin().item() in middle
    assert mean[0] > 1.3 * best and mean[-1] > 1.2 * best
    train = sweep["train"].mean(dim=1)
    assert train[0] < T.NOISE_FLOOR < train[-1]  # memorises noise at p=0, underfits at 0.9
    summary = T.sweep_summary(sweep)
    assert summary["test_mean"] == pytest.approx(mean.tolist())
    assert all(lo <= m <= hi for lo, m, hi in
               zip(summary["test_low"], summary["test_mean"], summary["test_high"]))


def test_demo_test_loss_drops_and_curves_end_at_the_final_losses():
    demo = T.run_demo(Reference, seed=0, record_every=50)
    assert demo["ps"] == (0.0, 0.5)
    assert demo["test"][1] < demo["test"][0] - T.TEST_MARGIN
    step, loss = T.best_point(demo["step"], demo["test_curve"][:, 0])
    assert loss == demo["test_curve"][:, 0].min().item() and step in demo["step"].tolist()
    assert demo["step"].tolist() == [0, 50, 100, 150, 200, 250, T.STEPS]
    assert demo["test_curve"].shape == (7, 2)
    assert torch.equal(demo["test_curve"][-1], demo["test"])
    assert torch.equal(demo["train_curve"][-1], demo["train"])


def test_demo_verdict_false_fail_rate_on_fresh_data_seeds():
    """20 groups of 5 fresh data seeds, one batch: no group fails (see the module doc)."""
    groups = [tuple(range(2000 + 5 * g, 2005 + 5 * g)) for g in range(20)]
    verdicts = T.demo_verdicts(Reference, groups)
    assert len(verdicts) == 20 and all(verdicts), [g for g, v in zip(groups, verdicts) if not v]


def test_demo_numbers_average_the_batch_and_are_plain_floats():
    seeds = (2001, 2002)
    both = T.demo_numbers_batch(Reference, list(seeds))
    mean = T.demo_numbers(Reference, seeds)
    assert mean == pytest.approx({k: (both[0][k] + both[1][k]) / 2 for k in both[0]})
    keys = [f"{k}_p{t}" for k in ("train", "test", "gap") for t in ("0", "05")]
    assert sorted(mean) == sorted(keys)
    assert all(type(v) is float for v in mean.values())


def test_eval_twice_in_train_mode_differs_and_eval_mode_repeats():
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), Reference(0.5), torch.nn.Linear(16, 1))
    x, y = torch.randn(50, 2), torch.randn(50, 1)
    losses = T.eval_twice_in_train_mode(model, x, y)
    assert losses["train"][0] != losses["train"][1]
    assert losses["eval"][0] == losses["eval"][1] and not model.training


@pytest.mark.parametrize("path", sorted((IMPLEMENTATIONS / "correct").glob("*.py")), ids=lambda p: p.stem)
def test_every_correct_style_passes_the_graded_demo(path):
    Dropout = runpy.run_path(str(path))["Dropout"]
    assert T.demo_passes(T.demo_numbers(Dropout))


def test_identity_fails_the_verdict():
    numbers = T.demo_numbers_batch(Identity, list(range(2000, 2050)))
    assert sum(map(T.demo_passes, numbers)) == 0  # both nets are the same net: losses equal


class Nan(Reference):
    def forward(self, x):
        return super().forward(x) * float("nan") if self.training else x


class Flat(Reference):
    def forward(self, x):
        return super().forward(x).reshape(-1)


class Double(Reference):
    def forward(self, x):
        return super().forward(x).double()


def test_broken_modules_fail_or_raise_clearly():
    assert not T.demo_passes(T.demo_numbers(Nan, (0,)))
    with pytest.raises(ValueError, match="expected a torch.float32 tensor of shape"):
        T.demo_numbers(Flat, (0,))
    with pytest.raises(ValueError, match="Dropout returned torch.float64"):
        T.demo_numbers(Double, (0,))
