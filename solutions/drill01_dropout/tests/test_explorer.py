"""Tests for drill 01's "60 versus 100" explorer (explorer.py, pasted into the notebook)."""
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only: the pasted modules never choose a backend

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from test_widgets import load, load_without_widgets  # noqa: E402

HERE = Path(__file__).resolve().parents[1]


def test_sixty_versus_hundred():
    explorer = load("explorer", HERE)
    inference, raw, inverted = explorer.expected_inputs(0.4, 100)
    assert (inference, inverted) == (100, 100) and raw == pytest.approx(60)
    assert "60 vs 100" in explorer.numbers_text(0.4, 100)


@pytest.mark.parametrize("p, n", [(0.4, 100), (0.1, 10), (0.9, 1000), (0.5, 37)])
def test_sampled_means_match_expectations(p, n):
    """Kept count ~ Binomial(n, q), q = 1-p: the mean of S draws has sd sqrt(n p q / S).

    A 5-sd bound fails by chance with probability < 6e-7 per check (normal
    approximation); with the fixed seed the outcome is also reproducible.
    """
    explorer = load("explorer", HERE)
    samples, q = 4000, 1 - p
    raw, inverted = explorer.sample_sums(p, n, samples=samples, seed=0)
    assert raw.shape == inverted.shape == (samples,)
    sd_mean = math.sqrt(n * p * q / samples)
    assert abs(raw.mean() - n * q) <= 5 * sd_mean
    assert abs(inverted.mean() - n) <= 5 * sd_mean / q
    assert abs(raw.mean() - n) > 5 * sd_mean  # without scaling training is visibly off


def test_sampling_is_deterministic_per_seed_and_exact_without_dropout():
    explorer = load("explorer", HERE)
    a, b = explorer.sample_sums(0.4, 100, seed=3), explorer.sample_sums(0.4, 100, seed=3)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert not (a[0] == explorer.sample_sums(0.4, 100, seed=4)[0]).all()
    raw, inverted = explorer.sample_sums(0.0, 50, samples=10)
    assert (raw == 50).all() and (inverted == 50).all()


def test_plot_marks_inference_value():
    explorer = load("explorer", HERE)
    fig = explorer.plot_sums(0.4, 100, samples=500)
    (ax,) = fig.axes
    assert list(ax.lines[0].get_xdata()) == [100, 100]
    assert "60 vs 100" in ax.get_title()
    assert explorer.figure_png(fig).startswith(b"\x89PNG")


def test_explorer_widget_updates_on_slider():
    explorer = load("explorer", HERE)
    w = explorer.ExplorerWidget()
    before = bytes(w.image.value)  # 8.x stores a memoryview, 7.x bytes
    assert "60 vs 100" in w.numbers.value and before.startswith(b"\x89PNG")
    w.p.value = 0.5
    assert "50 vs 100" in w.numbers.value and bytes(w.image.value) != before


def test_explorer_with_widgets_shows_its_numbers_once(monkeypatch, capsys):
    """Only the live widget shows the numbers: no stale printed copy above it."""
    explorer = load("explorer", HERE)
    shown = []
    monkeypatch.setattr(explorer, "display", shown.append)
    explorer.show_explorer()
    assert capsys.readouterr().out == ""
    assert len(shown) == 1 and "60 vs 100" in shown[0].children[1].value


def test_explorer_without_ipywidgets_draws_once(monkeypatch, capsys):
    module = load_without_widgets("explorer", monkeypatch, HERE)
    shown = []
    monkeypatch.setattr(module, "display", shown.append)
    module.show_explorer()
    assert "60 vs 100" in capsys.readouterr().out
    assert len(shown) == 1 and shown[0].data.startswith(b"\x89PNG")
