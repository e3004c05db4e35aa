"""Hidden checks for drill 01 (Dropout): the stress tier's properties on other inputs.

Every property tested here is also tested in the notebook, by the stress tier of `VISIBLE`
in checks.py, with the same case builders and verdicts; only the inputs differ (other seeds,
shapes and values of p), so that an answer cannot be tuned to the inputs it can read. This
file stays in the grader; the messages say what is wrong without the inputs, and a hidden
check whose notebook twin fails reports that it follows from it.

Statistical bounds allow SIGMAS (6) standard deviations of a Binomial(n, q) fraction,
derived from n and q; each such test fails a correct module with probability about
FALSE_FAIL (2e-9 by the normal approximation; the exact binomial tails for the n and q used
here, summed in float64, are all below 2.1e-9). A check with k such tests fails with at most
k times that. The value checks are exact up to a few units of rounding of the dtype and
never fail a correct module by chance.
"""
from functools import partial

from grader.grading.model import on_other_inputs
from solutions.drill01_dropout import checks as c
from solutions.drill01_dropout.checks import dropout_check


def hidden(name, title, hint, builder, seed, judge, after=(), **kw):
    """A hidden check: a stress-tier builder and verdict on the grader's own inputs."""
    return dropout_check(name, title, hint, partial(builder, seed, **kw), judge, after)


HIDDEN = on_other_inputs([
    hidden("drop_rate_many_p", "drop rate at p far from 0.5", "p is the drop probability",
           c.cases_drop_rate_many_p, 100, c.verdict_drop_rate_many_p,
           after=("drop_rate", "far_p_rate")),
    hidden("scale_many_p", "scaling at p far from 0.5", "survivors are x / (1 - p) for every p",
           c.cases_scale_many_p, 110, c.verdict_scale_many_p,
           after=("survivor_scale", "far_p_scale")),
    hidden("fresh_mask", "a fresh mask on every call", "each forward draws new noise",
           c.cases_fresh_mask, 120, c.verdict_fresh_mask,
           after=("drop_rate", "input_unchanged", "fresh_each_call")),
    hidden("input_unchanged", "input not modified", "callers still need x",
           c.cases_input_unchanged, 130, c.verdict_input_unchanged,
           after=("shapes", "input_kept")),
    hidden("independent", "elements dropped independently", "one Bernoulli per element",
           c.cases_independent, 140, c.verdict_independent,
           after=("drop_rate", "shapes", "each_element")),
    hidden("gradient_exact", "gradient exact, element by element", "dy/dx = mask / (1 - p)",
           c.cases_gradient_exact, 150, c.verdict_gradient_exact,
           after=("eval_identity", "survivor_scale", "scale_many_p", "gradient", "shapes",
                  "gradient_upstream")),
    hidden("dtypes", "dtype kept", "half, bfloat16 and double inputs stay as they are",
           c.cases_dtypes, 160, c.verdict_dtypes,
           after=("survivor_scale", "scale_many_p", "dtype_kept")),
    hidden("shapes", "shape kept", "1-D to 4-D and non-contiguous inputs",
           c.cases_shapes, 170, c.verdict_shapes,
           after=("survivor_scale", "scale_many_p", "shape_kept")),
    hidden("no_grad_train", "drops under torch.no_grad()", "the mode is self.training",
           c.cases_no_grad_train, 180, c.verdict_no_grad_train,
           after=("drop_rate", "survivor_scale", "scale_many_p", "under_no_grad")),
    hidden("reproducible", "reproducible under manual_seed", "use torch's random generator",
           c.cases_reproducible, 190, c.verdict_reproducible,
           after=("input_unchanged", "seeded")),
    hidden("no_drift", "no state drift", "forward does not change the module",
           c.cases_no_drift, 200, c.verdict_no_drift,
           after=("drop_rate", "input_unchanged", "steady")),
    hidden("bad_p", "p in [0, 1] as in PyTorch", "ValueError outside [0, 1]; p = 1 gives zeros",
           c.cases_bad_p, 210, c.verdict_bad_p, after=("p_range",)),
])

