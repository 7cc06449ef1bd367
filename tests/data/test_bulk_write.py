"""``insert_rows`` and ``insert_tuples``: the same rows read back whichever way they went
in (COPY on PostgreSQL, executemany on SQLite; a dict a row or a tuple), values every row
shares included."""

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    select,
)
from sqlalchemy.engine import Engine

from jointinspect.data import bulk_write
from jointinspect.data.bulk_write import insert_rows, insert_tuples
from jointinspect.models import make_engine

ROWS = Table(
    "bulk_rows",
    MetaData(),
    Column("id", Integer, primary_key=True),
    # A reserved word, as the visits' slot is.
    Column("order", Integer, nullable=False),
    Column("name", String, nullable=True),
    Column("day", Date, nullable=False),
    Column("flag", Boolean, nullable=False),
    Column("key_id", String, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
AT = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    ROWS.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _rows(n: int) -> Iterator[dict[str, object]]:
    for i in range(n):
        yield {
            "id": i,
            "order": i % 7 + 1,
            "name": None if i % 3 == 0 else f'名字 {i}\ttab, "quote" \\ back',
            "day": dt.date(2025, 7, 1) + dt.timedelta(days=i % 60),
            "flag": i % 2 == 0,
        }


def test_rows_and_shared_values_read_back_as_given(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_write, "INSERT_BATCH", 7)  # several batches on SQLite
    with engine.begin() as conn:
        assert insert_rows(conn, ROWS, _rows(50), key_id="k1", at=AT) == 50
        assert insert_rows(conn, ROWS, iter([])) == 0
    with engine.connect() as conn:
        read = [r._asdict() for r in conn.execute(select(ROWS).order_by(ROWS.c.id))]
    for row in read:
        at = row.pop("at")
        assert at.replace(tzinfo=at.tzinfo or dt.UTC) == AT  # SQLite keeps no zone
        assert row.pop("key_id") == "k1"
    assert read == list(_rows(50))


def test_rows_given_as_tuples_read_back_as_rows_given_as_dicts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_write, "INSERT_BATCH", 7)
    # Columns in another order than the table's: each value goes by its name.
    names = ("flag", "day", "id", "name", "order")
    with engine.begin() as conn:
        rows = ([row[n] for n in names] for row in _rows(50))
        assert insert_tuples(conn, ROWS, names, rows, at=AT, key_id="k2") == 50
        assert insert_tuples(conn, ROWS, names, iter([])) == 0
    with engine.connect() as conn:
        read = [r._asdict() for r in conn.execute(select(ROWS).order_by(ROWS.c.id))]
    for row in read:
        at = row.pop("at")
        assert at.replace(tzinfo=at.tzinfo or dt.UTC) == AT
        assert row.pop("key_id") == "k2"
    assert read == list(_rows(50))


def test_a_failed_insert_leaves_nothing(engine: Engine) -> None:
    duplicate = [*_rows(3), next(_rows(1))]
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), engine.begin() as conn:
        insert_rows(conn, ROWS, duplicate, key_id="k1", at=AT)
    with engine.connect() as conn:
        assert conn.execute(select(ROWS)).all() == []
