"""Many rows through one statement, fast: the driver's executemany with plain tuples, or
COPY on PostgreSQL (``insert_rows``); and a pause of the cyclic garbage collector while
millions of rows are held (``no_cyclic_gc``).

SQLAlchemy's executemany builds and processes a parameter dict per row, which cost more
than SQLite's own work for a district's revision (hundreds of thousands of rows in the
draft, the codes and their pointers). On a positional driver (SQLite) the statement is
compiled once and each column converted by the same bind processors SQLAlchemy applies
(dates as ISO text …), then handed to the driver as tuples. Other drivers, and statements
with Python-side defaults, go through SQLAlchemy as before.
"""

import gc
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase


def execute_many(
    conn: Connection, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run ``statement`` once per row; every row has the same keys (its bound values)."""
    if not rows:
        return
    keys = list(rows[0])
    _execute_columns(conn, statement, keys, [[row[name] for row in rows] for name in keys])


def _execute_columns(
    conn: Connection,
    statement: UpdateBase,
    keys: Sequence[str],
    columns: Sequence[Sequence[Any]],
) -> None:
    """Run ``statement`` once per row, ``columns[k]`` holding every row's ``keys[k]``."""
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(keys))
    order = compiled.positiontup if isinstance(compiled, SQLCompiler) else None
    if (
        not compiled.positional
        or order is None
        or len(set(order)) != len(order)
        or not isinstance(compiled, SQLCompiler)
        or compiled.insert_prefetch
        or compiled.update_prefetch
    ):
        rows = zip(*columns, strict=True)
        conn.execute(statement, [dict(zip(keys, row, strict=True)) for row in rows])
        return
    dialect = conn.dialect
    given = dict(zip(keys, columns, strict=True))
    count = len(columns[0])
    ordered: list[Sequence[Any]] = []
    for name in order:
        bind = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name not in given:
            # A value given in the statement itself (``.values(status=…)``) is the same in
            # every row: converted once.
            value = bind.value
            if process is not None and value is not None:
                value = process(value)
            ordered.append([value] * count)
            continue
        values = given[name]
        if process is not None:
            values = [None if v is None else process(v) for v in values]
        ordered.append(values)
    conn.exec_driver_sql(compiled.string, list(zip(*ordered, strict=True)))


def insert_rows(
    conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]], **same: Any
) -> int:
    """Insert ``rows`` (each with the same keys) into ``table``, every row also taking the
    values in ``same``; returns how many. PostgreSQL takes them by COPY: through
    executemany the server still ran one INSERT per row, and SQLAlchemy built a parameter
    dict for each (7.5 s of writing a 650,000-enterprise district's draft). Elsewhere the
    rows go to :func:`execute_many` a batch at a time."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    if conn.dialect.name != "postgresql":
        many = insert(table).values(**same) if same else insert(table)
        written = 0
        for batch in _batches(itertools.chain([first], rows)):
            execute_many(conn, many, batch)
            written += len(batch)
        return written
    keys = list(first)
    every = itertools.chain([first], rows)
    return insert_tuples(conn, table, keys, ([row[k] for k in keys] for row in every), **same)


def insert_tuples(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    **same: Any,
) -> int:
    """:func:`insert_rows` with each row given as its values of ``names``, in that order:
    no dict made for each row and read back a column at a time. A district's draft is
    800,000 rows and its codes 300,000; at 650,000 enterprises (multi) writing the
    draft went from 3.7–3.9 s to 3.6 s."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    names = list(names)
    if conn.dialect.name != "postgresql":
        many = insert(table).values(**same) if same else insert(table)
        written = 0
        for batch in _batches(itertools.chain([first], rows)):
            _execute_columns(conn, many, names, list(zip(*batch, strict=True)))
            written += len(batch)
        return written
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in [*names, *same])
    shared = tuple(same.values())
    raw: Any = conn.connection.driver_connection
    written = 0
    statement = f"COPY {quote(table.name)} ({columns}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in itertools.chain([first], rows):
            copy.write_row((*row, *shared))
            written += 1
    return written


_Row = TypeVar("_Row")

#: Rows per executemany: a batch's parameters are held at once.
INSERT_BATCH = 5000


def _batches(rows: Iterator[_Row]) -> Iterator[list[_Row]]:
    while batch := list(itertools.islice(rows, INSERT_BATCH)):
        yield batch


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of long-lived objects are held.

    Rows, registers and plans form no reference cycles, but every full collection walks
    all of them, again and again as they grow, and frees nothing: that alone doubled a
    large import and took a third of a district-scale replan. Reference counting still
    frees what the work drops; the collector is resumed afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: The page cache a bulk write gets on SQLite (KiB): a district's revision, codes or grades
#: touch several indexes of hundreds of thousands of rows, and SQLite's default cache of
#: 2 MiB sends most of those pages to the write-ahead log more than once.
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def large_page_cache(conn: Connection) -> Iterator[None]:
    """A large page cache for a bulk write on SQLite; the connection's own size afterwards
    (other databases manage their caches themselves)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
