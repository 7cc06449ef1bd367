"""Reading a query's rows as columns, the fast way each database allows.

SQLite can send each column of a query as one JSON array (``json_group_array``): one
aggregate query, each row at the same place in every column. Reading those arrays with
``json.loads`` took half the time of the driver making a tuple and an object per row and
value at district scale. JSON keeps text and integers exactly but not every double
(SQLite writes 15 significant digits), so floating-point columns are read from the
cursor; so is everything on other databases.
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, OperationalError


def json_columns(conn: Connection, query: Any) -> Sequence[str] | None:
    """Each column of ``query``'s rows as a JSON array, from SQLite's ``json_group_array``
    (one aggregate query: each row lands at the same place in every column); None if
    SQLite cannot (no JSON, or a column longer than its longest string)."""
    source = query.subquery()
    try:
        row = conn.execute(select(*(func.json_group_array(c) for c in source.c))).one()
    except (DataError, OperationalError):
        return None
    return tuple(row)


def query_columns(conn: Connection, query: Any, width: int) -> list[Sequence[Any]]:
    """``query``'s ``width`` columns, each a sequence aligned with the others: from
    :func:`json_columns` on SQLite, else (or where SQLite cannot) from the driver's
    tuples. Text, integers and ISO dates only: JSON would round a double."""
    if conn.dialect.name == "sqlite":
        sent = json_columns(conn, query)
        if sent is not None:
            return [json.loads(column) for column in sent]
    return list(cursor_columns(conn, query, width))


def cursor_columns(conn: Connection, query: Any, width: int) -> list[tuple[Any, ...]]:
    """``query``'s rows as ``width`` columns, from the driver's own tuples (plain text and
    numbers only): a SQLAlchemy Row per row cost more than the query at district scale."""
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if not rows:
        return [()] * width
    return [tuple([row[k] for row in rows]) for k in range(width)]


_Row = TypeVar("_Row")


def grouped(keys: Sequence[int], rows: list[_Row]) -> defaultdict[int, list[_Row]]:
    """``rows`` by their integer key (``keys``, aligned), each key's in the order given.

    A query joined through a table's key gives its rows key by key (a revision's tasks
    visit by visit): then each key's rows are one slice, cut where the key changes,
    without a dictionary look-up and an append per row. Otherwise row by row.
    """
    out: defaultdict[int, list[_Row]] = defaultdict(list)
    ids = np.asarray(keys, dtype=np.int64)
    steps = np.diff(ids)
    if len(ids) and (steps >= 0).all():
        bounds = [0, *(np.flatnonzero(steps) + 1).tolist(), len(ids)]
        heads = ids[bounds[:-1]].tolist()
        out.update(zip(heads, map(rows.__getitem__, map(slice, bounds, bounds[1:])), strict=True))
        return out
    for key, row in zip(keys, rows, strict=True):
        out[key].append(row)
    return out


#: ``ahead(query)``: the JSON of a query's columns, asked for now (see :func:`read_ahead`).
ReadAhead = Callable[[Any], "Future[Sequence[str] | None] | None"]


@contextmanager
def read_ahead(engine: Engine, whole: bool) -> Iterator[ReadAhead]:
    """``ahead(query)``: the JSON of ``query``'s columns (:func:`json_columns`) asked for
    now, from a thread on a connection of its own, or None (the query is read when its
    turn comes).

    SQLite makes a query's JSON without the GIL, in a third of the time its reading
    takes: on two cores, the next tables' JSON is made while this thread turns the last
    one into columns. Only for a whole district in a SQLite file (a scope's temporary
    table, and an in-memory database, are one connection's own). The thread and its
    connection have ended when the block does.
    """
    database = engine.url.database
    if not whole or engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        yield lambda _query: None
        return
    own: list[Connection] = []

    def columns(query: Any) -> Sequence[str] | None:
        if not own:
            own.append(engine.connect())
        return json_columns(own[0], query)

    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
    try:
        yield lambda query: worker.submit(columns, query)
    finally:
        worker.shutdown(wait=True, cancel_futures=True)
        for conn in own:
            conn.close()
