"""Many rows through one statement, fast: the driver's executemany with plain tuples.

SQLAlchemy's executemany builds and processes a parameter dict per row, which cost more
than SQLite's own work for a district's revision (hundreds of thousands of rows in the
draft, the codes and their pointers). On a positional driver (SQLite) the statement is
compiled once and each column converted by the same bind processors SQLAlchemy applies
(dates as ISO text …), then handed to the driver as tuples. Other drivers, and statements
with Python-side defaults, go through SQLAlchemy as before.
"""

from collections.abc import Mapping, Sequence
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
