"""Scores back into the LMS: fill the drill's column of the LMS's own export, nothing else.

Two templates, each read as the LMS wrote it and written back with the same columns, rows
and order, only grade cells filled, so that it re-imports as it came out:

- Canvas's Gradebook export (Grades > Export): a header row; then rows without a user id
  ("Points Possible", posting policies) kept as they are; then one row per student with
  Student, ID (the Canvas user id), SIS User ID, SIS Login ID, Section, then one column per
  assignment headed "Title (assignment id)". Download file names carry the same user id
  (`lastfirst_USERID_ATTACHID_name`). One export holds every assignment, so one filled copy
  takes every drill's column.
- Moodle's offline grading worksheet (an assignment's "Download grading worksheet"): one
  row per participant, Identifier "Participant N" (N is also in the download's folder name
  `Full Name_N_assignsubmission_file_`), Full name, ..., Grade, Maximum Grade, ... One
  worksheet per assignment, so one per drill.

A student in the template without a submission keeps the cell it had (blank, as exported);
a submission without a row, or graded with an error, is returned as unmatched, never dropped.
"""
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field

CANVAS_ID, CANVAS_FIXED = "ID", ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_ID, MOODLE_GRADE, MOODLE_MAX = "Identifier", "Grade", "Maximum Grade"
TITLE_ID = re.compile(r"^(?P<title>.*?)\s*\((?P<id>\d+)\)\s*$")
PARTICIPANT = re.compile(r"(\d+)\s*$")
NAMES = {"canvas": "Canvas", "moodle": "Moodle"}


class LmsError(ValueError):
    """A template that cannot be filled; the message is one line naming the file and why."""


