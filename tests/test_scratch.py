"""From-scratch detection: static (ast) and at run time."""
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from grader.grading.scratch import record_torch_dropout_calls, torch_dropout_uses

FLAGGED = [
    ("import torch.nn.functional as F\ny = F.dropout(x, 0.5)", "torch.nn.functional.dropout"),
    ("import torch\ntorch.dropout(x, 0.5, True)", "torch.dropout"),
    ("import torch\ntorch.nn.functional.dropout2d(x)", "torch.nn.functional.dropout2d"),
    ("from torch.nn.functional import dropout as d\nd(x)", "torch.nn.functional.dropout"),
    ("from torch.nn import functional as fn\nfn.alpha_dropout(x)",
     "torch.nn.functional.alpha_dropout"),
    ("import torch.nn.functional as F\nF.feature_alpha_dropout(x)",
     "torch.nn.functional.feature_alpha_dropout"),
    ("import torch.nn as nn\nm = nn.Dropout(0.2)", "torch.nn.Dropout"),
    ("from torch import nn\nnn.Dropout1d()", "torch.nn.Dropout1d"),
    ("from torch.nn import Dropout3d as D3\nD3()", "torch.nn.Dropout3d"),
    ("import torch\ntorch.nn.AlphaDropout(0.1)", "torch.nn.AlphaDropout"),
    ("import torch as t\nt._VF.dropout(x, .5, True)", "torch._VF.dropout"),
    ("from torch import _VF\n_VF.feature_dropout(x, .5, True)", "torch._VF.feature_dropout"),
    ("import torch\ng = getattr(torch.nn.functional, 'drop' + 'out')",
     "torch.nn.functional.dropout"),
    ("import torch\nF = torch.nn.functional\nd = F.dropout\nd(x)", "torch.nn.functional.dropout"),
    ("from torch.nn.functional import *\ny = dropout(x)", "torch.nn.functional.dropout"),
    ("import torch\nvars(torch.nn.functional)['dropout']", "torch.nn.functional.dropout"),
    ("import importlib\nimportlib.import_module('torch.nn.functional').dropout(x)",
     "torch.nn.functional.dropout"),
    ("f = __import__('torch').dropout", "torch.dropout"),
    ("%matplotlib inline\nimport torch.nn.modules.dropout as m\nm.Dropout(0.1)",
     "torch.nn.modules.dropout.Dropout"),
]


@pytest.mark.parametrize("source, name", FLAGGED)
def test_static_finds_torch_dropout(source, name):
    assert torch_dropout_uses(source) == [name]


CLEAN = [
    "import torch\nimport torch.nn as nn\nclass Dropout(nn.Module):\n"
    "    def forward(self, x):\n        return x * (torch.rand_like(x) >= self.p)",
    # the learner's own names, even next to a star import, are not torch's
    "from torch.nn import *\nclass Dropout(Module):\n    pass\nDropout(0.5)",
    "from torch.nn.functional import *\ndef f(x, dropout=0.5):\n    return dropout * relu(x)",
    "import numpy as np\ndropout = np.random.rand(3) > 0.5",
]


@pytest.mark.parametrize("source", CLEAN)
def test_static_leaves_own_code_alone(source):
    assert torch_dropout_uses(source) == []


def test_static_reports_each_name_once_in_order():
    source = "import torch.nn as nn\nimport torch\nnn.Dropout2d()\ntorch.dropout(x)\nnn.Dropout2d()"
    assert torch_dropout_uses(source) == ["torch.nn.Dropout2d", "torch.dropout"]


def test_static_raises_on_code_that_is_not_python():
    with pytest.raises(SyntaxError):
        torch_dropout_uses("def (:")


def test_runtime_records_modules_functions_and_obfuscated_calls():
    x = torch.randn(20)
    with record_torch_dropout_calls() as called:
        nn.Dropout(0.3)(x)
        getattr(torch, "".join(["drop", "out"]))(x, 0.2, True)
        nn.AlphaDropout(0.2)(x)
    assert called[:3] == ["torch.nn.functional.dropout", "torch._VF.dropout", "torch.dropout"]
    assert "torch.nn.functional.alpha_dropout" in called


def test_runtime_is_transparent_and_restores_torch():
    before = (F.dropout, torch.dropout, "dropout" in vars(torch._VF))
    x = torch.ones(1000)
    with record_torch_dropout_calls() as called:
        torch.manual_seed(3)
        inside = F.dropout(x, 0.5, True)
        (torch.rand_like(x) >= 0.5) * x  # from scratch: not recorded
    torch.manual_seed(3)
    assert torch.equal(inside, F.dropout(x, 0.5, True))
    assert called == ["torch.nn.functional.dropout", "torch._VF.dropout"]
    assert (F.dropout, torch.dropout, "dropout" in vars(torch._VF)) == before


def test_runtime_restores_torch_after_an_exception():
    original = F.dropout
    with pytest.raises(RuntimeError):
        with record_torch_dropout_calls():
            assert F.dropout is not original
            raise RuntimeError("learner code failed")
    assert F.dropout is original and "dropout" not in vars(torch._VF)


def test_corpus_correct_files_are_clean_and_torch_dropout_is_flagged():
    root = Path(__file__).parent.parent / "solutions" / "drill01_dropout" / "mutants"
    for path in (root / "correct").glob("*.py"):
        assert torch_dropout_uses(path.read_text()) == [], path.name
    flagged = torch_dropout_uses((root / "buggy" / "torch_dropout.py").read_text())
    assert flagged == ["torch.nn.functional.dropout"]
