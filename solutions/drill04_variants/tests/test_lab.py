"""Unit tests of the demo helpers (lab.py) and of the checks' helper maths."""
import math

import pytest
import torch

from solutions.drill04_variants import lab
from solutions.drill04_variants.checks import (all_over, binary_weight, block_structure_ok,
                                               decode_masks, dropblock_gamma, dropblock_stats)
from solutions.drill04_variants.tests.reference import namespace



def test_gamma_matches_the_paper_formula():
    # Ghiasi et al. eq. (1), square map: (1 - keep) / b^2 * f^2 / (f - b + 1)^2
    assert dropblock_gamma(0.1, 3, 8, 8) == pytest.approx(0.1 / 9 * 64 / 36)
    assert dropblock_gamma(0.3, 1, 5, 7) == pytest.approx(0.3)  # block 1: plain dropout
    assert dropblock_gamma(0.3, 4, 4, 4) == pytest.approx(0.3)  # whole map: one seed


def test_dropblock_stats_closed_forms():
    mu, var = dropblock_stats(0.3, 1, 2, 3)  # 6 independent Bernoulli(0.3) units
    assert mu == pytest.approx(6 * 0.3) and var == pytest.approx(6 * 0.3 * 0.7)
    mu, var = dropblock_stats(0.3, 3, 3, 3)  # one seed drops all 9 units together
    assert mu == pytest.approx(9 * 0.3) and var == pytest.approx(81 * 0.3 * 0.7)


def test_dropblock_stats_match_the_reference_module():
    torch.manual_seed(0)
    DropBlock2d = namespace()["DropBlock2d"]
    y = DropBlock2d(0.2, 3)(torch.ones(4000, 1, 8, 8))
    counts = (y == 0).flatten(1).sum(1).double()
    mu, var = dropblock_stats(0.2, 3, 8, 8)
    assert abs(counts.mean().item() - mu) < 6 * math.sqrt(var / 4000)
    assert counts.var().item() == pytest.approx(var, rel=0.15)


def test_all_over_is_a_reduction_over_several_dims():
    """all_over stands in for Tensor.all(dim=tuple), which torch 2.1 lacks."""
    gen = torch.Generator().manual_seed(0)
    t = torch.rand(3, 4, 2, 5, generator=gen) < 0.9
    for dims in ((1,), (2, 3), (1, 2, 3), (0, 2)):
        want = t
        for d in sorted(dims, reverse=True):
            want = want.all(dim=d)
        assert torch.equal(all_over(t, dims), want), dims
    assert torch.equal(all_over(t, ()), t)


def test_block_structure_detects_stray_units():
    d = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    d[0, 0, 2:5, 3:6] = True
    assert block_structure_ok(d, 3)
    d[0, 0, 7, 7] = True  # a single unit is not a 3x3 block
    assert not block_structure_ok(d, 3)
    e = torch.zeros(1, 1, 6, 6, dtype=torch.bool)
    e[0, 0, 0:2, 0:2] = True  # a 2x2 block in the corner: whole for b = 2, not for b = 3
    assert block_structure_ok(e, 2) and not block_structure_ok(e, 3)


def test_decode_masks_round_trip():
    gen = torch.Generator().manual_seed(1)
    masks = torch.rand(5, 3, 8, generator=gen) < 0.5
    w = binary_weight(3)
    y = (masks.double() * w).sum(-1) / 0.5 + 0.25
    assert torch.equal(decode_masks(y, torch.full((3,), 0.25), 0.5), masks)
    assert decode_masks(y / 0.5, torch.full((3,), 0.25), 0.5) is None  # scaled twice


def test_smooth_maps_are_standardised_and_correlated():
    white, smooth = lab.smooth_maps(50, 16, 0.0, seed=1), lab.smooth_maps(50, 16, 2.0, seed=1)
    for m in (white, smooth):
        assert m.shape == (50, 1, 16, 16)
        assert m.mean().abs() < 1e-9 and m.std().item() == pytest.approx(1.0)

    def neighbour_corr(m):
        a, b = m[..., :, :-1].flatten(), m[..., :, 1:].flatten()
        return torch.corrcoef(torch.stack([a, b]))[0, 1].item()
    assert abs(neighbour_corr(white)) < 0.05 and neighbour_corr(smooth) > 0.8


