"""``JOINTINSPECT_CPUS`` and its default: what the command line tells the search it may
use (``Options.cpus``); a Ray task's one CPU is the city's to set."""

import pytest

from jointinspect.cli.settings import Settings, available_cpus
from jointinspect.options import scheduler_params


@pytest.mark.parametrize(("limit", "cpus"), [("1", 1), ("2", 2), ("8", 8)])
def test_omp_num_threads_limits_the_search(
    limit: str, cpus: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOINTINSPECT_CPUS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", limit)
    assert available_cpus() == cpus
    assert scheduler_params(Settings().options()).cpus == cpus


def test_the_setting_wins_and_without_either_the_machine_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    monkeypatch.setenv("JOINTINSPECT_CPUS", "1")
    assert Settings().options().cpus == 1
    monkeypatch.delenv("JOINTINSPECT_CPUS")
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert available_cpus() >= 1
