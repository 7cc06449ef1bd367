"""SQLite's virtual-machine steps as a measure of the work a read does: a count, the same
on every run, unlike a time — for tests that a read grows with what it is asked for and
not with the rest of the database."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from jointinspect.models import make_engine


class Steps:
    """The steps counted so far, in units of ``per``."""

    def __init__(self) -> None:
        self.count = 0


@contextmanager
def counting_engine(url: str, per: int) -> Iterator[tuple[Engine, Steps]]:
    """An engine on ``url`` whose connections count their steps (every ``per`` steps)."""
    engine = make_engine(url)
    steps = Steps()

    @event.listens_for(engine, "connect")
    def count(connection: sqlite3.Connection, _record: Any) -> None:
        def step() -> int:
            steps.count += 1
            return 0

        connection.set_progress_handler(step, per)

    try:
        yield engine, steps
    finally:
        engine.dispose()
