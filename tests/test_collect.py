"""collect(): files, folders and zips in; one submission or one problem per student out."""
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

from grader.grading.collect import Limits, collect, gather, safe_id

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
JAN, FEB = (2024, 1, 5, 10, 0, 0), (2024, 2, 5, 10, 0, 0)


def zip_bytes(members):
    """members: (name or ZipInfo, data) pairs; a name alone gets a fixed January date."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            if not isinstance(name, zipfile.ZipInfo):
                name = zipfile.ZipInfo(name, JAN)
                name.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(name, data)
    return buf.getvalue()


def write(path, data=NB, mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return str(path)


def by_student(subs):
    return {s.student: s for s in subs}


def only_problem(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_plain_files(tmp_path):
    nb = write(tmp_path / "alice.ipynb")
    py = write(tmp_path / "bob.py", b"print(1)\n")
    subs, problems = collect([nb, py])
    assert problems == []
    got = by_student(subs)
    assert (got["alice"].kind, got["alice"].data, got["alice"].name) == ("ipynb", NB, nb)
    assert got["bob"].kind == "py"
    assert got["bob"].sha256 == hashlib.sha256(b"print(1)\n").hexdigest()


def test_folder_walk_skips_hidden_symlinks_and_other_types(tmp_path):
    root = tmp_path / "subs"
    write(root / "a.ipynb")
    write(root / "sub" / "deep" / "b.PY", b"x = 1\n")
    write(root / ".ipynb_checkpoints" / "c-checkpoint.ipynb")
    write(root / "__MACOSX" / "d.ipynb")
    write(root / "._e.ipynb")
    write(root / "notes.txt", b"ignored")
    outside = tmp_path / "outside"
    write(outside / "f.ipynb")
    os.symlink(outside, root / "linked_dir")
    os.symlink(outside / "f.ipynb", root / "g.ipynb")
    subs, problems = collect([str(root)])
    assert problems == []
    assert sorted(s.student for s in subs) == ["a", "b"]
    assert by_student(subs)["b"].name == str(root / "sub" / "deep" / "b.PY")


def test_missing_and_unsupported_explicit_paths(tmp_path):
    pdf = write(tmp_path / "carol.pdf", b"%PDF")
    empty = tmp_path / "empty"
    empty.mkdir()
    subs, problems = collect([str(tmp_path / "nobody.ipynb"), pdf, str(empty)])
    assert subs == []
    reasons = {p.student: p.reason for p in problems}
    assert reasons["nobody"].startswith("no such file or folder")
    assert "unsupported" in reasons["carol"]
    assert "has no .ipynb" in reasons["empty"]


def test_zip_members_in_memory_with_labels(tmp_path):
    z = write(tmp_path / "class.zip", zip_bytes([("a.ipynb", NB), ("sub/b.py", b"y = 2\n"),
                                                  ("readme.txt", b"x"), ("dir/", b"")]))
    before = set(os.listdir(tmp_path))
    subs, problems = collect([z])
    assert problems == []
    got = by_student(subs)
    assert got["a"].data == NB and got["a"].name == f"{z}:a.ipynb"
    assert got["b"].kind == "py" and got["b"].name == f"{z}:sub/b.py"
    assert set(os.listdir(tmp_path)) == before  # nothing extracted


def test_nested_zip_and_depth_cap(tmp_path):
    inner = zip_bytes([("c.ipynb", NB)])
    middle = zip_bytes([("inner.zip", inner)])
    z = write(tmp_path / "d" / "outer.zip", zip_bytes([("middle.zip", middle)]))
    subs, problems = collect([str(tmp_path / "d")])
    assert problems == [] and subs[0].name == f"{z}:middle.zip:inner.zip:c.ipynb"
    subs, problems = collect([z], Limits(max_depth=1))
    assert subs == [] and "nests archives more than 1 deep" in only_problem(problems).reason


def test_lms_names(tmp_path):
    moodle = zip_bytes([
        ("Jane Smith_101_assignsubmission_file_/dropout01.ipynb", NB),
        ("Jane Smith_101_assignsubmission_onlinetext_/onlinetext.html", b"<p>hi</p>"),
        ("Émile Zola_102_assignsubmission_file_/work/hw.py", b"z = 3\n"),
    ])
    files = [
        write(tmp_path / "in" / "smithjane_12345_67890_dropout01.ipynb"),
        write(tmp_path / "in" / "doejohn_LATE_222_333_dropout01-1.ipynb"),
        write(tmp_path / "in" / "Ann Lee_7_assignsubmission_file_hw.ipynb"),
        write(tmp_path / "in" / "moodle.zip", moodle),
        write(tmp_path / "in" / "kimmin_44_55_upload.zip", zip_bytes([("hw.ipynb", NB)])),
    ]
    subs, problems = collect(files)
    assert problems == []
    assert sorted(by_student(subs)) == ["Ann_Lee", "Jane_Smith", "doejohn", "kimmin",
                                        "smithjane", "Émile_Zola"]


def test_latest_wins_and_lists_the_rest(tmp_path):
    old = write(tmp_path / "s" / "alice.ipynb", mtime=1_700_000_000)
    new = write(tmp_path / "s" / "alice.py", b"a = 1\n", mtime=1_700_000_100)
    # Canvas: a higher attachment id wins even with an older mtime; LATE beats both
    c1 = write(tmp_path / "s" / "leebo_9_500_hw.ipynb", mtime=1_700_000_900)
    c2 = write(tmp_path / "s" / "leebo_9_600_hw.ipynb", mtime=1_700_000_000)
    # zip members: the later date_time wins
    z = write(tmp_path / "s" / "x.zip", zip_bytes([(zipfile.ZipInfo("kai.ipynb", FEB), NB),
                                                   (zipfile.ZipInfo("sub/kai.ipynb", JAN), NB)]))
    subs, problems = collect([str(tmp_path / "s")])
    assert problems == []
    got = by_student(subs)
    assert got["alice"].name == new and got["alice"].superseded == [old]
    assert got["leebo"].name == c2 and got["leebo"].superseded == [c1]
    assert got["kai"].name == f"{z}:kai.ipynb" and got["kai"].superseded == [f"{z}:sub/kai.ipynb"]
    late = write(tmp_path / "t" / "leebo_LATE_9_100_hw.ipynb", mtime=1_600_000_000)
    subs, _ = collect([str(tmp_path / "s"), late])
    assert by_student(subs)["leebo"].name == late


def test_unusable_file_of_a_student_with_a_good_one_is_noted_not_a_row(tmp_path):
    good = write(tmp_path / "s" / "alice.ipynb")
    write(tmp_path / "s" / "alice.zip", b"not a zip at all")
    subs, problems = collect([str(tmp_path / "s")])
    assert problems == [] and subs[0].name == good
    assert "corrupt" in subs[0].superseded[0]


def test_reasons_stay_on_one_line(tmp_path):
    write(tmp_path / "s" / "bad\nname.zip", b"not a zip")
    reason = only_problem(collect([str(tmp_path / "s")])[1]).reason
    assert "corrupt" in reason and "\n" not in reason


def test_different_students_with_the_same_safe_id_stay_apart(tmp_path):
    files = [write(tmp_path / "Anne Marie.ipynb"), write(tmp_path / "Anne_Marie.ipynb"),
             write(tmp_path / "anne marie.ipynb"),
             write(tmp_path / "m" / "Li Wei_1_assignsubmission_file_a.ipynb"),
             write(tmp_path / "m" / "Li Wei_2_assignsubmission_file_a.ipynb")]
    subs, problems = collect(files)
    assert problems == []
    assert sorted(s.student for s in subs) == ["Anne_Marie", "Anne_Marie-2", "Li_Wei",
                                               "Li_Wei-2", "anne_marie-3"]
    assert all(s.superseded == [] for s in subs)


def test_traversal_absolute_and_backslash_names_are_labels_only(tmp_path):
    work = tmp_path / "work"
    z = write(work / "evil.zip", zip_bytes([
        ("../../escape.ipynb", NB), ("/etc/abs.ipynb", NB), ("C:\\win\\drive.ipynb", NB),
        ("a\\..\\..\\back.py", b"b = 1\n"), ("line\nbreak.py", b"c = 1\n")]))
    subs, problems = collect([z])
    assert problems == []
    assert sorted(s.name for s in subs) == sorted(f"{z}:{n}" for n in [
        "escape.ipynb", "etc/abs.ipynb", "win/drive.ipynb", "a/back.py", "line?break.py"])
    assert sorted(os.listdir(tmp_path)) == ["work"] and os.listdir(work) == ["evil.zip"]


def test_symlink_member_is_skipped(tmp_path):
    link = zipfile.ZipInfo("link.ipynb", JAN)
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    z = write(tmp_path / "l.zip", zip_bytes([(link, b"/etc/passwd"), ("real.ipynb", NB)]))
    subs, problems = collect([z])
    assert problems == [] and [s.student for s in subs] == ["real"]


def test_zip_bomb_is_refused(tmp_path):
    bomb = zip_bytes([("bomb.ipynb", bytes(100 * 2**20))])  # 100 MiB of zeros, ~1000x
    assert len(bomb) < 2**20
    subs, problems = collect([write(tmp_path / "b.zip", bomb)])
    assert subs == []
    assert only_problem(problems).reason.endswith("member bomb.ipynb expands more than 200x "
                                                  "(zip bomb?)")


def test_header_that_understates_the_size_is_unreadable_not_read_in_full(tmp_path):
    raw = bytearray(zip_bytes([("liar.ipynb", bytes(2 * 2**20))]))
    for header, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # file_size := 10
        i = raw.index(header) + at
        raw[i:i + 4] = (10).to_bytes(4, "little")
    subs, problems = collect([write(tmp_path / "liar.zip", bytes(raw))])
    assert subs == [] and "liar.ipynb is unreadable" in only_problem(problems).reason


def test_small_compressible_and_large_stored_members_are_accepted(tmp_path):
    big = zipfile.ZipInfo("big.ipynb", JAN)
    big.compress_type = zipfile.ZIP_STORED
    blob = b" " * (60 * 2**20)  # a 60 MB notebook of outputs is fine
    z = write(tmp_path / "ok.zip", zip_bytes([(big, blob), ("spaces.py", b" " * 500_000)]))
    subs, problems = collect([z])
    assert problems == [] and len(by_student(subs)["big"].data) == len(blob)


def test_size_caps(tmp_path):
    z = write(tmp_path / "many.zip", zip_bytes([(f"f{i}.txt", b"x") for i in range(6)]))
    subs, problems = collect([z], Limits(max_files=5))
    assert subs == [] and "more than 5 files" in only_problem(problems).reason
    data = os.urandom(3000)
    z = write(tmp_path / "two.zip", zip_bytes([("p.ipynb", data), ("q.ipynb", data)]))
    subs, problems = collect([z], Limits(max_total_bytes=5000))
    assert [s.student for s in subs] == ["p"]
    assert "past" in only_problem(problems).reason
    subs, problems = collect([z], Limits(max_file_bytes=2000))
    assert subs == [] and "larger than" in problems[0].reason
    plain = write(tmp_path / "huge.ipynb", data)
    subs, problems = collect([plain], Limits(max_file_bytes=2000))
    assert subs == [] and "larger than" in only_problem(problems).reason


def test_truncated_corrupt_and_encrypted(tmp_path):
    whole = zip_bytes([("a.ipynb", NB * 50), ("b.ipynb", NB)])
    t = write(tmp_path / "t.zip", whole[: len(whole) // 2])
    assert "corrupt or truncated" in only_problem(collect([t])[1]).reason
    damaged = bytearray(whole)
    start = whole.index(b"a.ipynb") + len("a.ipynb")  # a's compressed data follows its name
    damaged[start + 5: start + 15] = bytes(10)
    subs, problems = collect([write(tmp_path / "c.zip", bytes(damaged))])
    assert [s.student for s in subs] == ["b"]
    assert "member a.ipynb is unreadable" in only_problem(problems).reason
    locked = bytearray(zip_bytes([("secret.ipynb", NB)]))  # zipfile cannot write encrypted
    for header, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # so set the flag bit
        locked[locked.index(header) + at] |= 0x1
    subs, problems = collect([write(tmp_path / "e.zip", bytes(locked))])
    assert subs == [] and only_problem(problems).reason.endswith("secret.ipynb is encrypted")


def patched_name_zip(stored, placeholder):
    """A zip whose member name is the raw bytes `stored`, without the UTF-8 flag."""
    assert len(stored) == len(placeholder)
    raw = zip_bytes([(placeholder.decode("ascii"), NB)])
    return raw.replace(placeholder, stored)


def test_non_utf8_names(tmp_path):
    cp437 = write(tmp_path / "a.zip", patched_name_zip("café.ipynb".encode("cp437"),
                                                       b"cafX.ipynb"))
    utf8 = write(tmp_path / "b.zip", patched_name_zip("José.ipynb".encode("utf-8"),
                                                      b"JosXX.ipynb"))
    subs, problems = collect([cp437, utf8])
    assert problems == []
    assert sorted(s.name for s in subs) == [f"{cp437}:café.ipynb", f"{utf8}:José.ipynb"]


@pytest.mark.parametrize("raw, want", [
    ("Jöhn  Smith", "Jöhn_Smith"), ("王小明", "王小明"), ("../../etc/passwd", "etcpasswd"),
    (".hidden", "hidden"), ("-rf", "rf"), ("O'Brien, Pat", "OBrien_Pat"), ("", "student"),
    ("???", "student"), ("con", "con_"), ("Anne_Marie-2", "Anne_Marie-2"), ("name.", "name"),
    ("a__b", "a__b"),
])
def test_safe_id(raw, want):
    assert safe_id(raw) == want
    assert safe_id(want) == want  # idempotent: ids are passed through it again for folders


def test_long_ids_are_capped_and_keep_suffixes_distinct(tmp_path):
    assert len(safe_id("é" * 200).encode("utf-8")) <= 80
    files = [write(tmp_path / f"{'é' * 60}{tail}.ipynb") for tail in ("!", "?")]
    ids = sorted(s.student for s in collect(files)[0])
    assert ids[0] != ids[1] and all(safe_id(i) == i for i in ids)


def test_module_does_not_import_torch():
    code = "import sys, grader.grading.collect; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_folder_per_student_layout_names_each_student_by_folder(tmp_path):
    root = tmp_path / "subs"
    for who in ("alice", "bob"):
        (root / who).mkdir(parents=True)
        (root / who / "dropout.ipynb").write_text('{"cells": []}')
    subs, problems = collect([str(root)])
    assert not problems
    assert sorted(s.student for s in subs) == ["alice", "bob"]
    assert all(not s.superseded for s in subs)


def test_names_differing_only_in_underscores_stay_two_students(tmp_path):
    files = [write(tmp_path / "a__b.ipynb"), write(tmp_path / "a_b.ipynb")]
    subs, problems = collect(files)
    assert problems == [] and sorted(s.student for s in subs) == ["a__b", "a_b"]


def test_undecodable_file_names_become_writable_text(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.ipynb"
    with open(raw, "wb") as f:
        f.write(NB)
    subs, problems = collect([str(tmp_path)])
    assert problems == [] and len(subs) == 1
    subs[0].name.encode("utf-8")  # a surrogate would raise here, and in the gradebook
    assert "\ufffd" in subs[0].name


def test_a_file_that_cannot_be_read_is_its_own_problem_row(tmp_path, monkeypatch):
    """A file can vanish or lose its permissions between the listing and the reading."""
    import builtins
    write(tmp_path / "good.ipynb")
    gone = write(tmp_path / "gone.ipynb")
    real_open = builtins.open

    def flaky_open(path, *args, **kwargs):
        if str(path) == str(gone):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", flaky_open)
    subs, problems = collect([str(tmp_path)])
    assert [s.student for s in subs] == ["good"]
    assert [(p.student, p.reason) for p in problems] == [
        ("gone", f"cannot read {gone}: Permission denied")]


# ---- one submission per student and drill ------------------------------------------------
def nb_for(drill, code=""):
    """A minimal notebook whose setup line names drill (what release writes)."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": f"# @drill setup {drill}\nimport torch\n{code}"}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


