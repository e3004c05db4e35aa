"""A batch across drills through `python -m grader grade` (issue 22): one submission per
student and drill, a gradebook per drill, the course summary, Canvas and Moodle templates
filled. The submissions are the drills' own samples, copied under LMS download names."""
import csv
import io
import shutil
import subprocess
import sys

import pytest
from grading_helpers import REPO, fill

from grader.grading import drills

D1, D2 = "drill01_dropout", "drill02_export"
SAMPLES = {d: REPO / "solutions" / d / "samples" for d in (D1, D2)}
CORRECT1 = SAMPLES[D1] / "lovelaceada_1001_5001_dropout.ipynb"
STUB1 = SAMPLES[D1] / "noetheremmy_1004_5004_dropout.ipynb"
CORRECT2 = SAMPLES[D2] / "curiemarie_2001_6001_export.ipynb"
BUGGY2 = SAMPLES[D2] / "Grace Hopper_2002_assignsubmission_file_" / "export.ipynb"
# Canvas's Gradebook export: header, Points Possible, Student, ID, SIS User ID, SIS Login
# ID, Section, then "Title (assignment id)" per assignment and read-only totals.
CANVAS = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Dropout drill 01 (101),Quiz 1 (7),"
    "Current Score\r\n"
    "    Points Possible,,,,,20.00,5.00,(read only)\r\n"
    '"Lovelace, Ada",1001,s1001,ada@example.edu,DD 101,,4.00,80.00\r\n'
    '"Hopper, Grace",1003,s1003,grace@example.edu,DD 101,,5.00,100.00\r\n'
    '"Noether, Emmy",1004,s1004,emmy@example.edu,DD 101,,,0.00\r\n')
# Moodle's offline grading worksheet of the drill 02 assignment.
MOODLE = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Last modified (grade),Feedback comments\n"
    'Participant 2002,Grace Hopper,grace@example.edu,Submitted for grading,,26.00,Yes,'
    '"Friday, 4 December 2026, 10:00 AM",-,\n'
    "Participant 2005,Emmy Noether,emmy@example.edu,No submission,,26.00,Yes,-,-,\n")


