"""The release step: one source per drill, a student notebook that stands alone."""
import contextlib
import io
import json
import os
import re
from pathlib import Path

import pytest

from grader.build import notebook, release
from grader.grading import drills

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_solution_regions_become_stubs_with_hint_and_indent():
    src = ("def f(x):\n"
           "    # BEGIN SOLUTION: return twice x\n"
           "    y = 2 * x\n"
           "    return y\n"
           "    # END SOLUTION\n"
           "print('kept')\n")
    out = release.stub_solutions(src)
    assert out == ("def f(x):\n"
                   "    raise NotImplementedError('return twice x')\n"
                   "print('kept')\n")


def test_solution_region_without_hint_gets_a_generic_one():
    out = release.stub_solutions("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n")
    assert out == "raise NotImplementedError('write your code here')\n"


@pytest.mark.parametrize("src", ["# BEGIN SOLUTION\nx = 1\n",
                                 "x = 1\n# END SOLUTION\n",
                                 "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n"])
def test_unbalanced_solution_regions_are_rejected(src):
    with pytest.raises(release.ReleaseError):
        release.stub_solutions(src, "cell 3")


def _solution(tmp_path, cells):
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4,
          "nbformat_minor": 5}
    path = tmp_path / "sol.ipynb"
    path.write_text(json.dumps(nb))
    return path


def _code(src, outputs=None, tags=None):
    meta = {"tags": tags} if tags else {"collapsed": True}
    return {"cell_type": "code", "source": src, "metadata": meta, "execution_count": 3,
            "outputs": outputs or [{"output_type": "stream", "name": "stdout", "text": "hi"}]}


def test_release_drops_instructor_cells_inlines_modules_and_clears_outputs(tmp_path):
    (tmp_path / "mod.py").write_text('"""A module."""\nVALUE = 42\n')
    path = _solution(tmp_path, [
        _code("# @drill instructor\nimport sys\n"),
        _code("# @drill inline mod.py\nfrom mod import *\n"),
        _code("# @drill answer\n# BEGIN SOLUTION: hint\nx = 1\n# END SOLUTION\n", tags=["t"]),
        {"cell_type": "markdown", "source": "<!-- @drill instructor -->\nsecret", "metadata": {}},
    ])
    student = json.loads(release.release(str(path), str(tmp_path), "drill99_x"))
    sources = ["".join(c["source"]) for c in student["cells"]]
    assert len(sources) == 2
    assert sources[0].startswith("# @title A module (pasted code")
    assert notebook.role(student["cells"][0]) == ("inline", "mod.py")
    assert "VALUE = 42" in sources[0] and "from mod import" not in sources[0]
    assert sources[1] == "# @drill answer\nraise NotImplementedError('hint')\n"
    for cell in student["cells"]:
        assert cell["outputs"] == [] and cell["execution_count"] is None
    assert student["cells"][1]["metadata"] == {"tags": ["t"]}
    assert student["cells"][0]["metadata"] == release.COLLAPSED  # folded in Colab and Lab


def test_setup_cell_gets_the_drill_id_from_its_folder(tmp_path):
    path = _solution(tmp_path, [_code("# @drill setup\nimport torch\n")])
    student = json.loads(release.release(str(path), str(tmp_path), "drill07_new"))
    assert "".join(student["cells"][0]["source"]).startswith("# @drill setup drill07_new\n")


def test_a_pasted_module_may_import_only_modules_pasted_before_it(tmp_path):
    (tmp_path / "grader").mkdir()
    (tmp_path / "grader" / "kit.py").write_text('"""Kit."""\nK = 1\n')
    (tmp_path / "grader" / "use.py").write_text(
        '"""Uses the kit."""\nfrom grader.kit import K\nfrom grader.kit import (K,  # two\n'
        '    K)\nV = K + 1\n')
    good = _solution(tmp_path, [_code("# @drill inline grader/kit.py\n"),
                                _code("# @drill inline grader/use.py\n")])
    student = json.loads(release.release(str(good), str(tmp_path), "drill99_x"))
    used = "".join(student["cells"][1]["source"])
    assert "V = K + 1" in used and "from grader.kit" not in used and "K)" not in used
    compile(used, "pasted", "exec")  # a multi-line import leaves no dangling line behind
    bad = _solution(tmp_path, [_code("# @drill inline grader/use.py\n"),
                               _code("# @drill inline grader/kit.py\n")])
    with pytest.raises(release.ReleaseError, match="grader.kit, which is not pasted"):
        release.release(str(bad), str(tmp_path), "drill99_x")


def test_inline_of_a_missing_file_is_a_clear_error(tmp_path):
    path = _solution(tmp_path, [_code("# @drill inline nope.py\n")])
    with pytest.raises(release.ReleaseError, match="nope.py"):
        release.release(str(path), str(tmp_path), "drill99_x")


