"""Discarding a draft revision that will not be filed (e.g. it plans what is filed already).

Only drafts can go: filed and superseded revisions are the record and are immutable.
"""

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from jointinspect.data.plans.document import latest_revision
from jointinspect.models import (
    OffsiteCheck,
    PlanRevision,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
    session_scope,
)
from jointinspect.models.enums import RevisionStatus
from jointinspect.models.errors import JointInspectError


class NotADraftError(JointInspectError):
    """The latest revision is filed or superseded, so there is no draft to discard."""


def discard_latest_draft(quarter: str, *, engine: Engine) -> int:
    """Delete the latest revision of ``quarter`` and all it holds; return its number."""
    with session_scope(engine) as session:
        revision = latest_revision(session=session, quarter=quarter)
        if revision.status != RevisionStatus.DRAFT.value or revision.id is None:
            raise NotADraftError(
                f"revision {revision.revision} of {quarter} is {revision.status}, not a draft; "
                "filed revisions are kept as the record"
            )
        rid = revision.id
        visits = select(col(Visit.id)).where(col(Visit.revision_id) == rid)
        session.execute(delete(VisitTask).where(col(VisitTask.visit_id).in_(visits)))
        session.execute(delete(VisitOfficer).where(col(VisitOfficer.visit_id).in_(visits)))
        session.execute(delete(Visit).where(col(Visit.revision_id) == rid))
        session.execute(delete(OffsiteCheck).where(col(OffsiteCheck.revision_id) == rid))
        session.execute(delete(UnscheduledDemand).where(col(UnscheduledDemand.revision_id) == rid))
        session.execute(delete(PlanRevision).where(col(PlanRevision.id) == rid))
        return revision.revision
