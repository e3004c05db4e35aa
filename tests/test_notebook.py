"""Reading notebooks without trusting them."""
import json

import pytest

from grader.build import notebook


@pytest.mark.parametrize("text, fragment", [
    ("", "is empty"),
    ("   \n", "is empty"),
    ('{"cells": [', "not valid JSON"),
    ("[1, 2]", "not a notebook"),
    ('{"metadata": {}}', "not a notebook"),
    ('{"cells": "nope"}', "not a list"),
])
def test_broken_notebooks_get_one_line_reasons(text, fragment):
    with pytest.raises(notebook.NotebookError, match=fragment) as err:
        notebook.parse(text, "sub.ipynb")
    assert "\n" not in str(err.value)


def test_binary_file_is_rejected(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(notebook.NotebookError, match="binary"):
        notebook.read(str(path))


def test_non_utf8_text_is_read_with_replacement(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_bytes(json.dumps({"cells": [{"cell_type": "code", "source": "x = 1 # \xff"}]})
                     .encode("utf-8").replace(b"\xc3\xbf", b"\xff"))
    nb = notebook.read(str(path))
    assert notebook.source(nb["cells"][0]).startswith("x = 1")


def test_nbformat3_worksheets_are_converted():
    nb3 = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "code", "input": ["# @drill answer\n", "x = 1\n"]},
        {"cell_type": "markdown", "source": "hi"}]}]}
    nb = notebook.parse(json.dumps(nb3))
    assert [c["cell_type"] for c in nb["cells"]] == ["code", "markdown"]
    assert notebook.role(nb["cells"][0]) == ("answer", None)


@pytest.mark.parametrize("source, expected", [
    (["a\n", "b"], "a\nb"),
    ("a\nb", "a\nb"),
    (42, ""),
    (["a", 3, "b"], "ab"),
    (None, ""),
])
def test_source_tolerates_any_shape(source, expected):
    assert notebook.source({"source": source}) == expected


@pytest.mark.parametrize("first, role", [
    ("# @drill setup drill01_dropout", ("setup", "drill01_dropout")),
    ("#@drill answer", ("answer", None)),
    ("# @drill inline grader/inline/timer.py", ("inline", "grader/inline/timer.py")),
    ("<!-- @drill instructor -->", ("instructor", None)),
    ("# @drill unknown", (None, None)),
    ("x = 1  # @drill answer", (None, None)),
])
def test_markers(first, role):
    assert notebook.role({"source": first + "\ncode"}) == role


def test_write_atomic_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "deep" / "out.json"
    notebook.write_atomic(str(target), "one")
    notebook.write_atomic(str(target), "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]
