"""The outputs of grading: results.json, feedback page, gradebook, scoreboard."""
import csv
import json
import re

from grader.grading.model import CheckResult, Result, Submission
from grader.grading.report import (CAPTURED, feedback_html, result_from_json, results_json,
                                   scoreboard_text, write_gradebook, write_summary)

SECRET = "PRINTED-BY-STUDENT-7f3a"  # only ever allowed in the instructor-only test


def make_result(**kw):
    checks = [
        CheckResult("shape", "Keeps the shape", 2, 2, True, "pass", ""),
        CheckResult("scale", "Scales kept units", 1.5, 3, True, "fail",
                    "kept units should be divided by (1 - p) <b>"),
        CheckResult("eval", "Identity in eval mode", 0, 2, False, "fail",
                    "in eval mode the output must equal the input"),
    ]
    base = dict(student="ada@example.org", assignment="drill01_dropout", status="graded", reason="",
                checks=checks, seconds=12.6, sha256="ab" * 32, source_name="hw.ipynb",
                shown={"train_acc": 0.91234, "val_acc": 0.8},
                cell_errors=["cell 4: NameError: name 'x' is not defined"],
                captured_output=SECRET, superseded=["old.ipynb"])
    base.update(kw)
    return Result(**base)


def test_results_json_follows_gradescope_schema():
    out = results_json(make_result())
    assert out["score"] == 3.5 and out["execution_time"] == 13
    assert out["output_format"] in ("text", "md") and out["stdout_visibility"] == "hidden"
    visible, hidden = out["tests"][0], out["tests"][2]
    assert visible == {**visible, "name": "Keeps the shape", "score": 2, "max_score": 2,
                       "status": "passed", "visibility": "visible", "number": "1"}
    assert out["tests"][1]["status"] == "failed" and "(1 - p)" in out["tests"][1]["output"]
    assert hidden["visibility"] == "after_published" and hidden["status"] == "failed"
    assert set(out["extra_data"]) >= {"student", "sha256", "status", "reason", "superseded",
                                      "cell_errors"}
    assert "0.9123" in out["output"] and "val_acc" in out["output"]
    assert "old.ipynb" in out["output"]
    json.dumps(out)  # must be serialisable as is


def test_captured_output_only_in_one_hidden_zero_point_test():
    out = results_json(make_result())
    holders = [t for t in out["tests"] if SECRET in json.dumps(t)]
    assert len(holders) == 1
    t = holders[0]
    assert (t["name"], t["visibility"], t["score"], t["max_score"]) == (CAPTURED, "hidden", 0, 0)
    assert SECRET not in out["output"]
    assert sum(t["max_score"] for t in out["tests"]) == 7


def test_no_captured_output_means_no_extra_test():
    out = results_json(make_result(captured_output=""))
    assert [t["name"] for t in out["tests"]] == ["Keeps the shape", "Scales kept units",
                                                 "Identity in eval mode"]


def test_error_reason_is_in_the_summary():
    out = results_json(make_result(status="error", reason="notebook is not valid JSON",
                                   checks=[]))
    assert out["score"] == 0 and "notebook is not valid JSON" in out["output"]


def test_round_trip_through_json_text():
    for r in (make_result(), make_result(captured_output="", shown={}, status="error",
                                         reason="timed out after 600 s")):
        back = result_from_json(json.loads(json.dumps(results_json(r))))
        assert back == r
        assert (back.score, back.sha256, back.status) == (r.score, r.sha256, r.status)
        assert [c.name for c in back.checks] == ["shape", "scale", "eval"]


def test_feedback_html_escapes_and_hides_captured_output():
    evil = "<script>alert(1)</script>"
    r = make_result(student=evil, cell_errors=[f"cell 2: {evil}"], superseded=[evil],
                    shown={evil: 0.5}, reason=evil, status="error")
    r.checks[1].message = evil
    page = feedback_html(r)
    assert "<script" not in page.lower()
    assert page.count("&lt;script&gt;") >= 5
    assert SECRET not in page
    assert "hidden check: Identity in eval mode" in page
    assert "in eval mode the output must equal the input" in page
    assert "3.5 / 7" in page and "old.ipynb" not in page


