"""Drill 01 training demo: does YOUR Dropout stop an oversized MLP from overfitting?

The task is regression: 60 noisy training points of a 2-d wave, a large clean test
set, and a net 2 -> 128 -> ReLU -> Dropout(p) -> 1 that can memorise the noise at p=0.
Losses are measured in eval mode (your module's eval mode: dropout off).

What to read off: training targets carry noise of variance NOISE**2 (NOISE_FLOOR) that no
net can predict; test targets are clean. So the perfect predictor has train loss about
NOISE_FLOOR and test loss 0, a train/test gap of about -NOISE_FLOOR. A train loss far below
NOISE_FLOOR means the net memorised noise. The number that matters is the TEST loss; the gap
is secondary, because a net that fits nothing well also has a small (even negative) gap.

To stay fast, `train_batched` trains M independent nets in one go: the weights of all
nets are stacked along a first axis (M, ...), the layers are batched (torch.baddbmm), and
the loss is the SUM of the nets' own MSEs, so every net gets exactly its own gradient.
Adam works element by element, so stacking changes nothing. `train_one` trains a single
net the ordinary way and gives the same numbers (see its docstring for the masks).
Each net still needs its own call of your Dropout (a few tens of microseconds, in both
ways of training): that call, not the matrix arithmetic, sets how fast the sweep can go.

`python -m grader release` pastes this file into the student notebook and the grader
imports it, so it may only import torch and the standard library.
"""
import contextlib
import math

import torch

IN_DIM, HIDDEN, N_TRAIN, N_TEST, NOISE, FREQ = 2, 128, 60, 1000, 0.6, 1.5
STEPS, LR = 300, 2e-2
SWEEP_PS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SWEEP_SEEDS = (0, 1, 2, 3, 4)
DEMO_PS = (0.0, 0.5)
NOISE_FLOOR = NOISE ** 2  # the perfect predictor's train loss (its test loss is 0)
TEST_MARGIN = 0.02  # demo verdict: the p=0.5 test loss must be this much below the p=0 one
DEMO_DATA_SEEDS = (0, 1, 2, 3, 4)  # the graded demo averages its losses over these data sets


def make_data(seed, in_dim=IN_DIM, n_train=N_TRAIN, n_test=N_TEST, noise=NOISE, freq=FREQ):
    """Teacher y = sin(freq * x @ w): noisy targets to train on, clean targets to test on."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(in_dim, 1, generator=gen)
    w = w / w.norm()  # unit direction: every seed's teacher has the same frequency
    x_train = torch.randn(n_train, in_dim, generator=gen)
    y_train = torch.sin(freq * x_train @ w) + noise * torch.randn(n_train, 1, generator=gen)
    x_test = torch.randn(n_test, in_dim, generator=gen)
    return x_train, y_train, x_test, torch.sin(freq * x_test @ w)


def init_params(seed, in_dim=IN_DIM, hidden=HIDDEN):
    """[w1, b1, w2, b2] drawn like nn.Linear's default: uniform in +-1/sqrt(fan_in)."""
    gen = torch.Generator().manual_seed(seed)
    shapes = [((in_dim, hidden), in_dim), ((1, hidden), in_dim), ((hidden, 1), hidden), ((1, 1), hidden)]
    return [(2 * torch.rand(shape, generator=gen) - 1) / math.sqrt(fan_in) for shape, fan_in in shapes]


def mask_seed(seed, step):
    """The global (CPU) RNG is seeded with this right before a net's dropout call at a step,
    so the batched and the one-net paths draw the same masks. Nets with different seeds
    get different masks; nets that share a seed (same init, other p) share random numbers,
    which makes comparisons across p less noisy."""
    return seed * 100_003 + step


def apply_dropout(drop, h, seed, step):
    """Run one Dropout module on one net's hidden activations; reject broken outputs."""
    if drop.training:
        torch.default_generator.manual_seed(mask_seed(seed, step))
    out = drop(h)
    if not isinstance(out, torch.Tensor) or out.shape != h.shape or out.dtype != h.dtype:
        got = f"{out.dtype} {tuple(out.shape)}" if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"Dropout returned {got}; expected a {h.dtype} tensor of shape {tuple(h.shape)}")
    return out


def set_mode(drops, train):
    """Switch the Dropout modules between training and eval mode."""
    for drop in drops:
        drop.train(train)


def mse(pred, y):
    """Mean squared error per net: shapes (M, n, 1) -> (M,)."""
    return ((pred - y) ** 2).mean(dim=(-2, -1))


