"""A draft's off-site checks written to a file of their own first, then copied into the
draft by SQLite in one statement.

A district's off-site checks are most of its draft's rows (214,000 of 730,000 at 650,000
enterprises on the multi profile), and through Python's driver they took 1.2 s of the
draft's 3.6 s: SQLite's own share, the insert into a table with three indexes, is
0.34 s of it. The checks are known before the plan places a single visit, so the plan's
second process writes them to a plain SQLite file (no index, no journal) while this one
places the visits (:mod:`jointinspect.checks_apart`), and the draft's transaction copies
them with ``INSERT … SELECT`` from that file, attached: the same rows, in the same order,
with the same ids and values as :func:`~jointinspect.data.plans.store.store_draft` writes
them otherwise.

SQLite only: PostgreSQL takes the rows by COPY, as fast as the copy here.
"""

import datetime as dt
import itertools
import marshal
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from jointinspect.models.plan_protocols import OffsiteShape

#: The staged file's table, and the name it is attached under.
STAGED_TABLE = "staged_check"
STAGED_SCHEMA = "staged_rows"
#: The columns staged, as the draft's ``offsite_check`` names them.
COLUMNS = ("demand_id", "uscc", "department", "item", "source", "due")


def packed_checks(checks: Sequence[OffsiteShape]) -> bytes:
    """The checks as one ``marshal`` string for :func:`write_staged_checks` (the other
    process is this Python; no pickle memo of two hundred thousand tuples)."""
    return marshal.dumps(
        [(c.demand_id, c.uscc, c.department, c.item, c.source, c.due.toordinal()) for c in checks]
    )


def write_staged_checks(path: str, packed: bytes) -> int:
    """Write the checks :func:`packed_checks` packed to a new SQLite file at ``path``, in
    their order (``k`` from 0); returns how many."""
    rows = marshal.loads(packed)
    if os.path.exists(path):
        raise FileExistsError(f"{path} exists: checks are staged to a new file only")
    connection = sqlite3.connect(path)
    try:
        # A scratch file, read once and deleted: a crash loses nothing worth a journal.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        columns = ", ".join(f"{name} TEXT NOT NULL" for name in COLUMNS)
        connection.execute(f"CREATE TABLE {STAGED_TABLE} (k INTEGER PRIMARY KEY, {columns})")
        # The date as SQLAlchemy's SQLite DATE stores it: ISO 8601, YYYY-MM-DD.
        fromordinal = dt.date.fromordinal
        connection.executemany(
            f"INSERT INTO {STAGED_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (k, demand_id, uscc, department, item, source, fromordinal(due).isoformat())
                for k, (demand_id, uscc, department, item, source, due) in enumerate(rows)
            ),
        )
        connection.commit()
    finally:
        connection.close()
    return len(rows)


@contextmanager
def staged_attached(conn: Connection, path: str | None) -> Iterator[bool]:
    """``path``'s staged checks attached to ``conn`` (a SQLite connection not in a
    transaction) while the block runs: True; False when there is nothing to attach (no
    path, not SQLite, no such file). SQLite attaches and detaches a file only outside a
    transaction, so the block opens and ends its transaction itself."""
    if path is None or conn.dialect.name != "sqlite" or not os.path.isfile(path):
        yield False
        return
    try:
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {STAGED_SCHEMA}", (path,))
    except DBAPIError:  # not a database, or not readable: the caller writes the checks
        conn.rollback()
        yield False
        return
    conn.commit()  # ends SQLAlchemy's own transaction; the driver began none
    try:
        yield True
    finally:
        if conn.in_transaction():
            conn.rollback()
        try:
            conn.exec_driver_sql(f"DETACH DATABASE {STAGED_SCHEMA}")
            conn.commit()
        except DBAPIError:
            # The block's outcome stands (a draft committed, or its own error); only the
            # connection, still attached, is not given back to the pool.
            conn.invalidate()


def insert_staged_checks(
    conn: Connection, table: Table, revision_id: int, ids: Sequence[int]
) -> bool:
    """Copy the attached staged checks into ``table`` (``offsite_check``) for revision
    ``revision_id``, the k-th with ``ids[k]`` (one id per check of the plan), and return
    True; or write nothing and return False when the file does not hold exactly as many
    checks, numbered from 0, or the ids are not one ascending range (the caller writes
    the checks itself)."""
    count = len(ids)
    if any(b - a != 1 for a, b in itertools.pairwise(ids)):
        return False
    try:
        held = conn.exec_driver_sql(
            f"SELECT count(*), coalesce(min(k), 0), coalesce(max(k), -1) "
            f"FROM {STAGED_SCHEMA}.{STAGED_TABLE}"
        ).one()
    except DBAPIError:  # not a database SQLite can read, or without the table
        return False
    if tuple(held) != (count, 0, count - 1):
        return False
    if count == 0:
        return True
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in ("id", "revision_id", *COLUMNS, "code"))
    picked = ", ".join(COLUMNS)
    conn.exec_driver_sql(
        f"INSERT INTO {quote(table.name)} ({names}) "
        f"SELECT ? + k, ?, {picked}, NULL FROM {STAGED_SCHEMA}.{STAGED_TABLE} ORDER BY k",
        (ids[0], revision_id),
    )
    return True
