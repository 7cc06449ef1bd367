"""``file`` starts the hard-rule check's process before its own imports for a district
big enough to be checked apart, and not for a small one."""

import multiprocessing
from pathlib import Path

import pytest

from jointinspect import filing_ahead
from jointinspect.data.codes.check_early import EarlyCheck
from jointinspect.filing_ahead import check_process_ahead


def _started(url: str) -> bool:
    with check_process_ahead(url) as early:
        started = early is not None
        if early is not None:
            assert isinstance(early, EarlyCheck) and early.process.is_alive()
    assert multiprocessing.active_children() == []
    return started


def test_a_small_sqlite_district_gets_no_process_ahead(tmp_path: Path) -> None:
    db = tmp_path / "small.db"
    db.write_bytes(b"\0" * 1024)
    assert not _started(f"sqlite:///{db}")


def test_a_big_sqlite_district_gets_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "big.db"
    db.write_bytes(b"\0" * 1024)
    monkeypatch.setattr(filing_ahead, "AHEAD_FROM_BYTES", 1024)
    monkeypatch.setattr("jointinspect.data.codes.check_early.os.cpu_count", lambda: 2)
    assert _started(f"sqlite:///{db}")
    assert _started(f"sqlite+pysqlite:///{db}?mode=ro")
    monkeypatch.setattr("jointinspect.data.codes.check_early.os.cpu_count", lambda: 1)
    assert not _started(f"sqlite:///{db}")


def test_a_missing_or_in_memory_database_gets_none(tmp_path: Path) -> None:
    assert not _started(f"sqlite:///{tmp_path / 'none.db'}")
    assert not _started("sqlite://")


def test_a_database_servers_district_gets_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jointinspect.data.codes.check_early.os.cpu_count", lambda: 2)
    assert _started("postgresql://127.0.0.1/nowhere")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///ji.db", "ji.db"),
        ("sqlite:////tmp/ji.db", "/tmp/ji.db"),
        ("sqlite+pysqlite:///ji.db?mode=ro", "ji.db"),
        ("sqlite://", ""),
        ("postgresql://h/db", None),
        ("postgresql+psycopg://h/db", None),
    ],
)
def test_the_file_of_a_sqlite_url(url: str, path: str | None) -> None:
    assert filing_ahead._sqlite_file(url) == path
