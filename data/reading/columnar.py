"""Reading a query's rows as columns, the fast way each database allows.

SQLite can send each column of a query as one JSON array (``json_group_array``): one
aggregate query, each row at the same place in every column. Reading those arrays with
``json.loads`` took half the time of the driver making a tuple and an object per row and
value at district scale. JSON keeps text and integers exactly but not every double
(SQLite writes 15 significant digits), so floating-point columns are read from the
cursor; so is everything on other databases.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
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
