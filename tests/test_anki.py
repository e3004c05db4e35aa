"""The Anki export: a package Anki can import, read back here (an .apkg is a zip holding an
SQLite collection), with a note per card, its concept as a tag, its checklist and its code."""
import json
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest

from grader import cli
from grader.build import anki, course
from grader.grading import drills


def test_the_export_reads_back_with_every_card_tagged(tmp_path, capsys):
    pytest.importorskip("genanki")
    out = tmp_path / "deck.apkg"
    assert cli.main(["anki", str(out)]) == 0
    cards = course.deck() + course.rep_cards()
    assert f"{len(cards)} notes" in capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        (tmp_path / "c.anki2").write_bytes(z.read("collection.anki2"))
    db = sqlite3.connect(tmp_path / "c.anki2")
    notes = {}
    for fields, tags in db.execute("select flds, tags from notes"):
        f = dict(zip(anki.FIELDS, fields.split("\x1f")))
        notes[f["CardId"]] = (f, tags.split())
    db.close()
    assert set(notes) == {c["id"] for c in cards}
    for c in cards:
        f, tags = notes[c["id"]]
        assert c["concept"] in tags and c["drill"] in tags and c["kind"] in tags
        assert f["Checklist"].count("<li>") == len(c["checklist"])
        assert f["Seconds"] == str(c["seconds"])
    kinds = {c["kind"] for c in cards}
    assert {"cold", "question", "probe", "bug", "rep"} <= kinds
    bug = next(notes[c["id"]][0] for c in cards if c["kind"] == "bug")
    assert "<pre><code>" in bug["Question"] and "<pre><code>" in bug["Answer"]
    decks = json.loads(sqlite3.connect(tmp_path / "c.anki2").execute(
        "select decks from col").fetchone()[0])
    assert {d["name"] for d in decks.values()} >= {f"Dropout Drills::{c['drill']}" for c in cards}


def test_markdown_becomes_safe_html():
    got = anki.to_html("**Bold** and `x < y`, $1/(1-p)$\n\n- one\n- two\n\n```python\na * b\n```")
    assert "<b>Bold</b>" in got and "<code>x &lt; y</code>" in got and r"\(1/(1-p)\)" in got
    assert "<ul><li>one</li><li>two</li></ul>" in got
    assert "<pre><code>a * b</code></pre>" in got


def test_without_genanki_one_line_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "genanki", None)
    assert cli.main(["anki", str(tmp_path / "deck.apkg")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: the Anki export needs genanki: pip install genanki"
    assert not (tmp_path / "deck.apkg").exists()


def test_no_notebook_needs_genanki():
    for path in Path(drills.ROOT, "notebooks").glob("*.ipynb"):
        assert "genanki" not in path.read_text(encoding="utf-8"), path.name
