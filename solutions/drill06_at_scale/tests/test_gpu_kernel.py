"""The Triton kernels: the notebook's GPU cell holds the same text as gpu_bench.py, and where
Triton is installed, its CPU interpreter runs them (float32 and float16; the interpreter
mishandles bfloat16, which only a GPU run checks)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(FOLDER, "gpu_bench.py")
BEGIN, END = "# --- kernel begin", "# --- kernel end ---"


def kernel_block(text):
    start = text.index(BEGIN)
    return text[start:text.index(END, start) + len(END)]


def test_notebook_gpu_cell_holds_the_bench_kernels():
    with open(BENCH, encoding="utf-8") as f:
        bench = kernel_block(f.read())
    with open(os.path.join(FOLDER, "solution.ipynb"), encoding="utf-8") as f:
        nb = json.load(f)
    cells = ["".join(c["source"]) for c in nb["cells"] if BEGIN in "".join(c["source"])]
    assert len(cells) == 1
    cell = cells[0]
    start = cell.rindex("\n", 0, cell.index(BEGIN)) + 1  # from the marker line's indent
    end = cell.index(END) + len(END)
    assert textwrap.dedent(cell[start:end]) == bench
    assert "torch.cuda.is_available()" in cell and "except ImportError" in cell


INTERPRET = r'''
import importlib.util, os, sys
import torch
spec = importlib.util.spec_from_file_location("gpu_bench", sys.argv[1])
gb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gb)
for dtype in (torch.float32, torch.float16):
    for four in (False, True):
        n, p = 5000 + 37, 0.1
        x = (torch.rand(n) + 0.5).to(dtype).requires_grad_()
        g = (torch.rand(n) + 0.5).to(dtype)
        y = gb.TritonSeededDropout.apply(x, p, 1234, four)
        y.backward(g)
        kept = y != 0
        assert torch.equal(kept, x.grad != 0), "backward's mask differs from forward's"
        assert abs((~kept).double().mean().item() - p) < 6 * (p * (1 - p) / n) ** 0.5
        eps = torch.finfo(dtype).eps
        want = x.detach()[kept].double() / (1 - p)
        assert torch.allclose(y[kept].double(), want, rtol=2 * eps, atol=0)
        assert torch.equal(gb.triton_dropout(x.detach(), p, 1234, four), y.detach())
        assert not torch.equal(gb.triton_dropout(x.detach(), p, 1235, four) != 0, kept)
print("interpreter ok")
'''


def test_kernels_under_the_triton_interpreter():
    try:
        import triton  # noqa: F401
    except ImportError:
        pytest.skip("triton is not installed (the GPU kernels are checked where it is)")
    env = dict(os.environ, TRITON_INTERPRET="1")
    out = subprocess.run([sys.executable, "-c", INTERPRET, BENCH], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "interpreter ok" in out.stdout
