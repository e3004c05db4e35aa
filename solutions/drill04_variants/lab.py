"""Drill 04 demos: masks, neighbour recovery, the moment table and a batched conv net.

`python -m grader release` pastes this file into the student notebook, so it may only import
torch and the standard library. Every function takes the learner's classes as arguments, and
a class whose stub still raises NotImplementedError simply drops out of the demo.
"""
import math

import torch
import torch.nn.functional as F


# --- masks drawn on a feature map ---------------------------------------------------------
def keep_masks(modules, shape=(1, 4, 16, 16), seed=0):
    """{name: bool keep mask of `shape`} from each module in train mode, applied to ones.

    modules: {name: module}; a module that raises NotImplementedError is left out."""
    out = {}
    for name, module in modules.items():
        module.train()
        torch.manual_seed(seed)
        try:
            y = module(torch.ones(shape))
        except NotImplementedError:
            continue
        out[name] = (y != 0)
    return out


# --- how much a neighbour tells you about a dropped pixel ---------------------------------
def smooth_maps(n, size, corr_len, seed=0):
    """n single-channel maps of white noise blurred by a Gaussian of width corr_len pixels,
    normalised to zero mean and unit variance: neighbours are correlated when corr_len > 0."""
    gen = torch.Generator().manual_seed(seed)
    pad = max(1, int(3 * corr_len))
    noise = torch.randn(n, 1, size + 2 * pad, size + 2 * pad, generator=gen, dtype=torch.float64)
    if corr_len > 0:
        r = torch.arange(-pad, pad + 1, dtype=torch.float64)
        k = torch.exp(-r ** 2 / (2 * corr_len ** 2))
        k = k / k.sum()
        noise = F.conv2d(noise, k.view(1, 1, 1, -1))
        noise = F.conv2d(noise, k.view(1, 1, -1, 1))
    else:
        noise = noise[..., pad:-pad, pad:-pad]
    maps = noise[..., :size, :size]
    return (maps - maps.mean()) / maps.std()


def neighbour_recovery(maps, keep):
    """Guess every dropped pixel as the mean of its KEPT 4-neighbours.

    maps: (N, 1, H, W) float64; keep: bool mask of the same shape. Returns a dict with
    'covered' (fraction of dropped pixels with at least one kept neighbour) and 'r2' (the
    fraction of the dropped values' variance the guesses explain, 1 - MSE / Var, with an
    uncovered pixel guessed as 0, the mean)."""
    k = keep.to(maps.dtype)
    kernel = torch.tensor([[0., 1., 0.], [1., 0., 1.], [0., 1., 0.]], dtype=maps.dtype)
    kernel = kernel.view(1, 1, 3, 3)
    total = F.conv2d(F.pad(maps * k, (1, 1, 1, 1)), kernel)
    count = F.conv2d(F.pad(k, (1, 1, 1, 1)), kernel)
    guess = torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))
    dropped = ~keep
    if not dropped.any():
        return {"covered": float("nan"), "r2": float("nan")}
    truth, pred = maps[dropped], guess[dropped]
    mse = ((truth - pred) ** 2).mean().item()
    return {"covered": (count[dropped] > 0).double().mean().item(),
            "r2": 1.0 - mse / truth.var().item()}


def recovery_table(modules, corr_lens=(0.0, 1.0, 2.0, 4.0), n=200, size=16, seed=0):
    """{name: [r2 for each corr_len]} for each module's mask on the same correlated maps."""
    out = {}
    for name, module in modules.items():
        row = []
        for i, corr in enumerate(corr_lens):
            maps = smooth_maps(n, size, corr, seed=seed + i)
            module.train()
            torch.manual_seed(seed + 100 + i)
            try:
                keep = module(torch.ones(n, 1, size, size)) != 0
            except NotImplementedError:
                row = None
                break
            row.append(neighbour_recovery(maps, keep))
        if row is not None:
            out[name] = row
    return out


# --- the moment table ---------------------------------------------------------------------
def measured_moments(module, x, calls=1, seed=0):
    """Mean and variance of the module's training output over all elements of `calls` runs
    on the constant input x (a tensor); None when the module is not implemented yet."""
    module.train()
    torch.manual_seed(seed)
    try:
        with torch.no_grad():
            ys = torch.cat([module(x).flatten().double() for _ in range(calls)])
    except NotImplementedError:
        return None
    return ys.mean().item(), ys.var().item()


# --- DropConnect at inference: the mean weights against Wan et al.'s Gaussian sampling ----
def dropconnect_inference(weight, x, p, samples=1000, activation=torch.relu, seed=0):
    """Three estimates of E_M[a(u)] for one inverted DropConnect layer (u = (M * W) x / (1-p)):

    'mc'       Monte Carlo over real Bernoulli masks (the truth, up to sampling error);
    'mean'     a(W x): plug in the mean weights, what an inverted layer does in eval();
    'gaussian' Wan et al.'s moment matching: u ~ N(W x, p/(1-p) (W*W)(x*x)), sampled.
    weight: (out, in); x: (in,). Returns {name: tensor (out,)}."""
    gen = torch.Generator().manual_seed(seed)
    w, x = weight.double(), x.double()
    keep = 1.0 - p
    masks = (torch.rand(samples, *w.shape, generator=gen, dtype=torch.float64) < keep)
    u = torch.einsum("soi,i->so", masks * w / keep, x)
    mu = w @ x
    sd = torch.sqrt(p / keep * (w * w) @ (x * x))
    g = mu + sd * torch.randn(samples, *mu.shape, generator=gen, dtype=torch.float64)
    return {"mc": activation(u).mean(0), "mean": activation(mu), "gaussian": activation(g).mean(0)}


