"""A spy on the draft's copy of staged off-site checks
(``data.plans.store.insert_staged_checks``), and the rows a query selects."""

import pytest
from sqlalchemy.engine import Engine

from jointinspect.data.plans import store


def spy_staged_copies(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each copy from a staged file returns from now on, in order (True: the
    draft's checks came from the file; False: the draft wrote them itself)."""
    answers: list[bool] = []
    real = store.insert_staged_checks

    def spy(*args: object) -> bool:
        answers.append(real(*args))  # type: ignore[arg-type]
        return answers[-1]

    monkeypatch.setattr(store, "insert_staged_checks", spy)
    return answers


def rows_of(
    engine: Engine, sql: str, parameters: tuple[object, ...] = ()
) -> list[tuple[object, ...]]:
    """The rows ``sql`` selects, as tuples."""
    with engine.connect() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(sql, parameters)]
