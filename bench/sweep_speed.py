"""Time drill 01's p-sweep: one batched run vs training the same nets one at a time.

Usage: .venv/bin/python bench/sweep_speed.py [--threads N] [--repeats R]
Prints wall and CPU seconds (median of R runs) and the speedups over the batched run, the
cost of the grader's demo_numbers, then the notebook's sweep quiet and beside one busy
process, as shipped (one torch thread inside training) and with torch's default threads. Two one-at-a-time loops: `train_one` (the ordinary
loop, torch.optim.Adam) and train_batched with one net per call (the batched code's own
written-out Adam), so the gain from batching alone can be told from the optimizer's share.
CPU time (time.process_time) is the steadier number when other processes share the
machine: with one torch thread it counts only this process's work.
"""
import argparse
import contextlib
import os
import runpy
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
from solutions.drill01_dropout import training as T  # noqa: E402

REFERENCE = ROOT / "solutions" / "drill01_dropout" / "mutants" / "correct" / "rand_like_ge.py"


def median_seconds(fn, repeats):
    """(wall, cpu) seconds of fn(), each the median of `repeats` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def sequential_sweep(Dropout):
    return [T.train_one(Dropout, p, s) for p in T.SWEEP_PS for s in T.SWEEP_SEEDS]


def one_net_batches(Dropout):
    return [T.train_batched(Dropout, [p], [s]) for p in T.SWEEP_PS for s in T.SWEEP_SEEDS]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    Dropout = runpy.run_path(str(REFERENCE))["Dropout"]
    T.demo_numbers(Dropout, (0,))  # warm up torch's lazy initialisation

    nets = len(T.SWEEP_PS) * len(T.SWEEP_SEEDS)
    batched = median_seconds(lambda: T.run_sweep(Dropout), args.repeats)
    rows = (("sequential (train_one)", median_seconds(lambda: sequential_sweep(Dropout), args.repeats)),
            ("1-net batches", median_seconds(lambda: one_net_batches(Dropout), args.repeats)),
            ("batched", batched))
    print(f"sweep: {nets} nets x {T.STEPS} steps, {args.threads} thread(s), median of {args.repeats}")
    print(f"{'mode':<24}{'wall s':>8}{'CPU s':>8}{'speedup wall':>14}{'CPU':>6}")
    for name, (wall, cpu) in rows:
        print(f"{name:<24}{wall:>8.2f}{cpu:>8.2f}{wall / batched[0]:>13.1f}x{cpu / batched[1]:>5.1f}x")

    torch.set_num_threads(1)
    for name, fn in (("demo_numbers (graded: 5 data sets)", lambda: T.demo_numbers(Dropout)),
                     ("run_demo (curves)", lambda: T.run_demo(Dropout))):
        wall, cpu = median_seconds(fn, 7)
        print(f"{name} (1 thread, median of 7): {wall:.3f} s wall, {cpu:.3f} s CPU")
    busy_table(Dropout, args.repeats)


@contextlib.contextmanager
def busy_neighbour():
    """One other CPU-bound process on the machine while the block runs."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        proc.kill()
        proc.wait()


def busy_table(Dropout, repeats):
    """The notebook's run_sweep: one torch thread inside training (as shipped) against
    torch's default thread count, on a quiet machine and beside one busy process."""
    threads = max(1, len(os.sched_getaffinity(0)))
    shipped = T.one_thread
    print(f"\nnotebook sweep (run_sweep), wall s, median of {repeats}:")
    print(f"{'training threads':<28}{'quiet':>8}{'busy':>8}")
    for label, patch in (("1 (as shipped)", shipped),
                         (f"{threads} (torch default)", contextlib.nullcontext)):
        T.one_thread = patch
        torch.set_num_threads(threads)
        try:
            quiet = median_seconds(lambda: T.run_sweep(Dropout), repeats)[0]
            with busy_neighbour():
                busy = median_seconds(lambda: T.run_sweep(Dropout), repeats)[0]
        finally:
            T.one_thread = shipped
        print(f"{label:<28}{quiet:>8.2f}{busy:>8.2f}")


if __name__ == "__main__":
    main()
