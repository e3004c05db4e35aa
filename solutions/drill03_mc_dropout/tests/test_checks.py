"""The checks pass the reference (over 1,000 seeds), fail every buggy mutant exactly as
declared with its hint first, and pass every correct alternative."""
import contextlib
import io
import os
import re

import pytest
import torch

from grader.payload.checkkit import evaluate, verdict
from solutions.drill03_mc_dropout import checks, hidden
from solutions.drill03_mc_dropout.drill import DRILL
from solutions.drill03_mc_dropout.tests.common import (
    header, mutant_files, reference_namespace, with_mutant)

ALL = [*DRILL.visible, *DRILL.extra, *DRILL.hidden]
SEEDS = 1000


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    yield


def outcomes(ns):
    with contextlib.redirect_stdout(io.StringIO()):
        return {c.name: evaluate(c, ns[c.target]) for c in ALL}


def test_reference_passes_every_check():
    got = outcomes(reference_namespace())
    assert all(s == "pass" for s, _ in got.values()), got


# Checks whose outcome depends on the global random state, and how many seeds prove each.
# "spread" is the statistical one (its bound is derived in its docstring); "classify_basic"
# judges inequalities on random passes, where rounding could bite. The others judge
# properties that do not depend on the masks' values (shapes, modes, grad flags, dtype,
# untouched buffers and inputs); 100 seeds show it.
RANDOM = {"spread": SEEDS, "classify_basic": SEEDS, "bn_eval_stats": 100, "shapes": 100,
          "prior_modes": 100, "no_graph": 100, "dtype": 100, "inplace_input": 100,
          "modes_kept": 100, "no_autograd": 100, "float64": 100, "inplace_safe": 100}


def same(a, b):
    """Results equal, tensors bit for bit."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return a == b


def test_reference_passes_the_random_checks_over_many_seeds():
    """Inputs are prepared once per check (the reference leaves them as they were), then
    executed and judged under each global seed: 1,000 for the statistical ones."""
    ns = reference_namespace()
    failures = []
    for c in ALL:
        if c.name not in RANDOM:
            continue
        inputs = c.prepare()
        for seed in range(RANDOM[c.name]):
            torch.manual_seed(seed)
            status, message = verdict(c, inputs, c.execute(ns[c.target], inputs))
            if status != "pass":
                failures.append((c.name, seed, message))
    assert not failures, failures[:5]


def test_the_other_checks_do_not_depend_on_the_seed():
    """Every other check either has no randomness or seeds itself: its results under three
    global seeds are identical, so passing once means passing under every seed."""
    ns = reference_namespace()
    for c in ALL:
        if c.name in RANDOM:
            continue
        inputs = c.prepare()
        results = []
        for seed in (0, 1, 12345):
            torch.manual_seed(seed)
            results.append(c.execute(ns[c.target], inputs))
            assert verdict(c, inputs, results[-1])[0] == "pass", c.name
        assert all(same(results[0], r) for r in results[1:]), c.name


def test_spread_net_has_at_least_4_active_units_at_every_point():
    """The bound in verdict_spread's docstring assumes k >= 4 active hidden units (nonzero
    ReLU output and nonzero outgoing weight) at each of its points."""
    on, off = checks.cases_spread()
    net, x = on["model"], on["x"]
    with torch.no_grad():
        h = torch.relu(net[0](x))
    active = (h > 0) & (net[4].weight[0] != 0)
    assert active.sum(dim=1).min().item() >= 4
    with torch.no_grad():  # the p = 0 net's outputs are large, where E[y^2] - E[y]^2 cancels
        assert off["model"].eval()(off["x"]).abs().min().item() > 10


@pytest.mark.parametrize("cases", [checks.cases_batched, hidden.cases_vectorised])
def test_vectorised_reference_equals_a_batch_under_the_same_seed(cases):
    """The premise of the 'batched' and 'vectorised' checks: with the course's dropout, one
    pass-major batch draws exactly the loop's masks."""
    c, = cases()
    ns = reference_namespace()
    torch.manual_seed(c["seed"])
    mean, std = ns["mc_predict"](c["model"], c["x"], T=c["T"])
    assert torch.allclose(mean, c["mean"], rtol=1e-5, atol=1e-6)
    assert torch.allclose(std, c["std"], rtol=1e-5, atol=1e-6)


def test_every_hidden_check_has_a_stress_twin_in_the_notebook():
    """Each hidden check's verdict also judges a stress check on the notebook's own inputs."""
    def root(f):
        return getattr(f, "func", f)
    stress = {root(c.judge) for c in checks.VISIBLE.stress}
    assert all(root(c.judge) in stress for c in DRILL.hidden)


def test_saturated_classify_cases_hold_exact_zeros():
    """The premise of the NaN branch: in some pass of the scaled net a float32 probability is
    exactly 0, where p * log p without the 0 log 0 rule gives NaN."""
    for cases in (checks.cases_classify_values, hidden.cases_classify_reference):
        c = cases()[1]
        torch.manual_seed(c["seed"])
        logits = checks.reference_samples(c["model"], c["x"], c["T"])
        assert (torch.softmax(logits, dim=-1) == 0).any()


def test_counts_as_dropout_is_the_notebook_rule():
    ns = reference_namespace()
    mods = [torch.nn.Dropout(), torch.nn.Dropout2d(), torch.nn.AlphaDropout(), checks.Zeroer(),
            checks.CourseDropout(), checks.MySpatialDropout(), torch.nn.Linear(1, 1),
            torch.nn.BatchNorm1d(2), checks.Jitter(), torch.nn.Sequential()]
    assert [ns["is_dropout"](m) for m in mods] == [checks.counts_as_dropout(m) for m in mods]
    assert [checks.counts_as_dropout(m) for m in mods] == [True] * 6 + [False] * 4


@pytest.mark.filterwarnings("ignore:std.{4}degrees of freedom:UserWarning")
@pytest.mark.parametrize("path", mutant_files("buggy"), ids=os.path.basename)
def test_buggy_mutant_fails_exactly_its_checks(path):
    declared, hint = header(path)
    got = outcomes(with_mutant(path))
    failing = [n for n, (s, _) in got.items() if s != "pass"]
    assert failing == declared, f"declared {declared}, failing {failing}"
    assert hint in got[failing[0]][1], got[failing[0]]
    for c in DRILL.hidden:  # hidden messages never name a module of their inputs
        assert not re.search(r"`[\w.()]+` \(", got[c.name][1]), (c.name, got[c.name][1])


@pytest.mark.parametrize("path", mutant_files("correct"), ids=os.path.basename)
def test_correct_alternative_passes_every_check(path):
    got = outcomes(with_mutant(path))
    assert all(s == "pass" for s, _ in got.values()), {n: v for n, v in got.items()
                                                        if v[0] != "pass"}


def test_every_check_has_a_mutant_that_fails_it():
    failed = set()
    for path in mutant_files("buggy"):
        failed.update(header(path)[0])
    assert failed == {c.name for c in ALL}


def test_untouched_stub_is_todo_everywhere():
    stub = {}
    for name in DRILL.targets:
        def raiser(*args, **kwargs):
            raise NotImplementedError("stub")
        stub[name] = raiser
    with contextlib.redirect_stdout(io.StringIO()):
        got = {c.name: evaluate(c, stub[c.target]) for c in ALL}
    assert {s for s, _ in got.values()} == {"todo"}
