"""Hidden checks for drill 04 (five dropout variants): the stress tier's properties on other
inputs.

Every property tested here is also tested in the notebook, by the stress tier of `VISIBLE`
in checks.py, with the same case builders and verdicts (checks.property_checks); only the
inputs differ (other seeds, sizes, shapes and values of p), so that an answer cannot be
tuned to the inputs it can read. This file stays in the grader; the messages say what is
wrong without revealing the inputs, and a hidden check whose notebook twin fails reports
that it follows from it.

Statistical bounds allow SIGMAS (6) standard deviations derived from each test's n and q
(binomial), from normal theory (Gaussian noise) or from the exact variance of DropBlock's
mask (checks.dropblock_stats); each such test fails a correct module with probability about
FALSE_FAIL (2e-9). A check with k such tests fails with at most k times that. The value
checks compare to within a few roundings and never fail a correct module by chance.
"""
from grader.grading.model import on_other_inputs
from solutions.drill04_variants.checks import (DB, DC, DP, GD, SD, property_checks,
                                               property_keys, stress_name)

SHAPES = {SD: (6, 5, 4, 4), DB: (6, 5, 6, 6), DP: (12, 5, 3), DC: (10, 4), GD: (12, 30)}
CHECKS = property_checks(300, shapes=SHAPES, bad=(-0.1, 1.0, 1.5), good=(0.0, 0.99),
                         sizes=((0.1, 3, 8, 8), (0.2, 2, 9, 7)), far_ps=(0.1, 0.75),
                         n=20_000, after={k: (stress_name(k),) for k in property_keys()})
HIDDEN = on_other_inputs(CHECKS[k] for k in property_keys())