@pytest.mark.parametrize("drill_id", drills.ids())
def test_student_notebook_stands_alone(drill_id):
    _, student = drills.paths(drill_id)
    nb = notebook.read(os.path.join(ROOT, student))
    text = "\n".join(notebook.source(c) for c in nb["cells"])
    assert "BEGIN SOLUTION" not in text and "@drill instructor" not in text
    assert not re.search(r"^\s*(from\s+grader[\s.]|import\s+grader)", text, flags=re.M)
    assert all(c.get("outputs", []) == [] for c in nb["cells"])


def _without_repo_imports(code):
    """The code as the parser sees it, less its imports of grader / solutions modules."""
    import ast
    tree = ast.parse(code)
    tree.body = [n for n in tree.body if not (isinstance(n, ast.ImportFrom) and n.module
                                              and n.module.split(".")[0] in ("grader", "solutions"))]
    return ast.dump(tree)


@pytest.mark.parametrize("drill_id", drills.ids())
def test_inlined_cells_equal_their_single_definition(drill_id):
    _, student = drills.paths(drill_id)
    nb = notebook.read(os.path.join(ROOT, student))
    inlined = [(notebook.role(c)[1], notebook.source(c)) for c in nb["cells"]
               if notebook.role(c)[0] == "inline"]
    assert inlined, "the drill inlines its checks"
    for path, src in inlined:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            module = _without_repo_imports(f.read())  # names pasted in earlier cells
        assert _without_repo_imports(src) == module, path


def test_markers_survive_an_editor_that_drops_metadata():
    """Colab or JupyterLab may drop cell metadata and ids when a learner saves."""
    _, student = drills.paths("drill01_dropout")
    nb = notebook.read(os.path.join(ROOT, student))
    stripped = {"cells": [{"cell_type": c["cell_type"], "source": notebook.source(c)}
                          for c in nb["cells"]], "nbformat": 4}
    again = notebook.parse(json.dumps(stripped))
    roles = [notebook.role(c)[0] for c in again["cells"]]
    assert "answer" in roles and "setup" in roles and "inline" in roles
    assert drills.detect(notebook.source(c) for c in again["cells"]) == "drill01_dropout"


def _drill_folder(root, checks):
    """A course folder holding ondemand.py and solutions/drill99_x/checks.py."""
    (root / "grader" / "payload").mkdir(parents=True)
    (root / release.ONDEMAND).write_text((Path(ROOT) / release.ONDEMAND).read_text("utf-8"))
    (root / "solutions" / "drill99_x").mkdir(parents=True)
    (root / "solutions" / "drill99_x" / "checks.py").write_text(checks)


def test_hints_and_references_follow_the_drills_checks(tmp_path):
    """After the cell pasting the drill's checks: ondemand.py, then SOLUTIONS holding each
    answer cell's code, markers removed and encoded, under every name the cell defines."""
    _drill_folder(tmp_path, '"""Checks."""\nHINTS = {"f": ["think", "harder"]}\n')
    answer = ("# @title Your answer\n# @drill answer\ndef f(x):\n"
              "    # BEGIN SOLUTION: return twice x\n    return 2 * x\n    # END SOLUTION\n\n"
              "LIMIT = 3\n")
    path = _solution(tmp_path, [_code(answer),
                                _code("# @drill inline solutions/drill99_x/checks.py\n"),
                                _code("# @drill demo\nprint(1)\n")])
    cells = json.loads(release.release(str(path), str(tmp_path), "drill99_x"))["cells"]
    roles = [notebook.role(c) for c in cells]
    assert roles == [("answer", None), ("inline", "solutions/drill99_x/checks.py"),
                     ("inline", release.ONDEMAND), ("on-demand", None), ("demo", None)]
    assert cells[2]["metadata"] == cells[3]["metadata"] == release.COLLAPSED
    generated = notebook.source(cells[3])
    assert "2 * x" not in generated and max(map(len, generated.split("\n"))) <= 100
    ns = {}
    for cell in cells[1:4]:
        exec(notebook.source(cell), ns)
    reference = "def f(x):\n    return 2 * x\n\nLIMIT = 3\n"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ns["solution"]("f", confirm=True)
        ns["solution"]("LIMIT", confirm=True)
    assert out.getvalue().count(reference) == 2 and "SOLUTION" not in out.getvalue()


def test_a_notebook_without_the_drills_checks_gets_no_generated_cells(tmp_path):
    path = _solution(tmp_path, [_code("# @drill answer\nx = 1\n")])
    cells = json.loads(release.release(str(path), str(tmp_path), "drill99_x"))["cells"]
    assert [notebook.role(c)[0] for c in cells] == ["answer"]


def test_an_answer_that_is_not_python_is_a_clear_release_error(tmp_path):
    _drill_folder(tmp_path, '"""C."""\n')
    path = _solution(tmp_path, [_code("# @drill answer\ndef f(:\n"),
                                _code("# @drill inline solutions/drill99_x/checks.py\n")])
    with pytest.raises(release.ReleaseError, match="cell 1: the answer is not valid Python"):
        release.release(str(path), str(tmp_path), "drill99_x")
