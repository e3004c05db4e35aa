"""Filling Canvas's Gradebook export and Moodle's grading worksheet (grader/grading/lms.py).

The templates follow each LMS's documented layout: Canvas, a header row, a "Points Possible"
row, then Student, ID, SIS User ID, SIS Login ID, Section and one "Title (id)" column per
assignment; Moodle, one row per participant with Identifier "Participant N" and Grade.
"""
import csv
import io

import pytest

from grader.grading import lms, report
from grader.grading.model import CheckResult, Result, Submission

CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Dropout drill 01 (101),"
    "Export drill 02 (102),Quiz 1 (7),Current Score,Final Score\r\n"
    "    Points Possible,,,,,20.00,26.00,5.00,(read only),(read only)\r\n"
    '"Lovelace, Ada",1001,s1001,ada@example.edu,DD 101,,,4.00,80.00,80.00\r\n'
    '"Hopper, Grace",1003,s1003,grace@example.edu,DD 101,,,5.00,100.00,100.00\r\n'
    '"Noether, Emmy",1004,s1004,emmy@example.edu,DD 101,,,,0.00,0.00\r\n'
    '"Student, Test",9999,,,DD 101,,,,,\r\n')
MOODLE = (
    'Identifier,"Full name","Email address",Status,Grade,"Maximum Grade",'
    '"Grade can be changed","Last modified (submission)","Last modified (grade)",'
    '"Feedback comments"\n'
    '"Participant 2002","Grace Hopper",grace@example.edu,"Submitted for grading",,26.00,Yes,'
    '"Friday, 4 December 2026, 10:00 AM",-,\n'
    '"Participant 2005","Emmy Noether",emmy@example.edu,"No submission",,26.00,Yes,-,-,\n')
D1, D2 = "drill01_dropout", "drill02_export"


def pair(student, score, top, lms_id=(), drill=D1, status="graded"):
    sub = Submission(student=student, name=f"in/{student}.ipynb", kind="ipynb", data=b"",
                     drill=drill, lms=lms_id)
    checks = [CheckResult("a", "a", score, top, True, "pass", "")]
    return sub, Result(student, drill, status, "" if status == "graded" else "time limit",
                       checks, 1.0, "", sub.name)


def target(tmp_path, kind, text, assignment="", drill=D1, name=None, raw=None):
    path = tmp_path / (name or f"{kind}.csv")
    path.write_bytes(raw if raw is not None else text.encode())
    return lms.open_target(lms.Target(kind, str(path), drill, assignment))


def rows(text):
    return list(csv.reader(io.StringIO(text, newline="")))


def written(t, tmp_path):
    out = tmp_path / "filled.csv"
    t.sheet.write(str(out))
    return out.read_bytes()


def test_canvas_column_filled_and_nothing_else_changed(tmp_path):
    t = target(tmp_path, "canvas", CANVAS, "Dropout drill 01")
    graded = [pair("lovelaceada", 20, 20, ("canvas", "1001")),
              pair("hoppergrace", 13.5, 20, ("canvas", "1003")),
              pair("babbagec", 7, 20, ("canvas", "1010"))]  # not in the export
    filled, unmatched, notes = lms.fill(t, graded, report.num)
    data = written(t, tmp_path)
    before, after = rows(CANVAS), rows(data.decode())
    assert filled == 2 and notes == []
    assert data.count(b"\r\n") == CANVAS.count("\r\n")  # line ends as exported
    assert len(after) == len(before) and [r[:5] for r in after] == [r[:5] for r in before]
    changed = {(i, j) for i, (b, a) in enumerate(zip(before, after))
               for j in range(len(b)) if b[j] != a[j]}
    assert changed == {(2, 5), (3, 5)}
    assert after[2][5] == "20" and after[3][5] == "13.5"
    assert after[4][5] == "" and after[5][5] == ""  # no submission: blank, as exported
    assert [(u.student, u.lms_id, u.score) for u in unmatched] == [("babbagec", "1010", "7")]
    assert "no row" in unmatched[0].reason


def test_canvas_assignment_by_full_header_title_or_case(tmp_path):
    t = target(tmp_path, "canvas", CANVAS, "Export drill 02 (102)")
    assert t.sheet.header[t.col] == "Export drill 02 (102)"
    assert lms.canvas_column(t.sheet, "export DRILL  02") == t.col
    twice = CANVAS.replace("Quiz 1 (7)", "Export drill 02 (103)")
    with pytest.raises(lms.LmsError, match="names several columns"):
        target(tmp_path, "canvas", twice, "Export drill 02")
    assert target(tmp_path, "canvas", twice, "Export drill 02 (103)").col == 7


