"""Spies on the draft's copies of staged off-site checks and visits
(``data.plans.store.insert_staged_checks``, ``insert_staged_visits``), and the rows a
query selects."""

import pytest
from sqlalchemy.engine import Engine

from jointinspect.data.plans import store


def spy_staged_copies(
    monkeypatch: pytest.MonkeyPatch, copy: str = "insert_staged_checks"
) -> list[bool]:
    """What each copy from a staged file returns from now on, in order (True: the
    draft's checks came from the file; False: the draft wrote them itself)."""
    answers: list[bool] = []
    real = getattr(store, copy)

    def spy(*args: object) -> bool:
        answers.append(real(*args))
        return answers[-1]

    monkeypatch.setattr(store, copy, spy)
    return answers


def spy_staged_visit_copies(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """:func:`spy_staged_copies` of the visits' copy."""
    return spy_staged_copies(monkeypatch, "insert_staged_visits")


def rows_of(
    engine: Engine, sql: str, parameters: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """The rows ``sql`` selects, as tuples."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql, parameters)]
