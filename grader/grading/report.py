"""What grading hands out: Gradescope's results.json, a student's feedback page, the gradebook.

No torch, so `python -m grader check` and the Gradescope entry point start fast. Captured
output is for instructors: it goes only into results.json as a test hidden from students,
never into feedback.html, the scoreboard, or any visible field.
"""
import csv
import io
import os

import jinja2

from grader.grading.model import CheckResult, Result
from grader.build.notebook import write_atomic

CAPTURED = "Captured output (instructor only)"
STATUS_LABELS = {"pass": "pass", "fail": "fail", "todo": "todo", "error": "error"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
EXTRA_KEYS = ("student", "sha256", "status", "reason", "superseded", "cell_errors",
              "assignment", "source_name", "seconds", "shown", "config", "protections")
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
    autoescape=True, trim_blocks=True, lstrip_blocks=True)


def num(x):
    """A score as people write it: 2, 1.5, 0.3333 (not 0.33333333333333)."""
    return f"{round(float(x), 4):g}"


def _value(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def column(c):
    """A check's gradebook cell: its points, or for a check worth 0 points its verdict word."""
    if c.max_score == 0:
        return {"pass": c.words[0], "fail": c.words[1]}.get(c.status, c.status)
    return num(c.score)


def summary_text(result: Result) -> str:
    """The few lines every student sees first: score, error reason, demo numbers, notes."""
    lines = [f"Score: {num(result.score)} / {num(result.max_score)}"]
    if result.status != "graded":
        lines.append(f"The submission could not be graded fully: {result.reason}")
    if result.shown:
        lines.append("Your numbers:")
        lines += [f"  {k}: {_value(v)}" for k, v in result.shown.items()]
    if result.cell_errors:
        lines.append("Cells that raised an error:")
        lines += [f"  {e}" for e in result.cell_errors]
    if result.superseded:
        lines.append("Only the newest file was graded; not graded: " + ", ".join(result.superseded))
    return "\n".join(lines)


def results_json(result: Result) -> dict:
    """Gradescope's results.json; `extra_data` keeps what result_from_json needs to rebuild."""
    tests = []
    for i, c in enumerate(result.checks, 1):
        tests.append({
            "name": c.title, "number": str(i), "score": c.score, "max_score": c.max_score,
            "status": "passed" if c.status == "pass" else "failed", "output": c.message,
            "visibility": "visible" if c.visible else "after_published",
            "tags": [c.name],
            "extra_data": {"name": c.name, "status": c.status, "words": list(c.words)},
        })
    if result.captured_output:
        tests.append({"name": CAPTURED, "score": 0, "max_score": 0, "status": "passed",
                      "output": result.captured_output, "visibility": "hidden",
                      "extra_data": {"captured": True}})
    extra = {k: getattr(result, k) for k in EXTRA_KEYS}
    return {
        "score": result.score, "execution_time": int(round(result.seconds)),
        "output": summary_text(result), "output_format": "text", "stdout_visibility": "hidden",
        "tests": tests, "extra_data": extra,
    }


def result_from_json(d: dict) -> Result:
    """Rebuild a Result from results_json's output (the resume logic's view of a finished run)."""
    extra = d.get("extra_data") or {}
    checks, captured = [], ""
    for t in d.get("tests", []):
        te = t.get("extra_data") or {}
        if te.get("captured"):
            captured = t.get("output", "")
            continue
        passed = t.get("status") == "passed"
        checks.append(CheckResult(
            name=te.get("name", t.get("name", "")), title=t.get("name", ""),
            score=t.get("score", 0), max_score=t.get("max_score", 0),
            visible=t.get("visibility", "visible") == "visible",
            status=te.get("status", "pass" if passed else "fail"), message=t.get("output", ""),
            words=tuple(te.get("words", ("pass", "fail")))))
    return Result(
        student=extra.get("student", ""), assignment=extra.get("assignment", ""),
        status=extra.get("status", "graded"), reason=extra.get("reason", ""), checks=checks,
        seconds=extra.get("seconds", d.get("execution_time", 0)),
        sha256=extra.get("sha256", ""), source_name=extra.get("source_name", ""),
        shown=extra.get("shown", {}), cell_errors=extra.get("cell_errors", []),
        captured_output=captured, superseded=extra.get("superseded", []),
        config=extra.get("config", ""), protections=extra.get("protections", []))


def feedback_html(result: Result) -> str:
    """A self-contained page for the student (inline CSS, no script, nothing fetched)."""
    return TEMPLATES.get_template("feedback.html.j2").render(
        r=result, num=num, value=_value, label=STATUS_LABELS)



def _cell(v):
    """Text cells that a spreadsheet would run as a formula get a leading quote."""
    if isinstance(v, str) and v.startswith(FORMULA_START):
        return "'" + v
    return v


def write_gradebook(path, results, check_names, titles):
    """One CSV row per student, sorted; check columns are headed by title (name if none)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_cell(h) for h in ["student", "score", "max_score",
                                   *(titles.get(n, n) for n in check_names),
                                   "status", "reason", "seconds", "source", "superseded"]])
    for r in sorted(results, key=lambda r: r.student):
        earned = {c.name: column(c) for c in r.checks}
        row = [r.student, num(r.score), num(r.max_score),
               *(earned.get(n, "") for n in check_names),
               r.status, r.reason, f"{r.seconds:.1f}", r.source_name, "; ".join(r.superseded)]
        w.writerow([_cell(v) for v in row])
    write_atomic(path, buf.getvalue())


def write_summary(path, pairs, drill_ids, unknown="unrecognised"):
    """The course at a glance: one row per student, one "score/max" column per drill (blank
    where nothing was submitted, "error" where it could not be graded); a column for files
    of no known drill only when there are some."""
    cells = {}
    for sub, r in pairs:
        cells.setdefault(r.student, {})[sub.drill] = (
            f"{num(r.score)}/{num(r.max_score)}" if r.status == "graded" else "error")
    columns = list(drill_ids) + ([""] if any("" in c for c in cells.values()) else [])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", *(d or unknown for d in columns)])
    for student in sorted(cells):
        w.writerow([_cell(student), *(cells[student].get(d, "") for d in columns)])
    write_atomic(path, buf.getvalue())


def scoreboard_text(result: Result) -> str:
    """The terminal view for `python -m grader check`: visible checks only, hints on failure."""
    shown = [c for c in result.checks if c.visible]
    lines = []
    if result.status != "graded":
        lines.append(f"ERROR: {result.reason}")
    width = max((len(c.title) for c in shown), default=0)
    for c in shown:
        mark = {"pass": "pass", "todo": "todo"}.get(c.status, "FAIL")
        points = column(c) if c.max_score == 0 else f"{num(c.score)}/{num(c.max_score)}"
        if c.max_score == 0 and c.status == "fail":
            mark = "note"  # reported, not scored: not a failure
        lines.append(f"  {mark}  {c.title:<{width}}  {points}")
        if c.status != "pass" and c.message:
            lines += [f"        {ln}" for ln in c.message.splitlines()]
    for err in result.cell_errors:
        lines.append(f"  cell error: {err}")
    got = sum(c.score for c in shown)
    total = sum(c.max_score for c in shown)
    lines.append(f"Visible checks: {num(got)} / {num(total)} points")
    hidden = len(result.checks) - len(shown)
    if hidden:
        lines.append(f"Hidden checks not shown here: {hidden} (graded when you submit).")
    return "\n".join(lines)
