"""Many rows through one statement, fast: the driver's executemany with plain tuples; and
a pause of the cyclic garbage collector while millions of rows are held (``no_cyclic_gc``).

SQLAlchemy's executemany builds and processes a parameter dict per row, which cost more
than SQLite's own work for a district's revision (hundreds of thousands of rows in the
draft, the codes and their pointers). On a positional driver (SQLite) the statement is
compiled once and each column converted by the same bind processors SQLAlchemy applies
(dates as ISO text …), then handed to the driver as tuples. Other drivers, and statements
with Python-side defaults, go through SQLAlchemy as before.
"""

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

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
    compiled = statement.compile(dialect=conn.dialect, column_keys=keys)
    order = compiled.positiontup if isinstance(compiled, SQLCompiler) else None
    if (
        not compiled.positional
        or order is None
        or len(set(order)) != len(order)
        or not isinstance(compiled, SQLCompiler)
        or compiled.insert_prefetch
        or compiled.update_prefetch
    ):
        conn.execute(statement, list(rows))
        return
    dialect = conn.dialect
    columns: list[list[Any]] = []
    for name in order:
        bind = compiled.binds[name]
        # A value given in the statement itself (``.values(status=…)``) is the same in
        # every row.
        values = [row[name] for row in rows] if name in rows[0] else [bind.value] * len(rows)
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values = [None if v is None else process(v) for v in values]
        columns.append(values)
    conn.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))


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
