"""What a revision's rows name, checked a revision at a time.

Visits, their officers, off-site checks and inspection codes have no foreign keys (see
:mod:`jointinspect.models.planning`): a key checks each row on its own, and at district
scale that was most of the time a draft and its codes took to write on PostgreSQL. Their
writers call these checks instead, in the writing transaction and before it commits: one
query per reference over the rows just written, which the database answers as one
anti-join. A row naming what is not there is a fault of the writer, not of the user's
data (every plan is made from the register it names), so it stops the write as an
internal error and nothing is committed.

Not checked here, because their writers cannot make them dangle: a visit's tasks and
officers are written with the visit's new id in the same loop; a revision's lists of rows
are filled inside the database from the rows themselves and from the filed revision's
lists (``store._hold``, which refuses carried ids the filed revision does not hold).
"""

from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import FromClause

from jointinspect.models import (
    Enterprise,
    InspectionCode,
    Inspector,
    OffsiteCheck,
    Visit,
    VisitOfficer,
)
from jointinspect.models.core_table import table_of


class DanglingReferenceError(RuntimeError):
    """A revision's rows name something the database does not have (nothing is written)."""


def check_draft_references(conn: Connection, revision_id: int) -> None:
    """The enterprises of the visits and off-site checks ``revision_id`` wrote, and the
    officers of its visits, are in the register."""
    v, o = table_of(Visit), table_of(OffsiteCheck)
    officers = table_of(VisitOfficer)
    enterprises, inspectors = table_of(Enterprise), table_of(Inspector)
    _refuse(
        conn,
        f"a visit of revision id {revision_id} names enterprise",
        v.c.uscc,
        enterprises.c.uscc,
        v.c.revision_id == revision_id,
    )
    _refuse(
        conn,
        f"an off-site check of revision id {revision_id} names enterprise",
        o.c.uscc,
        enterprises.c.uscc,
        o.c.revision_id == revision_id,
    )
    _refuse(
        conn,
        f"a visit of revision id {revision_id} names officer",
        officers.c.inspector_id,
        inspectors.c.id,
        v.c.revision_id == revision_id,
        rows=officers.join(v, v.c.id == officers.c.visit_id),
    )


def check_code_references(conn: Connection, revision_id: int) -> None:
    """Each code of revision ``revision_id`` points at a visit or off-site check that is
    there."""
    codes = table_of(InspectionCode)
    for column, rows in (
        (codes.c.visit_id, table_of(Visit)),
        (codes.c.offsite_id, table_of(OffsiteCheck)),
    ):
        _refuse(
            conn,
            f"a code of revision id {revision_id} points at {rows.name} id",
            column,
            rows.c.id,
            codes.c.revision_id == revision_id,
            column.is_not(None),
        )


def _refuse(
    conn: Connection,
    what: str,
    column: ColumnElement[Any],
    target: ColumnElement[Any],
    *where: ColumnElement[bool],
    rows: FromClause | None = None,
) -> None:
    """Raise when a row selected by ``where`` has a ``column`` that no ``target`` has,
    naming the least such value. An aggregate, not ``LIMIT 1``: with a limit PostgreSQL
    probes ``target``'s key row by row hoping to stop early, and there is nothing to find
    in all but a broken write, so it probed every row (a hash anti-join is faster)."""
    query = select(func.min(column)).where(*where, ~exists().where(target == column))
    if rows is not None:
        query = query.select_from(rows)
    missing = conn.execute(query).scalar()
    if missing is not None:
        raise DanglingReferenceError(
            f"{what} {missing!r}, which the database does not have; nothing was written"
        )
