"""What a replan reads and writes around the planning tables: the filed revision it starts
from, the date and diff of the revision it makes, and a draft a crashed run left behind."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from jointinspect.data.plans.document import (
    OfficerDoc,
    OffsiteDoc,
    PlanDocument,
    PlanNotFoundError,
    TaskDoc,
    UnscheduledDoc,
    VisitDoc,
    as_aware,
    latest_revision,
)
from jointinspect.models import (
    Demand,
    OffsiteCheck,
    Outcome,
    Plan,
    PlanRevision,
    Trigger,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
    session_scope,
)
from jointinspect.models.core_table import table_of
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
    #: The rows the document was made from: filing the next revision compares with them
    #: (a filed revision never changes, so they need not be read again).
    rows: "RevisionRows"


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
        rows = read_revision_rows(session.connection(), revision.id)
        doc = read_plan_document(session.connection(), revision.id, rows=rows)
        return FiledPlan(doc, revision.id, revision.as_of, rows)


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


class VisitRow(NamedTuple):
    id: int
    code: str | None
    uscc: str
    date: dt.date
    town: str
    mode: str
    order: int


class OffsiteRow(NamedTuple):
    id: int
    code: str | None
    uscc: str
    department: str
    item: str
    demand_id: str
    source: str
    due: dt.date


@dataclass(frozen=True)
class RevisionRows:
    """One revision's planning rows as plain tuples, with their ids (in id order)."""

    visits: list[VisitRow]
    tasks: dict[int, list[TaskDoc]]  # by visit id, in no particular order
    officers: dict[int, list[OfficerDoc]]  # by visit id, in no particular order
    offsite: list[OffsiteRow]
    unscheduled: list[UnscheduledDoc]


def read_revision_rows(conn: Connection, revision_id: int) -> RevisionRows:
    """The rows of one revision with plain Core queries: one query per table."""
    v, t, o = table_of(Visit).c, table_of(VisitTask).c, table_of(VisitOfficer).c
    tasks: dict[int, list[TaskDoc]] = defaultdict(list)
    for vid, *row in _tuples(
        conn,
        core_select(t.visit_id, t.demand_id, t.department, t.item, t.source)
        .join_from(table_of(VisitTask), table_of(Visit), v.id == t.visit_id)
        .where(v.revision_id == revision_id),
    ):
        tasks[vid].append(TaskDoc(*row))
    officers: dict[int, list[OfficerDoc]] = defaultdict(list)
    for vid, *row in _tuples(
        conn,
        core_select(o.visit_id, o.inspector_id, o.department)
        .join_from(table_of(VisitOfficer), table_of(Visit), v.id == o.visit_id)
        .where(v.revision_id == revision_id),
    ):
        officers[vid].append(OfficerDoc(*row))
    visits = [
        VisitRow(vid, code, uscc, _date(day), town, mode, order)
        for vid, code, uscc, day, town, mode, order in _tuples(
            conn,
            core_select(v.id, v.code, v.uscc, v.date, v.town, v.mode, v["order"])
            .where(v.revision_id == revision_id)
            .order_by(v.id),
        )
    ]
    c = table_of(OffsiteCheck).c
    offsite = [
        OffsiteRow(oid, code, uscc, department, item, demand_id, source, _date(due))
        for oid, code, uscc, department, item, demand_id, source, due in _tuples(
            conn,
            core_select(c.id, c.code, c.uscc, c.department, c.item, c.demand_id, c.source, c.due)
            .where(c.revision_id == revision_id)
            .order_by(c.id),
        )
    ]
    u = table_of(UnscheduledDemand).c
    unscheduled = [
        UnscheduledDoc(*row)
        for row in _tuples(
            conn,
            core_select(
                u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail
            ).where(u.revision_id == revision_id),
        )
    ]
    return RevisionRows(visits, tasks, officers, offsite, unscheduled)


def _tuples(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the driver's own tuples: a SQLAlchemy ``Row`` per row cost
    more than the query for a district's revision. Only text, numbers and dates (see
    :func:`_date`) are selected this way."""
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _date(value: dt.date | str) -> dt.date:
    # SQLite's driver gives the ISO text SQLAlchemy's Date type stored; PostgreSQL's a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def read_plan_document(
    conn: Connection, revision_id: int, *, rows: RevisionRows | None = None
) -> PlanDocument:
    """``load_plan_document`` with plain Core rows instead of ORM objects (the same
    document, in the same order): a 50,000-visit revision reads in seconds, not tens of
    seconds. The metrics are the stored ones."""
    r, p = table_of(PlanRevision).c, table_of(Plan).c
    found = conn.execute(
        core_select(p.id, p.quarter, r.revision, r.status, r.seed, r.generated_at, r.metrics)
        .join_from(table_of(PlanRevision), table_of(Plan), r.plan_id == p.id)
        .where(r.id == revision_id)
    ).first()
    if found is None:
        raise PlanNotFoundError(f"there is no plan revision with id {revision_id}")
    plan_id, quarter, number, status, seed, generated_at, metrics = found
    rows = read_revision_rows(conn, revision_id) if rows is None else rows
    visits = [
        VisitDoc(
            code=row.code,
            uscc=row.uscc,
            date=row.date,
            town=row.town,
            mode=row.mode,
            tasks=tuple(sorted(rows.tasks[row.id], key=lambda x: (x.demand_id, x.department))),
            inspectors=tuple(sorted(rows.officers[row.id], key=lambda x: (x.department, x.id))),
            order=row.order,
        )
        for row in rows.visits
    ]
    offsite = [
        OffsiteDoc(o.code, o.uscc, o.department, o.item, o.demand_id, o.source, o.due)
        for o in rows.offsite
    ]
    return PlanDocument(
        plan_id=plan_id,
        quarter=quarter,
        revision=number,
        status=status,
        seed=seed,
        generated_at=as_aware(generated_at),
        visits=tuple(sorted(visits, key=VisitDoc.sort_key)),
        offsite=tuple(sorted(offsite, key=OffsiteDoc.sort_key)),
        unscheduled=tuple(sorted(rows.unscheduled, key=lambda x: x.demand_id)),
        metrics=dict(metrics or {}),
    )


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
