"""Time drill 01's p-sweep: one batched run vs training the same nets one at a time.

Usage: .venv/bin/python bench/sweep_speed.py [--threads N] [--repeats R]
Prints wall and CPU seconds (median of R runs) and the speedups, then the cost of the
grader's demo_numbers. CPU time (time.process_time) is the steadier number when other
processes share the machine: with one torch thread it counts only this process's work.
"""
import argparse
import runpy
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere
from grader.drills.dropout01 import training as T  # noqa: E402

REFERENCE = ROOT / "tests" / "implementations" / "correct" / "rand_like_ge.py"


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    Dropout = runpy.run_path(str(REFERENCE))["Dropout"]
    T.demo_numbers(Dropout, 0)  # warm up torch's lazy initialisation

    nets = len(T.SWEEP_PS) * len(T.SWEEP_SEEDS)
    batched = median_seconds(lambda: T.run_sweep(Dropout), args.repeats)
    sequential = median_seconds(lambda: sequential_sweep(Dropout), args.repeats)
    print(f"sweep: {nets} nets x {T.STEPS} steps, {args.threads} thread(s), median of {args.repeats}")
    print(f"{'mode':<12}{'wall s':>10}{'CPU s':>10}")
    for name, (wall, cpu) in (("sequential", sequential), ("batched", batched)):
        print(f"{name:<12}{wall:>10.2f}{cpu:>10.2f}")
    print(f"{'speedup':<12}{sequential[0] / batched[0]:>9.1f}x{sequential[1] / batched[1]:>9.1f}x")

    torch.set_num_threads(1)
    for name, fn in (("demo_numbers", lambda: T.demo_numbers(Dropout, 0)),
                     ("run_demo (curves)", lambda: T.run_demo(Dropout))):
        wall, cpu = median_seconds(fn, 7)
        print(f"{name} (1 thread, median of 7): {wall:.3f} s wall, {cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
