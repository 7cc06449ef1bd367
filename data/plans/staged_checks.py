"""A draft's off-site checks and visits written to files of their own first, then copied
into the draft by SQLite in one statement per table.

A district's off-site checks are most of its draft's rows (214,000 of 730,000 at 650,000
enterprises on the multi profile), and through Python's driver they took 1.2 s of the
draft's 3.6 s: SQLite's own share, the insert into a table with three indexes, is
0.34 s of it. The checks are known before the plan places a single visit, so the plan's
second process writes them to a plain SQLite file (no index, no journal) while this one
places the visits (:mod:`jointinspect.checks_apart`), and the draft's transaction copies
them with ``INSERT … SELECT`` from that file, attached: the same rows, in the same order,
with the same ids and values as :func:`~jointinspect.data.plans.store.store_draft` writes
them otherwise.

The visits, their tasks and their officers (96,000, 148,000 and 253,000 rows there) took
1.6 s of the draft through the driver and take 0.3 s copied. They are final only once the
visits have their slots, so the plan sends them then, and the second process writes them
while this one makes its draw's record (:func:`write_staged_visits`,
:func:`insert_staged_visits`).

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

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.models.plan_protocols import OffsiteShape, VisitShape

#: The staged file's table, and the name it is attached under.
STAGED_TABLE = "staged_check"
STAGED_SCHEMA = "staged_rows"
#: The columns staged, as the draft's ``offsite_check`` names them.
COLUMNS = ("demand_id", "uscc", "department", "item", "source", "due")
#: The staged visits' file: attached under this name, its tables, and the columns of each
#: as the draft's ``visit``, ``visit_task`` and ``visit_officer`` name them (a task's and
#: an officer's visit is its number ``v`` among the staged visits).
VISITS_SCHEMA = "staged_visits"
VISIT_COLUMNS = ("uscc", "date", "town", "mode", "order", "triggered")
TASK_COLUMNS = ("demand_id", "department", "item", "source")
OFFICER_COLUMNS = ("inspector_id", "department")


@contextmanager
def _scratch(path: str, what: str) -> Iterator[sqlite3.Connection]:
    """A connection to a new SQLite file at ``path`` to stage ``what`` in, committed and
    closed when the block ends."""
    if os.path.exists(path):
        raise FileExistsError(f"{path} exists: {what} are staged to a new file only")
    connection = sqlite3.connect(path)
    try:
        # A scratch file, read once and deleted: a crash loses nothing worth a journal.
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        yield connection
        connection.commit()
    finally:
        connection.close()


def packed_checks(checks: Sequence[OffsiteShape]) -> bytes:
    """The checks as one ``marshal`` string for :func:`write_staged_checks` (the other
    process is this Python; no pickle memo of two hundred thousand tuples)."""
    return marshal.dumps(
        [(c.demand_id, c.uscc, c.department, c.item, c.source, c.due.toordinal()) for c in checks]
    )


def write_staged_checks(path: str, packed: bytes) -> int:
    """Write the checks :func:`packed_checks` packed to a new SQLite file at ``path``, in
    their order (``k`` from 0); returns how many."""
    with no_cyclic_gc(), _scratch(path, "checks") as connection:
        rows = marshal.loads(packed)
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
    return len(rows)


def packed_visits(visits: Sequence[VisitShape]) -> bytes:
    """The visits, with their tasks and officers, as one ``marshal`` string for
    :func:`write_staged_visits`: a list per column, each visit's number of tasks and of
    officers beside them (a row's tuple each took three times as long to make, here where
    the plan waits for it)."""
    tasks = [t for v in visits for t in v.tasks]
    officers = [o for v in visits for o in v.inspectors]
    return marshal.dumps(
        (
            [v.uscc for v in visits],
            [v.date.toordinal() for v in visits],
            [v.town for v in visits],
            [v.mode for v in visits],
            [v.order for v in visits],
            [v.triggered for v in visits],
            [len(v.tasks) for v in visits],
            [t.demand_id for t in tasks],
            [t.department for t in tasks],
            [t.item for t in tasks],
            [t.source for t in tasks],
            [len(v.inspectors) for v in visits],
            [o.id for o in officers],
            [o.department for o in officers],
        )
    )


def write_staged_visits(path: str, packed: bytes) -> tuple[int, int, int]:
    """Write the visits :func:`packed_visits` packed to a new SQLite file at ``path``: the
    visits numbered ``k`` from 0 in their order, and their tasks and officers in the
    order the draft writes them (``seq``), each with its visit's number ``v``; returns how
    many visits, tasks and officers."""
    with no_cyclic_gc(), _scratch(path, "visits") as connection:
        columns = marshal.loads(packed)
        uscc, day, town, mode, order, triggered = columns[:6]
        task_counts, tasks = columns[6], columns[7:11]
        officer_counts, officers = columns[11], columns[12:]
        connection.execute(
            "CREATE TABLE staged_visit (k INTEGER PRIMARY KEY, uscc TEXT NOT NULL, "
            'date TEXT NOT NULL, town TEXT NOT NULL, mode TEXT NOT NULL, "order" INTEGER NOT NULL, '
            "triggered INTEGER NOT NULL)"
        )
        connection.execute(
            "CREATE TABLE staged_task (seq INTEGER PRIMARY KEY, v INTEGER NOT NULL, "
            "demand_id TEXT NOT NULL, department TEXT NOT NULL, item TEXT NOT NULL, "
            "source TEXT NOT NULL)"
        )
        connection.execute(
            "CREATE TABLE staged_officer (seq INTEGER PRIMARY KEY, v INTEGER NOT NULL, "
            "inspector_id TEXT NOT NULL, department TEXT NOT NULL)"
        )
        fromordinal = dt.date.fromordinal
        # The date as SQLAlchemy's SQLite DATE stores it (ISO 8601), a bool as its
        # BOOLEAN does (1 or 0).
        dates = [fromordinal(d).isoformat() for d in day]
        connection.executemany(
            "INSERT INTO staged_visit VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(range(len(uscc)), uscc, dates, town, mode, order, map(int, triggered), strict=True),
        )
        connection.executemany(
            "INSERT INTO staged_task (v, demand_id, department, item, source) "
            "VALUES (?, ?, ?, ?, ?)",
            zip(_numbers(task_counts), *tasks, strict=True),
        )
        connection.executemany(
            "INSERT INTO staged_officer (v, inspector_id, department) VALUES (?, ?, ?)",
            zip(_numbers(officer_counts), *officers, strict=True),
        )
    return len(uscc), len(tasks[0]), len(officers[0])


def _numbers(counts: Sequence[int]) -> list[int]:
    """Each visit's number ``k`` repeated as often as ``counts[k]`` says."""
    return [k for k, n in enumerate(counts) for _ in range(n)]


