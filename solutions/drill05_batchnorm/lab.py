"""Demo code for drill 05: the variance-shift experiment and the ensemble measurements.

Pasted into the student notebook by `make release`; it imports only torch and the standard
library. Every function takes the learner's answers as arguments, so the demos run on
whatever the learner wrote, and every random draw comes from a seeded generator.
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

N_FEATURES, N_CLASSES = 20, 4
PLACEMENTS = ("before BN", "after last BN", "none")


class single_thread:
    """Run tiny-op loops on one CPU thread (much faster for small matrices), then restore."""

    def __enter__(self):
        self.before = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)


# --- the data and the nets -------------------------------------------------------------
def make_data(seed=0, n_train=2000, n_test=4000):
    """A 4-class problem labelled by a random tanh teacher: (x_train, y_train, x_test, y_test)."""
    gen = torch.Generator().manual_seed(seed)
    w1 = torch.randn(N_FEATURES, 64, generator=gen) / math.sqrt(N_FEATURES)
    w2 = torch.randn(64, N_CLASSES, generator=gen) * 3 / math.sqrt(64)

    def draw(n):
        x = torch.randn(n, N_FEATURES, generator=gen)
        return x, (torch.tanh(x @ w1) @ w2).argmax(1)

    return (*draw(n_train), *draw(n_test))


def make_net(placement, width=32, p=0.5, depth=3, seed=0):
    """Blocks of Linear -> BatchNorm -> ReLU, then a Linear classifier.

    placement: "before BN" puts Dropout(p) after every block's ReLU, so the next block's
    BatchNorm sees dropped activations; "after last BN" puts one Dropout(p) just before the
    classifier; "none" has no dropout."""
    if placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {PLACEMENTS}")
    torch.manual_seed(seed)
    layers, width_in = [], N_FEATURES
    for _ in range(depth):
        layers += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.ReLU()]
        if placement == "before BN":
            layers.append(nn.Dropout(p))
        width_in = width
    if placement == "after last BN":
        layers.append(nn.Dropout(p))
    layers.append(nn.Linear(width, N_CLASSES))
    return nn.Sequential(*layers)


def train(model, x, y, steps=600, batch_size=128, lr=3e-3, seed=0, record_masks=False):
    """Adam on cross-entropy; leaves the model in eval mode.

    record_masks: also return the keep-masks the first Dropout drew (one row per example)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    masks = []
    drop = next((m for m in model if isinstance(m, nn.Dropout)), None)
    if record_masks and drop is not None:
        def recording_forward(h, drop=drop):  # the same inverted dropout, keeping its mask
            keep = torch.rand_like(h) >= drop.p
            masks.append(keep)
            return h * keep / (1 - drop.p)
        drop.forward = recording_forward  # an instance attribute shadows the method
    model.train()
    with single_thread():
        for _ in range(steps):
            idx = torch.randint(0, len(x), (batch_size,), generator=gen)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    if record_masks and drop is not None:
        del drop.forward  # back to nn.Dropout.forward
    model.eval()
    return (model, torch.cat(masks)) if record_masks else model


@torch.no_grad()
def scores(model, x, y):
    """(accuracy, mean cross-entropy) of the model as it is (its current mode)."""
    logits = model(x)
    return (logits.argmax(1) == y).double().mean().item(), F.cross_entropy(logits, y).item()


def train_placements(seed=0, width=32, p=0.5, depth=3, steps=400):
    """Train the three placements on one data set: ({placement: net}, data, first-dropout
    masks of the "before BN" run). The "before BN" net is trained with its masks recorded."""
    data = make_data(seed)
    x, y = data[0], data[1]
    nets = {}
    nets["before BN"], masks = train(make_net("before BN", width, p, depth, seed), x, y,
                                     steps=steps, seed=seed, record_masks=True)
    for k in PLACEMENTS[1:]:
        nets[k] = train(make_net(k, width, p, depth, seed), x, y, steps=steps, seed=seed)
    return nets, data, masks


def recalibrated_copy(recalibrate_bn, net, x):
    """A deep copy of net, recalibrated by the learner's recalibrate_bn on x."""
    fixed = copy.deepcopy(net)
    recalibrate_bn(fixed, x)
    return fixed


# --- the variance shift, layer by layer ---------------------------------------------------
@torch.no_grad()
def _capture(model, x, train_mode, batch_size=128):
    """Inputs of every Dropout and every BatchNorm over x, in train or eval mode.

    Works on a copy: a train-mode pass would otherwise update BatchNorm's running statistics."""
    model = copy.deepcopy(model)
    seen = {}
    hooks = [m.register_forward_hook(
        lambda mod, inp, out, i=i: seen.setdefault(i, []).append(inp[0]))
        for i, m in enumerate(model) if isinstance(m, (nn.Dropout, nn.BatchNorm1d))]
    model.train(train_mode)
    torch.manual_seed(1)
    for b in x.split(batch_size):
        model(b)
    return {i: torch.cat(v).double() for i, v in seen.items()}


