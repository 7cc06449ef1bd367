"""Which visits and off-site checks a revision holds.

A revision's rows are those listed for it in ``revision_visit`` and ``revision_offsite``:
a replan's revision shares its filed revision's unchanged rows, so a row's own
``revision_id`` (the revision that wrote it) does not say which revisions hold it.
Readers of a revision select its rows with these conditions.
"""

from typing import Any

from sqlalchemy import ColumnElement, select

from jointinspect.models import OffsiteCheck, RevisionOffsite, RevisionVisit, Visit
from jointinspect.models.core_table import table_of


def holds_visit(revision_id: int | ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: the visit row (``visit.id``) is one of ``revision_id``'s."""
    held = table_of(RevisionVisit).c
    return table_of(Visit).c.id.in_(select(held.visit_id).where(held.revision_id == revision_id))


def holds_check(revision_id: int | ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: the off-site check row (``offsite_check.id``) is one of ``revision_id``'s."""
    held = table_of(RevisionOffsite).c
    return table_of(OffsiteCheck).c.id.in_(
        select(held.offsite_id).where(held.revision_id == revision_id)
    )
