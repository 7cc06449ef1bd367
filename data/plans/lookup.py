"""Targeted reads of stored plans for ``explain``: one demand or one visit, not a whole
revision (a district's revision holds ~100,000 visits; explaining one must stay instant).

"Latest" means the newest revision (highest id) that holds the demand or visit.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.plans.planning_inputs import (
    RANDOM_PRIORITY,
    ItemRow,
    demand_row,
    demand_select,
    trigger_row,
    trigger_select,
)
from jointinspect.models import (
    Demand,
    Item,
    NoDisturb,
    OffsiteCheck,
    Plan,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    Trigger,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import DemandSource
from jointinspect.models.errors import JointInspectError
from jointinspect.models.plan_problem import DemandInfo
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar


class NotInAnyPlanError(JointInspectError):
    """No stored plan revision holds the demand or visit asked about."""


@dataclass(frozen=True, slots=True)
class TaskRow:
    demand_id: str
    department: str
    item: str
    source: str


@dataclass(frozen=True, slots=True)
class OfficerRow:
    id: str
    department: str


@dataclass(frozen=True, slots=True)
class CodedVisit:
    id: int
    code: str | None
    uscc: str
    date: dt.date
    town: str
    order: int
    tasks: tuple[TaskRow, ...]
    inspectors: tuple[OfficerRow, ...]


@dataclass(frozen=True, slots=True)
class RevisionRef:
    revision_id: int
    plan_id: str
    quarter: str
    revision: int
    status: str
    seed: str


@dataclass(frozen=True)
class DemandPlacement:
    revision: RevisionRef
    visit: CodedVisit | None = None
    offsite_due: dt.date | None = None
    unscheduled: tuple[str, str] | None = None


def _revision(conn: Connection, revision_id: int) -> RevisionRef:
    r, p = table_of(PlanRevision).c, table_of(Plan).c
    row = conn.execute(
        select(r.id, r.plan_id, p.quarter, r.revision, r.status, r.seed)
        .select_from(table_of(PlanRevision).join(table_of(Plan), r.plan_id == p.id))
        .where(r.id == revision_id)
    ).one()
    return RevisionRef(*row)


def _visit(conn: Connection, visit_id: int) -> CodedVisit:
    v, t, o = table_of(Visit).c, table_of(VisitTask).c, table_of(VisitOfficer).c
    vid, code, uscc, date, town, order = conn.execute(
        select(v.id, v.code, v.uscc, v.date, v.town, v.order).where(v.id == visit_id)
    ).one()
    tasks = tuple(
        TaskRow(*r)
        for r in conn.execute(
            select(t.demand_id, t.department, t.item, t.source)
            .where(t.visit_id == visit_id)
            .order_by(t.demand_id)
        )
    )
    officers = tuple(
        OfficerRow(*r)
        for r in conn.execute(
            select(o.inspector_id, o.department)
            .where(o.visit_id == visit_id)
            .order_by(o.department, o.inspector_id)
        )
    )
    return CodedVisit(vid, code, uscc, date, town, order, tasks, officers)


def find_visit(ref: str, *, engine: Engine) -> tuple[RevisionRef, CodedVisit]:
    """A visit by inspection code, or by visit id (drafts have no codes yet)."""
    v, m = table_of(Visit).c, table_of(RevisionVisit).c
    with engine.connect() as conn:
        condition = v.code == ref.strip()
        if ref.strip().isdigit():
            condition = condition | (v.id == int(ref))
        row = conn.execute(
            select(v.id, m.revision_id)
            .join_from(table_of(Visit), table_of(RevisionVisit), m.visit_id == v.id)
            .where(condition)
            .order_by(m.revision_id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotInAnyPlanError(
                f"no stored plan has a visit with code or id {ref}",
                hint="give the inspection code printed on the visit (or a draft's visit id)",
            )
        return _revision(conn, row[1]), _visit(conn, row[0])


def find_demand(demand_id: str, *, engine: Engine) -> DemandPlacement:
    """Where the newest revision holding ``demand_id`` put it."""
    t, m = table_of(VisitTask).c, table_of(RevisionVisit).c
    o, u = table_of(OffsiteCheck).c, table_of(UnscheduledDemand).c
    mo = table_of(RevisionOffsite).c
    with engine.connect() as conn:
        hits: list[tuple[int, str, Any]] = []
        row = conn.execute(
            select(m.revision_id, t.visit_id)
            .join_from(table_of(VisitTask), table_of(RevisionVisit), m.visit_id == t.visit_id)
            .where(t.demand_id == demand_id)
            .order_by(m.revision_id.desc())
            .limit(1)
        ).first()
        if row:
            hits.append((row[0], "visit", row[1]))
        row = conn.execute(
            select(mo.revision_id, o.due)
            .join_from(table_of(OffsiteCheck), table_of(RevisionOffsite), mo.offsite_id == o.id)
            .where(o.demand_id == demand_id)
            .order_by(mo.revision_id.desc())
            .limit(1)
        ).first()
        if row:
            hits.append((row[0], "offsite", row[1]))
        gone = conn.execute(
            select(u.revision_id, u.reason, u.detail)
            .where(u.demand_id == demand_id)
            .order_by(u.revision_id.desc())
            .limit(1)
        ).first()
        if gone:
            hits.append((gone[0], "unscheduled", (gone[1], gone[2])))
        if not hits:
            raise NotInAnyPlanError(
                f"no stored plan holds demand {demand_id}",
                hint="plan the quarter first with `jointinspect plan --quarter … --seed …`",
            )
        revision_id, kind, value = max(hits, key=lambda h: h[0])
        ref = _revision(conn, revision_id)
        if kind == "visit":
            return DemandPlacement(ref, visit=_visit(conn, value))
        if kind == "offsite":
            return DemandPlacement(ref, offsite_due=value)
        return DemandPlacement(ref, unscheduled=value)


def demand_rows(
    ids: list[str],
    quarter: Quarter,
    *,
    engine: Engine,
    calendar: WorkingCalendar,
    trigger_response_days: int,
) -> dict[str, DemandInfo]:
    """The facts of some demands: ``demands.csv`` rows, triggers, or drawn ids (§2)."""
    out: dict[str, DemandInfo] = {}
    with engine.connect() as conn:
        for row in conn.execute(demand_select().where(table_of(Demand).c.id.in_(ids))):
            out[row[0]] = demand_row(row, quarter)
        for row in conn.execute(trigger_select().where(table_of(Trigger).c.id.in_(ids))):
            out[row[0]] = trigger_row(row, calendar, trigger_response_days)
    for did in ids:
        if did.startswith("R:") and did not in out and did.count(":") >= 3:
            _, dept, item, uscc = did.split(":", 3)
            out[did] = DemandInfo(
                did,
                dept,
                item,
                uscc,
                DemandSource.RANDOM,
                quarter.first_day,
                quarter.last_day,
                RANDOM_PRIORITY,
                False,
            )
    return out


def item_rows(codes: list[str], *, engine: Engine) -> dict[str, ItemRow]:
    c = table_of(Item).c
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.code, c.department, c.mode, c.no_disturb, c.minutes, c.industries).where(
                c.code.in_(codes)
            )
        )
        return {r[0]: ItemRow(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows}


def no_disturb_of(uscc: str, *, engine: Engine) -> list[tuple[dt.date, dt.date | None]]:
    c = table_of(NoDisturb).c
    with engine.connect() as conn:
        return [
            (since, until)
            for since, until in conn.execute(select(c.since, c.until).where(and_(c.uscc == uscc)))
        ]
