"""How fast `python -m grader grade` is: one submission from a cold start (beside nbgrader and
otter-grader), 100 of drill 01 in a batch, and a course batch across every drill.

Usage: .venv/bin/python bench/grading_speed.py [--runs 5] [--batch 100] [--course 1000] [--jobs 2]

Machines (and shared CI runners) drift in speed by up to 2x, so the same run also times a
fixed pure-Python workload and prints every number as a ratio to it as well. Targets: one
submission <= 0.25 of nbgrader's cold grade, 100 with --jobs 2 <= 240 s, the course batch of
1,000 <= 300 s. Then a profile of one submission: the parent's import, its payload
preparation and preload, and the child's work (cells, each check, the demo), each timed in
one fresh process after a preload, like a forked child.
"""
import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DRILL = "drill01_dropout"  # the benchmark grades drill 01 answers, as it always has
CORRECT = ROOT / "solutions" / DRILL / "mutants" / "correct"
TARGETS = {"batch, total": 240.0, "course batch, total": 300.0}
# nbgrader 0.9.6 and otter-grader 7.0.0 grading the same drill 01 answer cold, as issue 23
# measured them on a 2-core machine of this project's kind (interleaved rounds, 2026-12):
# seconds, lowest and highest round. Printed beside today's numbers, and said to be stored.
RIVALS = {"nbgrader 0.9.6": (7.9, 10.4), "otter-grader 7.0.0": (11.3, 12.2)}
RIVAL_TARGET = 0.25  # of nbgrader's time
CPU_SECONDS = []  # of each grade() call, in order
REFERENCE_LOOPS = 40_000_000  # about 1 s of plain Python on a 2020s laptop core


def reference_workload():
    """A fixed amount of pure-Python work; its time is the unit the other numbers divide by."""
    start = time.perf_counter()
    total = 0
    for i in range(REFERENCE_LOOPS):
        total += i % 7
    assert total > 0
    return time.perf_counter() - start


def grade(paths, out, jobs=1, strict=True):
    """Wall seconds of one `python -m grader grade` subprocess, which must succeed (strict:
    with no submission in error); CPU seconds of it and its children go to CPU_SECONDS."""
    start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", *map(str, paths), "--out",
                           str(out), "--jobs", str(jobs), "--quiet"], cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if proc.returncode != 0 or (strict and " 0 with errors" not in proc.stdout):
        sys.exit(f"grading failed:\n{proc.stdout}{proc.stderr}")
    return seconds


def student_notebook(drill=DRILL):
    from grader.build import notebook
    return notebook.read(ROOT / "notebooks" / f"{drill}.ipynb")


def full_answers(drill=DRILL):
    """The student notebook with the solution's answers: what a good learner submits."""
    from grader.build import notebook, samples
    solution = notebook.read(ROOT / "solutions" / drill / "solution.ipynb")
    return samples.answered(student_notebook(drill), solution)


def answered(path):
    from grader.build import notebook
    path.write_text(notebook.dumps(full_answers()))
    return path


