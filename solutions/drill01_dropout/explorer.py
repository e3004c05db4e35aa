"""The "60 versus 100" explorer for drill 01.

n upstream units all output 1 and all weights are 1, so the downstream unit's
input is the number of units dropout keeps. Without scaling, training sees on
average n(1-p) while inference sees n; inverted dropout divides kept units by
(1-p) so both agree. Numbers and sampling are pure functions; the plot is a
bare matplotlib Figure (no pyplot, so no backend is chosen here) shown as PNG.
"""
import io

import numpy as np
from matplotlib.figure import Figure

try:
    from IPython.display import Image, display
except ImportError:  # no IPython (a plain Python process): numbers only, as text
    Image = display = None
try:
    import ipywidgets as widgets
except ImportError:  # no widget support: draw once for the given values
    widgets = None


def expected_inputs(p, n):
    """Expected downstream input: (inference, training unscaled, training inverted)."""
    return float(n), n * (1.0 - p), float(n)


def sample_sums(p, n, samples=4000, seed=0):
    """Sampled training inputs (unscaled, inverted); deterministic for a seed.

    The number of kept units is Binomial(n, 1-p), so it is drawn directly.
    """
    rng = np.random.default_rng(seed)
    kept = rng.binomial(n, 1.0 - p, size=samples).astype(float)
    return kept, kept / (1.0 - p)


def numbers_text(p, n):
    inference, raw, inverted = expected_inputs(p, n)
    return (f"p = {p:.2f}, n = {n} upstream units (activations 1, weights 1)\n"
            f"  inference, dropout off:            {inference:8.1f}\n"
            f"  training, no scaling (expected):   {raw:8.1f}   <- {raw:g} vs {inference:g}\n"
            f"  training, inverted 1/(1-p) (exp.): {inverted:8.1f}")


def plot_sums(p, n, samples=4000, seed=0):
    """Histograms of sampled training inputs with the inference value marked."""
    raw, inverted = sample_sums(p, n, samples, seed)
    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    # Counts are integers: integer-aligned bins, stretched by 1/(1-p) for the
    # inverted sums, avoid comb-shaped aliasing.
    step = max(1, int(np.ceil((raw.max() - raw.min() + 1) / 40)))
    bins = np.arange(raw.min(), raw.max() + step + 1, step) - 0.5
    ax.hist(raw, bins=bins, alpha=0.6, label=f"training, no scaling (mean {raw.mean():.1f})")
    ax.hist(inverted, bins=bins / (1.0 - p), alpha=0.6,
            label=f"training, inverted (mean {inverted.mean():.1f})")
    ax.axvline(n, color="black", linestyle="--", label=f"inference = {n}")
    ax.set_xlabel("downstream input (sum over kept units)")
    ax.set_ylabel("count")
    ax.set_title(f"p = {p:.2f}, n = {n}: {n * (1 - p):g} vs {n} without scaling")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figure_png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


class ExplorerWidget:
    """Sliders for p and n; redraws the numbers and the plot when released."""

    def __init__(self, p=0.4, n_units=100):
        self.p = widgets.FloatSlider(value=p, min=0.0, max=0.9, step=0.05,
                                     description="drop prob p", continuous_update=False,
                                     style={"description_width": "initial"})
        self.n = widgets.IntSlider(value=n_units, min=10, max=1000, step=10,
                                   description="units n", continuous_update=False,
                                   style={"description_width": "initial"})
        self.numbers = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.p.observe(self.update, names="value")
        self.n.observe(self.update, names="value")
        self.box = widgets.VBox([widgets.HBox([self.p, self.n]), self.numbers, self.image])
        self.update()

    def update(self, _change=None):
        p, n = self.p.value, self.n.value
        self.numbers.value = f"<pre>{numbers_text(p, n)}</pre>"
        self.image.value = figure_png(plot_sums(p, n))


def show_explorer(p=0.4, n_units=100):
    """Show the widget (its numbers update live); without ipywidgets, print the numbers
    once and show the plot once (without IPython, the numbers alone)."""
    if widgets is not None and display is not None:
        display(ExplorerWidget(p, n_units).box)
        return
    print(numbers_text(p, n_units))
    if display is not None:
        display(Image(data=figure_png(plot_sums(p, n_units))))