def test_feedback_html_is_self_contained():
    page = feedback_html(make_result())
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert not re.search(r"(src|href)\s*=|@import|url\(|https?:", page)
    assert "Only your newest file was graded" in page and "old.ipynb" in page
    assert "NameError" in page


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_gradebook_sorted_with_check_columns(tmp_path):
    path = tmp_path / "gradebook.csv"
    bad = make_result(student="=HYPERLINK(\"x\")", status="error", reason="-1 cells ran",
                      checks=[], superseded=[])
    write_gradebook(path, [make_result(student="zed"), bad, make_result()],
                    ["shape", "scale", "eval"], {"shape": "Keeps the shape"})
    rows = read_csv(path)
    assert rows[0] == ["student", "score", "max_score", "Keeps the shape", "scale", "eval",
                       "status", "reason", "seconds", "source", "superseded"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "ada@example.org", "zed"]
    assert rows[1][1:8] == ["0", "0", "", "", "", "error", "'-1 cells ran"]  # no checks ran
    assert rows[2][1:7] == ["3.5", "7", "2", "1.5", "0", "graded"]
    assert rows[2][8:] == ["12.6", "hw.ipynb", "old.ipynb"]
    assert not list(tmp_path.glob(".tmp-*"))  # the temporary file was renamed into place


def test_scoreboard_shows_visible_checks_and_hints():
    text = scoreboard_text(make_result())
    assert "Identity in eval mode" not in text and "in eval mode" not in text
    assert re.search(r"pass\s+Keeps the shape\s+2/2", text)
    assert re.search(r"FAIL\s+Scales kept units\s+1.5/3\n\s+kept units should", text)
    assert "Visible checks: 3.5 / 5 points" in text
    assert "Hidden checks not shown here: 1" in text and SECRET not in text


def test_a_check_worth_nothing_is_reported_as_flagged_not_as_a_zero(tmp_path):
    words = ("not flagged", "flagged")
    clean = make_result(checks=[CheckResult("scratch", "From scratch", 0, 0, True, "pass", "",
                                            words)])
    flagged = make_result(student="bo", checks=[
        CheckResult("scratch", "From scratch", 0, 0, True, "fail", "uses F.dropout", words)])
    write_gradebook(tmp_path / "g.csv", [clean, flagged], ["scratch"], {})
    rows = {r[0]: r for r in read_csv(tmp_path / "g.csv")[1:]}
    assert rows["ada@example.org"][3] == "not flagged" and rows["bo"][3] == "flagged"
    assert "flagged" in feedback_html(flagged) and "FAIL" not in scoreboard_text(flagged)
    again = result_from_json(json.loads(json.dumps(results_json(flagged))))
    assert again.checks[0].words == words


def test_results_carry_the_protections_the_run_had():
    result = make_result(protections=["pid-namespace", "no-network"])
    out = results_json(result)
    assert out["extra_data"]["protections"] == ["pid-namespace", "no-network"]
    assert result_from_json(out).protections == ["pid-namespace", "no-network"]


def test_course_summary_one_row_per_student_one_column_per_drill(tmp_path):
    def pair(student, drill, **kw):
        sub = Submission(student=student, name="x", kind="ipynb", data=b"", drill=drill)
        return sub, make_result(student=student, assignment=drill, **kw)
    pairs = [pair("ada", "drill01_dropout"), pair("ada", "drill02_export"),
             pair("=bob", "drill02_export", status="error", checks=[]),
             pair("cy", "", status="error", checks=[])]
    path = tmp_path / "course_summary.csv"
    write_summary(path, pairs, ["drill01_dropout", "drill02_export"])
    assert read_csv(path) == [["student", "drill01_dropout", "drill02_export", "unrecognised"],
                              ["'=bob", "", "error", ""],
                              ["ada", "3.5/7", "3.5/7", ""],
                              ["cy", "", "", "error"]]
    write_summary(path, pairs[:2], ["drill01_dropout", "drill02_export"])
    assert read_csv(path)[0] == ["student", "drill01_dropout", "drill02_export"]
