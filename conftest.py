"""Shared test fixtures."""
import pytest


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One torch thread for the whole run, as the grader's children have: the tests are
    thousands of tiny ops, and on a loaded 2-core machine OpenMP threads make them 50x slower.
    (Notebooks run by papermill are other processes and keep their own setting.)"""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
