"""The helper process that grading's CSV and the plan's draw share
(``jointinspect.second_process``)."""

import os

import pytest

from jointinspect.second_process import HELPER_NICENESS, second_process


def _niceness() -> int:
    return os.nice(0)


def _nothing() -> None:
    """A module-level function for the process to import and run."""


@pytest.mark.skipif(not hasattr(os, "nice"), reason="this system has no process priorities")
def test_the_second_process_yields_the_cores_to_its_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
    with second_process(True, _nothing) as pool:
        assert pool is not None
        theirs = pool.submit(_niceness).result()
    ours = os.nice(0)
    assert theirs == min(ours + HELPER_NICENESS, 19)
    assert theirs > ours or ours == 19


def test_no_second_process_on_one_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 1)
    with second_process(True, _nothing) as pool:
        assert pool is None