D1, D2 = "drill01_dropout", "drill02_export"


def keyed(subs):
    return {(s.student, s.drill): s for s in subs}


def test_a_students_drills_do_not_supersede_each_other(tmp_path):
    d1 = write(tmp_path / "in" / "lovelaceada_1001_5001_dropout.ipynb", nb_for(D1))
    d2 = write(tmp_path / "in" / "lovelaceada_1001_6001_export.ipynb", nb_for(D2))
    d1_new = write(tmp_path / "in" / "lovelaceada_1001_5002_dropout.ipynb", nb_for(D1, "x=1"))
    subs, problems, warnings = gather([str(tmp_path / "in")])
    assert problems == [] and warnings == []
    got = keyed(subs)
    assert sorted(got) == [("lovelaceada", D1), ("lovelaceada", D2)]
    assert got["lovelaceada", D1].name == d1_new and got["lovelaceada", D1].superseded == [d1]
    assert got["lovelaceada", D2].name == d2 and got["lovelaceada", D2].superseded == []
    assert got["lovelaceada", D2].lms == ("canvas", "1001")


def test_assignment_given_keys_every_file_to_it(tmp_path):
    write(tmp_path / "in" / "lovelaceada_1001_5001_dropout.ipynb", nb_for(D1))
    new = write(tmp_path / "in" / "lovelaceada_1001_6001_export.ipynb", nb_for(D2))
    subs, _ = collect([str(tmp_path / "in")], assignment=D1)
    assert [(s.student, s.drill, s.name) for s in subs] == [("lovelaceada", D1, new)]


