"""Everything a disclosure is made from, read from the database with plain Core selects.

The plan is the quarter's latest *filed* revision: a draft is a proposal and is never
published. Its drawn checks are the tasks, off-site checks and unscheduled demands whose
source is ``random``. Results are outcomes whose inspection code belongs to a visit or
off-site check written by a filed (or since superseded) revision of the plan and whose
item is that check's drawn item; a code moved by a replan to a new row sits on several
rows, so results are kept once per (code, item), and the code is dropped here.

The population the draw is redone on (``read_population``) is read apart, since a
district's register is large and is only needed when the plan did not record its draw.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, literal, select, union_all
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.plans.membership import holds_check, holds_visit
from jointinspect.data.publish.content import Placement, ResultLine
from jointinspect.models import (
    Department,
    Enterprise,
    EnterpriseGrade,
    Item,
    NoDisturb,
    OffsiteCheck,
    Outcome,
    Plan,
    PlanRevision,
    SamplingRule,
    UnscheduledDemand,
    Visit,
    VisitTask,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import DemandSource, EnterpriseStatus, RevisionStatus
from jointinspect.models.errors import JointInspectError

#: Revisions whose codes were issued: results may be recorded against any of them.
_ISSUED = (RevisionStatus.FILED.value, RevisionStatus.SUPERSEDED.value)
_RANDOM = DemandSource.RANDOM.value


class NoFiledPlanError(JointInspectError):
    """The quarter has no filed plan revision to publish."""


@dataclass(frozen=True, slots=True)
class DrawnCheck:
    department: str
    item: str
    uscc: str
    placement: Placement


@dataclass(frozen=True)
class FiledPlan:
    """The latest filed revision, as far as a disclosure needs it."""

    plan_id: str
    quarter: str
    revision: int
    seed: str
    filed_at: dt.datetime
    metrics: dict[str, Any]
    drawn: tuple[DrawnCheck, ...]

    @property
    def drawn_keys(self) -> set[tuple[str, str, str]]:
        """(department, item, uscc) of every drawn check."""
        return {(d.department, d.item, d.uscc) for d in self.drawn}


@dataclass(frozen=True, slots=True)
class ItemInfo:
    code: str
    department: str
    name: str
    mode: str
    industries: str


@dataclass(frozen=True, order=True, slots=True)
class RuleRow:
    department: str
    item: str
    grade: str
    ratio: str


@dataclass(frozen=True, slots=True)
class PopulationRow:
    """One enterprise as the draw sees it on the first day of the quarter."""

    uscc: str
    industry: str
    active: bool
    grade: str  # "" when ungraded
    no_disturb: bool


@dataclass(frozen=True)
class PublicationInputs:
    plan: FiledPlan
    departments: dict[str, str]  # code → name
    items: dict[str, ItemInfo]
    rules: tuple[RuleRow, ...]  # the sampling rules the database holds now
    results: tuple[ResultLine, ...]


def read_publication_inputs(quarter: str, *, engine: Engine) -> PublicationInputs:
    """The latest filed revision of ``quarter`` with the names, rules and results."""
    with engine.connect() as conn:
        plan = _filed_plan(conn, quarter)
        d, i, s = table_of(Department).c, table_of(Item).c, table_of(SamplingRule).c
        departments = {code: name for code, name in conn.execute(select(d.code, d.name))}
        items = {
            row[0]: ItemInfo(*row)
            for row in conn.execute(select(i.code, i.department, i.name, i.mode, i.industries))
        }
        query = select(s.department, s.item, s.grade, s.ratio)
        rules = tuple(sorted(RuleRow(*row) for row in conn.execute(query)))
        results = _results(conn, plan.plan_id, departments, items)
    return PublicationInputs(plan, departments, items, rules, results)


def _filed_plan(conn: Connection, quarter: str) -> FiledPlan:
    p, r = table_of(Plan).c, table_of(PlanRevision).c
    plan_id = conn.execute(select(p.id).where(p.quarter == quarter)).scalar()
    if plan_id is None:
        raise NoFiledPlanError(
            f"there is no plan for {quarter} to publish",
            hint=f"plan and file it first: `jointinspect plan --quarter {quarter} --seed …`, "
            f"then `jointinspect file --quarter {quarter}`",
        )
    found = conn.execute(
        select(r.id, r.revision, r.seed, r.filed_at, r.generated_at, r.metrics)
        .where(r.plan_id == plan_id, r.status == RevisionStatus.FILED.value)
        .order_by(r.revision.desc())
        .limit(1)
    ).first()
    if found is None:
        raise NoFiledPlanError(
            f"the plan for {quarter} has no filed revision to publish (a draft is not published)",
            hint=f"file it first: `jointinspect file --quarter {quarter}`",
        )
    revision_id, number, seed, filed_at, generated_at, metrics = found
    # The column is nullable: without a filing time, the time the revision was made is
    # the closest there is.
    stamp = filed_at or generated_at
    return FiledPlan(
        plan_id=plan_id,
        quarter=quarter,
        revision=number,
        seed=seed,
        filed_at=stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC),
        metrics=dict(metrics or {}),
        drawn=_drawn(conn, revision_id),
    )


def _drawn(conn: Connection, revision_id: int) -> tuple[DrawnCheck, ...]:
    v, t = table_of(Visit).c, table_of(VisitTask).c
    c, u = table_of(OffsiteCheck).c, table_of(UnscheduledDemand).c
    queries = (
        (
            Placement.ONSITE,
            select(t.department, t.item, v.uscc)
            .join_from(table_of(VisitTask), table_of(Visit), v.id == t.visit_id)
            .where(holds_visit(revision_id), t.source == _RANDOM),
        ),
        (
            Placement.OFFSITE,
            select(c.department, c.item, c.uscc).where(
                holds_check(revision_id), c.source == _RANDOM
            ),
        ),
        (
            Placement.UNSCHEDULED,
            select(u.department, u.item, u.uscc).where(
                u.revision_id == revision_id, u.source == _RANDOM
            ),
        ),
    )
    drawn = [
        DrawnCheck(department, item, uscc, placement)
        for placement, query in queries
        for department, item, uscc in conn.execute(query)
    ]
    return tuple(sorted(drawn, key=lambda x: (x.department, x.item, x.uscc)))


def _results(
    conn: Connection, plan_id: str, departments: dict[str, str], items: dict[str, ItemInfo]
) -> tuple[ResultLine, ...]:
    o, r = table_of(Outcome).c, table_of(PlanRevision).c
    v, t, c = table_of(Visit).c, table_of(VisitTask).c, table_of(OffsiteCheck).c
    issued = and_(r.plan_id == plan_id, r.status.in_(_ISSUED))
    onsite = (
        select(
            o.code, o.item, o.result, o.date, v.uscc, literal(Placement.ONSITE.value), t.department
        )
        .join_from(table_of(Outcome), table_of(Visit), v.code == o.code)
        .join(table_of(VisitTask), and_(t.visit_id == v.id, t.item == o.item))
        .join(table_of(PlanRevision), r.id == v.revision_id)
        .where(issued, t.source == _RANDOM)
    )
    offsite = (
        select(
            o.code, o.item, o.result, o.date, c.uscc, literal(Placement.OFFSITE.value), c.department
        )
        .join_from(
            table_of(Outcome), table_of(OffsiteCheck), and_(c.code == o.code, c.item == o.item)
        )
        .join(table_of(PlanRevision), r.id == c.revision_id)
        .where(issued, c.source == _RANDOM)
    )
    once: dict[tuple[str, str], tuple[Any, ...]] = {}
    for code, item, result, day, uscc, mode, department in conn.execute(union_all(onsite, offsite)):
        once.setdefault((code, item), (item, result, _date(day), uscc, mode, department))
    names = _enterprise_names(conn, {row[3] for row in once.values()})
    lines = [
        ResultLine(
            enterprise=names.get(uscc, uscc),
            uscc=uscc,
            department=department,
            department_name=departments.get(department, department),
            item=item,
            item_name=items[item].name if item in items else item,
            mode=mode,
            date=day,
            result=result,
        )
        for item, result, day, uscc, mode, department in once.values()
    ]
    return tuple(sorted(lines, key=lambda x: (x.date, x.uscc, x.department, x.item)))


def _enterprise_names(conn: Connection, usccs: set[str]) -> dict[str, str]:
    e = table_of(Enterprise).c
    names: dict[str, str] = {}
    ordered = sorted(usccs)
    chunk = 500  # well under every driver's limit of bound parameters
    for start in range(0, len(ordered), chunk):
        part = ordered[start : start + chunk]
        query = select(e.uscc, e.name).where(e.uscc.in_(part))
        names.update((uscc, name) for uscc, name in conn.execute(query))
    return names


def _date(value: dt.date | str) -> dt.date:
    # SQLite's driver may hand back the ISO text of a date; PostgreSQL hands back a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def read_population(first_day: dt.date, *, engine: Engine) -> list[PopulationRow]:
    """Every enterprise with its industry, status, current grade and whether it is on the
    no-disturb list on ``first_day`` (``since``/``until`` inclusive), sorted by USCC."""
    e, g, n = table_of(Enterprise).c, table_of(EnterpriseGrade).c, table_of(NoDisturb).c
    with engine.connect() as conn:
        grades = {uscc: grade for uscc, grade in conn.execute(select(g.uscc, g.grade))}
        quiet = set(
            conn.execute(
                select(n.uscc).where(
                    n.since <= first_day, (n.until.is_(None)) | (n.until >= first_day)
                )
            ).scalars()
        )
        rows = conn.execute(select(e.uscc, e.industry, e.status).order_by(e.uscc))
        return [
            PopulationRow(
                uscc,
                industry,
                status == EnterpriseStatus.ACTIVE.value,
                grades.get(uscc) or "",
                uscc in quiet,
            )
            for uscc, industry, status in rows
        ]


def drawn_per_item(plan: FiledPlan) -> dict[tuple[str, str], dict[Placement, int]]:
    """(department, item) → how many drawn checks the plan placed where."""
    counts: dict[tuple[str, str], dict[Placement, int]] = defaultdict(
        lambda: dict.fromkeys(Placement, 0)
    )
    for check in plan.drawn:
        counts[(check.department, check.item)][check.placement] += 1
    return dict(counts)


__all__ = [
    "DrawnCheck",
    "FiledPlan",
    "ItemInfo",
    "NoFiledPlanError",
    "PopulationRow",
    "PublicationInputs",
    "RuleRow",
    "drawn_per_item",
    "read_population",
    "read_publication_inputs",
]
