"""Reading the rows of a few hundred thousand enterprises out of a district's tables.

The USCCs go into a temporary table, and each query keeps the rows whose USCC is in it
(``keep(query, column)``): one indexed lookup per wanted enterprise instead of reading,
and building a row for, every enterprise of the district.
"""

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.engine import Connection

from jointinspect.data.bulk_write import execute_many

#: ``keep(query, uscc_column)``: ``query`` narrowed to the scope's enterprises.
Keep = Callable[[Any, Any], Any]


def every_row(query: Any, _column: Any) -> Any:
    """The ``keep`` that keeps every row."""
    return query


@contextmanager
def uscc_scope(conn: Connection, only: Collection[str] | None) -> Iterator[Keep]:
    """A filter ``keep(query, uscc_column)``: the rows of ``only``'s enterprises, or all
    rows when ``only`` is None."""
    if only is None:
        yield every_row
        return
    with scope_members(conn, only) as members:
        yield lambda query, column: query.where(column.in_(members))


@contextmanager
def scope_members(
    conn: Connection, only: Collection[str], *, in_writes: bool = False
) -> Iterator[Any]:
    """``SELECT uscc`` of a temporary table holding ``only``: for ``IN`` and ``NOT IN``.

    A reader's connection is committed afterwards (see below); ``in_writes``: the
    connection's transaction has written already and is the caller's to commit or roll
    back, and the table is made and dropped inside it."""
    scope = Table(
        "uscc_scope",
        MetaData(),
        Column("uscc", String, primary_key=True),
        prefixes=["TEMPORARY"],
        # Named by PostgreSQL's temporary schema: a district's engine maps every unnamed
        # schema to the district's own, where PostgreSQL refuses a temporary table.
        schema="pg_temp" if conn.dialect.name == "postgresql" else None,
    )
    scope.create(conn)
    try:
        if only:
            # Through the driver's executemany: a replan's scope holds a hundred thousand
            # USCCs, and SQLAlchemy's own per-row work took longer than the inserts.
            execute_many(conn, insert(scope), [{"uscc": u} for u in sorted(set(only))])
        yield select(scope.c.uscc)
    finally:
        scope.drop(conn)
        # Committed: pysqlite runs the CREATE outside the transaction the INSERT opens, so
        # a rollback would undo only the DROP and leave the table on the pooled connection.
        if not in_writes:
            conn.commit()