@dataclass
class Sheet:
    """A CSV as read: rows of cells, plus what writing it back the same way needs."""
    path: str
    rows: list
    bom: bool = False
    newline: str = "\r\n"

    @property
    def header(self):
        return self.rows[0]

    def column(self, name):
        """Index of the column headed exactly `name`, else LmsError."""
        try:
            return self.header.index(name)
        except ValueError:
            raise LmsError(f"{self.path}: no {name!r} column (columns: "
                           f"{_listing(self.header)})") from None

    def write(self, path):
        """Atomically, as bytes: the template's byte-order mark and line ends kept."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator=self.newline).writerows(self.rows)
        data = (b"\xef\xbb\xbf" if self.bom else b"") + buf.getvalue().encode("utf-8")
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.path.exists(tmp) and os.unlink(tmp)
            raise


@dataclass
class Target:
    """One template to fill: kind "canvas" or "moodle", the drill it is for ("" = the
    batch's only drill), and for Canvas the assignment's column as given."""
    kind: str
    path: str
    drill: str = ""
    assignment: str = ""
    sheet: Sheet = field(default=None, repr=False)
    col: int = -1


@dataclass
class Unmatched:
    lms: str
    drill: str
    student: str
    lms_id: str
    score: str
    reason: str
    source: str


def _listing(names, most=12):
    names = [n for n in names if n.strip()]
    more = f", ... ({len(names) - most} more)" if len(names) > most else ""
    return ", ".join(repr(n) for n in names[:most]) + more


def read(path):
    """A Sheet from a CSV file, or LmsError: not found, binary, not UTF-8, not CSV, empty."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise LmsError(f"cannot read {path}: {e.strerror}") from None
    if b"\x00" in raw[:4096] or raw[:4] == b"PK\x03\x04":
        raise LmsError(f"{path} is not a CSV file (binary data: a spreadsheet? save it as CSV)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LmsError(f"{path} is not a UTF-8 CSV file (byte {e.start})") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise LmsError(f"{path} is not a CSV file ({e})") from None
    if not rows or len(rows[0]) < 2:
        raise LmsError(f"{path} is not a CSV export: no header row with columns")
    newline = "\r\n" if "\r\n" in text else "\n"
    return Sheet(path, rows, raw.startswith(b"\xef\xbb\xbf"), newline)


def open_target(target):
    """Read and check a template before any grading, so that a bad one costs nothing."""
    sheet = read(target.path)
    if target.kind == "canvas":
        sheet.column(CANVAS_ID)
        target.col = canvas_column(sheet, target.assignment)
    else:
        sheet.column(MOODLE_ID)
        target.col = sheet.column(MOODLE_GRADE)
    target.sheet = sheet
    return target


def split_spec(text, known):
    """("drill id", rest) from "DRILL=rest" when DRILL is a known drill, else ("", text)."""
    drill, sep, rest = text.partition("=")
    return (drill.strip(), rest) if sep and drill.strip() in known else ("", text)


def resolve(targets, drill_ids):
    """Each target's drill fixed ("" means the batch's only drill); LmsError when that is
    ambiguous or when two templates would fill the same drill's cells."""
    seen = set()
    for t in targets:
        if not t.drill:
            if not drill_ids:
                raise LmsError(f"{t.path}: no submission in this batch names a drill")
            if len(drill_ids) > 1:
                raise LmsError(f"{t.path}: this batch has submissions for several drills "
                               f"({', '.join(drill_ids)}): say which, e.g. DRILL=... "
                               "(see --help)")
            t.drill = drill_ids[0]
        if (t.kind, t.drill) in seen:
            raise LmsError(f"two {NAMES[t.kind]} templates for {t.drill}")
        seen.add((t.kind, t.drill))
    return targets


def canvas_column(sheet, name):
    """The assignment column named `name`: its full header "Title (id)", or its title alone
    (case and spacing aside when that is unambiguous)."""
    header = [h.strip() for h in sheet.header]
    fixed = set(CANVAS_FIXED)
    titles = {i: m["title"] for i, h in enumerate(header)
              if h not in fixed and (m := TITLE_ID.match(h))}
    want = name.strip()
    for test in (lambda i: header[i] == want, lambda i: titles[i] == want,
                 lambda i: titles[i].casefold().split() == want.casefold().split()):
        hits = [i for i in titles if test(i)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise LmsError(f"{sheet.path}: assignment {name!r} names several columns "
                           f"({_listing([header[i] for i in hits])}); give the full header")
    raise LmsError(f"{sheet.path}: no assignment {name!r} (assignments: "
                   f"{_listing([header[i] for i in titles])})")


def row_id(target, row):
    """The LMS id a template row is for ("" for rows such as Points Possible)."""
    if target.kind == "canvas":
        i = target.sheet.header.index(CANVAS_ID)
        return row[i].strip() if i < len(row) and row[i].strip().isdigit() else ""
    i = target.sheet.header.index(MOODLE_ID)
    m = PARTICIPANT.search(row[i]) if i < len(row) else None
    return m.group(1) if m else ""


def fill(target, graded, num=str):
    """Fill target's column from graded: (submission, result) pairs of its drill.

    Returns (students filled, unmatched list, notes). Only graded results are written; a row
    with no submission keeps its cell as exported."""
    kind, sheet, col = target.kind, target.sheet, target.col
    where = {}  # id -> its rows (a student listed twice gets the score twice)
    for n, row in enumerate(sheet.rows[1:], 1):
        where.setdefault(row_id(target, row), []).append(n)
    where.pop("", None)
    claims = {}
    unmatched = []

    def miss(sub, result, reason):
        unmatched.append(Unmatched(kind, target.drill, sub.student,
                                   sub.lms[1] if sub.lms and sub.lms[0] == kind else "",
                                   num(result.score) if result.status == "graded" else "",
                                   reason, sub.name))
    name = NAMES[kind]
    for sub, result in graded:
        lms_id = sub.lms[1] if sub.lms and sub.lms[0] == kind else ""
        if not lms_id:
            miss(sub, result, f"no {name} id in its file name")
        elif lms_id not in where:
            miss(sub, result, f"{name} id {lms_id} has no row in {os.path.basename(sheet.path)}")
        elif result.status != "graded":
            miss(sub, result, f"not graded ({result.reason}): cell left as it was")
        else:
            claims.setdefault(lms_id, []).append((sub, result))
    filled = 0
    for lms_id, pairs in claims.items():
        if len(pairs) > 1:
            for sub, result in pairs:
                miss(sub, result, f"{len(pairs)} students carry {name} id {lms_id}: none written")
            continue
        for n in where[lms_id]:
            row = sheet.rows[n]
            row.extend([""] * (col + 1 - len(row)))
            row[col] = num(pairs[0][1].score)
        filled += 1
    return filled, unmatched, _scale_notes(target, graded, num)


def _scale_notes(target, graded, num):
    """A note when the LMS column is worth other points than the drill (no rescaling)."""
    tops = {r.max_score for _, r in graded if r.status == "graded"}
    if len(tops) != 1:
        return []
    top = tops.pop()
    sheet = target.sheet
    if target.kind == "canvas":
        cells = [row[target.col] for row in sheet.rows[1:]
                 if not row_id(target, row) and len(row) > target.col
                 and "Points Possible" in row[0]]
    else:
        i = sheet.header.index(MOODLE_MAX) if MOODLE_MAX in sheet.header else -1
        cells = [row[i] for row in sheet.rows[1:] if 0 <= i < len(row)]
    worth = set()
    for cell in cells:
        try:
            worth.add(float(cell.replace(",", ".")))
        except ValueError:
            pass
    return [f"note: {os.path.basename(sheet.path)} gives {target.drill} {num(w)} points; the "
            f"scores written are out of {num(top)} (not rescaled)" for w in sorted(worth)
            if abs(w - top) > 1e-9]


def write_unmatched(path, unmatched, write_atomic):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["lms", "drill", "student", "lms_id", "score", "reason", "source"])
    for u in unmatched:
        w.writerow([u.lms, u.drill, u.student, u.lms_id, u.score, u.reason, u.source])
    write_atomic(path, buf.getvalue())