def test_folder_per_student_with_several_drills_each(tmp_path):
    root = tmp_path / "subs"
    for who in ("alice", "bob"):
        write(root / who / "d1.ipynb", nb_for(D1))
        write(root / who / "d2.ipynb", nb_for(D2))
    write(root / "carol" / "drill01_dropout (1).ipynb", nb_for(D1))  # named after its drill
    subs, problems, warnings = gather([str(root)])
    assert problems == []
    assert sorted(keyed(subs)) == [("alice", D1), ("alice", D2), ("bob", D1), ("bob", D2),
                                   ("carol", D1)]
    assert all(not s.superseded and s.lms == () for s in subs)
    assert len(warnings) == 2 and warnings[0].startswith("alice: files for 2 drills")
    assert "named after the folder" in warnings[0] and "check the folder layout" in warnings[0]


def test_folders_per_drill_keep_the_students_file_names(tmp_path):
    for drill, folder in ((D1, "week1"), (D2, "week2")):
        for who in ("alice", "bob"):
            write(tmp_path / "in" / folder / f"{who}.ipynb", nb_for(drill))
    subs, problems, warnings = gather([str(tmp_path / "in")])
    assert sorted(keyed(subs)) == [("alice", D1), ("alice", D2), ("bob", D1), ("bob", D2)]
    assert "named after the file name" in warnings[0]