# --- a small conv net on 8x8 digits, many nets trained at once ----------------------------
C1, C2, CLASSES = 8, 16, 10


def split_digits(images, labels, n_train, seed):
    """A seeded split of (N, 8, 8) images in [0, 1] and (N,) labels: (x_tr, y_tr, x_te, y_te)."""
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(images.shape[0], generator=gen)
    tr, te = order[:n_train], order[n_train:]
    return images[tr], labels[tr], images[te], labels[te]


def init_nets(seeds):
    """Stacked parameters of len(seeds) nets, net k initialised from seeds[k] (nets with the
    same seed start identical): conv 1->C1, conv C1->C2 (3x3), linear C2*16 -> 10, each
    uniform in +-1/sqrt(fan_in) like PyTorch's default."""
    shapes = [((C1, 1, 3, 3), 9), ((C1,), 9), ((C2, C1, 3, 3), 9 * C1), ((C2,), 9 * C1),
              ((1, C2 * 16, CLASSES), C2 * 16), ((1, 1, CLASSES), C2 * 16)]
    per_net = []
    for seed in seeds:
        gen = torch.Generator().manual_seed(seed)
        per_net.append([(2 * torch.rand(shape, generator=gen) - 1) / math.sqrt(fan_in)
                        for shape, fan_in in shapes])
    return [torch.cat(parts) for parts in zip(*per_net)]


def forward_nets(params, x, drops, m):
    """x: (B, m, 8, 8), one image batch per net. Grouped convolutions run the m nets side by
    side. drops: [(layer1, layer2)] dropout modules, one pair per VARIANT, each applied to the channels of its m // len(drops) nets (nets are
    ordered variant by variant; every (sample, channel) map still gets its own decision).
    Returns logits (m, B, 10)."""
    w1, b1, w2, b2, w3, b3 = params
    per = m // len(drops)
    h = torch.relu(F.conv2d(x, w1, b1, padding=1, groups=m))  # (B, m*C1, 8, 8)
    h = torch.cat([d1(part) for (d1, _), part in zip(drops, h.split(per * C1, dim=1))], dim=1)
    h = F.max_pool2d(h, 2)  # (B, m*C1, 4, 4)
    h = torch.relu(F.conv2d(h, w2, b2, padding=1, groups=m))  # (B, m*C2, 4, 4)
    h = torch.cat([d2(part) for (_, d2), part in zip(drops, h.split(per * C2, dim=1))], dim=1)
    h = h.reshape(h.shape[0], m, C2 * 16).transpose(0, 1)  # (m, B, C2*16)
    return torch.baddbmm(b3, h, w3)


def train_digits(images, labels, variants, seeds, n_train=300, steps=150, lr=0.01,
                 batch=100, threads=1):
    """Train len(variants) * len(seeds) small conv nets at once on load_digits-style data.

    images: (N, 8, 8) float in [0, 1]; labels: (N,) int64. variants: {name: factory} where
    factory(layer) builds the dropout module after conv layer 1 (8x8 maps) or 2 (4x4 maps).
    Seed s fixes the train/test split, the initial weights and the mini-batches, shared by
    every variant, so the variants differ only in their dropout. Returns {'names', 'seeds', 'test_acc' (V, S), 'train_acc' (V, S)}."""
    names = list(variants)
    grid = [(v, s) for v in names for s in seeds]
    m = len(grid)
    splits = {s: split_digits(images, labels, n_train, s) for s in seeds}
    drops = [(variants[v](1), variants[v](2)) for v in names]
    params = [p.requires_grad_() for p in init_nets([1234 + s for _, s in grid])]
    opt = torch.optim.Adam(params, lr=lr)
    old_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            for d1, d2 in drops:
                d1.train(), d2.train()
            for step in range(steps):
                idx = {s: torch.randint(0, n_train, (batch,), generator=torch.Generator()
                                        .manual_seed(s * 100_003 + step)) for s in seeds}
                xb = torch.stack([splits[s][0][idx[s]] for _, s in grid], dim=1)
                yb = torch.stack([splits[s][1][idx[s]] for _, s in grid])  # (m, B)
                logits = forward_nets(params, xb, drops, m)
                loss = F.cross_entropy(logits.reshape(-1, CLASSES), yb.reshape(-1),
                                       reduction="sum") / batch
                opt.zero_grad()
                loss.backward()
                opt.step()
            for d1, d2 in drops:
                d1.eval(), d2.eval()
            with torch.no_grad():
                acc = {}
                for which, (xi, yi) in (("train", (0, 1)), ("test", (2, 3))):
                    xs = torch.stack([splits[s][xi] for _, s in grid], dim=1)
                    ys = torch.stack([splits[s][yi] for _, s in grid])
                    pred = forward_nets(params, xs, drops, m).argmax(-1)
                    acc[which] = (pred == ys).double().mean(-1).view(len(names), len(seeds))
    finally:
        torch.set_num_threads(old_threads)
    return {"names": names, "seeds": list(seeds), "test_acc": acc["test"],
            "train_acc": acc["train"]}
