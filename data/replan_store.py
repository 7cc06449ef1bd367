"""What a replan reads and writes around the planning tables: the filed revision it starts
from, the date and diff of the revision it makes, and a draft a crashed run left behind."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jointinspect.data.plan_document import PlanDocument, latest_revision, load_plan_document
from jointinspect.models import Plan, PlanRevision, session_scope
from jointinspect.models.enums import RevisionStatus
from jointinspect.models.errors import JointInspectError

#: Marks a draft made by replanning (in its metrics), so a crashed run's draft is known.
REPLAN_MARK = "replan"


class NoFiledPlanError(JointInspectError):
    """The quarter has no filed revision to replan from."""


class ForeignDraftError(JointInspectError):
    """The quarter's latest revision is a draft that replanning did not make."""


@dataclass(frozen=True)
class FiledPlan:
    document: PlanDocument
    revision_id: int
    as_of: dt.date | None


def filed_plan(quarter: str, *, engine: Engine) -> FiledPlan:
    """The quarter's filed revision as a document (codes included)."""
    with session_scope(engine) as session:
        revision = _filed(session, quarter)
        if revision is None or revision.id is None:
            raise NoFiledPlanError(
                f"{quarter} has no filed plan to replan",
                hint=f"plan and file it first: `jointinspect plan --quarter {quarter} --seed …` "
                f"then `jointinspect file --quarter {quarter}`",
            )
        doc = load_plan_document(session=session, revision_id=revision.id)
        return FiledPlan(doc, revision.id, revision.as_of)


def leftover_draft(quarter: str, *, engine: Engine) -> bool:
    """True when the latest revision is a draft of an earlier replan that never got filed
    (a crash between writing and filing); False when the latest revision is filed.

    Raises ``ForeignDraftError`` for any other draft: someone's ``plan`` waits to be
    filed, and a replan must not silently bury it."""
    with session_scope(engine) as session:
        latest = latest_revision(session=session, quarter=quarter)
        if latest.status != RevisionStatus.DRAFT.value:
            return False
        if REPLAN_MARK in (latest.metrics or {}):
            return True
        raise ForeignDraftError(
            f"revision {latest.revision} of {quarter} is a draft that is not filed yet",
            hint=f"file it (`jointinspect file --quarter {quarter}`) or discard it, then replan",
        )


def record_replan(
    revision_id: int, *, engine: Engine, as_of: dt.date, diff: dict[str, Any]
) -> None:
    """Store the replan's date and diff on its (draft) revision."""
    with session_scope(engine) as session:
        revision = session.get(PlanRevision, revision_id)
        if revision is None:
            raise NoFiledPlanError(f"revision id {revision_id} does not exist")
        revision.as_of = as_of
        revision.diff = diff
        session.add(revision)


def _filed(session: Session, quarter: str) -> PlanRevision | None:
    plan = session.exec(select(Plan).where(Plan.quarter == quarter)).first()
    if plan is None:
        return None
    return session.exec(
        select(PlanRevision)
        .where(PlanRevision.plan_id == plan.id, PlanRevision.status == RevisionStatus.FILED.value)
        .order_by(col(PlanRevision.revision).desc())
    ).first()
