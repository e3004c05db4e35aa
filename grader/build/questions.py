"""Interview questions, extracted from the drills' solution notebooks (one source).

The convention (documented in solutions/README.md): in a markdown cell, a bold paragraph
(one that starts with `**`) immediately followed by a `<details>` block is a question; the
model answer is the details body (everything after its `<summary>`). A cell may hold several
such pairs: the first is the question, the ones after it its probes (a pushback). Two
looser forms of a probe are accepted too: a paragraph whose first word, past any `*` or `_`,
is "Pushback", "Probe" or "Follow-up", followed by a `<details>` block; and a `<details>`
block that no paragraph claimed whose summary starts with one of those words (the rest of
the summary is the question).
The drill is the notebook's; the topic is the nearest heading above the question (in the
same cell or an earlier one). Cells marked `<!-- @drill instructor -->` are skipped.

The cold start: past a heading that names a "cold open" or "cold start", the first
quoted paragraph (`> ...`) is the question and the first `<details>` block after it is what a
strong answer holds; the pairs after it in the cell are its probes. Its countdown is the time
the drill states for it (COLD_RULE), else the shared TIME_RULE.

Each card gets a label, the key of a drill's `concepts=` mapping: "cold", "Q1" or "F3" from a
bold "**Q1." start, a probe its question's label plus "p" ("Q1p"; a second one "Q1p2"), and
any other card "P1", "P2", ... in notebook order. A card's checklist is the model answer's
bullet list where it has one, otherwise its sentences: the learner ticks what they said.
"""
import hashlib
import re

from grader.build import notebook

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
SUMMARY = re.compile(r"^\s*<details[^>]*>\s*<summary[^>]*>(.*?)</summary>\s*(.*)$",
                     re.IGNORECASE | re.DOTALL)
PROBE_SUMMARY = re.compile(r"^\s*(?:\*\*)?(pushback|probe|follow-up)\b\s*(?:\*\*)?\s*[:.]?\s*",
                           re.IGNORECASE)
COLD = re.compile(r"\bcold\s+(open|start)\b", re.IGNORECASE)
LABEL = re.compile(r"^\*\*([QF]\d+)\.")
BULLET = re.compile(r"^[-*]\s+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`$*\"])")
NOT_AN_END = re.compile(r"(\bet al|\be\.g|\bi\.e|\bvs|\bcf)\.$")
# The countdown: THINK_SECONDS to collect your thoughts, then the model answer's words at a
# calm speaking pace, rounded up to 10 s and kept within MIN_SECONDS to MAX_SECONDS.
WORDS_PER_MINUTE = 130
THINK_SECONDS = 30
MIN_SECONDS, MAX_SECONDS = 60, 180
TIME_RULE = (f"{THINK_SECONDS} s to think plus the model answer's words at {WORDS_PER_MINUTE} "
             f"words a minute, {MIN_SECONDS} to {MAX_SECONDS} seconds")
# A cold start's own time: the first stated in its text before the checklist (the question or
# its instructions: "You have one minute", "Talk for about a minute"), else in its heading
# ("Cold start (2 minutes)").
STATED = re.compile(r"\b(?:(a|an|one|two|three|four|five|\d+)\s+minutes?|(\d+)\s+seconds?)\b",
                    re.IGNORECASE)
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
COLD_RULE = ("a cold start allows the time its drill states for it (\"You have one minute\"), "
             "where it states one")


def blocks(text):
    """A markdown cell as ("heading" | "para" | "details", text) blocks, in order.

    A details block runs from its `<details` line to the matching `</details>` (nesting
    counted); paragraphs are runs of non-blank lines; fenced code is part of a paragraph."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if DETAILS_OPEN.match(line.strip()):
            depth, body = 0, []
            while i < len(lines):
                depth += len(DETAILS_OPEN.findall(lines[i])) - len(DETAILS_CLOSE.findall(lines[i]))
                body.append(lines[i])
                i += 1
                if depth <= 0:
                    break
            out.append(("details", "\n".join(body)))
            continue
        if HEADING.match(line):
            out.append(("heading", HEADING.match(line).group(2)))
            i += 1
            continue
        para, fenced = [], False
        while i < len(lines) and (fenced or (lines[i].strip() and not HEADING.match(lines[i])
                                             and not DETAILS_OPEN.match(lines[i].strip()))):
            if lines[i].strip().startswith("```"):
                fenced = not fenced
            para.append(lines[i])
            i += 1
        out.append(("para", "\n".join(para)))
    return out


def is_prompt(paragraph):
    """A bold paragraph, or one whose first word (past emphasis marks) names a probe."""
    text = paragraph.lstrip()
    return text.startswith("**") or bool(PROBE_SUMMARY.match(text.lstrip("*_ ")))


def details_parts(block):
    """(summary, body) of a details block, without its tags."""
    m = SUMMARY.match(block)
    summary, body = (m.group(1), m.group(2)) if m else ("", re.sub(r"^\s*<details[^>]*>", "", block))
    body = DETAILS_CLOSE.split(body)
    body = "</details>".join(body[:-1]) if len(body) > 1 else body[0]
    return summary.strip(), body.strip()


def card_id(drill, question):
    """A stable id: the drill and a digest of the question's words (edits make a new card)."""
    words = " ".join(question.split()).lower()
    return f"{drill}:{hashlib.sha1(words.encode()).hexdigest()[:10]}"


