"""Shared test fixtures."""
import pytest


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread: on a loaded 2-core machine, OpenMP threads make small ops 50x slower."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
