"""The reference passes every check, and the random checks never flake: 1,000 seeds."""
import time

import torch

from solutions.drill02_export import checks, hidden
from solutions.drill02_export.tests.helpers import ALL_CHECKS, grade, namespace
from grader.payload.checkkit import FALSE_FAIL, evaluate

RANDOM_CHECKS = [c for c in checks.VISIBLE if c.target == "ClassicDropout"]


def test_reference_passes_every_check():
    results = grade(namespace())
    assert {n for n, (s, _) in results.items() if s != "pass"} == set(), results


def test_check_names_are_unique_and_cover_the_three_targets():
    names = [c.name for c in ALL_CHECKS]
    assert len(names) == len(set(names)) == 8 + 16 + len(hidden.HIDDEN)
    assert len(checks.VISIBLE.narrated) == 8
    assert {c.target for c in checks.VISIBLE} == {"ClassicDropout", "export_weights",
                                                   "engine_forward"}


def test_every_hidden_property_is_stress_tested_in_the_notebook():
    """Each hidden check has a stress twin: the same title, so the same property, judged by
    the same verdict code on the notebook's own nets."""
    stress = {c.title: c for c in checks.VISIBLE.stress}
    for c in hidden.HIDDEN:
        twin = stress.get(c.title.removesuffix(" (other inputs)").replace("1 to 4", "1 and 4"))
        assert twin is not None and twin.target == c.target, c.name
        assert twin.after == c.after, c.name
    assert len(stress) == len(hidden.HIDDEN)


def test_reference_passes_the_random_checks_on_1000_seeds():
    """Each statistical check allows 6 sigma (false-fail FALSE_FAIL ~ 2e-9 per test), so over
    1,000 seeds a single failure means a wrong bound, not bad luck."""
    ClassicDropout = namespace()["ClassicDropout"]
    start, failures = time.process_time(), []  # CPU time: robust to a busy machine
    for seed in range(1000):
        torch.manual_seed(seed)
        for c in RANDOM_CHECKS:
            status, message = evaluate(c, ClassicDropout)
            if status != "pass":
                failures.append((seed, c.name, message))
    assert not failures, failures[:3]
    assert FALSE_FAIL < 1e-8
    assert time.process_time() - start < 20


def test_a_biased_module_fails_the_expectation_check_on_most_seeds():
    """The bound is tight enough to have power: a mask kept with 1 - p + 0.02 fails."""
    import torch.nn as nn

    class Biased(nn.Module):
        def __init__(self, p=0.5):
            super().__init__()
            self.p = p

        def forward(self, x):
            if not self.training:
                return x * (1 - self.p)
            return x * (torch.rand_like(x) < 1 - self.p + 0.02)

    check = checks.VISIBLE.by_name["classic_expectation"]
    fails = 0
    for seed in range(10):
        torch.manual_seed(seed)
        fails += evaluate(check, Biased)[0] == "fail"
    assert fails == 10


def test_export_and_engine_checks_do_not_wait_for_class_dropout():
    """A learner who did export_weights and engine_forward first, with ClassicDropout still
    the stub, gets those checks graded; only ClassicDropout's own checks are todo."""
    stub = '''
class ClassicDropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        raise NotImplementedError("stub")

    def forward(self, x):
        raise NotImplementedError("stub")
'''
    results = grade(namespace(stub))
    for c in ALL_CHECKS:
        status = results[c.name][0]
        assert status == ("todo" if c.target == "ClassicDropout" else "pass"), (c.name, status)
