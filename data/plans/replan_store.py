"""What a replan reads and writes around the planning tables: the filed revision it starts
from, the date and diff of the revision it makes, and a draft a crashed run left behind."""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jointinspect.data.plans.document import (
    PlanDocument,
    PlanNotFoundError,
    RevisionHeader,
    RevisionRows,
    document_of,
    latest_revision,
    read_revision_header,
    read_revision_rows,
)
from jointinspect.models import (
    Demand,
    OffsiteCheck,
    Outcome,
    Plan,
    PlanRevision,
    Trigger,
    Visit,
    session_scope,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import RevisionStatus
from jointinspect.models.errors import JointInspectError

#: Marks a draft made by replanning (in its metrics), so a crashed run's draft is known.
REPLAN_MARK = "replan"


class NoFiledPlanError(JointInspectError):
    """The quarter has no filed revision to replan from."""


@dataclass(frozen=True)
class FiledRevision:
    header: RevisionHeader
    revision_id: int
    as_of: dt.date | None
    #: Its rows: a replan works from them, and filing the next revision compares with
    #: them (a filed revision never changes, so they need not be read again).
    rows: RevisionRows
    #: The town centres it was planned with; None for a revision made before they were
    #: kept (migration 0006).
    town_centres: dict[str, tuple[float, float]] | None = None

    @cached_property
    def document(self) -> PlanDocument:
        """The revision as a §4 document (codes included), made when first asked for: a
        replan needs only the rows."""
        return document_of(self.header, self.rows)


def read_filed_revision(quarter: str, *, engine: Engine) -> FiledRevision:
    """The quarter's filed revision: its header and rows (codes included)."""
    with session_scope(engine) as session:
        revision = _filed(session, quarter)
        if revision is None or revision.id is None:
            raise NoFiledPlanError(
                f"{quarter} has no filed plan to replan",
                hint=f"plan and file it first: `jointinspect plan --quarter {quarter} --seed …` "
                f"then `jointinspect file --quarter {quarter}`",
            )
        rows = read_revision_rows(session.connection(), revision.id)
        header = read_revision_header(session.connection(), revision.id)
        centres = revision.town_centres
        return FiledRevision(
            header,
            revision.id,
            revision.as_of,
            rows,
            None
            if centres is None
            else {town: (float(lat), float(lon)) for town, (lat, lon) in centres.items()},
        )


def interrupted_replan_draft(quarter: str, *, engine: Engine) -> int | None:
    """The number of the quarter's latest revision when it is a draft a replan wrote and
    never filed (the run was interrupted); None otherwise. Such a draft was checked
    against the replan's own pins, so only a replan may file it."""
    with session_scope(engine) as session:
        try:
            latest = latest_revision(session=session, quarter=quarter)
        except PlanNotFoundError:
            return None
        if latest.status == RevisionStatus.DRAFT.value and REPLAN_MARK in (latest.metrics or {}):
            return latest.revision
        return None


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


def enterprises_with_news(
    *, engine: Engine, known_demands: set[str], outcomes_since: dt.date
) -> set[str]:
    """Enterprises a replan should regrade: those with a demand or trigger that
    ``known_demands`` (the filed revision's) does not hold, and those with an outcome
    dated on or after ``outcomes_since`` (outcomes carry no import time, so their date
    stands in for "new")."""
    d, t, o = table_of(Demand).c, table_of(Trigger).c, table_of(Outcome).c
    v, c = table_of(Visit).c, table_of(OffsiteCheck).c
    with engine.connect() as conn:
        rows = list(conn.execute(core_select(d.id, d.uscc)))
        rows += list(conn.execute(core_select(t.id, t.uscc)))
        found = {uscc for did, uscc in rows if did not in known_demands}
        for table, cols in ((table_of(Visit), v), (table_of(OffsiteCheck), c)):
            found.update(
                conn.execute(
                    core_select(cols.uscc)
                    .distinct()
                    .join_from(table_of(Outcome), table, cols.code == o.code)
                    .where(o.date >= outcomes_since)
                ).scalars()
            )
    return found
