"""Every buggy mutant fails exactly the checks its `# bug:` line names, and the first failing
check's message contains its `# hint:` words; every correct alternative passes everything."""
import os

import pytest

from solutions.drill06_at_scale.tests.helpers import (ALL_CHECKS, declared, mutant_paths,
                                                      namespace_with, outcomes)

ORDER = [c.name for c in ALL_CHECKS]  # visible, then hidden: the order the grader reports


@pytest.mark.parametrize("path", mutant_paths("buggy"), ids=os.path.basename)
def test_buggy_mutant_fails_exactly_its_checks(path):
    bugs, hint = declared(path)
    got = outcomes(namespace_with(path))
    failing = [name for name in ORDER if got[name][0] != "pass"]
    assert failing == bugs
    first_message = got[failing[0]][1]
    assert hint in first_message


@pytest.mark.parametrize("path", mutant_paths("correct"), ids=os.path.basename)
def test_correct_mutant_passes_everything(path):
    got = outcomes(namespace_with(path))
    assert {name: s for name, s in got.items() if s[0] != "pass"} == {}


def test_every_check_has_a_mutant_that_fails_it():
    caught = set()
    for path in mutant_paths("buggy"):
        caught |= set(declared(path)[0])
    assert caught == set(ORDER)


def test_stub_is_todo_everywhere():
    """Answers that raise NotImplementedError (the released stubs) make every check todo."""
    def stub(*args, **kwargs):
        raise NotImplementedError("write your code here")

    class Stub:
        apply = staticmethod(stub)

    ns = {"SeededDropout": Stub, "saved_bytes": stub, "dropout_memory": stub}
    got = outcomes(ns)
    assert {s for s, _ in got.values()} == {"todo"}