def grade(*args, timeout=300):
    """`python -m grader grade ARGS` (no --assignment: the drills come from the files)."""
    return subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, args),
                           "--jobs", "1", "--quiet"], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def table(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def by_student(path):
    with open(path, newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course")
    inbox = fill(tmp / "inbox", {
        # the example: one student's drill 01 and drill 02, Canvas names
        "lovelaceada_1001_5001_dropout.ipynb": CORRECT1.read_text(),
        "lovelaceada_1001_6001_export.ipynb": CORRECT2.read_text(),
        "lovelaceada_1001_4999_dropout.ipynb": STUB1.read_text(),  # an older drill 01
        "noetheremmy_1004_5004_dropout.ipynb": STUB1.read_text(),
        "babbagec_1010_5010_dropout.ipynb": STUB1.read_text(),  # not in the Canvas export
        "Grace Hopper_2002_assignsubmission_file_/export.ipynb": BUGGY2.read_text(),
    })
    fill(tmp, {"canvas.csv": CANVAS.encode(), "worksheet.csv": MOODLE.encode()})
    out = tmp / "out"
    proc = grade(inbox, "--out", out, "--canvas", tmp / "canvas.csv",
                 "--canvas-assignment", f"{D1}=Dropout drill 01",
                 "--moodle", f"{D2}={tmp / 'worksheet.csv'}")
    return proc, out, inbox, tmp


def test_one_gradebook_per_drill_with_its_own_columns(course):
    proc, out, _, _ = course
    assert proc.returncode == 0, proc.stderr
    assert not (out / "gradebook.csv").exists()
    for drill, students in ((D1, ["babbagec", "lovelaceada", "noetheremmy"]),
                            (D2, ["Grace_Hopper", "lovelaceada"])):
        rows = by_student(out / drill / "gradebook.csv")
        assert sorted(rows) == students
        header = list(next(iter(rows.values())))
        titles = [c.title for c in drills.load(drill).all_checks()]
        assert header == ["student", "score", "max_score", *titles, "status", "reason",
                          "seconds", "source", "superseded"]
        assert all((out / drill / s / "results.json").exists() for s in students)


def test_a_students_drills_are_two_rows_and_only_the_same_drill_is_superseded(course):
    proc, out, inbox, _ = course
    ada1 = by_student(out / D1 / "gradebook.csv")["lovelaceada"]
    ada2 = by_student(out / D2 / "gradebook.csv")["lovelaceada"]
    assert ada1["source"].endswith("lovelaceada_1001_5001_dropout.ipynb")
    assert ada1["superseded"] == str(inbox / "lovelaceada_1001_4999_dropout.ipynb")
    assert ada2["source"].endswith("lovelaceada_1001_6001_export.ipynb")
    assert ada2["superseded"] == ""
    assert ada1["score"] == ada1["max_score"] != "0" and ada2["score"] == ada2["max_score"]
    lines = proc.stdout.splitlines()
    assert lines[0] == (f"{D1}: 3 submissions: 3 graded now, 0 reused from an earlier run, "
                        f"0 with errors, 1 superseded (older files of the same drill, not "
                        f"graded). Gradebook: {out / D1 / 'gradebook.csv'}")
    assert lines[1].startswith(f"{D2}: 2 submissions: 2 graded now, 0 reused from an "
                               "earlier run, 0 with errors, 0 superseded")


def test_course_summary_has_one_row_per_student_and_a_column_per_drill(course):
    _, out, _, _ = course
    d1 = by_student(out / D1 / "gradebook.csv")
    summary = table(out / "course_summary.csv")
    assert summary[0] == ["student", D1, D2]
    got = {r[0]: r[1:] for r in summary[1:]}
    ada = d1["lovelaceada"]
    assert got["lovelaceada"][0] == f"{ada['score']}/{ada['max_score']}"
    assert got["lovelaceada"][1].split("/")[0] == got["lovelaceada"][1].split("/")[1]
    assert got["Grace_Hopper"][0] == ""  # no drill 01 submission: blank
    assert got["noetheremmy"] == [f"0/{ada['max_score']}", ""]
    assert len(got) == 4


def test_canvas_export_comes_back_filled_in_its_own_layout(course):
    proc, out, _, _ = course
    before = list(csv.reader(io.StringIO(CANVAS, newline="")))
    after = table(out / "canvas_import.csv")
    assert (out / "canvas_import.csv").read_bytes().count(b"\r\n") == 5
    ada = by_student(out / D1 / "gradebook.csv")["lovelaceada"]
    assert [r[5] for r in after] == ["Dropout drill 01 (101)", "20.00", ada["score"], "", "0"]
    assert [r[:5] + r[6:] for r in after] == [r[:5] + r[6:] for r in before]
    assert f"Canvas {D1}: 2 of 3 students filled in the column 'Dropout drill 01 (101)'" \
        in proc.stdout


def test_moodle_worksheet_comes_back_filled(course):
    _, out, _, _ = course
    hopper = by_student(out / D2 / "gradebook.csv")["Grace_Hopper"]
    after = table(out / D2 / "moodle_import.csv")
    before = list(csv.reader(io.StringIO(MOODLE, newline="")))
    assert [r[4] for r in after] == ["Grade", hopper["score"], ""]
    assert [r[:4] + r[5:] for r in after] == [r[:4] + r[5:] for r in before]


def test_submissions_without_a_row_are_listed_on_the_terminal_and_in_a_file(course):
    proc, out, _, _ = course
    listed = by_student(out / "lms_unmatched.csv")
    assert sorted(listed) == ["babbagec", "lovelaceada"]
    assert listed["babbagec"]["reason"] == "Canvas id 1010 has no row in canvas.csv"
    assert listed["lovelaceada"]["drill"] == D2  # a Canvas name: no Moodle participant
    assert "2 submissions not written to the LMS" in proc.stdout
    assert f"  babbagec ({D1}, score 0): Canvas id 1010 has no row in canvas.csv" \
        in proc.stdout


def test_a_rerun_reuses_every_result(course):
    _, out, inbox, tmp = course
    proc = grade(inbox, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert f"{D1}: 3 submissions: 0 graded now, 3 reused" in proc.stdout
    assert f"{D2}: 2 submissions: 0 graded now, 2 reused" in proc.stdout


@pytest.mark.parametrize("options, message", [
    (["--canvas", "{tmp}/canvas.csv", "--canvas-assignment", f"{D1}=Drill 09"],
     "canvas.csv: no assignment 'Drill 09' (assignments: 'Dropout drill 01 (101)', "
     "'Quiz 1 (7)')"),
    (["--moodle", f"{D2}={{tmp}}/canvas.csv"], "canvas.csv: no 'Identifier' column"),
    (["--moodle", f"{D2}={{tmp}}/inbox/lovelaceada_1001_6001_export.ipynb"],
     "is not a CSV export"),
    (["--moodle", "{tmp}/worksheet.csv"], "this batch has submissions for several drills"),
    (["--canvas", "{tmp}/canvas.csv"], "--canvas needs --canvas-assignment NAME"),
    (["--moodle", "{tmp}/missing.csv"], "cannot read"),
])
def test_bad_templates_are_one_line_errors(course, options, message):
    _, _, inbox, tmp = course
    options = [o.format(tmp=tmp) for o in options]
    proc = grade(inbox, "--out", tmp / "never", *options)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert message in proc.stderr
    assert not (tmp / "never").exists()  # nothing graded, nothing written


def test_a_batch_that_loses_a_drill_reuses_the_work_saved_per_drill(course, tmp_path):
    _, out, inbox, _ = course
    shutil.copytree(out, tmp_path / "out")
    files = sorted(inbox.glob("*_dropout.ipynb"))
    proc = grade(*files, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("3 submissions: 0 graded now, 3 reused from an earlier run")
    assert "course_summary.csv is from an earlier run of several drills" in proc.stdout
    assert sorted(by_student(tmp_path / "out" / "gradebook.csv")) == [
        "babbagec", "lovelaceada", "noetheremmy"]
