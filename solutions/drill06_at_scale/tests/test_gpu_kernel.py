"""The Triton kernels: one module (triton_kernel.py) that the notebook pastes and gpu_bench.py
imports; it loads without Triton, and where Triton is installed its CPU interpreter runs the
kernels (float32 and float16; the interpreter mishandles bfloat16, which only a GPU run checks)."""
import json
import os
import subprocess
import sys

import pytest

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.path.join(FOLDER, "triton_kernel.py")
INLINE = "# @drill inline solutions/drill06_at_scale/triton_kernel.py"


def test_the_notebook_pastes_the_kernel_module_and_gpu_bench_imports_it():
    with open(os.path.join(FOLDER, "solution.ipynb"), encoding="utf-8") as f:
        cells = ["".join(c["source"]) for c in json.load(f)["cells"]]
    assert "@triton.jit" not in "".join(cells), "a kernel is written out in the notebook"
    at = [i for i, src in enumerate(cells) if src.startswith(INLINE)]
    assert len(at) == 1, "the notebook must paste triton_kernel.py once"
    assert "from solutions.drill06_at_scale.triton_kernel import *" in cells[at[0]]
    demo = cells[at[0] + 1]
    assert "gpu_demo()" in demo and "HAVE_TRITON and torch.cuda.is_available()" in demo
    with open(os.path.join(FOLDER, "gpu_bench.py"), encoding="utf-8") as f:
        bench = f.read()
    assert "@triton.jit" not in bench and "triton_kernel import" in bench


def test_the_module_loads_without_triton():
    code = ("import sys, runpy; sys.modules['triton'] = None; "
            "ns = runpy.run_path(sys.argv[1]); "
            "print(ns['HAVE_TRITON'], 'triton_dropout' in ns)")
    out = subprocess.run([sys.executable, "-c", code, KERNEL], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["False", "False"]


INTERPRET = r'''
import importlib.util, os, sys
import torch
spec = importlib.util.spec_from_file_location("triton_kernel", sys.argv[1])
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
    out = subprocess.run([sys.executable, "-c", INTERPRET, KERNEL], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "interpreter ok" in out.stdout