def seconds_for(answer):
    """The countdown (TIME_RULE): thinking time plus the time to say the model answer."""
    words = len(re.findall(r"\w+", answer))
    seconds = THINK_SECONDS + words * 60 / WORDS_PER_MINUTE
    return int(min(MAX_SECONDS, max(MIN_SECONDS, -(-seconds // 10) * 10)))


def stated_seconds(texts):
    """The first time stated in texts, in seconds, or None."""
    for text in texts:
        m = STATED.search(text)
        if m and m.group(2):
            return int(m.group(2))
        if m:
            return 60 * (NUMBERS.get(m.group(1).lower()) or int(m.group(1)))
    return None


def cold_seconds(parts, cold, answer):
    """The cold start's countdown (COLD_RULE): its stated time, else seconds_for(answer)."""
    head, box = cold[0], cold[2]
    texts = [text for kind, text in parts[head + 1:box] if kind == "para"] + [parts[head][1]]
    return stated_seconds(texts) or seconds_for(answer)


def checklist(answer):
    """What to tick: the answer's top-level bullets, else its sentences (short ones merged)."""
    lines = answer.split("\n")
    if any(BULLET.match(line) for line in lines):
        items = []
        for line in lines:
            if BULLET.match(line):
                items.append(BULLET.sub("", line).strip())
            elif items and line.strip() and line[:1].isspace():
                items[-1] += " " + line.strip()
        return items
    items = []
    for part in SENTENCE_END.split(" ".join(answer.split())):
        if items and (len(part.split()) < 5 or NOT_AN_END.search(items[-1])):
            items[-1] += " " + part
        elif part:
            items.append(part)
    return items


def cold_start(parts):
    """(index of the cold start heading, of the quoted question, of its details block) in a
    cell's parts, or None."""
    head = next((k for k, (kind, text) in enumerate(parts)
                 if kind == "heading" and COLD.search(text)), None)
    if head is None:
        return None
    quote = next((k for k in range(head + 1, len(parts)) if parts[k][0] == "para"
                  and parts[k][1].lstrip().startswith(">")), None)
    if quote is None:
        return None
    box = next((k for k in range(quote + 1, len(parts)) if parts[k][0] == "details"), None)
    return None if box is None else (head, quote, box)


def unquote(text):
    return " ".join(line.lstrip()[1:].strip() if line.lstrip().startswith(">") else line.strip()
                    for line in text.split("\n")).strip()


def extract(nb, drill):
    """The questions of one parsed solution notebook, in notebook order."""
    out, topic, loose = [], "", 0
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        if notebook.role(cell)[0] == "instructor":
            continue
        parts = blocks(notebook.source(cell))
        used, first = set(), None
        cold = cold_start(parts)
        for k, (kind, text) in enumerate(parts):
            if kind == "heading":
                topic = text
                continue
            pair, label = None, None
            if cold and k == cold[1]:
                pair, label = (unquote(text), details_parts(parts[cold[2]][1])[1]), "cold"
                used.add(cold[2])
            elif k in used:
                continue
            elif (kind == "para" and is_prompt(text) and k + 1 < len(parts)
                    and parts[k + 1][0] == "details"):
                pair = text.strip(), details_parts(parts[k + 1][1])[1]
                used.add(k + 1)
            elif kind == "details":
                summary, body = details_parts(text)
                m = PROBE_SUMMARY.match(summary)
                if m and summary[m.end():].strip():
                    pair = summary[m.end():].strip(), body
            if pair is None or not pair[1]:
                continue
            question, answer = pair
            if first is not None:
                n = sum(q.get("chain") == first["id"] for q in out) + 1
                label = first["label"] + "p" + (str(n) if n > 1 else "")
            elif label is None:
                m = LABEL.match(question)
                if m:
                    label = m.group(1)
                else:
                    loose += 1
                    label = f"P{loose}"
            item = {"id": card_id(drill, question), "drill": drill, "topic": topic,
                    "label": label,
                    "kind": "cold" if label == "cold" else
                            "question" if first is None else "probe",
                    "question": question, "answer": answer, "checklist": checklist(answer),
                    "seconds": cold_seconds(parts, cold, answer) if label == "cold"
                    else seconds_for(answer)}
            if first is not None:
                item["follows"], item["chain"] = first["question"], first["id"]
            first = item if first is None else first
            out.append(item)
    return out


def headings(nb):
    """The headings of a notebook's markdown cells, in order, past its title (the first):
    the sections to reread."""
    return [text for cell in nb["cells"] if isinstance(cell, dict)
            and cell.get("cell_type") == "markdown" and notebook.role(cell)[0] != "instructor"
            for kind, text in blocks(notebook.source(cell)) if kind == "heading"][1:]
