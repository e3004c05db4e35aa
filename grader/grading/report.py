"""What grading hands out: Gradescope's results.json, a student's feedback page, the gradebook.

Standard library only, so `python -m grader check` and the Gradescope entry point start fast.
Captured output is for instructors: it goes only into results.json as a test hidden from
students, never into feedback.html, the scoreboard, or any visible field.
"""
import csv
import html
import io

from grader.grading.model import CheckResult, Result
from grader.build.notebook import write_atomic

CAPTURED = "Captured output (instructor only)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
EXTRA_KEYS = ("student", "sha256", "status", "reason", "superseded", "cell_errors",
              "assignment", "source_name", "seconds", "demo", "config")


def _num(x):
    """A score as people write it: 2, 1.5, 0.3333 (not 0.33333333333333)."""
    return f"{round(float(x), 4):g}"


def _demo_value(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def summary_text(result: Result) -> str:
    """The few lines every student sees first: score, error reason, demo numbers, notes."""
    lines = [f"Score: {_num(result.score)} / {_num(result.max_score)}"]
    if result.status != "graded":
        lines.append(f"The submission could not be graded fully: {result.reason}")
    if result.demo:
        lines.append("Demo results:")
        lines += [f"  {k}: {_demo_value(v)}" for k, v in result.demo.items()]
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
            "tags": [c.name], "extra_data": {"name": c.name, "status": c.status},
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
            status=te.get("status", "pass" if passed else "fail"), message=t.get("output", "")))
    return Result(
        student=extra.get("student", ""), assignment=extra.get("assignment", ""),
        status=extra.get("status", "graded"), reason=extra.get("reason", ""), checks=checks,
        seconds=extra.get("seconds", d.get("execution_time", 0)),
        sha256=extra.get("sha256", ""), source_name=extra.get("source_name", ""),
        demo=extra.get("demo", {}), cell_errors=extra.get("cell_errors", []),
        captured_output=captured, superseded=extra.get("superseded", []),
        config=extra.get("config", ""))


CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:46rem;margin:2rem auto;
 padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:0 0 .2rem}h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
.meta{color:#59636e;font-size:.9rem}
.score{font-size:2rem;font-weight:700;margin:.8rem 0}
.note{border-left:4px solid #d29922;background:#fff8c5;padding:.5rem .8rem;margin:.8rem 0}
.error{border-left-color:#cf222e;background:#ffebe9}
ul.checks{list-style:none;padding:0}
ul.checks li{border:1px solid #d1d9e0;border-radius:6px;padding:.5rem .8rem;margin:.4rem 0}
.badge{display:inline-block;min-width:3.2rem;text-align:center;border-radius:1rem;
 font-size:.8rem;font-weight:700;padding:0 .5rem;margin-right:.5rem;color:#fff}
.pass{background:#1a7f37}.fail{background:#cf222e}
.pts{float:right;color:#59636e}.msg{margin:.3rem 0 0;color:#3d444d;white-space:pre-wrap}
table{border-collapse:collapse}td,th{border:1px solid #d1d9e0;padding:.2rem .6rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace}
"""


def _check_item(c):
    e = html.escape
    ok = c.status == "pass"
    title = e(c.title) if c.visible else "hidden check: " + e(c.title)
    msg = f'<p class="msg">{e(c.message)}</p>' if c.message else ""
    return (f'<li><span class="badge {"pass" if ok else "fail"}">{"pass" if ok else "fail"}</span>'
            f'{title}<span class="pts">{_num(c.score)} / {_num(c.max_score)}</span>{msg}</li>')


def feedback_html(result: Result) -> str:
    """A self-contained page for the student (inline CSS, no script, nothing fetched)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Feedback: {e(result.assignment)}</title><style>{CSS}</style></head><body>",
        f"<h1>Feedback: {e(result.assignment)}</h1>",
        f'<p class="meta">{e(result.student)} &middot; <code>{e(result.source_name)}</code></p>',
        f'<p class="score">{_num(result.score)} / {_num(result.max_score)}</p>',
    ]
    if result.status != "graded":
        parts.append(f'<p class="note error">Your submission could not be graded fully: '
                     f'{e(result.reason)}</p>')
    if result.superseded:
        parts.append('<p class="note">Only your newest file was graded. Not graded: '
                     + ", ".join(f"<code>{e(s)}</code>" for s in result.superseded) + "</p>")
    if result.checks:
        parts.append('<h2>Checks</h2><ul class="checks">')
        parts += [_check_item(c) for c in result.checks]
        parts.append("</ul>")
    if result.demo:
        parts.append("<h2>Demo results</h2><table><tr><th>quantity</th><th>value</th></tr>")
        parts += [f'<tr><td>{e(str(k))}</td><td class="num">{e(_demo_value(v))}</td></tr>'
                  for k, v in result.demo.items()]
        parts.append("</table>")
    if result.cell_errors:
        parts.append("<h2>Cells that raised an error</h2><ul>")
        parts += [f"<li><code>{e(str(err))}</code></li>" for err in result.cell_errors]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


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
        earned = {c.name: c.score for c in r.checks}
        row = [r.student, _num(r.score), _num(r.max_score),
               *(_num(earned.get(n, 0)) for n in check_names),
               r.status, r.reason, f"{r.seconds:.1f}", r.source_name, "; ".join(r.superseded)]
        w.writerow([_cell(v) for v in row])
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
        lines.append(f"  {mark}  {c.title:<{width}}  {_num(c.score)}/{_num(c.max_score)}")
        if c.status != "pass" and c.message:
            lines += [f"        {ln}" for ln in c.message.splitlines()]
    for err in result.cell_errors:
        lines.append(f"  cell error: {err}")
    got = sum(c.score for c in shown)
    total = sum(c.max_score for c in shown)
    lines.append(f"Visible checks: {_num(got)} / {_num(total)} points")
    hidden = len(result.checks) - len(shown)
    if hidden:
        lines.append(f"Hidden checks not shown here: {hidden} (graded when you submit).")
    return "\n".join(lines)
