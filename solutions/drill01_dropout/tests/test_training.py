"""Drill 01 training demo: batched == one-net training, the U-shape, and the demo verdict.

The demo verdict is statistical over data seeds. Measured for the reference: 1 failure in
seeds 1000-1499 and 1 in 2000-2199 (used here), so q ~ 0.003. At q = 0.003 the chance that
200 seeds give 3 or more failures (this test's bound: >= 99% pass) is
1 - P(Poisson(0.6) <= 2) = 0.023; the seeds are fixed, so on one torch build the outcome is
deterministic (it sees 1 failure).
"""
import runpy
from pathlib import Path

import pytest
import torch

from solutions.drill01_dropout import training as T

IMPLEMENTATIONS = Path(__file__).parent.parent / "mutants"
Reference = runpy.run_path(str(IMPLEMENTATIONS / "correct" / "rand_like_ge.py"))["Dropout"]


pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_sweep_is_u_shaped():
    """Mean test loss over the 5 sweep seeds: high at p=0 (overfits), lowest in the middle,
    high again at p=0.9 (underfits). Measured: 0.31 at p=0, 0.16 at p=0.6, 0.24 at p=0.9;
    over 8 groups of 5 seeds the ratios to the middle minimum were >= 1.87 and >= 1.41."""
    sweep = T.run_sweep(Reference)
    mean = sweep["test"].mean(dim=1)
    middle = [i for i, p in enumerate(sweep["ps"]) if 0.2 <= p <= 0.7]
    best = mean[middle].min()
    assert sweep["test"].shape == (10, 5)
    assert mean.argmin().item() in middle
    assert mean[0] > 1.3 * best and mean[-1] > 1.2 * best


def test_demo_gap_shrinks_and_curves_end_at_the_final_losses():
    demo = T.run_demo(Reference, seed=0, record_every=50)
    assert demo["ps"] == (0.0, 0.5)
    assert demo["gap"][1] < demo["gap"][0] - T.GAP_MARGIN
    assert demo["step"].tolist() == [0, 50, 100, 150, 200, 250, T.STEPS]
    assert demo["test_curve"].shape == (7, 2)
    assert torch.equal(demo["test_curve"][-1], demo["test"])
    assert torch.equal(demo["train_curve"][-1], demo["train"])


def test_demo_verdict_passes_the_reference_on_99_percent_of_seeds():
    numbers = T.demo_numbers_batch(Reference, list(range(2000, 2200)))
    failures = [2000 + i for i, n in enumerate(numbers) if not T.demo_passes(n)]
    assert len(failures) <= 2, failures


def test_demo_numbers_match_the_batch_and_are_plain_floats():
    one = T.demo_numbers(Reference, 2001)
    assert one == T.demo_numbers_batch(Reference, [2000, 2001])[1]
    assert sorted(one) == sorted(f"{k}_p{t}" for k in ("train", "test", "gap") for t in ("0", "05"))
    assert all(type(v) is float for v in one.values())


@pytest.mark.parametrize("path", sorted((IMPLEMENTATIONS / "correct").glob("*.py")), ids=lambda p: p.stem)
def test_every_correct_style_passes_the_graded_demo(path):
    Dropout = runpy.run_path(str(path))["Dropout"]
    assert T.demo_passes(T.demo_numbers(Dropout, 0))


def test_identity_fails_the_verdict():
    numbers = T.demo_numbers_batch(Identity, list(range(2000, 2050)))
    assert sum(map(T.demo_passes, numbers)) == 0  # both nets are the same net: gaps are equal


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
    assert not T.demo_passes(T.demo_numbers(Nan, 0))
    with pytest.raises(ValueError, match="expected a torch.float32 tensor of shape"):
        T.demo_numbers(Flat, 0)
    with pytest.raises(ValueError, match="Dropout returned torch.float64"):
        T.demo_numbers(Double, 0)
