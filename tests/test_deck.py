"""The simulator's deck follows the drills: a new question or a new buggy mutant is a card at
the next release, tagged with a concept from the shared vocabulary (or the tagging test
fails), and every card kind the simulator promises exists."""
import shutil
from pathlib import Path

from grader.build import bugs, concepts, course, notebook, questions
from grader.grading import drills

ROOT = Path(drills.ROOT)
DRILL = drills.ids()[0]


def _copy(tmp_path):
    """A course of one drill in tmp_path: its solution folder and the payload release pastes."""
    shutil.copytree(ROOT / "solutions" / DRILL, tmp_path / "solutions" / DRILL,
                    ignore=shutil.ignore_patterns("samples", "__pycache__"))
    shutil.copytree(ROOT / "grader" / "payload", tmp_path / "grader" / "payload")
    return tmp_path / "solutions" / DRILL


def test_a_new_mutant_becomes_a_spot_the_bug_card_at_the_next_release(tmp_path):
    folder = _copy(tmp_path)
    before = course.drill_deck(DRILL, str(tmp_path))
    source = next((folder / "mutants" / "buggy").glob("*.py")).read_text()
    body = "\n".join(line for line in source.splitlines() if not line.startswith("# "))
    code = body.replace("return x", "return x + 0.0 * x.sum()  # leaks the bug", 1)
    (folder / "mutants" / "buggy" / "zz_new.py").write_text(
        "# bug: eval_identity\n# hint: a brand-new hint\n" + code)
    after = course.drill_deck(DRILL, str(tmp_path))
    new = [c for c in after if c["id"] not in {b["id"] for b in before}]
    assert len(new) == 1 and new[0]["kind"] == "bug" and new[0]["concept"] in concepts.VOCABULARY
    assert "a brand-new hint" in new[0]["answer"] and "`eval_identity`" in new[0]["answer"]
    assert "0.0 * x.sum()" in new[0]["question"] and "```diff" in new[0]["answer"]
    assert "leaks the bug" not in new[0]["question"] + new[0]["answer"]  # comments are cut
    assert new[0]["id"] in course.simulator_notebook(str(tmp_path))


def test_a_new_question_becomes_a_card_and_must_be_tagged(tmp_path):
    folder = _copy(tmp_path)
    nb = notebook.read(str(folder / "solution.ipynb"))
    nb["cells"].append({"cell_type": "markdown", "id": "new-q", "metadata": {}, "source":
                        "**F99. A brand-new question?**\n\n<details><summary>Model answer"
                        "</summary>\n\n- one point\n- another point\n</details>"})
    (folder / "solution.ipynb").write_text(notebook.dumps(nb))
    card = next(c for c in course.drill_deck(DRILL, str(tmp_path)) if c["label"] == "F99")
    assert card["concept"] is None  # untagged: the vocabulary test in test_course.py fails
    assert card["checklist"] == ["one point", "another point"]
    drill_py = folder / "drill.py"
    drill_py.write_text(drill_py.read_text().replace('concepts={', 'concepts={"F99": "ensemble", '))
    card = next(c for c in course.drill_deck(DRILL, str(tmp_path)) if c["label"] == "F99")
    assert card["concept"] == "ensemble" and card["concept_name"] == concepts.name("ensemble")
    assert card["id"] in course.simulator_notebook(str(tmp_path))


def test_spot_the_bug_cards_show_only_the_lines_that_changed():
    drill_id = "drill04_variants" if "drill04_variants" in drills.ids() else DRILL
    cards = bugs.bug_cards(drill_id, course.declared(drill_id, "targets"))
    short = [c for c in cards if c["question"].count("\n") <= 12]
    assert len(short) > len(cards) / 2  # most bugs fit a glance, not a whole module
    for c in cards:
        code = c["question"].split("```python\n")[1].split("```")[0]
        assert len(code.splitlines()) <= bugs.MAX_LINES + 1
        diff = c["answer"].split("```diff\n")[1].split("```")[0].splitlines()
        assert len(diff) <= bugs.MAX_LINES + 1  # a card stores only what it shows
        assert any(line[:1] in "+-" for line in diff)  # the fix shows as a diff


def test_bug_cards_show_code_without_docstrings_comments_or_blank_lines():
    src = ('def f(x):\n    """Scales by p: the bug."""\n\n    # p is the keep probability\n'
           '    y = x * 2  # doubled\n    return f"#{y}"\n')
    assert bugs.bare(src) == 'def f(x):\n    y = x * 2\n    return f"#{y}"'
    assert bugs.bare("def g(): return 1  # one") == "def g(): return 1"


def test_every_concept_names_a_section_to_reread_in_some_drill():
    used = {c["concept"] for c in course.deck()}
    assert used <= set(concepts.VOCABULARY)
    heads = [h for d in drills.ids()
             for h in questions.headings(notebook.read(str(ROOT / drills.paths(d)[0])))]
    for concept in used:
        assert concepts.reread(concept, heads), concept


def test_every_concepts_key_names_a_card_and_a_known_concept():
    for drill_id in drills.ids():
        mapping = course.declared(drill_id, "concepts")
        cards = course.drill_deck(drill_id)
        keys = {c["label"] for c in cards} | set(course.declared(drill_id, "targets"))
        stale = sorted(set(mapping) - keys)
        assert not stale, f"{drill_id}: concepts= keys that name no card: {stale}"
        assert set(mapping.values()) <= set(concepts.VOCABULARY), drill_id
