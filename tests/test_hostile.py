"""Hostile and broken submissions: one end-to-end batch through the CLI.

The corpus is generated here in tmp_path (tests/hostile/ holds the hostile snippets, with
__PLACEHOLDERS__ filled in per run), so no large or binary file is committed. Every
submission must get a gradebook row; hostile code gets the verdict its real behaviour earns;
nothing it starts survives, nothing it writes lands outside its temporary folder.
"""
import csv
import json
import os
import socket
import subprocess
import sys
import zipfile
import uuid
from pathlib import Path

import pytest

from grader.grading import report, sandbox

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).parent / "hostile"
IMPL = ROOT / "solutions" / "drill01_dropout" / "mutants"
SECRET = "s3cr3t-" + uuid.uuid4().hex
TIMEOUT = 8  # seconds per submission in the batch: the loop cases cost this much each


def nb(*sources, extra_cells=()):
    cells = [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
              "execution_count": None} for s in sources]
    return json.dumps({"cells": cells + list(extra_cells), "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5})


def markers_running(marker):
    found = []
    for entry in os.listdir("/proc"):
        try:
            if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(entry)
        except OSError:
            pass
    return found


def build_corpus(subs, out, marker, port):
    """Write every submission into subs/; returns the paths hostile code tries to write."""
    good = (IMPL / "correct" / "bernoulli.py").read_text()
    buggy = (IMPL / "buggy" / "no_scaling.py").read_text()
    fill = {"__MARKER__": marker, "__OUT__": str(out), "__REPO__": str(ROOT),
            "__HOME__": os.path.expanduser("~"), "__TMP__": str(subs.parent),
            "__SECRET__": SECRET, "__PORT__": str(port)}

    def hostile(name):
        text = (HOSTILE / name).read_text()
        for key, value in fill.items():
            text = text.replace(key, value)
        return text
    files = {
        # good ones, and the references the hostile variants are compared with
        "good.py": good,
        "where.py": (IMPL / "correct" / "where.py").read_text(),
        "noscale.py": buggy,
        # hostile: same verdict as the code they wrap
        "patcher.py": buggy + "\n" + hostile("patch_torch.py"),
        "exits.ipynb": nb(good, *hostile("exits.py").split("\n\n")),
        "killer.py": good + "\n" + hostile("kill_parent.py"),
        "detacher.py": good + "\n" + hostile("detach.py"),
        # a fork that never exits runs the rest of the grading too: still one clean report
        "forker.py": good + "\nimport os\nos.fork()\n",
        "writer.py": good + "\n" + hostile("write_out.py"),
        "snoop.py": good + "\n" + hostile("secrets.py"),
        "magics.ipynb": nb(good, f"!touch /tmp/PWNED-{marker}\n%pip install evil\nx = 1",
                           f"%%bash\ntouch /tmp/PWNED-{marker}-bash"),
        # limits
        "loop_cell.ipynb": nb(good, "while True:\n    pass"),
        "loop_forward.py": good.replace("if not self.training:", "while True:\n            pass\n"
                                        "        if not self.training:"),
        "memory.ipynb": nb(good, "big = bytearray(8 << 30)",
                           "import torch\nt = torch.ones(8 << 30, dtype=torch.uint8)"),
        "chatty.py": good + "\nimport sys\nsys.stdout.write('x' * 50_000_000)\nprint('THE END')",
        # broken input
        "empty.ipynb": "",
        "truncated.ipynb": nb(good)[:200],
        "notnb.ipynb": json.dumps([1, 2, 3]),
        "v3.ipynb": json.dumps({"nbformat": 3, "worksheets": [{"cells": [
            {"cell_type": "code", "input": good, "outputs": []}]}]}),
        "wrongtype.ipynb": nb(good, extra_cells=[{"cell_type": "code", "source": 42}]),
        "syntax.py": good + "\ndef broken(:\n",
        "missing.py": "import no_such_package_xyz\n" + good,
        "nodropout.py": "import torch\nx = 1\n",
        "notmodule.py": "class Dropout:\n    pass\n",
        "stub.ipynb": (ROOT / "notebooks" / "drill01_dropout.ipynb").read_text(),
    }
    for name, text in files.items():
        (subs / name).write_text(text, encoding="utf-8")
    (subs / "binary.ipynb").write_bytes(bytes(range(256)) * 64)
    # one file must never stop the batch: JSON nested past Python's recursion limit, alone
    # and inside a zip, a notebook of 20,000 cells, a name that is not UTF-8
    deep = "[" * 100_000 + "]" * 100_000
    (subs / "nested.ipynb").write_text(deep)
    with zipfile.ZipFile(subs / "nestedzip.zip", "w") as z:
        z.writestr("nestedzip/a.ipynb", deep)
        z.writestr("nestedzip/b.ipynb", "{" * 50_000)
    (subs / "manycells.ipynb").write_text(nb(good, *["x = 1"] * 20_000))
    (subs / os.fsdecode(b"badname\xff.py")).write_bytes(good.encode())
    (subs / "latin1.py").write_bytes(b"# caf\xe9 na\xefve\n" + good.encode())
    # 60 MB of stored outputs around the good answer: must grade about as fast as it
    blob = {"output_type": "display_data", "metadata": {},
            "data": {"image/png": "A" * 60_000_000}}
    big = json.loads(nb(good))
    big["cells"][0]["outputs"] = [blob]
    (subs / "huge.ipynb").write_text(json.dumps(big))
    writes = [t.replace("__OUT__", str(out)).replace("__MARKER__", marker)
              .replace("__REPO__", str(ROOT)).replace("__HOME__", fill["__HOME__"])
              .replace("__TMP__", str(subs.parent))
              for t in ("__OUT__/PWNED-__MARKER__", "__REPO__/PWNED-__MARKER__",
                        "__HOME__/PWNED-__MARKER__", "__TMP__/PWNED-__MARKER__",
                        "/tmp/PWNED-__MARKER__", "/tmp/PWNED-__MARKER__-bash")]
    return [Path(w) for w in writes]


def grade(paths, out, *extra):
    env = dict(os.environ, AWS_SECRET_ACCESS_KEY=SECRET, GITHUB_TOKEN=SECRET)
    return subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, paths),
                           "--out", str(out), "--quiet", "--assignment", "drill01_dropout",
                           *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def rows(out):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def result(out, student):
    return report.result_from_json(json.loads((out / student / "results.json").read_text()))


def per_check(res):
    return {c.name: (c.status, c.score) for c in res.checks}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    subs, out, alone = tmp / "subs", tmp / "out", tmp / "alone"
    subs.mkdir()
    marker = "marker-" + uuid.uuid4().hex
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    writes = build_corpus(subs, out, marker, listener.getsockname()[1])
    done = grade([subs], out, "--jobs", "2", "--timeout", str(TIMEOUT))
    listener.close()
    solo = grade([subs / "good.py", subs / "huge.ipynb"], alone, "--jobs", "1")
    yield dict(done=done, out=out, alone=alone, marker=marker, writes=writes, subs=subs)
    for pid in markers_running(marker):  # do not leave a failed run's processes behind
        os.kill(int(pid), 9)


def protections():
    return set(sandbox.run(sandbox.Job([("probe", "x = 1")], {}, [])).protections)


def test_batch_finishes_with_a_row_for_everyone(batch):
    assert batch["done"].returncode == 0, batch["done"].stderr
    got = rows(batch["out"])
    expected = {p.stem for p in batch["subs"].iterdir()} - {"nestedzip", "badname\udcff"}
    assert set(got) == expected | {"a", "b", "badname"}  # zip members: named by their file
    assert all(r["status"] in ("graded", "error") for r in got.values())


def test_hostile_code_earns_the_verdict_of_what_it_really_does(batch):
    out = batch["out"]
    good, buggy = per_check(result(out, "good")), per_check(result(out, "noscale"))
    assert any(status != "pass" for status, _ in buggy.values())  # the reference really fails
    scores = lambda checks: {name: score for name, (_, score) in checks.items()}
    assert scores(per_check(result(out, "patcher"))) == scores(buggy)  # no faked pass
    for student in ("exits", "killer", "detacher", "forker", "writer", "snoop", "magics", "memory",
                    "chatty", "v3", "wrongtype", "latin1", "huge"):
        res = result(out, student)
        assert res.status == "graded", (student, res.reason)
        assert per_check(res) == good, student
    exits = result(out, "exits").cell_errors
    assert len(exits) == 4 and all("tried to exit" in e for e in exits)


def test_good_ones_grade_as_when_graded_alone(batch):
    assert batch["done"].returncode == 0
    for student in ("good", "huge"):
        assert per_check(result(batch["out"], student)) == per_check(result(batch["alone"],
                                                                            student))


def test_no_process_left_and_nothing_written_outside(batch):
    assert markers_running(batch["marker"]) == []
    assert [w for w in batch["writes"] if w.exists()] == []
    fake = result(batch["out"], "good")
    assert fake.score < 999 and fake.source_name.endswith("good.py")
    assert "999" not in (batch["out"] / "gradebook.csv").read_text()
    assert not (batch["subs"] / "results.json").exists()


def test_secrets_and_network_are_out_of_reach(batch):
    res = result(batch["out"], "snoop")
    assert SECRET not in res.captured_output
    assert "found: []" in res.captured_output, res.captured_output[-500:]


def test_limits_have_clear_reasons(batch):
    out = batch["out"]
    for student in ("loop_cell", "loop_forward"):
        res = result(out, student)
        assert res.status == "error" and "time limit" in res.reason and res.score == 0
    mem = result(out, "memory").cell_errors
    assert len(mem) == 2 and all("memory limit" in e for e in mem), mem
    chatty = result(out, "chatty").captured_output
    assert len(chatty) < 1.1e6 and "bytes cut" in chatty and chatty.rstrip().endswith("THE END")


def test_broken_input_gets_a_one_line_reason(batch):
    got, out = rows(batch["out"]), batch["out"]
    reasons = {"empty": "empty", "truncated": "not valid JSON", "notnb": "not a notebook",
               "binary": "binary", "nodropout": "`Dropout` is not defined yet",
               "notmodule": "not a subclass of torch.nn.Module",
               "nested": "nested too deeply", "a": "nested too deeply", "b": "not valid JSON"}
    for student, words in reasons.items():
        reason = got[student]["reason"] or " ".join(c.message for c in result(out, student).checks)
        assert words in reason and "\n" not in got[student]["reason"], (student, reason)
        assert float(got[student]["score"]) <= 1  # at most the source-only check
    assert any("SyntaxError" in e for e in result(out, "syntax").cell_errors)
    assert any("ModuleNotFoundError" in e for e in result(out, "missing").cell_errors)
    stub = result(out, "stub")
    assert stub.score < stub.max_score / 2 and any(c.status == "todo" for c in stub.checks)
    for student in ("manycells", "badname"):
        assert got[student]["status"] == "graded", got[student]
        assert got[student]["score"] == got[student]["max_score"], student


def test_huge_notebook_grades_about_as_fast_as_a_small_one(batch):
    huge, small = result(batch["alone"], "huge"), result(batch["alone"], "good")
    assert huge.seconds < small.seconds + 2.0, (huge.seconds, small.seconds)


def test_protections_active_where_the_machine_allows():
    """Root (CI) or user namespaces: all of them. Elsewhere this documents what is missing."""
    active = protections()
    if os.geteuid() != 0 and "user-namespace" not in active:
        pytest.skip(f"no namespaces here; active: {sorted(active)}")
    assert {"pid-namespace", "no-network", "read-only-filesystem", "private-proc",
            "private-tmpfs", "trimmed-environment"} <= active
    assert active & {"unprivileged-user", "no-capabilities"}
