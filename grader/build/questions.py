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
WORDS_PER_SECOND = 100 / 60  # a spoken answer, pauses included: time to say the model answer
MIN_SECONDS, MAX_SECONDS = 60, 120


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
    """The countdown: time to say the model answer at a calm pace, 60 to 120 s, in tens."""
    words = len(re.findall(r"\w+", answer))
    return int(min(MAX_SECONDS, max(MIN_SECONDS, round(words / WORDS_PER_SECOND / 10) * 10)))


def extract(nb, drill):
    """The questions of one parsed solution notebook, in notebook order."""
    out, topic = [], ""
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        if notebook.role(cell)[0] == "instructor":
            continue
        parts = blocks(notebook.source(cell))
        used, first = set(), None
        for k, (kind, text) in enumerate(parts):
            if kind == "heading":
                topic = text
                continue
            pair = None
            if (kind == "para" and is_prompt(text) and k + 1 < len(parts)
                    and parts[k + 1][0] == "details"):
                pair = text.strip(), details_parts(parts[k + 1][1])[1]
                used.add(k + 1)
            elif kind == "details" and k not in used:
                summary, body = details_parts(text)
                m = PROBE_SUMMARY.match(summary)
                if m and summary[m.end():].strip():
                    pair = summary[m.end():].strip(), body
            if pair is None or not pair[1]:
                continue
            question, answer = pair
            item = {"id": card_id(drill, question), "drill": drill, "topic": topic,
                    "kind": "question" if first is None else "probe",
                    "question": question, "answer": answer, "seconds": seconds_for(answer)}
            if first is not None:
                item["follows"] = first
            first = question if first is None else first
            out.append(item)
    return out
