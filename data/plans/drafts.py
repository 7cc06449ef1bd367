"""Dropping draft revisions: a draft is a proposal, not the record, so a newer plan of the
quarter replaces it and a coordinator may discard it.

Only drafts can go: filed and superseded revisions are the record and are immutable.
"""

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from jointinspect.models import (
    OffsiteCheck,
    Plan,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import RevisionStatus
from jointinspect.models.errors import JointInspectError


class NoDraftError(JointInspectError):
    """The quarter has no draft revision to discard."""


def delete_drafts(conn: Connection, plan_id: str) -> list[int]:
    """Delete every draft revision of ``plan_id`` with all it holds and wrote, in
    ``conn``'s transaction; return their numbers (ascending)."""
    r = table_of(PlanRevision).c
    drafts = conn.execute(
        select(r.id, r.revision)
        .where(r.plan_id == plan_id, r.status == RevisionStatus.DRAFT.value)
        .order_by(r.revision)
    ).all()
    if not drafts:
        return []
    ids = [rid for rid, _ in drafts]
    # What the drafts hold, then what they wrote: a draft shares rows with the filed
    # revision it replans, but no other revision holds a row a draft wrote.
    for member in (RevisionVisit, RevisionOffsite):
        conn.execute(delete(table_of(member)).where(table_of(member).c.revision_id.in_(ids)))
    v = table_of(Visit).c
    visits = select(v.id).where(v.revision_id.in_(ids))
    conn.execute(delete(table_of(VisitTask)).where(table_of(VisitTask).c.visit_id.in_(visits)))
    conn.execute(
        delete(table_of(VisitOfficer)).where(table_of(VisitOfficer).c.visit_id.in_(visits))
    )
    conn.execute(delete(table_of(Visit)).where(v.revision_id.in_(ids)))
    for table in (OffsiteCheck, UnscheduledDemand):
        conn.execute(delete(table_of(table)).where(table_of(table).c.revision_id.in_(ids)))
    conn.execute(delete(table_of(PlanRevision)).where(r.id.in_(ids)))
    return [number for _, number in drafts]


def discard_drafts(quarter: str, *, engine: Engine, missing_ok: bool = False) -> list[int]:
    """Delete the draft revisions of ``quarter`` (normally one); return their numbers.

    Raises ``NoDraftError`` when there is none (unless ``missing_ok``)."""
    p = table_of(Plan).c
    with engine.begin() as conn:
        plan_id = conn.execute(select(p.id).where(p.quarter == quarter)).scalar()
        if plan_id is None:
            if missing_ok:
                return []
            raise NoDraftError(f"there is no plan for {quarter}, so no draft to discard")
        dropped = delete_drafts(conn, plan_id)
    if not dropped and not missing_ok:
        raise NoDraftError(
            f"{quarter} has no draft to discard: its latest revision is filed",
            hint="filed revisions are the record and are kept; replan to change the plan",
        )
    return dropped