def test_moodle_participant_numbers_are_per_drill_but_the_name_is_one_student(tmp_path):
    files = {f"m1/Ada Lovelace_11_assignsubmission_file_/a.ipynb": nb_for(D1),
             f"m2/Ada Lovelace_97_assignsubmission_file_/b.ipynb": nb_for(D2),
             f"m1/Li Wei_12_assignsubmission_file_/a.ipynb": nb_for(D1),
             f"m1/Li Wei_13_assignsubmission_file_/a.ipynb": nb_for(D1)}
    for rel, data in files.items():
        write(tmp_path / rel, data)
    subs, problems, warnings = gather([str(tmp_path / "m1"), str(tmp_path / "m2")])
    got = keyed(subs)
    assert sorted(got) == [("Ada_Lovelace", D1), ("Ada_Lovelace", D2), ("Li_Wei", D1),
                           ("Li_Wei-2", D1)]
    assert got["Ada_Lovelace", D2].lms == ("moodle", "97") and warnings == []


def test_an_unreadable_file_joins_the_one_drill_or_is_its_own_row(tmp_path):
    write(tmp_path / "a" / "alice.ipynb", nb_for(D1))
    write(tmp_path / "a" / "alice.zip", b"not a zip")
    subs, problems = collect([str(tmp_path / "a")])
    assert problems == [] and "corrupt" in keyed(subs)["alice", D1].superseded[0]
    write(tmp_path / "a" / "alice.py", f"# @drill setup {D2}\n".encode())  # a second drill
    subs, problems = collect([str(tmp_path / "a")])
    assert sorted(keyed(subs)) == [("alice", D1), ("alice", D2)]
    assert [(p.student, p.drill) for p in problems] == [("alice", "")]