def test_neighbour_recovery_is_exact_on_a_linear_ramp():
    ramp = torch.arange(10, dtype=torch.float64).view(1, 1, 1, 10).expand(1, 1, 10, 10)
    ramp = ramp + torch.arange(10, dtype=torch.float64).view(1, 1, 10, 1)
    keep = torch.ones(1, 1, 10, 10, dtype=torch.bool)
    keep[0, 0, 3, 4] = keep[0, 0, 6, 6] = keep[0, 0, 2, 7] = False  # interior, isolated holes
    r = lab.neighbour_recovery(ramp, keep)
    assert r["covered"] == 1.0 and r["r2"] == pytest.approx(1.0)
    keep[0, 0, 3, 5] = False  # a hole next to a hole: the guess uses 3 neighbours, still linear?
    keep[0, 0, 4, 5] = keep[0, 0, 2, 5] = keep[0, 0, 3, 6] = False  # (3, 5) now fully enclosed
    assert lab.neighbour_recovery(ramp, keep)["covered"] < 1.0


def test_dropconnect_inference_estimates():
    gen = torch.Generator().manual_seed(0)
    w, x = torch.randn(4, 30, generator=gen), torch.randn(30, generator=gen)
    identity = lab.dropconnect_inference(w, x, 0.5, samples=40_000, activation=lambda u: u)
    mean_u = (w.double() @ x.double())
    assert torch.allclose(identity["mean"], mean_u)
    sd = torch.sqrt((w.double() ** 2) @ (x.double() ** 2))  # p/(1-p) = 1 at p = 0.5
    assert ((identity["mc"] - mean_u).abs() < 6 * sd / 200).all()
    relu = lab.dropconnect_inference(w, x, 0.5, samples=40_000)
    assert (relu["mc"] >= relu["mean"] - 1e-9).all()  # Jensen: E[relu(u)] >= relu(E[u])


def test_measured_moments_and_keep_masks_skip_stubs():
    class Stub(torch.nn.Module):
        def forward(self, x):
            raise NotImplementedError
    assert lab.measured_moments(Stub(), torch.ones(3)) is None
    masks = lab.keep_masks({"stub": Stub(), "drop": torch.nn.Dropout(0.5)}, shape=(1, 2, 4, 4))
    assert list(masks) == ["drop"] and masks["drop"].dtype == torch.bool


def test_grouped_nets_match_one_net_at_a_time():
    torch.manual_seed(0)
    params = lab.init_nets([3, 4, 5])
    x = torch.rand(7, 3, 8, 8)
    ident = [(torch.nn.Identity(), torch.nn.Identity())]
    out = lab.forward_nets(params, x, ident, 3)
    for k in range(3):
        one = lab.init_nets([3 + k])
        assert torch.allclose(out[k], lab.forward_nets(one, x[:, k:k + 1], ident, 1)[0],
                              atol=1e-5)


def test_train_digits_pairs_variants_by_seed():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(120, 8, 8, generator=gen)
    labels = torch.randint(0, 10, (120,), generator=gen)
    alone = lab.train_digits(images, labels, {"none": lambda layer: torch.nn.Identity()},
                             seeds=[0, 1], n_train=60, steps=4, batch=20)
    both = lab.train_digits(images, labels, {"none": lambda layer: torch.nn.Identity(),
                                             "Dropout": lambda layer: torch.nn.Dropout(0.5)},
                            seeds=[0, 1], n_train=60, steps=4, batch=20)
    assert both["test_acc"].shape == (2, 2) and both["names"] == ["none", "Dropout"]
    assert torch.allclose(alone["test_acc"][0], both["test_acc"][0])  # same nets, same numbers
    assert torch.get_num_threads() == 1  # train_digits restores the caller's thread count
