"""Execute every solution notebook in place, keeping its outputs (`make solutions`).

The outputs are what nbval compares in CI, so run this after changing a solution and commit
the result. Timing metadata is not recorded, to keep diffs small.
"""
import glob
import os
import sys
import time

import nbclient
import nbformat

HERE = os.path.dirname(os.path.abspath(__file__))


def main(paths):
    for path in paths or sorted(glob.glob(os.path.join(HERE, "*.ipynb"))):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": HERE}}).execute()
        nbformat.write(nb, path)
        print(f"{os.path.relpath(path)}: executed in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
