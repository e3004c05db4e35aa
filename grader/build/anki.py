"""The deck as an Anki package: `python -m grader anki OUT.apkg`.

Every simulator card and coding rep becomes a note (question, model answer, the checklist to
tick, the time allowed), tagged with its concept, drill and kind, in one sub-deck per drill.
Written with genanki, a development dependency only: no notebook needs it. Note ids come from
the card ids, so a re-import updates the notes instead of duplicating them.
"""
import html
import re

from grader.build import course
from grader.grading import drills

MODEL_ID = 1_734_190_019  # fixed: Anki recognises the note type across exports
DECK_ID = 1_734_190_020  # the parent deck; sub-decks add the drill's number
FIELDS = ["Question", "Answer", "Checklist", "Seconds", "Concept", "Drill", "Kind", "CardId"]
FRONT = ('<div class="kind">{{Kind}} · {{Concept}} · {{Drill}}</div>{{Question}}'
         '<div class="time">Answer out loud: {{Seconds}} s</div>')
BACK = ('{{FrontSide}}<hr id="answer">{{Answer}}'
        '<div class="checklist"><b>A strong answer holds</b>{{Checklist}}</div>')
CSS = (".card{font-family:sans-serif;font-size:18px;text-align:left;max-width:46em;margin:auto}"
       ".kind,.time{color:#777;font-size:14px;margin:6px 0}pre{background:#f4f4f4;padding:8px;"
       "font-size:14px;overflow-x:auto}.checklist{margin-top:12px}")
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def to_html(markdown):
    """The little markdown the drills use, as HTML: code fences, `code`, **bold**, *italics*,
    $math$ (MathJax), bullets and paragraphs. Everything else is escaped."""
    blocks, out = [], []

    def keep(m):
        blocks.append(f"<pre><code>{html.escape(m.group(2).rstrip())}</code></pre>")
        return f"\x00{len(blocks) - 1}\x00"
    text = html.escape(FENCE.sub(keep, markdown), quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\$([^$\n]+)\$", r"\\(\1\\)", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<i>\1</i>", text)
    for para in re.split(r"\n\s*\n", text.strip()):
        lines = para.split("\n")
        if all(re.match(r"\s*[-*] ", ln) or ln.startswith(" ") for ln in lines):
            items = re.split(r"\n\s*[-*] ", "\n" + para)[1:]
            out.append("<ul>" + "".join(f"<li>{i.strip()}</li>" for i in items) + "</ul>")
        else:
            out.append(f"<p>{'<br>'.join(lines)}</p>")
    page = "\n".join(out)
    return re.sub(r"(?:<p>)?\x00(\d+)\x00(?:</p>)?", lambda m: blocks[int(m.group(1))], page)


def tags(card):
    return [card["concept"], card["drill"], card["kind"]]


def package(cards):
    """A genanki Package holding one note per card (genanki imported here, on demand)."""
    import genanki
    model = genanki.Model(MODEL_ID, "Dropout Drills card", fields=[{"name": f} for f in FIELDS],
                          templates=[{"name": "Interview", "qfmt": FRONT, "afmt": BACK}],
                          css=CSS)
    decks = {}
    for card in cards:
        number = int(re.search(r"\d+", card["drill"]).group())
        deck = decks.setdefault(card["drill"], genanki.Deck(
            DECK_ID + number, f"Dropout Drills::{card['drill']}"))
        checklist = "<ul>" + "".join(f"<li>{to_html(item)[3:-4]}</li>"
                                     for item in card["checklist"]) + "</ul>"
        deck.add_note(genanki.Note(
            model=model, guid=genanki.guid_for(card["id"]), tags=tags(card),
            fields=[to_html(card["question"]), to_html(card["answer"]), checklist,
                    str(card["seconds"]), card.get("concept_name", card["concept"]),
                    card["drill"], card["kind"], card["id"]]))
    return genanki.Package(list(decks.values()))


def export(path, root=drills.ROOT):
    """Write the deck and the coding reps to an .apkg file; the number of notes."""
    cards = course.deck(root) + course.rep_cards(root)
    package(cards).write_to_file(path)
    return len(cards)
