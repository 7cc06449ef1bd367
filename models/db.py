"""Engine and session helpers: SQLite file by default, PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from jointinspect.models import (  # noqa: F401  (registers tables)
    events,
    planning,
    reference,
    risk_models,
)

DEFAULT_DB_URL = "sqlite:///jointinspect.db"


def normalise_url(url: str) -> str:
    """Accept the usual spellings: ``postgresql://`` means the psycopg 3 driver here."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer imports; foreign keys are off by default
    # in SQLite and the schema relies on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str = DEFAULT_DB_URL, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL and enforced foreign keys."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    return engine


def create_schema(engine: Engine) -> None:
    """Create every table and index that does not exist yet (idempotent)."""
    SQLModel.metadata.create_all(engine)
    # create_all makes a table's indexes only with the table: add those declared since.
    for table in SQLModel.metadata.sorted_tables:
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            index.create(engine, checkfirst=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
