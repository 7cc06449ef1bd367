"""One change to a database's plans at a time: ``plan``, ``file``, ``replan`` (manual or
the nightly daemon) and ``discard`` take the same lock, so none of them reads a revision
another is about to replace.

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) held on a connection
  of its own for the whole run. The wait is bounded by ``lock_timeout``; the lock goes
  with the connection, so a crashed run cannot leave it behind.
- SQLite: an exclusive OS file lock (``fcntl.flock``) on ``<database>.lock`` next to the
  database file, found through the file's real path so that two spellings of one
  database (a symlink, ``./ji.db`` and ``ji.db``) share one lock. SQLite's own write
  lock cannot be held for a whole run (the run
  writes through other connections and would block itself), and a lock row would
  survive a crash; a file lock dies with its process, like the advisory lock. In-memory
  databases live in one process and need no lock.

Each district of a city's database has a lock of its own (an advisory-lock key derived
from its area code; on SQLite its own file), so districts plan side by side.
"""

import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from jointinspect.models.districts import district_of
from jointinspect.models.errors import JointInspectError

#: The advisory-lock key: a stable 63-bit number derived from the lock's name.
LOCK_NAME = "jointinspect.plans"


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


_PG_KEY = _key(LOCK_NAME)
#: How often the SQLite file lock is tried again while waiting (seconds).
_FILE_POLL = 0.1


class PlansBusyError(JointInspectError):
    """Another plan, file, replan or discard holds the database's lock."""


def _busy(timeout: float) -> PlansBusyError:
    return PlansBusyError(
        "another plan, file, replan or discard is running on this database "
        f"(waited {timeout:g} s for it)",
        hint="wait for it to finish (the daemon replans nightly), or raise "
        "JOINTINSPECT_LOCK_TIMEOUT",
    )


def lock_path(database: str) -> Path:
    """The lock file of a SQLite database file: beside its real path."""
    real = Path(os.path.realpath(database))
    return real.with_name(real.name + ".lock")


@contextmanager
def plans_lock(
    engine: Engine, *, timeout: float, clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """Hold the plans lock of ``engine``'s database, waiting at most ``timeout`` seconds."""
    if engine.dialect.name == "postgresql":
        district = district_of(engine)
        key = _PG_KEY if district is None else _key(f"{LOCK_NAME}/{district.code}")
        with _advisory_lock(engine, timeout, key):
            yield
    elif engine.dialect.name == "sqlite":
        path = engine.url.database
        if not path or path == ":memory:":
            yield
            return
        with _file_lock(lock_path(path), timeout, clock):
            yield
    else:
        raise JointInspectError(f"plans cannot be locked on {engine.dialect.name} databases")


@contextmanager
def _advisory_lock(engine: Engine, timeout: float, key: int) -> Iterator[None]:
    with engine.connect() as conn:
        # lock_timeout bounds the wait for any lock, advisory locks included.
        conn.execute(text(f"SET lock_timeout = {max(1, round(timeout * 1000))}"))
        try:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available
                raise _busy(timeout) from None
            raise
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


@contextmanager
def _file_lock(path: Path, timeout: float, clock: Callable[[], float]) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = clock() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if clock() >= deadline:
                    raise _busy(timeout) from None
                time.sleep(_FILE_POLL)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
