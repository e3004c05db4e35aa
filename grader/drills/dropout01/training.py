"""Drill 01 training demo: does YOUR Dropout stop an oversized MLP from overfitting?

The task is regression: 40 noisy training points, a large clean test set, and a net
20 -> 256 -> ReLU -> Dropout(p) -> 1 that is far too big for 40 points.

To stay fast, `train_batched` trains M independent nets in one go: the weights of all
nets are stacked along a first axis (M, ...), matmuls are batched (torch.baddbmm), and
the loss is the SUM of the nets' own MSEs, so every net gets exactly its own gradient.
Adam works element by element, so stacking changes nothing. `train_one` trains a single
net the ordinary way and gives the same numbers (see its docstring for the masks).

`python -m grader release` pastes this file into the student notebook and the grader
imports it, so it may only import torch and the standard library.
"""
import math

import torch

IN_DIM, HIDDEN, N_TRAIN, N_TEST, NOISE, FREQ = 2, 128, 60, 1000, 0.5, 1.5
STEPS, LR = 300, 1e-2
SWEEP_PS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SWEEP_SEEDS = (0, 1, 2, 3, 4)
DEMO_PS = (0.0, 0.5)
GAP_RATIO = 0.5  # demo verdict: the p=0.5 gap must be under half the p=0 gap


def make_data(seed, in_dim=IN_DIM, n_train=N_TRAIN, n_test=N_TEST, noise=NOISE, freq=FREQ):
    """Teacher y = sin(freq * x @ w): noisy targets to train on, clean targets to test on."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(in_dim, 1, generator=gen)
    w = w / w.norm()  # unit direction: every seed's teacher has the same frequency
    x_train = torch.randn(n_train, in_dim, generator=gen)
    x_test = torch.randn(n_test, in_dim, generator=gen)
    y_train = torch.sin(freq * x_train @ w) + noise * torch.randn(n_train, 1, generator=gen)
    return x_train, y_train, x_test, torch.sin(freq * x_test @ w)


def init_params(seed, in_dim=IN_DIM, hidden=HIDDEN):
    """[w1, b1, w2, b2] drawn like nn.Linear's default: uniform in +-1/sqrt(fan_in)."""
    gen = torch.Generator().manual_seed(seed)
    shapes = [((in_dim, hidden), in_dim), ((1, hidden), in_dim), ((hidden, 1), hidden), ((1, 1), hidden)]
    return [(2 * torch.rand(shape, generator=gen) - 1) / math.sqrt(fan_in) for shape, fan_in in shapes]


def mask_seed(seed, step):
    """The global RNG is seeded with this right before a net's dropout call at a step,
    so the batched and the one-net paths draw the same masks. Nets with different seeds
    get different masks; nets that share a seed (same init, other p) share random numbers,
    which makes comparisons across p less noisy."""
    return seed * 100_003 + step


def apply_dropout(drop, h, train, seed=0, step=0):
    """Run one Dropout module on one net's hidden activations; reject broken outputs."""
    drop.train(train)
    if train:
        torch.default_generator.manual_seed(mask_seed(seed, step))
    out = drop(h)
    if not isinstance(out, torch.Tensor) or out.shape != h.shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"Dropout returned {got}; expected a tensor of shape {tuple(h.shape)}")
    return out


def mse(pred, y):
    """Mean squared error per net: shapes (M, n, 1) -> (M,)."""
    return ((pred - y) ** 2).mean(dim=(-2, -1))


