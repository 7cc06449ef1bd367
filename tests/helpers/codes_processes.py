"""The codes' second process (``data.codes.issue.codes_in_background``), made to start
for any number of codes on a machine of two CPUs, and counted."""

from typing import Any

import pytest

from jointinspect.data.codes import issue


def counted_codes_processes(
    monkeypatch: pytest.MonkeyPatch, *, from_codes: int = 1
) -> list[object]:
    """Codes made in a second process from ``from_codes`` codes on, as on two CPUs; the
    list of the processes started for them (one entry each)."""
    monkeypatch.setattr(issue, "BACKGROUND_CODES", from_codes)
    monkeypatch.setattr(issue.os, "cpu_count", lambda: 2)
    started: list[object] = []
    real = issue.ProcessPoolExecutor

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(issue, "ProcessPoolExecutor", counted)
    return started