def lr_at(lr, step, steps):
    """The learning rate decays linearly to 0, so the last weights settle instead of
    jittering with the dropout noise."""
    return lr * (1 - step / steps)


class Adam:
    """torch.optim.Adam's arithmetic (defaults, one op at a time), written out for the batched
    run: every op is element by element, so each net's slice of the stacked weights gets the
    update it would get alone. It also skips torch.optim's per-step bookkeeping, and its first
    step's import of torch._dynamo (about a second per fresh process)."""

    def __init__(self, params, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.betas, self.eps, self.t = params, betas, eps, 0
        self.moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]

    @torch.no_grad()
    def step(self, lr):
        """Update every parameter from its .grad, then clear the grads."""
        (b1, b2), self.t = self.betas, self.t + 1
        for p, (m, v) in zip(self.params, self.moments):
            m.lerp_(p.grad, 1 - b1)  # running mean of the gradient ...
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)  # ... and of its square
            denom = (v.sqrt() / (1 - b2 ** self.t) ** 0.5).add_(self.eps)  # bias-corrected
            p.addcdiv_(m, denom, value=-lr / (1 - b1 ** self.t))
            p.grad = None


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread, then restore the learner's setting. Training here is
    thousands of tiny ops: one thread is as fast on an idle CPU and many times faster on a
    busy one, where two OpenMP threads keep waiting for each other."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_batched(Dropout, ps, seeds, data_seeds=None, steps=STEPS, lr=LR, record_every=0,
                  dtype=torch.float32):
    """Train len(ps) independent nets at once; net m uses p=ps[m], init seed seeds[m] and
    data seed data_seeds[m] (default: seeds). Losses are measured in eval mode.

    Returns a dict of tensors: 'train', 'test' (M,) final losses, 'gap' = test - train,
    and, if record_every > 0, 'step' (K,) with 'train_curve', 'test_curve' (K, M).
    """
    data_seeds = seeds if data_seeds is None else data_seeds
    x_tr, y_tr, x_te, y_te = (torch.stack(t).to(dtype) for t in zip(*map(make_data, data_seeds)))
    params = [torch.stack(t).to(dtype).requires_grad_() for t in zip(*map(init_params, seeds))]
    drops = [Dropout(p) for p in ps]
    opt = Adam(params)

    def forward(x, step=0):
        w1, b1, w2, b2 = params
        h = torch.relu(torch.baddbmm(b1, x, w1))
        slices = h.unbind(0)  # one (n, hidden) view per net; unbind keeps backward O(M)
        h = torch.stack([apply_dropout(d, hm, s, step) for d, hm, s in zip(drops, slices, seeds)])
        return (h * w2.transpose(1, 2)).sum(-1, keepdim=True) + b2  # per-net dot with w2

    def evaluate():
        set_mode(drops, False)
        with torch.no_grad():
            losses = mse(forward(x_tr), y_tr), mse(forward(x_te), y_te)
        set_mode(drops, True)
        return losses

    curves = []
    set_mode(drops, True)
    with torch.random.fork_rng(devices=[]), one_thread():  # the caller's RNG state is kept
        for step in range(steps):
            if record_every and step % record_every == 0:
                curves.append((step, *evaluate()))
            mse(forward(x_tr, step), y_tr).sum().backward()
            opt.step(lr_at(lr, step, steps))
        train, test = evaluate()
    out = dict(train=train, test=test, gap=test - train)
    if curves:
        steps_done, train_c, test_c = zip(*curves, (steps, train, test))
        out.update(step=torch.tensor(steps_done), train_curve=torch.stack(train_c),
                   test_curve=torch.stack(test_c))
    return out


def train_one(Dropout, p, seed, data_seed=None, steps=STEPS, lr=LR, dtype=torch.float32):
    """One net, trained the ordinary way (torch.optim.Adam, an LR scheduler); the reference
    for one slice of `train_batched`.

    Same data, same init, same Adam arithmetic, and the same masks: before each dropout call the
    global RNG is seeded with mask_seed(seed, step), as the batched path does per net.
    Measured agreement: ~5e-16 relative in float64. In float32 the two paths round
    differently, and the p=0 net (memorising noise) can amplify that to ~1e-3.
    Returns {'train': float, 'test': float} (eval-mode MSE).
    """
    x_tr, y_tr, x_te, y_te = (t.to(dtype) for t in make_data(seed if data_seed is None else data_seed))
    params = [t.to(dtype).requires_grad_() for t in init_params(seed)]
    drop = Dropout(p)
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: lr_at(1, step, steps))

    def forward(x, step=0):
        w1, b1, w2, b2 = params
        h = apply_dropout(drop, torch.relu(x @ w1 + b1), seed, step)
        return h @ w2 + b2

    drop.train()
    with torch.random.fork_rng(devices=[]), one_thread():
        for step in range(steps):
            opt.zero_grad()
            mse(forward(x_tr, step), y_tr).backward()
            opt.step()
            sched.step()
    drop.eval()
    with torch.no_grad():
        return dict(train=mse(forward(x_tr), y_tr).item(), test=mse(forward(x_te), y_te).item())


