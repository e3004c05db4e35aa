"""The reference answers, read from the solution notebook's answer cells (one source).

Not pasted into any notebook: the tests, bench_cpu.py and the sample builder use it.
"""
import json
import math
import os
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
SOLUTION = os.path.join(HERE, "solution.ipynb")
MARKER = re.compile(r"^\s*# (BEGIN SOLUTION|END SOLUTION)\b")


def answer_sources(path=SOLUTION):
    """The `# @drill answer` cells' sources, with the BEGIN/END SOLUTION lines removed."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    out = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and src.lstrip().startswith("# @drill answer"):
            out.append("".join(line for line in src.splitlines(keepends=True)
                               if not MARKER.match(line)))
    return out


def setup_namespace():
    """What the notebook's setup cell imports: the only names an answer may rely on."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import time
    return {"math": math, "time": time, "torch": torch, "nn": nn, "F": F, "plt": plt,
            "__name__": "__main__"}


def answers(path=SOLUTION):
    """A namespace holding the reference SeededDropout, saved_bytes and dropout_memory."""
    ns = setup_namespace()
    for src in answer_sources(path):
        exec(compile(src, "<reference answer>", "exec"), ns)
    return ns
