"""SeededDropout against torch's F.dropout on the CPU: forward plus backward, 2^24 float32.

Run from the repository root: python solutions/drill06_at_scale/bench_cpu.py [--threads N]
Prints the median of --reps runs (after one warm-up) for F.dropout, the reference
SeededDropout (read from the solution notebook) and the textbook bool-mask line, the ratio
to F.dropout (goal: SeededDropout within 2x) and the bytes per element each keeps for
backward. Machine-relative numbers; not a test.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from solutions.drill06_at_scale.reference import answers  # noqa: E402


def seconds(fn, x, g, reps):
    times = []
    for _ in range(reps + 1):  # the first run warms up (allocator, thread pool)
        x.grad = None
        start = time.perf_counter()
        fn(x).backward(g)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log2n", type=int, default=24)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--p", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=0, help="0: torch's default")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    ns = answers()
    SeededDropout, saved_bytes = ns["SeededDropout"], ns["saved_bytes"]
    n, p = 2 ** args.log2n, args.p
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, generator=gen).requires_grad_()
    g = torch.randn(n, generator=gen)
    cases = {"F.dropout": lambda t: F.dropout(t, p, training=True),
             "SeededDropout": lambda t: SeededDropout.apply(t, p, 1234),
             "bool-mask line": lambda t: t * (torch.rand_like(t) >= p) / (1 - p)}
    times = {name: seconds(fn, x, g, args.reps) for name, fn in cases.items()}
    small = torch.randn(4096).requires_grad_()
    print(f"CPU, torch {torch.__version__}, {torch.get_num_threads()} threads; n = 2^{args.log2n} "
          f"float32, p = {p}, forward + backward, median of {args.reps}")
    print(f"{'implementation':<16} {'ms':>9} {'/ F.dropout':>12} {'saved B/elt':>12}")
    for name, fn in cases.items():
        bpe = saved_bytes(fn, small) / small.numel()
        print(f"{name:<16} {1e3 * times[name]:>9.1f} {times[name] / times['F.dropout']:>12.2f} "
              f"{bpe:>12.2f}")
    ratio = times["SeededDropout"] / times["F.dropout"]
    print(f"SeededDropout / F.dropout = {ratio:.2f} (goal: within 2x: "
          f"{'met' if ratio <= 2 else 'NOT met'})")


if __name__ == "__main__":
    main()