def run_demo(Dropout, seed=0, record_every=10):
    """Train p=0 and p=0.5 side by side (same data, same init) and record loss curves."""
    return dict(ps=DEMO_PS, **train_batched(Dropout, DEMO_PS, [seed] * 2, record_every=record_every))


def best_point(steps, curve):
    """(step, loss) of a recorded curve's lowest point: where early stopping would stop.

    Picked on the test curve itself, so it is an optimistic baseline (a real run picks it
    on a validation set)."""
    i = int(torch.argmin(curve).item())
    return int(steps[i]), float(curve[i])


def eval_twice_in_train_mode(model, x, y):
    """The #1 bug, live: the same model, the same inputs, evaluated twice in train mode
    (dropout still on) and twice in eval mode. Returns the four MSE losses as floats."""
    losses = {}
    for mode in ("train", "eval"):
        model.train(mode == "train")
        with torch.no_grad():
            losses[mode] = [((model(x) - y) ** 2).mean().item() for _ in range(2)]
    model.eval()
    return losses


def run_sweep(Dropout, ps=SWEEP_PS, seeds=SWEEP_SEEDS):
    """Every p with every seed in one batched run.
    Returns ps, seeds, and final 'train', 'test' losses of shape (len(ps), len(seeds))."""
    grid = [(p, s) for p in ps for s in seeds]
    res = train_batched(Dropout, [p for p, _ in grid], [s for _, s in grid])
    shape = (len(ps), len(seeds))
    return dict(ps=tuple(ps), seeds=tuple(seeds), train=res["train"].reshape(shape),
                test=res["test"].reshape(shape))


def demo_numbers_batch(Dropout, data_seeds):
    """The demo's numbers for each data seed, all in one batched run (a list of dicts)."""
    n = len(data_seeds)
    seeds = [s for s in data_seeds for _ in DEMO_PS]
    res = train_batched(Dropout, list(DEMO_PS) * n, seeds)
    return [{f"{key}_p{tag}": res[key][2 * i + j].item()
             for key in ("train", "test", "gap") for j, tag in enumerate(("0", "05"))}
            for i in range(n)]


def average(numbers):
    """The mean of each key over a list of demo-number dicts."""
    return {key: sum(n[key] for n in numbers) / len(numbers) for key in numbers[0]}


def demo_numbers(Dropout, data_seeds=DEMO_DATA_SEEDS):
    """The grader's demo numbers: train/test loss and gap at p=0 and p=0.5, each averaged
    over the data seeds (plain floats)."""
    return average(demo_numbers_batch(Dropout, list(data_seeds)))


def demo_verdicts(Dropout, groups):
    """demo_passes for many groups of data seeds, in one batched run: the verdict's
    false-fail rate, measured (a list of bools)."""
    flat = demo_numbers_batch(Dropout, [s for group in groups for s in group])
    out, i = [], 0
    for group in groups:
        out.append(demo_passes(average(flat[i:i + len(group)])))
        i += len(group)
    return out


def sweep_summary(sweep):
    """Per p: mean test loss, its lowest and highest seed, and mean train loss (lists)."""
    test, train = sweep["test"], sweep["train"]
    return dict(ps=list(sweep["ps"]), test_mean=test.mean(1).tolist(),
                test_low=test.min(1).values.tolist(), test_high=test.max(1).values.tolist(),
                train_mean=train.mean(1).tolist())


def demo_passes(numbers):
    """Dropout works if the p=0.5 TEST loss (mean over the data seeds) is at least TEST_MARGIN
    below the p=0 one (NaN fails). The gap is not used: underfitting shrinks it too.

    False fails, measured on the reference over 400 data seeds (1000-1399): one seed alone
    fails 12 times in 400 (3%), so the verdict averages 5 data sets; resampling groups of 5
    from those 400 runs (200,000 bootstrap groups) fails 4e-4 of them."""
    if not all(math.isfinite(v) for v in numbers.values()):
        return False
    return numbers["test_p05"] < numbers["test_p0"] - TEST_MARGIN
