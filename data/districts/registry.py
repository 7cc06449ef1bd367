"""The districts a city's database holds, and what each did in a city-wide run.

Both tables live in the database's default schema (PostgreSQL) or its own file (SQLite),
beside — never inside — the districts' tables, and belong to no district: Core tables on
a metadata of their own, made when the first district is (``CREATE … IF NOT EXISTS``),
so a database of one unnamed district never gets them.

``city_run`` records, per district, the outcome of its share of a run that fans the
districts out (``plan``, ``grade``, ``replan`` with ``--all-districts``), keyed by what
identifies the run (command, quarter, seed or date). A district is recorded as done once
its write has committed, so a rerun of the same run skips it and takes up only the
districts that failed or never finished.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Engine

from jointinspect.models.districts import District

REGISTRY = MetaData()
DISTRICTS = Table(
    "city_district",
    REGISTRY,
    Column("code", String(6), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("prefix", String(12), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
RUNS = Table(
    "city_run",
    REGISTRY,
    Column("run", String(200), primary_key=True),
    Column("district", String(6), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
)
#: The registry's tables: not JointInspect models, so migrations leave them alone.
TABLES = frozenset(REGISTRY.tables)
DONE = "done"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A district's recorded outcome in a city-wide run."""

    status: str
    detail: str
    finished_at: dt.datetime


def registered_districts(engine: Engine) -> list[District]:
    """The districts of ``engine``'s database by code; none when it has no registry."""
    with engine.connect() as conn:
        # Asked first rather than caught: a failed query would put an error in the
        # server's log each time a database without districts is opened.
        if not inspect(conn).has_table(DISTRICTS.name):
            return []
        rows = conn.execute(
            select(DISTRICTS.c.code, DISTRICTS.c.name, DISTRICTS.c.prefix).order_by(
                DISTRICTS.c.code
            )
        ).all()
    return [District(code, name, prefix) for code, name, prefix in rows]


def register_district(conn: Connection, district: District, *, now: dt.datetime) -> None:
    """Add ``district`` to the registry (made if the database has none yet)."""
    REGISTRY.create_all(conn, checkfirst=True)
    conn.execute(
        insert(DISTRICTS).values(
            code=district.code, name=district.name, prefix=district.prefix, created_at=now
        )
    )


def run_records(engine: Engine, run: str) -> dict[str, RunRecord]:
    """What each district recorded for ``run``, by district code."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(RUNS.c.district, RUNS.c.status, RUNS.c.detail, RUNS.c.finished_at).where(
                RUNS.c.run == run
            )
        ).all()
    return {code: RunRecord(status, detail, finished) for code, status, detail, finished in rows}


def record_run(
    engine: Engine,
    run: str,
    district: str,
    *,
    status: str,
    detail: str,
    now: dt.datetime,
) -> None:
    """Record ``district``'s outcome of ``run``, replacing an earlier attempt's."""
    with engine.begin() as conn:
        conn.execute(delete(RUNS).where(RUNS.c.run == run, RUNS.c.district == district))
        conn.execute(
            insert(RUNS).values(
                run=run, district=district, status=status, detail=detail, finished_at=now
            )
        )


def describe(districts: Sequence[District]) -> str:
    """``310101 黄浦区, 310120 奉贤区``: a list of districts in a message."""
    return ", ".join(d.label for d in districts)