@torch.no_grad()
def variance_by_layer(model, x, dropout_variance):
    """For every BatchNorm that follows a Dropout -> Linear: the variance of its input in
    training (measured, and predicted from dropout_variance) and at eval, and the
    BatchNorm's running variance, each averaged over channels.

    The prediction: Linear(dropped h) has variance Var(W h) + sum_i W_ji^2 * (extra_i), where
    extra_i = train_var_i - var_i is the variance the mask adds to unit i (the mask is
    independent of h, so it adds no covariance between units)."""
    train_in, eval_in = _capture(model, x, True), _capture(model, x, False)
    rows = []
    for i, m in enumerate(model):
        if not (isinstance(m, nn.BatchNorm1d) and i >= 3 and isinstance(model[i - 2], nn.Dropout)):
            continue
        linear, drop = model[i - 1], model[i - 2]
        h = train_in[i - 2]
        train_var, _ = dropout_variance(h.mean(0), h.var(0), drop.p)
        extra = train_var - h.var(0)
        w = linear.weight.double()
        predicted = ((h @ w.T).var(0) + (w * w) @ extra).mean().item()
        rows.append({"layer": i, "train": train_in[i].var(0).mean().item(),
                     "predicted": predicted, "eval": eval_in[i].var(0).mean().item(),
                     "running": m.running_var.double().mean().item()})
    return rows


# --- the ensemble --------------------------------------------------------------------------
def make_ensemble_net(n_units=10, depth=0, p=0.5, n_in=5, hidden=16, n_classes=4, seed=0,
                      gain=2.0):
    """Linear -> Tanh -> Dropout(p) over n_units -> `depth` (Linear, ReLU) -> Linear.

    depth 0 is the single softmax layer over the dropped units; gain scales every weight so
    the predictions are not all near uniform."""
    torch.manual_seed(seed)
    layers = [nn.Linear(n_in, n_units), nn.Tanh(), nn.Dropout(p)]
    width = n_units
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, n_classes))
    net = nn.Sequential(*layers).double()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(gain)
    return net.eval()


def total_variation(a, b):
    """Mean over examples of half the L1 distance between two rows of probabilities."""
    return 0.5 * (a - b).abs().sum(-1).mean().item()


def ensemble_gaps(mask_ensemble, depths=(0, 1, 2, 3), ps=(0.1, 0.3, 0.5, 0.7), nets=8,
                  n_units=8, batch=64):
    """{(depth, p): (TV(geometric, weight_scaled), TV(arithmetic, weight_scaled))}, each the
    mean over `nets` random nets."""
    x = torch.randn(batch, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = {}
    for depth in depths:
        for p in ps:
            geo, ari = [], []
            for seed in range(nets):
                net = make_ensemble_net(n_units, depth, p, seed=seed)
                r = mask_ensemble(net, x)
                geo.append(total_variation(r["geometric"], r["weight_scaled"]))
                ari.append(total_variation(r["arithmetic"], r["weight_scaled"]))
            out[depth, p] = (sum(geo) / nets, sum(ari) / nets)
    return out


@torch.no_grad()
def mc_convergence(mask_ensemble, ts=(1, 4, 16, 64, 256, 1024), repeats=20, seed=0):
    """TV distance between the average of T sampled masks (dropout on) and the exact
    arithmetic mean, averaged over `repeats` runs, for each T."""
    net = make_ensemble_net(10, depth=2, p=0.5, seed=seed)
    x = torch.randn(32, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    exact = mask_ensemble(net, x)["arithmetic"]
    torch.manual_seed(seed)
    net.train()
    errors = []
    for t in ts:
        e = 0.0
        for _ in range(repeats):
            xs = x.repeat(t, 1)  # T masks per example in one pass
            probs = net(xs).softmax(-1).view(t, *exact.shape).mean(0)
            e += total_variation(probs, exact)
        errors.append(e / repeats)
    net.eval()
    return list(ts), errors


def distinct_masks(masks):
    """The number of distinct rows of a boolean mask matrix."""
    return len(torch.unique(masks.to(torch.uint8), dim=0))


def expected_distinct(n_units, draws, p=0.5):
    """Expected number of distinct masks among `draws` independent Bernoulli(1 - p) masks
    over n_units (a sum over the number of kept units k)."""
    total = 0.0
    for k in range(n_units + 1):
        prob = (1 - p) ** k * p ** (n_units - k)
        total += math.comb(n_units, k) * -math.expm1(draws * math.log1p(-prob))
    return total
