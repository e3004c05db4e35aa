"""Coding reps: each model solution passes its checks over many seeds, each classic bug fails
with a message naming it, and check_rep scores by time and records a card."""
import json

import numpy as np
import pytest

from grader.payload import reps

SEEDS = 300  # batched in one process; a correct answer fails a 6-sigma check w.p. ~2e-9

BUGS = {  # rep id -> (edit to its solution, words the failure message must hold)
    "rep:dropout_numpy": [("/ (1 - p)", "/ p", "survivors are scaled by 1 / (1 - p)"),
                          (">= p", "< p", "p is the DROP probability"),
                          ("dout * cache", "dout", "numerical gradient"),
                          ("not train or p == 0", "p == 0", "outside training")],
    "rep:export_fold": [("(W * (1 - p), b.copy())", "(W * (1 - p), b * (1 - p))", "bias"),
                        ("W * (1 - p)", "W * p", "keep probability 1 - p")],
    "rep:mc_dropout": [("forward(x, rng)", "forward(x, np.random.default_rng(0))",
                        "pass the rng on"),
                       ("ys.mean(axis=0)", "ys.mean()", "the input's shape")],
    "rep:drop_path": [("rng.random(shape)", "rng.random(x.shape)", "whole branch"),
                      ("/ (1 - p)", "/ p", "divide by the keep probability"),
                      (">= p", "< p", "p is the DROP probability"),
                      ("not train or p == 0", "p == 0", "outside training"),
                      ("(x.shape[0],) + (1,) * (x.ndim - 1)", "(x.shape[0], 1, 1)",
                       "any number of dimensions")],
    "rep:variance_shift": [("(var + mean ** 2) / (1 - p) - mean ** 2", "var / (1 - p)",
                            "the mean adds"),
                           ("/ (1 - p)", "/ p", "p is the DROP probability"),
                           ("/ (1 - p)", "/ (1 - p) ** 2", "times the keep probability"),
                           ("var / train_var", "train_var / var", "eval over train")],
    "rep:seeded_mask": [("generator=gen)", ")", "private torch.Generator"),
                        ("torch.rand(offset + t.numel(), generator=gen)[offset:]",
                         "torch.rand(t.numel(), generator=gen)", "the offset"),
                        (">= p", "< p", "p is the DROP probability"),
                        ("((u >= p) / (1 - p))", "(u >= p)", "divide by the keep probability"),
                        ("keep_mask(grad_out, p, seed, offset)",
                         "keep_mask(grad_out, p, seed + 1, offset)", "the same mask again"),
                        ("manual_seed(seed)", "manual_seed(0)", "another seed")],
}


def solved(rep_id, edit=None):
    code = reps.rep(rep_id)["solution"]
    if edit:
        assert edit[0] in code
        code = code.replace(edit[0], edit[1])
    ns = {"np": np}
    exec(code, ns)
    return ns


@pytest.mark.parametrize("rep_id", [r["id"] for r in reps.REPS])
def test_the_model_solution_passes_over_many_seeds(rep_id):
    ns = solved(rep_id)
    assert [s for s in range(SEEDS) if reps.CHECKS[rep_id](ns, seed=s)] == []


@pytest.mark.parametrize("rep_id, edit", [(r, e) for r, es in BUGS.items() for e in es])
def test_each_classic_bug_fails_with_a_message_naming_it(rep_id, edit):
    try:
        fails = reps.CHECKS[rep_id](solved(rep_id, edit))
    except Exception as e:  # check_rep turns this into one line
        fails = [str(e)]
    assert any(edit[2] in f for f in fails), fails


def test_check_rep_scores_by_the_clock_and_records_a_card(tmp_path, capsys):
    path = str(tmp_path / "progress.json")
    ns = solved("rep:export_fold")
    reps.start_rep("export_fold")
    start = reps._STARTED["rep:export_fold"]
    assert "6 minutes" in capsys.readouterr().out
    assert reps.check_rep("rep:export_fold", ns, path=path, now=start + 60) == 2
    assert reps.check_rep("rep:export_fold", ns, path=path, now=start + 7 * 60) == 1
    bad = solved("rep:export_fold", BUGS["rep:export_fold"][1])
    assert reps.check_rep("rep:export_fold", bad, path=path, now=start + 60) == 0
    out = capsys.readouterr().out
    assert "FAIL  layer 1" in out and "time: 1.0 of 6 minutes" in out
    card = json.loads((tmp_path / "progress.json").read_text())["cards"]["rep:export_fold"]
    assert card["score"] == 0 and card["reviews"] == 3 and card["drill"] == "drill02_export"
    stub = {"np": np}
    exec(reps.rep("rep:export_fold")["stub"], stub)
    assert reps.check_rep("rep:export_fold", stub, path=path) is None
    assert "Not written yet" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no rep"):
        reps.rep("nope")
