"""The reference answers pass every check, and the SeededDropout checks over 1,000 seeds.

Only drop_rate and same_seed are statistical: one 6-sigma binomial test each, false-fail
probability FALSE_FAIL (about 2e-9) per run, so 1,000 seeded runs of both false-fail with
probability about 4e-6. The other checks are exact; running them on every tenth of those seeds
shows they hold for any seed, not just the one the grader uses.
"""
import torch

from grader.payload import checkkit
from solutions.drill06_at_scale import checks, hidden
from solutions.drill06_at_scale.tests.helpers import (ALL_CHECKS, namespace_with,
                                                      outcomes)

def hidden_prepare(name):
    """A hidden check's prepare: its builder with the hidden sizes (the seed can be passed)."""
    return next(c.prepare for c in hidden.HIDDEN if c.name == name)


# check name -> (case builder taking a seed, execute); the grader's prepare uses one seed.
STATISTICAL = {  # every one of the 1,000 seeds
    "drop_rate": (checks.cases_drop_rate, checks.run_seeded_cases),
    "same_seed": (checks.cases_same_seed, checks.run_same_seed),
}
EXACT = {  # every tenth seed: they hold for any seed, and this keeps the test fast
    "grad_matches": (checks.cases_grad_matches, checks.run_seeded_cases),
    "survivor_scale": (checks.cases_survivor_scale, checks.run_seeded_cases),
    "no_saved_mask": (checks.cases_no_saved_mask, checks.run_saved_probe),
    "two_calls": (checks.cases_grad_interleaved, checks.run_interleaved),
    "rng_untouched": (checks.cases_global_rng, checks.run_global_rng),
    "strided": (checks.cases_noncontiguous, checks.run_seeded_cases),
    "dtypes_kept": (checks.cases_dtypes, checks.run_seeded_cases),
    "grad_interleaved": (hidden_prepare("grad_interleaved"), checks.run_interleaved),
    "global_rng_untouched": (hidden_prepare("global_rng_untouched"), checks.run_global_rng),
    "noncontiguous": (hidden_prepare("noncontiguous"), checks.run_seeded_cases),
    "dtypes": (hidden_prepare("dtypes"), checks.run_seeded_cases),
}


def test_reference_passes_every_check():
    got = outcomes(namespace_with())
    assert {name: s for name, s in got.items() if s[0] != "pass"} == {}
    assert set(got) == {c.name for c in ALL_CHECKS} and len(got) == 22


def test_reference_seeded_checks_pass_on_1000_seeds():
    by_name = {c.name: c for c in ALL_CHECKS}
    SeededDropout = namespace_with()["SeededDropout"]
    failures = []
    for seed in range(1000):
        torch.manual_seed(seed)
        plan = dict(STATISTICAL, **(EXACT if seed % 10 == 0 else {}))
        for name, (build, execute) in plan.items():
            cases = build(seed=10_000 + 97 * seed)
            status, message = checkkit.verdict(by_name[name], cases,
                                               execute(SeededDropout, cases))
            if status != "pass":
                failures.append((seed, name, message))
    assert failures == []


def test_every_hidden_check_has_a_stress_twin_in_the_notebook():
    """Each hidden check's verdict also judges a stress check on the notebook's own inputs."""
    def root(check):
        judge = getattr(check.judge, "verdict", check.judge)  # behind seeded_check's wrapper
        return getattr(judge, "func", judge)  # behind a functools.partial
    stress = {root(c) for c in checks.VISIBLE.stress}
    assert all(root(c) in stress for c in hidden.HIDDEN)


def test_statistical_judges_state_their_false_fail_rate():
    for judge in (checks.verdict_drop_rate, checks.verdict_same_seed):
        assert "FALSE_FAIL" in judge.__doc__
    assert 1e-9 < checkkit.FALSE_FAIL < 3e-9
