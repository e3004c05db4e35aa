"""The grader's child defers matplotlib until something reads it (grader.grading.sandbox.lazyplot)."""
import json
import subprocess
import sys

from grader.build import notebook, samples
from tests.grading_helpers import REPO, SOLUTION, STUDENT, run_grader

PROBE = """
import sys
from grader.grading.sandbox import lazyplot
lazyplot.install()
import matplotlib.pyplot as plt
import matplotlib as mpl
from matplotlib import pyplot
imported = "matplotlib.figure" in sys.modules
fig, ax = plt.subplots()
ax.plot([1, 2, 3])
print(imported, type(fig).__name__, pyplot.gcf() is fig, mpl.rcParams["lines.linewidth"] > 0,
      mpl.get_backend().lower() == "agg")
"""


def test_importing_pyplot_costs_nothing_until_it_is_used_and_then_works_in_full():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True,
                         env={"MPLBACKEND": "Agg", "PATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "Figure", "True", "True", "True"]


def test_a_submission_that_draws_in_a_graded_cell_is_graded_without_cell_errors(tmp_path):
    nb = samples.answered(notebook.read(STUDENT), notebook.read(SOLUTION))
    drawing = "fig, ax = plt.subplots()\nax.hist(torch.randn(100).numpy())\nplt.close(fig)\n"
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "draws",
                        "metadata": {}, "outputs": [], "source": notebook.split_lines(drawing)})
    path = tmp_path / "draws.ipynb"
    path.write_text(notebook.dumps(nb))
    out = run_grader("grade", path, "--out", tmp_path / "out")
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "out" / "draws" / "results.json").read_text())
    assert json.loads(json.dumps(result["extra_data"]["cell_errors"])) == []
    assert result["score"] == sum(t["max_score"] for t in result["tests"])