@contextmanager
def staged_attached(
    conn: Connection, path: str | None, schema: str = STAGED_SCHEMA
) -> Iterator[bool]:
    """``path``'s staged rows attached to ``conn`` (a SQLite connection not in a
    transaction) as ``schema`` while the block runs: True; False when there is nothing to
    attach (no path, not SQLite, no such file). SQLite attaches and detaches a file only
    outside a transaction, so the block opens and ends its transaction itself."""
    if path is None or conn.dialect.name != "sqlite" or not os.path.isfile(path):
        yield False
        return
    try:
        conn.exec_driver_sql(f"ATTACH DATABASE ? AS {schema}", (path,))
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
            conn.exec_driver_sql(f"DETACH DATABASE {schema}")
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


def insert_staged_visits(
    conn: Connection,
    tables: tuple[Table, Table, Table],
    revision_id: int,
    ids: Sequence[int],
    plan: Sequence[VisitShape],
) -> bool:
    """Copy the attached staged visits, tasks and officers into ``tables`` (``visit``,
    ``visit_task``, ``visit_officer``) for revision ``revision_id``, the k-th visit with
    ``ids[k]``, and return True; or write nothing and return False when the file does not
    hold as many visits as ``plan`` (numbered from 0) with as many tasks and officers, or
    the ids are not one ascending range (the caller writes the visits itself)."""
    count = len(ids)
    if count != len(plan) or any(b - a != 1 for a, b in itertools.pairwise(ids)):
        return False
    tasks = sum(len(v.tasks) for v in plan)
    officers = sum(len(v.inspectors) for v in plan)
    try:
        held = conn.exec_driver_sql(
            f"SELECT (SELECT count(*) FROM {VISITS_SCHEMA}.staged_visit), "
            f"(SELECT coalesce(min(k), 0) FROM {VISITS_SCHEMA}.staged_visit), "
            f"(SELECT coalesce(max(k), -1) FROM {VISITS_SCHEMA}.staged_visit), "
            f"(SELECT count(*) FROM {VISITS_SCHEMA}.staged_task), "
            f"(SELECT count(*) FROM {VISITS_SCHEMA}.staged_officer), "
            f"(SELECT coalesce(max(v), -1) FROM {VISITS_SCHEMA}.staged_task), "
            f"(SELECT coalesce(max(v), -1) FROM {VISITS_SCHEMA}.staged_officer)"
        ).one()
    except DBAPIError:  # not a database SQLite can read, or without the tables
        return False
    if tuple(held[:5]) != (count, 0, count - 1, tasks, officers) or max(held[5:]) >= count:
        return False
    if count == 0:
        return True
    quote = conn.dialect.identifier_preparer.quote
    visit, task, officer = tables
    # (table, its staged table, the columns written, what they are selected as, the order)
    copies = (
        (visit, "staged_visit", ("id", "revision_id", *VISIT_COLUMNS, "code"), ("? + k", "?"), "k"),
        (task, "staged_task", ("visit_id", *TASK_COLUMNS), ("? + v",), "seq"),
        (officer, "staged_officer", ("visit_id", *OFFICER_COLUMNS), ("? + v",), "seq"),
    )
    for table, staged, names, given, order in copies:
        picked = [quote(n) for n in names[len(given) :]]
        if table is visit:
            picked[-1] = "NULL"  # the code, given at filing
        conn.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            f"SELECT {', '.join([*given, *picked])} FROM {VISITS_SCHEMA}.{staged} "
            f"ORDER BY {order}",
            (ids[0], revision_id)[: len(given)],
        )
    return True
