"""Unit tests of the demo helpers (lab.py) and of the no-torch inspection in checks.py."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from solutions.drill02_export import checks, lab
from solutions.drill02_export.tests.helpers import namespace

NS = namespace()
CD, EXPORT, ENGINE = NS["ClassicDropout"], NS["export_weights"], NS["engine_forward"]


def bias_free_net(dropout, p=0.5, seed=0):
    """make_net with every bias zeroed: ReLU nets are then positively homogeneous, so the
    scale errors are exact powers of 1/(1 - p)."""
    net = lab.make_net(dropout, p, seed)
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.bias.zero_()
    return net.eval()


def test_swap_dropout_replaces_only_dropout_layers_and_keeps_p():
    net = lab.make_net(CD, 0.3)
    swapped = lab.swap_dropout(net, nn.Dropout)
    kinds = [type(m) for m in swapped]
    assert kinds.count(nn.Dropout) == lab.DEPTH and CD not in kinds
    assert all(m.p == 0.3 for m in swapped if isinstance(m, nn.Dropout))
    assert sum(isinstance(m, CD) for m in net) == lab.DEPTH  # the original is untouched


def test_audit_finds_the_first_dropout_fed_layer_at_exactly_two():
    net = bias_free_net(CD)
    x = torch.randn(64, lab.IN_FEATURES, generator=torch.Generator().manual_seed(1))
    raw = lab.audit(net, EXPORT(lab.swap_dropout(net, nn.Dropout)), ENGINE, x)
    ratios = [r[3] for r in raw]
    assert ratios[:2] == pytest.approx([1.0, 1.0])
    assert ratios[2] == pytest.approx(2.0, rel=1e-5)  # first Linear fed by a p = 0.5 dropout
    good = lab.audit(net, EXPORT(net), ENGINE, x)
    assert [r[3] for r in good] == pytest.approx([1.0] * len(good), rel=1e-5)


def test_four_way_diagonal_right_and_clean_powers_without_biases():
    x = torch.randn(64, lab.IN_FEATURES, generator=torch.Generator().manual_seed(2))
    table = lab.four_way({"inverted": bias_free_net(nn.Dropout), "classic": bias_free_net(CD)},
                         EXPORT, ENGINE, CD, x)
    raw, scaled = "raw (weights as they are)", "scaled by 1 - p"
    assert table[("inverted", raw)][1] < 1e-5 and table[("classic", scaled)][1] < 1e-5
    assert table[("classic", raw)][0] == pytest.approx(2.0 ** lab.DEPTH, rel=1e-4)
    assert table[("inverted", scaled)][0] == pytest.approx(0.5 ** lab.DEPTH, rel=1e-4)
    assert table[("classic", raw)][1] > 0.01 and table[("inverted", scaled)][1] > 0.01


def test_serving_spread_is_random_in_train_mode_and_leaves_the_model_in_eval():
    net = bias_free_net(nn.Dropout)
    x = torch.randn(5, lab.IN_FEATURES)
    outs, want = lab.serving_spread(net, x, calls=20)
    assert outs.shape == (20, 5) and want.shape == (5,)
    assert outs.std(axis=0).min() > 0
    assert not net.training


def test_exporters_record_the_mode_of_dropout():
    net = bias_free_net(nn.Dropout)
    x = torch.randn(4, lab.IN_FEATURES)
    ops, decomposed, _ = lab.export_ops(net, x)
    flags = [args[-1] for op, args in ops if "dropout" in op]
    assert flags == [False] * lab.DEPTH
    assert not any("dropout" in op for op in decomposed)
    train_ops, _, _ = lab.export_ops(lab.swap_dropout(net, nn.Dropout).train(), x)
    assert [a[-1] for op, a in train_ops if "dropout" in op] == [True] * lab.DEPTH
    jit, frozen = lab.jit_ops(net, x)
    assert sum("dropout" in op for op, _ in jit) == lab.DEPTH
    assert not any("dropout" in op for op in frozen)


def test_onnx_reports_why_it_cannot_run_without_the_package():
    try:
        import onnx  # noqa: F401
    except ImportError:
        graph, why = lab.onnx_ops(bias_free_net(nn.Dropout), torch.randn(2, lab.IN_FEATURES))
        assert graph is None and "not installed" in why
    else:
        pytest.skip("onnx is installed here")


def engine_np(layers, x):
    return np.tanh(x)


def _helper(h):
    return torch.relu(torch.as_tensor(h)).numpy()


def engine_via_helper(layers, x):
    return _helper(x)


def test_torch_names_sees_torch_directly_and_through_helpers():
    assert checks.torch_names(engine_np) == []
    assert "torch" in checks.torch_names(engine_via_helper)
    assert checks.torch_names(ENGINE) == []


def test_an_eval_mode_export_runs_as_the_model_does():
    net = bias_free_net(nn.Dropout)
    x = torch.randn(4, lab.IN_FEATURES)
    _, _, program = lab.export_ops(net, x)
    with torch.no_grad():
        assert torch.allclose(lab.run_program(program, x), net(x))
