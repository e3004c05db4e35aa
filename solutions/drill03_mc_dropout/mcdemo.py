"""Demo code for drill 03: toy data, small nets, training loops, coverage and a batched ensemble.

`make release` pastes this file into the student notebook, so it imports only the standard
library and torch. Every function that needs MC dropout takes the learner's function as an
argument; nothing here calls the learner's code on its own. Training runs on one CPU thread
(tiny matrix products are faster that way) and restores the caller's thread count.
"""
import contextlib
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

NOISE = 0.1  # the known standard deviation of the regression targets' noise
GAP = (-1.0, 1.0)  # no training inputs in here
DATA_RANGES = ((-3.5, -1.0), (1.0, 3.5))


@contextlib.contextmanager
def one_thread():
    """torch on one thread inside the block; the previous count restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def truth(x):
    """The regression toy's noise-free function."""
    return torch.sin(1.5 * x) + 0.3 * x


def uniform_in(ranges, n, g):
    """n points, spread evenly over the given intervals (as many as possible in each)."""
    parts = []
    for i, (lo, hi) in enumerate(ranges):
        k = n // len(ranges) + (1 if i < n % len(ranges) else 0)
        parts.append(lo + (hi - lo) * torch.rand(k, generator=g))
    return torch.cat(parts).unsqueeze(1)


def gap_data(n_train=48, n_test=400, seed=0):
    """1-D regression with a gap: train and held-out sets on the data ranges, and held-out
    points in the gap and beyond the data (the last two only for measuring)."""
    g = torch.Generator().manual_seed(seed)

    def noisy(x):
        return truth(x) + NOISE * torch.randn(x.shape, generator=g)
    x = uniform_in(DATA_RANGES, n_train, g)
    sets = {"train": (x, noisy(x))}
    for name, ranges in (("test", DATA_RANGES), ("gap", (GAP,)), ("far", ((-5.0, -3.5), (3.5, 5.0)))):
        xs = uniform_in(ranges, n_test, g)
        sets[name] = (xs, noisy(xs))
    return sets


class Regressor(nn.Module):
    """1 -> 64 -> 64 -> 1, ReLU, dropout after each hidden layer (optionally BatchNorm)."""

    def __init__(self, p=0.1, hidden=64, batchnorm=False):
        super().__init__()
        norm = (lambda: nn.BatchNorm1d(hidden)) if batchnorm else (lambda: nn.Identity())
        self.net = nn.Sequential(nn.Linear(1, hidden), norm(), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(hidden, hidden), norm(), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


class Classifier(nn.Module):
    """2 -> 64 -> 64 -> 2 logits, ReLU, dropout after each hidden layer."""

    def __init__(self, p=0.2, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(hidden, 2))

    def forward(self, x):
        return self.net(x)


def fit(model, x, y, loss_fn, steps=1000, lr=1e-2, weight_decay=1e-4, seed=0):
    """Full-batch Adam (written out: torch.optim's first step costs about a second of
    imports) in train mode, dropout on, on one thread; returns the model in eval mode."""
    torch.manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    m1 = [torch.zeros_like(p) for p in params]
    m2 = [torch.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    model.train()
    with one_thread():
        for t in range(1, steps + 1):
            grads = torch.autograd.grad(loss_fn(model(x), y), params)
            step = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            with torch.no_grad():
                for p, g, a, b in zip(params, grads, m1, m2):
                    g = g + weight_decay * p
                    a.mul_(b1).add_(g, alpha=1 - b1)
                    b.mul_(b2).addcmul_(g, g, value=1 - b2)
                    p.addcdiv_(a, b.sqrt().add_(eps), value=-step)
    return model.eval()


def train_regressor(data, p=0.1, seed=0, batchnorm=False, steps=1000):
    torch.manual_seed(seed)
    model = Regressor(p, batchnorm=batchnorm)
    return fit(model, *data["train"], F.mse_loss, steps=steps, seed=seed)


def coverage(mean, std, y, k=2.0):
    """Fraction of targets inside mean +- k * std."""
    return ((y - mean).abs() <= k * std).double().mean().item()


def total_std(mc_std, noise=NOISE):
    """Predictive std: the known noise variance plus the spread of the passes."""
    return (mc_std ** 2 + noise ** 2).sqrt()


def reliability(mean, std, y, levels):
    """Observed coverage of the central Gaussian interval at each nominal level."""
    out = []
    for q in levels:
        k = math.sqrt(2.0) * torch.special.erfinv(torch.tensor(float(q))).item()
        out.append(coverage(mean, std, y, k))
    return out


def estimator_noise(mc_predict, model, x0, Ts, repeats=200):
    """Std over `repeats` independent estimates of the MC mean at x0, for each T.

    The repeats are rows of one batch: each row gets its own masks, so one mc_predict call
    per T gives them all."""
    rows = x0.reshape(1, -1).repeat(repeats, 1)
    return [mc_predict(model, rows, T=T)[0].std(dim=0, correction=1).item() for T in Ts]


def slope(xs, ys):
    """Least-squares slope of log(ys) against log(xs)."""
    lx = torch.tensor(xs, dtype=torch.float64).log()
    ly = torch.tensor(ys, dtype=torch.float64).log()
    lx, ly = lx - lx.mean(), ly - ly.mean()
    return (lx * ly).sum().item() / (lx * lx).sum().item()


def seconds_per_call(fn, repeats=5):
    """Best-of-`repeats` wall time of fn() in seconds (one thread)."""
    best = float("inf")
    with one_thread():
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    return best


def train_mode_predict(model, x, T):
    """THE TRAP, for the demo only: model.train() and T batched passes (BatchNorm then
    normalises with the batch's own statistics and updates its running ones)."""
    was = model.training
    model.train()
    try:
        with torch.no_grad():
            y = model(x.repeat(T, 1)).reshape(T, x.shape[0], -1)
    finally:
        model.train(was)
    return y.mean(0), y.std(0, correction=0)


# --- classification toy -----------------------------------------------------------------
NOISY_CENTRE, NOISY_RADIUS = (1.6, -0.3), 0.35  # labels in this disc are coin flips


def two_moons(n=400, noise=0.12, seed=0):
    """Two interleaved half circles (label 0 and 1); labels inside the noisy disc are
    replaced by fair coin flips (noise in the labels, not lack of data)."""
    g = torch.Generator().manual_seed(seed)
    half = n // 2
    t0, t1 = math.pi * torch.rand(half, generator=g), math.pi * torch.rand(n - half, generator=g)
    upper = torch.stack([torch.cos(t0), torch.sin(t0)], 1)
    lower = torch.stack([1.0 - torch.cos(t1), 0.5 - torch.sin(t1)], 1)
    x = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=g)
    y = torch.cat([torch.zeros(half), torch.ones(n - half)]).long()
    noisy = in_noisy_disc(x)
    y[noisy] = torch.randint(0, 2, (int(noisy.sum()),), generator=g)
    return x, y


def in_noisy_disc(x):
    centre = torch.tensor(NOISY_CENTRE)
    return (x - centre).norm(dim=1) < NOISY_RADIUS


def train_classifier(x, y, p=0.2, seed=0, steps=500):
    torch.manual_seed(seed)
    return fit(Classifier(p), x, y, F.cross_entropy, steps=steps, lr=1e-2, seed=seed)


def plane(lo=(-2.5, -2.0), hi=(3.5, 2.5), n=70):
    """An n x n grid over the plane: (points (n*n, 2), xs, ys)."""
    xs, ys = torch.linspace(lo[0], hi[0], n), torch.linspace(lo[1], hi[1], n)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], 1), xs, ys