def train_batched(Dropout, ps, seeds, data_seeds=None, steps=STEPS, lr=LR, record_every=0):
    """Train len(ps) independent nets at once; net m uses p=ps[m], init seed seeds[m] and
    data seed data_seeds[m] (default: seeds). Losses are measured in eval mode.

    Returns a dict of tensors: 'train', 'test' (M,) final losses, 'gap' = test - train,
    and, if record_every > 0, 'step' (K,) with 'train_curve', 'test_curve' (K, M).
    """
    data_seeds = seeds if data_seeds is None else data_seeds
    x_tr, y_tr, x_te, y_te = (torch.stack(t) for t in zip(*(make_data(s) for s in data_seeds)))
    params = [torch.stack(t).requires_grad_() for t in zip(*(init_params(s) for s in seeds))]
    drops = [Dropout(p) for p in ps]
    opt = torch.optim.Adam(params, lr=lr)

    def forward(x, train, step=0):
        w1, b1, w2, b2 = params
        h = torch.relu(torch.baddbmm(b1, x, w1))
        slices = h.unbind(0)  # one (n, hidden) view per net; unbind keeps backward O(M)
        h = torch.stack([apply_dropout(d, hm, train, s, step) for d, hm, s in zip(drops, slices, seeds)])
        return torch.baddbmm(b2, h, w2)

    def evaluate():
        with torch.no_grad():
            return mse(forward(x_tr, False), y_tr), mse(forward(x_te, False), y_te)

    curves = []
    with torch.random.fork_rng(devices=[]):  # leave the caller's RNG state untouched
        for step in range(steps):
            if record_every and step % record_every == 0:
                curves.append((step, *evaluate()))
            opt.zero_grad()
            mse(forward(x_tr, True, step), y_tr).sum().backward()
            opt.step()
        train, test = evaluate()
    out = dict(train=train, test=test, gap=test - train)
    if curves:
        steps_done, train_c, test_c = zip(*curves, (steps, train, test))
        out.update(step=torch.tensor(steps_done), train_curve=torch.stack(train_c),
                   test_curve=torch.stack(test_c))
    return out


def train_one(Dropout, p, seed, data_seed=None, steps=STEPS, lr=LR):
    """One net, trained the ordinary way; the reference for one slice of `train_batched`.

    Same data, same init, same Adam, and the same masks: before each dropout call the
    global RNG is seeded with mask_seed(seed, step), as the batched path does per net.
    Returns {'train': float, 'test': float} (eval-mode MSE).
    """
    x_tr, y_tr, x_te, y_te = make_data(seed if data_seed is None else data_seed)
    params = [t.requires_grad_() for t in init_params(seed)]
    drop = Dropout(p)
    opt = torch.optim.Adam(params, lr=lr)

    def forward(x, train, step=0):
        w1, b1, w2, b2 = params
        h = apply_dropout(drop, torch.relu(x @ w1 + b1), train, seed, step)
        return h @ w2 + b2

    with torch.random.fork_rng(devices=[]):
        for step in range(steps):
            opt.zero_grad()
            mse(forward(x_tr, True, step), y_tr).backward()
            opt.step()
        with torch.no_grad():
            return dict(train=mse(forward(x_tr, False), y_tr).item(),
                        test=mse(forward(x_te, False), y_te).item())


def run_demo(Dropout, seed=0, record_every=10):
    """Train p=0 and p=0.5 side by side (same data, same init) and record loss curves."""
    return dict(ps=DEMO_PS, **train_batched(Dropout, DEMO_PS, [seed] * 2, record_every=record_every))


def run_sweep(Dropout, ps=SWEEP_PS, seeds=SWEEP_SEEDS):
    """Every p with every seed in one batched run. Returns ps, seeds and 'test' (len(ps), len(seeds))."""
    grid = [(p, s) for p in ps for s in seeds]
    res = train_batched(Dropout, [p for p, _ in grid], [s for _, s in grid])
    return dict(ps=tuple(ps), seeds=tuple(seeds), test=res["test"].reshape(len(ps), len(seeds)))


def demo_numbers_batch(Dropout, data_seeds):
    """demo_numbers for many data seeds in one batched run (a list of dicts)."""
    n = len(data_seeds)
    seeds = [s for s in data_seeds for _ in DEMO_PS]
    res = train_batched(Dropout, list(DEMO_PS) * n, seeds)
    return [{f"{key}_p{tag}": res[key][2 * i + j].item()
             for key in ("train", "test", "gap") for j, tag in enumerate(("0", "05"))}
            for i in range(n)]


def demo_numbers(Dropout, data_seed):
    """The grader's demo numbers: train/test loss and gap at p=0 and p=0.5 (plain floats)."""
    return demo_numbers_batch(Dropout, [data_seed])[0]


def demo_passes(numbers):
    """Dropout works if the p=0.5 gap is under GAP_RATIO times the p=0 gap (NaN fails)."""
    if not all(math.isfinite(v) for v in numbers.values()):
        return False
    return numbers["gap_p0"] > 0 and numbers["gap_p05"] < GAP_RATIO * numbers["gap_p0"]