def course_folder(folder, n):
    """n notebooks spread evenly over every drill, each drill cycling through its answers:
    the solution's, every correct alternative, every buggy mutant, and the untouched stub."""
    from grader.build import notebook, samples
    from grader.grading import drills
    folder.mkdir()
    ids = drills.ids()
    kinds = {}
    for drill in ids:
        full, mutants = full_answers(drill), ROOT / "solutions" / drill / "mutants"
        kinds[drill] = [full, *(samples.with_code(full, p.read_text())
                                for p in sorted(mutants.glob("*/*.py"))), student_notebook(drill)]
    for i in range(n):
        drill = ids[i % len(ids)]
        nb = kinds[drill][(i // len(ids)) % len(kinds[drill])]
        (folder / f"s{i:04d}_{drill}.ipynb").write_text(notebook.dumps(nb))
    return folder


def per_drill(out):
    """{drill: (submissions, child seconds)} from the results a batch wrote."""
    spent = {}
    for path in out.rglob("results.json"):
        extra = json.loads(path.read_text()).get("extra_data", {})
        count, seconds = spent.get(extra.get("assignment"), (0, 0.0))
        spent[extra.get("assignment")] = (count + 1, seconds + float(extra.get("seconds", 0)))
    return spent


def batch_folder(folder, n):
    """n distinct notebooks, cycling through the correct implementations' styles."""
    from grader.build import notebook, samples
    student = student_notebook()
    styles = sorted(CORRECT.glob("*.py"))
    folder.mkdir()
    for i in range(n):
        nb = samples.with_code(student, styles[i % len(styles)].read_text())
        (folder / f"student{i:03d}.ipynb").write_text(notebook.dumps(nb))
    return folder


def stages():
    """Seconds per stage of one submission, timed in this (fresh) process; printed as JSON."""
    out = {}
    start = time.perf_counter()
    from grader.grading import collect, drills, pipeline
    from grader.grading.model import SourceCheck
    out["parent: import grader (torch)"] = time.perf_counter() - start
    import torch

    def timed(label, fn):
        t = time.perf_counter()
        value = fn()
        out[label] = time.perf_counter() - t
        return value
    grader = pipeline.Grader()
    drill = timed("parent: load drill", lambda: drills.load(DRILL))
    inputs = timed("parent: prepare inputs", lambda: grader.inputs(drill))
    timed("parent: preload (once per batch)", pipeline.preload)
    [sub], _ = collect.collect([str(answered(Path(tempfile.mkdtemp()) / "one.ipynb"))])
    cells = pipeline.cells_of(sub)
    ns = {"__name__": "__main__"}
    torch.manual_seed(0)
    cell_total = 0.0
    for label, src in cells:
        t = time.perf_counter()
        exec(compile(src, label, "exec"), ns)
        spent = time.perf_counter() - t
        cell_total += spent
        if spent >= 0.01:
            out[f"child: {label} ({src.splitlines()[0][:40]})"] = spent
    out["child: all cells"] = cell_total
    for check, _, _ in grader.checks(drill):
        if not isinstance(check, SourceCheck):
            name = "demo" if check.name == "demo" else f"check {check.name}"
            timed(f"child: {name}", lambda: check.execute(ns[check.target], inputs[check.name]))
    return out


def row(label, seconds, unit):
    target = TARGETS.get(label)
    mark = "" if target is None else ("  ok" if seconds <= target else f"  MISSED (<= {target:g})")
    print(f"{label:<44}{seconds:>9.2f}{seconds / unit:>9.2f}{mark}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts to take the median of")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--course", type=int, default=1000,
                        help="submissions across every drill in one batch (0: skip)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--stages", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(stages()))
        return
    tmp = Path(tempfile.mkdtemp(prefix="grading-speed-"))
    try:
        unit = reference_workload()
        one = answered(tmp / "one.ipynb")
        cold = statistics.median(grade([one], tmp / f"one-{k}") for k in range(args.runs))
        cold_cpu = statistics.median(CPU_SECONDS)
        folder = batch_folder(tmp / "batch", args.batch)
        total = grade([folder], tmp / "batch-out", jobs=args.jobs)
        if args.course:
            course = grade([course_folder(tmp / "course", args.course)], tmp / "course-out",
                           jobs=args.jobs, strict=False)
            spent = per_drill(tmp / "course-out")
        unit = min(unit, reference_workload())  # the faster of two: less noise from neighbours
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'quantity':<44}{'seconds':>9}{'x ref':>9}")
    row("reference workload (pure Python)", unit, unit)
    row("one submission, cold start (median)", cold, unit)
    row("batch, total", total, unit)
    row("batch, per submission", total / args.batch, unit)
    print(f"(batch: {args.batch} notebooks, --jobs {args.jobs}; cold start: median of "
          f"{args.runs} runs of `python -m grader grade one.ipynb`, {cold_cpu:.2f} s of CPU)")
    print("\ncold start beside other graders (their seconds are STORED figures, not measured "
          "in this run):")
    for name, (low, high) in RIVALS.items():
        print(f"  {name:<20} {low:>5.1f} to {high:>5.1f} s   ours: {cold / high:.2f} to "
              f"{cold / low:.2f} of its time")
    low = RIVALS["nbgrader 0.9.6"][0]
    verdict = "ok" if cold / low <= RIVAL_TARGET else "MISSED"
    print(f"  target: <= {RIVAL_TARGET:g} of nbgrader's fastest round: {cold / low:.2f}  {verdict}")
    if args.course:
        print(f"\ncourse batch: {args.course} notebooks across every drill, --jobs {args.jobs}")
        row("course batch, total", course, unit)
        child = sum(s for _, s in spent.values())
        print(f"  {'drill':<22}{'notebooks':>10}{'s each':>9}{'share':>8}   (child seconds)")
        for drill, (count, seconds) in sorted(spent.items(), key=lambda kv: -kv[1][1]):
            print(f"  {drill:<22}{count:>10}{seconds / count:>9.3f}{seconds / child:>8.0%}")
    proc = subprocess.run([sys.executable, __file__, "--stages"], capture_output=True, text=True,
                          check=True)
    print("\nwhere one submission's time goes (one fresh process):")
    for label, seconds in json.loads(proc.stdout.splitlines()[-1]).items():  # cells print
        print(f"  {label:<62}{seconds:>7.3f}")


if __name__ == "__main__":
    main()
