"""Execute solution notebooks in place, keeping their outputs (`make solutions`).

The outputs are what nbval compares in CI, so run this after changing a solution and commit
the result. Each notebook runs in its own drill folder. Timing metadata is not recorded, to
keep diffs small. Arguments: drill ids or notebook paths; none means every drill.
"""
import os
import sys
import time

import nbclient
import nbformat

from grader.grading import drills


def main(args):
    paths = [a if a.endswith(".ipynb") else os.path.join(drills.ROOT, drills.paths(a)[0])
             for a in args] or [os.path.join(drills.ROOT, drills.paths(d)[0]) for d in drills.ids()]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        folder = os.path.dirname(os.path.abspath(path))
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": folder}}).execute()
        nbformat.write(nb, path)
        print(f"{os.path.relpath(path)}: executed in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