def test_moodle_grade_filled_by_participant_number(tmp_path):
    t = target(tmp_path, "moodle", MOODLE, drill=D2)
    graded = [pair("Grace_Hopper", 21, 26, ("moodle", "2002"), D2),
              pair("turingalan", 9, 26, ("canvas", "2003"), D2)]  # a Canvas name: no match
    filled, unmatched, notes = lms.fill(t, graded, report.num)
    data = written(t, tmp_path)
    after = rows(data.decode())
    assert filled == 1 and notes == [] and b"\r\n" not in data
    assert after[0] == rows(MOODLE)[0]
    assert after[1][4] == "21" and after[2][4] == ""
    assert [r[:4] + r[5:] for r in after] == [r[:4] + r[5:] for r in rows(MOODLE)]
    assert [(u.student, u.reason) for u in unmatched] == [
        ("turingalan", "no Moodle id in its file name")]


def test_a_submission_graded_with_an_error_is_listed_not_written(tmp_path):
    t = target(tmp_path, "moodle", MOODLE, drill=D2)
    graded = [pair("Grace_Hopper", 0, 0, ("moodle", "2002"), D2, status="error")]
    filled, unmatched, _ = lms.fill(t, graded, report.num)
    assert filled == 0 and rows(written(t, tmp_path).decode())[1][4] == ""
    assert "not graded (time limit)" in unmatched[0].reason


def test_two_students_with_one_id_write_nothing(tmp_path):
    t = target(tmp_path, "canvas", CANVAS, "Dropout drill 01")
    graded = [pair("ada", 20, 20, ("canvas", "1001")), pair("ada2", 5, 20, ("canvas", "1001"))]
    filled, unmatched, _ = lms.fill(t, graded, report.num)
    assert filled == 0 and len(unmatched) == 2
    assert rows(written(t, tmp_path).decode())[2][5] == ""


def test_points_that_differ_from_the_drill_are_noted(tmp_path):
    t = target(tmp_path, "canvas", CANVAS, "Export drill 02", drill=D2)
    _, _, notes = lms.fill(t, [pair("lovelaceada", 20, 20, ("canvas", "1001"), D2)],
                           report.num)
    assert notes == [f"note: canvas.csv gives {D2} 26 points; the scores written are out of "
                     "20 (not rescaled)"]


def test_byte_order_mark_is_kept(tmp_path):
    t = target(tmp_path, "moodle", MOODLE, drill=D2, raw=b"\xef\xbb\xbf" + MOODLE.encode())
    assert t.sheet.header[0] == "Identifier"
    assert written(t, tmp_path).startswith(b"\xef\xbb\xbfIdentifier,")


@pytest.mark.parametrize("kind, raw, assignment, message", [
    ("canvas", CANVAS.replace("ID,", "User,", 1).encode(), "Quiz 1", "no 'ID' column"),
    ("moodle", MOODLE.replace("Grade,", "Mark,", 1).encode(), "", "no 'Grade' column"),
    ("canvas", CANVAS.encode(), "Drill 09", "no assignment 'Drill 09' (assignments: "
                                            "'Dropout drill 01 (101)', "),
    ("canvas", b"PK\x03\x04\x14\x00 excel", "Quiz 1", "is not a CSV file (binary data"),
    ("moodle", b"\x00\x01\x02", "", "is not a CSV file"),
    ("moodle", "Identifier,Grade\nParticipant 1,\xe9\n".encode("latin-1"), "", "not a UTF-8"),
    ("moodle", b"just one line of text", "", "no header row with columns"),
])
def test_bad_templates_are_one_line_errors(tmp_path, kind, raw, assignment, message):
    with pytest.raises(lms.LmsError) as e:
        target(tmp_path, kind, "", assignment, raw=raw)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_drill_prefix_and_resolution():
    assert lms.split_spec(f"{D1}=Dropout (1)", [D1]) == (D1, "Dropout (1)")
    assert lms.split_spec("a=b (1)", [D1]) == ("", "a=b (1)")  # '=' inside a name
    assert lms.resolve([lms.Target("moodle", "w.csv")], [D2])[0].drill == D2
    with pytest.raises(lms.LmsError, match="several drills"):
        lms.resolve([lms.Target("moodle", "w.csv")], [D1, D2])
    with pytest.raises(lms.LmsError, match="two Moodle templates"):
        lms.resolve([lms.Target("moodle", "a.csv", D1), lms.Target("moodle", "b.csv", D1)],
                    [D1, D2])


def test_a_student_listed_twice_gets_the_score_in_both_rows(tmp_path):
    twice = CANVAS + '"Lovelace, Ada",1001,s1001,ada@example.edu,DD 102,,,4.00,80.00,80.00\r\n'
    t = target(tmp_path, "canvas", twice, "Dropout drill 01")
    filled, unmatched, _ = lms.fill(t, [pair("ada", 17, 20, ("canvas", "1001"))], report.num)
    assert (filled, unmatched) == (1, [])
    assert [r[5] for r in rows(written(t, tmp_path).decode())[2:]] == ["17", "", "", "", "17"]
