"""Demo helpers for drill 02: train small nets, export them, compare layer by layer.

Everything here takes the learner's ClassicDropout, export_weights and engine_forward as
arguments, so the demos run on the learner's own code. The wrong exports are made with the
learner's exporter too: a "raw" export of a classic net is the export of the same net with
every ClassicDropout swapped for nn.Dropout, and a "scaled" export of an inverted net is the
export with every nn.Dropout swapped for ClassicDropout. That is exactly the mistake: treating
one kind of dropout as the other.
"""
import copy
import io
import warnings

import numpy as np
import torch
import torch.nn as nn

WIDTH, DEPTH, IN_FEATURES = 32, 3, 8


def toy_data(n=256, seed=0):
    """A smooth regression target in (-1, 1), noisy, from 8 inputs; and a clean test set."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(IN_FEATURES, generator=gen)

    def target(x):
        return 0.8 * torch.tanh(x @ w / 3 + 0.5 * torch.sin(2 * x[:, 0]))

    x_train = torch.randn(n, IN_FEATURES, generator=gen)
    y_train = target(x_train) + 0.1 * torch.randn(n, generator=gen)
    x_test = torch.randn(n, IN_FEATURES, generator=gen)
    return x_train, y_train[:, None], x_test, target(x_test)[:, None]


def make_net(dropout, p=0.5, seed=0):
    """Linear-ReLU-dropout blocks (DEPTH of them), a Linear head and a Tanh output."""
    torch.manual_seed(seed)
    layers, n_in = [], IN_FEATURES
    for _ in range(DEPTH):
        layers += [nn.Linear(n_in, WIDTH), nn.ReLU(), dropout(p)]
        n_in = WIDTH
    layers += [nn.Linear(n_in, 1), nn.Tanh()]
    return nn.Sequential(*layers)


def train_net(dropout, p=0.5, seed=0, steps=200, lr=1e-2):
    """Train make_net(dropout, p) with Adam on toy_data; return (model in eval mode, data)."""
    data = toy_data(seed=seed)
    x_train, y_train = data[0], data[1]
    model = make_net(dropout, p, seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: one thread is faster
    try:
        torch.manual_seed(seed + 1)
        model.train()
        for _ in range(steps):
            opt.zero_grad()
            loss = ((model(x_train) - y_train) ** 2).mean()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return model.eval(), data


def swap_dropout(model, make):
    """A copy of model with every dropout layer (either kind) replaced by make(p)."""
    out = copy.deepcopy(model)
    for i, layer in enumerate(out):
        if hasattr(layer, "p") and not isinstance(layer, (nn.Linear, nn.ReLU, nn.Tanh)):
            out[i] = make(layer.p)
    return out.eval()


def model_activations(model, x):
    """model.eval()'s activation after every layer the engine also has (not dropout)."""
    acts, h = [], x
    with torch.no_grad():
        for layer in model.eval():
            h = layer(h)
            if isinstance(layer, (nn.Linear, nn.ReLU, nn.Tanh)):
                acts.append(h.numpy().copy())
    return acts


def engine_activations(engine_forward, layers, x):
    """The engine's activation after each of its layers (runs growing prefixes)."""
    x = x.numpy() if isinstance(x, torch.Tensor) else x
    return [np.asarray(engine_forward(layers[: k + 1], x)) for k in range(len(layers))]


def audit(model, layers, engine_forward, x):
    """Per engine layer: (kind, mean |activation| in model.eval(), in the engine, ratio)."""
    rows = []
    for layer, a, b in zip(layers, model_activations(model, x),
                           engine_activations(engine_forward, layers, x)):
        m, e = float(np.abs(a).mean()), float(np.abs(b).mean())
        rows.append((layer["kind"], m, e, e / m if m else float("nan")))
    return rows


def rms(a):
    return float(np.sqrt(np.mean(np.square(np.asarray(a, dtype=np.float64)))))


def four_way(trained, export_weights, engine_forward, ClassicDropout, x):
    """{(training, export): (ratio of the head's pre-tanh RMS to model.eval()'s, largest
    |difference| of the tanh outputs)} for trained = {"inverted": net, "classic": net}."""
    out = {}
    for kind, model in trained.items():
        want_logit = model_activations(model, x)[-2]
        want = model_activations(model, x)[-1]
        swapped = swap_dropout(model, nn.Dropout if kind == "classic" else ClassicDropout)
        exports = {"raw (weights as they are)": export_weights(swapped if kind == "classic" else model),
                   "scaled by 1 - p": export_weights(model if kind == "classic" else swapped)}
        for name, layers in exports.items():
            logit = engine_forward(layers[:-1], x.numpy())
            got = engine_forward(layers, x.numpy())
            out[(kind, name)] = (rms(logit) / rms(want_logit),
                                 float(np.abs(got - want).max()))
    return out


def serving_spread(model, x, calls=100, seed=0):
    """Outputs of `calls` forward passes in train mode (model.eval() forgotten): (outputs
    of shape (calls, n), the eval output of shape (n,))."""
    torch.manual_seed(seed)
    model = copy.deepcopy(model)
    with torch.no_grad():
        want = model.eval()(x)[:, 0].numpy()
        model.train()
        outs = np.stack([model(x)[:, 0].numpy() for _ in range(calls)])
    return outs, want


# --- what the framework exporters do with dropout ----------------------------------------------
def export_ops(model, x):
    """torch.export's graph for model in its current mode: [(op, constant args)], the ops
    after run_decompositions() (the inference IR; None on a torch without it, before 2.2),
    and the exported program."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.export.export(model, (x,))
        ops = [(str(n.target), [a for a in n.args if not hasattr(a, "op")])
               for n in program.graph.nodes if n.op == "call_function"]
        decompose = getattr(program, "run_decompositions", None)
        decomposed = None if decompose is None else [
            str(n.target) for n in decompose().graph.nodes if n.op == "call_function"]
    return ops, decomposed, program


def run_program(program, x):
    """Call an exported program on x, however this torch version calls one."""
    with torch.no_grad():
        return program.module()(x) if hasattr(program, "module") else program(x)


def jit_ops(model, x):
    """torch.jit.trace's inlined graph ops (aten::...) and those left after torch.jit.freeze.
    torch.jit is deprecated in recent torch; it still runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(model, x)
        ops = []
        for node in traced.inlined_graph.nodes():
            if node.kind().startswith("aten::"):
                consts = [i.toIValue() for i in node.inputs() if i.node().kind() == "prim::Constant"]
                ops.append((node.kind(), [c for c in consts if c is not None]))
        frozen = torch.jit.freeze(traced)
        left = [n.kind() for n in frozen.graph.nodes() if n.kind().startswith("aten::")]
    return ops, left


def onnx_ops(model, x):
    """The op types of an ONNX export (legacy exporter), or the reason it cannot run here."""
    try:
        import onnx  # optional: Colab and this course's environment do not install it
    except ImportError:
        return None, "the onnx package is not installed, so torch.onnx.export cannot run"
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(model, (x,), buffer, dynamo=False)
            except TypeError:  # torch < 2.5 has no dynamo argument
                torch.onnx.export(model, (x,), buffer)
        graph = onnx.load_from_string(buffer.getvalue()).graph
        return [n.op_type for n in graph.node], ""
    except Exception as e:  # noqa: BLE001 - report, do not fail the lesson
        return None, f"torch.onnx.export raised {type(e).__name__}: {str(e)[:120]}"
