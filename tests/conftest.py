"""Shared fixtures: a database per test on SQLite, and on the real PostgreSQL server."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.pg_database import fresh_pg_database
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from jointinspect.models import create_schema, make_engine

PG_ADMIN_URL = os.environ.get(
    "JOINTINSPECT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def _pg_available() -> str | None:
    """None when the test server answers, else why not."""
    try:
        engine = sa_create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except OperationalError as exc:
        return f"no PostgreSQL server at {PG_ADMIN_URL}: {exc.orig}"
    return None


@pytest.fixture(scope="session")
def pg_server() -> str:
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    with fresh_pg_database(pg_server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends: SQLite always, PostgreSQL where the server runs."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_url"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fast subset (``-m "not slow"``) runs on SQLite: PostgreSQL runs belong to the
    whole suite, each making and dropping a database of its own."""
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(pytest.mark.slow)