def distance_to_data(points, data):
    """Each point's distance to its nearest training input."""
    return torch.cdist(points, data).min(dim=1).values


# --- many regressors trained at once: MC dropout nets and a deep ensemble -------------
class StackedMLP(nn.Module):
    """M independent 1 -> 64 -> 64 -> 1 ReLU nets with stacked weights: one batched matrix
    product runs every member (input (M, N, 1), output (M, N, 1)). Member k drops each hidden
    unit with its own probability ps[k] in training mode (0: a plain net)."""

    def __init__(self, ps, hidden=64, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        nets = [Regressor(p, hidden) for p in ps]  # PyTorch's default init, member by member
        self.ps = [float(p) for p in ps]
        self.register_buffer("keep", 1.0 - torch.tensor(self.ps).view(-1, 1, 1))
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.stack([n.net[i].weight.detach().T for n in nets]))
             for i in LINEAR])
        self.biases = nn.ParameterList(
            [nn.Parameter(torch.stack([n.net[i].bias.detach() for n in nets]).unsqueeze(1))
             for i in LINEAR])

    def forward(self, x):
        h = x
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if i < 2:
                h = torch.relu(h)
                if self.training:
                    h = h * (torch.rand_like(h) < self.keep).to(h.dtype) / self.keep
        return h

    def member(self, k):
        """Member k as an ordinary Regressor (nn.Dropout(ps[k]) inside), in eval mode."""
        net = Regressor(self.ps[k], self.weights[0].shape[2])
        with torch.no_grad():
            for j, i in enumerate(LINEAR):
                net.net[i].weight.copy_(self.weights[j][k].T)
                net.net[i].bias.copy_(self.biases[j][k, 0])
        return net.eval()


LINEAR = (0, 4, 8)  # the Linear layers' places in Regressor.net (without BatchNorm)


def train_stack(data, ps, seed=0, steps=1000):
    """Train one StackedMLP on the regression toy: every member on the full training set,
    MSE, from its own random init. The members' losses are summed, so each member gets
    exactly the gradient it would get alone."""
    model = StackedMLP(ps, seed=seed)
    x, y = data["train"]
    m = len(ps)
    return fit(model, x.expand(m, *x.shape), y.expand(m, *y.shape),
               lambda out, t: F.mse_loss(out, t, reduction="sum") / x.shape[0],
               steps=steps, seed=seed)


def ensemble_predict(model, x, members):
    """(mean, std over the given members) for x of shape (N, 1); population std, like
    mc_predict. The stacked model must be in eval mode (no dropout)."""
    with torch.no_grad():
        y = model(x.expand(len(model.ps), *x.shape))[list(members)]
    return y.mean(0), y.std(0, correction=0)


# --- functional dropout inside a larger module ------------------------------------------
class FunctionalHead(nn.Module):
    """Dropout written as F.dropout(..., training=self.training): no dropout *module*."""

    def __init__(self, p=0.3, hidden=32, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.fc1, self.fc2, self.p = nn.Linear(1, hidden), nn.Linear(hidden, 1), p

    def forward(self, x):
        h = F.dropout(torch.relu(self.fc1(x)), self.p, training=self.training)
        return self.fc2(h)


class ModuleHead(nn.Module):
    """The fix: the same computation, with the dropout as a submodule MC dropout can find."""

    def __init__(self, p=0.3, hidden=32):
        super().__init__()
        self.fc1, self.fc2, self.drop = nn.Linear(1, hidden), nn.Linear(hidden, 1), nn.Dropout(p)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def module_version(head):
    """A ModuleHead with the FunctionalHead's weights (nn.Dropout has no parameters, so the
    state dicts match key for key)."""
    fixed = ModuleHead(head.p, head.fc1.out_features)
    fixed.load_state_dict(head.state_dict())
    return fixed
