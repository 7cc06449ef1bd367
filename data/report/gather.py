"""Every figure of the efficiency report (效能评估), gathered from the database in one place.

The report shows the latest filed revision of a quarter's plan, or the one asked for (as
``export`` does). Counts are aggregated in SQL (GROUP BY), so a district of hundreds of
thousands of enterprises costs a handful of queries, not a row per enterprise. The
planner's own figures (consolidation lower bound, visits departments would make alone,
officer-days …) are read from the revision's ``metrics`` as ``plan`` stored them, never
recomputed differently here.

Outcomes reach a visit through their inspection code; an outcome counts for this plan when
its code belongs to a visit written by any revision of the plan (a visit a replan left
unchanged is shared by the revisions that keep it, and keeps its code). The hit-rate
evaluation (``risk.evaluation``) is not computed here — ``data`` may not import ``risk`` —
but everything it needs is: ``inspections`` and ``grades``. The adopted risk model and its
stored validation come from ``report_model``.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, distinct, func, or_, select
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.plans.document import chosen_revision
from jointinspect.data.plans.membership import holds_check, holds_visit
from jointinspect.data.report.figures import (
    GRADES,
    RATINGS,
    UNGRADED,
    Consolidation,
    DepartmentModes,
    GradeBurden,
    GradeColumns,
    NoDisturbFigures,
    OfficerLoad,
    OutcomeCounts,
    Ratings,
    ReportData,
    RevisionRow,
    TownVisits,
    VisitPoint,
)
from jointinspect.data.report.risk_model import load_risk_model
from jointinspect.models import (
    Department,
    Enterprise,
    EnterpriseGrade,
    Feedback,
    InspectionCode,
    Inspector,
    Item,
    NoDisturb,
    OffsiteCheck,
    Outcome,
    PlanRevision,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
    session_scope,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import (
    TRIGGERED_SOURCES,
    CodeStatus,
    DemandSource,
    InspectionResult,
    UnscheduledReason,
)
from jointinspect.models.quarter import Quarter

ROUTINE_SOURCES = tuple(sorted(s.value for s in DemandSource if s not in TRIGGERED_SOURCES))
#: Order in which a source is credited with an outcome when a visit holds the same item
#: twice (a drawn demand and a complaint, say): the triggered source is why it was visited.
SOURCE_ORDER: tuple[str, ...] = tuple(s.value for s in DemandSource)


def load_report_data(
    quarter: Quarter, *, engine: Engine, revision: int | None = None
) -> ReportData:
    """Every figure of the report for revision ``revision`` of ``quarter``'s plan, by
    default its latest filed one (a draft is a proposal, not what is being done)."""
    with session_scope(engine) as session:
        shown = chosen_revision(session=session, quarter=str(quarter), revision=revision)
        assert shown.id is not None
        rid = shown.id
        plan_id = shown.plan_id
        head = (shown.revision, shown.status, shown.seed, shown.generated_at)
        metrics = dict(shown.metrics or {})
    risk_model = load_risk_model(engine=engine)
    with engine.connect() as conn:
        grades = _grade_columns(conn)
        grade_of = dict(zip(grades.uscc, grades.grade, strict=True))
        outcome_rows = _outcome_rows(conn, plan_id)
        return ReportData(
            plan_id=plan_id,
            quarter=str(quarter),
            revision=head[0],
            status=head[1],
            seed=head[2],
            generated_at=head[3],
            metrics=metrics,
            consolidation=_consolidation(conn, rid, metrics),
            departments=_departments(conn, rid),
            no_disturb=_no_disturb(conn, rid, quarter),
            burden=_burden(conn, rid),
            visits_per_enterprise=_visits_per_enterprise(conn, rid),
            outcomes_by_grade=_by_key(outcome_rows, lambda r: grade_of.get(r.uscc, UNGRADED)),
            outcomes_by_source=_by_key(outcome_rows, lambda r: r.source),
            outcomes_total=_count("all", outcome_rows),
            workload=_workload(conn, rid),
            towns=_towns(conn, rid),
            points=_points(conn, rid),
            ratings=_ratings(conn, plan_id, rid),
            revisions=_revisions(conn, plan_id),
            inspections=tuple(
                (r.uscc, r.result)
                for r in outcome_rows
                if r.result != InspectionResult.NOT_DONE.value
            ),
            grades=grades,
            risk_model=risk_model,
        )


def _consolidation(conn: Connection, rid: int, metrics: Mapping[str, Any]) -> Consolidation:
    stored = conn.execute(select(func.count()).where(holds_visit(rid))).scalar_one()
    return Consolidation(
        onsite_visits=int(metrics.get("onsite_visits", stored)),
        lower_bound=int(metrics.get("consolidation_lower_bound", 0)),
        departments_alone=int(metrics.get("visits_if_departments_alone", 0)),
        visits_saved=int(metrics.get("visits_saved", 0)),
        visits_stored=int(stored),
    )


def _departments(conn: Connection, rid: int) -> tuple[DepartmentModes, ...]:
    v, t = table_of(Visit).c, table_of(VisitTask).c
    o, u = table_of(OffsiteCheck).c, table_of(UnscheduledDemand).c
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    onsite = (
        select(t.department, func.count())
        .select_from(table_of(VisitTask).join(table_of(Visit), v.id == t.visit_id))
        .where(holds_visit(rid))
        .group_by(t.department)
    )
    for dept, n in conn.execute(onsite):
        counts[dept]["onsite"] += n
    for mode, table, held in (("offsite", o, holds_check(rid)), ("unscheduled", u, None)):
        query = (
            select(table.department, func.count())
            .where(u.revision_id == rid if held is None else held)
            .group_by(table.department)
        )
        for dept, n in conn.execute(query):
            counts[dept][mode] += n
    d = table_of(Department).c
    names = dict(conn.execute(select(d.code, d.name)).all())
    return tuple(
        DepartmentModes(dept, names.get(dept, dept), c["onsite"], c["offsite"], c["unscheduled"])
        for dept, c in sorted(counts.items())
    )


def _listed_on(nd: Any, day: Any) -> Any:
    """SQL: the no-disturb entry covers ``day`` (since/until inclusive)."""
    return and_(nd.since <= day, or_(nd.until.is_(None), nd.until >= day))


def _no_disturb(conn: Connection, rid: int, quarter: Quarter) -> NoDisturbFigures:
    nd, i = table_of(NoDisturb).c, table_of(Item).c
    v, t = table_of(Visit).c, table_of(VisitTask).c
    o, u = table_of(OffsiteCheck).c, table_of(UnscheduledDemand).c
    in_quarter = and_(
        nd.since <= quarter.last_day, or_(nd.until.is_(None), nd.until >= quarter.first_day)
    )
    listed = conn.execute(select(func.count()).where(in_quarter)).scalar_one()
    flagged = conn.execute(select(func.count()).where(i.no_disturb.is_(True))).scalar_one()
    offsite_at_listed = conn.execute(
        select(func.count(distinct(o.id)))
        .select_from(table_of(OffsiteCheck).join(table_of(NoDisturb), nd.uscc == o.uscc))
        .where(holds_check(rid), in_quarter)
    ).scalar_one()
    offsite_of_items = conn.execute(
        select(func.count())
        .select_from(table_of(OffsiteCheck).join(table_of(Item), i.code == o.item))
        .where(holds_check(rid), i.no_disturb.is_(True), o.source.in_(ROUTINE_SOURCES))
    ).scalar_one()
    reasons: dict[str, int] = dict(
        conn.execute(
            select(u.reason, func.count()).where(u.revision_id == rid).group_by(u.reason)
        ).all()
    )
    at_listed = (
        select(v.triggered, func.count(distinct(v.id)))
        .select_from(table_of(Visit).join(table_of(NoDisturb), nd.uscc == v.uscc))
        .where(holds_visit(rid), _listed_on(nd, v.date))
        .group_by(v.triggered)
    )
    by_trigger = {bool(k): int(n) for k, n in conn.execute(at_listed)}
    item_violations = conn.execute(
        select(func.count())
        .select_from(
            table_of(VisitTask)
            .join(table_of(Visit), v.id == t.visit_id)
            .join(table_of(Item), i.code == t.item)
        )
        .where(holds_visit(rid), i.no_disturb.is_(True), t.source.in_(ROUTINE_SOURCES))
    ).scalar_one()
    return NoDisturbFigures(
        listed_enterprises=int(listed),
        flagged_items=int(flagged),
        offsite_at_listed=int(offsite_at_listed),
        offsite_of_items=int(offsite_of_items),
        unscheduled_enterprise=int(reasons.get(UnscheduledReason.NO_DISTURB_ENTERPRISE.value, 0)),
        unscheduled_item=int(reasons.get(UnscheduledReason.NO_DISTURB_ITEM.value, 0)),
        triggered_visits_at_listed=by_trigger.get(True, 0),
        violations_enterprise=by_trigger.get(False, 0),
        violations_item=int(item_violations),
    )


def _grade_columns(conn: Connection) -> GradeColumns:
    g = table_of(EnterpriseGrade).c
    rows = conn.execute(select(g.uscc, g.grade, g.risk).order_by(g.uscc)).all()
    return GradeColumns([r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows])


def _burden(conn: Connection, rid: int) -> tuple[GradeBurden, ...]:
    g, v, t = table_of(EnterpriseGrade).c, table_of(Visit).c, table_of(VisitTask).c
    grade_sizes: dict[str, int] = dict(
        conn.execute(select(g.grade, func.count()).group_by(g.grade)).all()
    )
    per_enterprise = (
        select(v.uscc.label("uscc"), func.count().label("n"))
        .where(holds_visit(rid))
        .group_by(v.uscc)
        .subquery()
    )
    rows = conn.execute(
        select(
            g.grade,
            func.count(),
            func.sum(per_enterprise.c.n),
            func.sum((per_enterprise.c.n >= 2).cast(Integer)),
        )
        .select_from(
            per_enterprise.outerjoin(table_of(EnterpriseGrade), g.uscc == per_enterprise.c.uscc)
        )
        .group_by(g.grade)
    ).all()
    depts = (
        select(v.uscc.label("uscc"))
        .select_from(table_of(VisitTask).join(table_of(Visit), v.id == t.visit_id))
        .where(holds_visit(rid))
        .group_by(v.uscc)
        .having(func.count(distinct(t.department)) >= 2)
        .subquery()
    )
    multi = {
        grade or UNGRADED: int(n)
        for grade, n in conn.execute(
            select(g.grade, func.count())
            .select_from(depts.outerjoin(table_of(EnterpriseGrade), g.uscc == depts.c.uscc))
            .group_by(g.grade)
        )
    }
    # An enterprise without a grade (outer join: NULL) is shown under UNGRADED.
    visited = {r[0] or UNGRADED: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}
    keys = [*GRADES, *sorted(k for k in visited.keys() | grade_sizes.keys() if k not in GRADES)]
    return tuple(
        GradeBurden(
            grade=k,
            enterprises=int(grade_sizes.get(k, 0)),
            visited=visited.get(k, (0, 0, 0))[0],
            visits=visited.get(k, (0, 0, 0))[1],
            repeat=visited.get(k, (0, 0, 0))[2],
            multi_department=int(multi.get(k, 0)),
        )
        for k in keys
    )


def _visits_per_enterprise(conn: Connection, rid: int) -> dict[int, int]:
    v = table_of(Visit).c
    per = select(func.count().label("n")).where(holds_visit(rid)).group_by(v.uscc).subquery()
    rows = conn.execute(select(per.c.n, func.count()).group_by(per.c.n).order_by(per.c.n))
    return {int(n): int(c) for n, c in rows}


@dataclass(frozen=True, slots=True)
class _OutcomeRow:
    code: str
    item: str
    visit_id: int
    uscc: str
    result: str
    source: str


def _outcome_rows(conn: Connection, plan_id: str) -> list[_OutcomeRow]:
    """Outcome rows of this plan's on-site visits, each credited to one task source."""
    o, c, v = table_of(Outcome).c, table_of(InspectionCode).c, table_of(Visit).c
    t, r = table_of(VisitTask).c, table_of(PlanRevision).c
    query = (
        select(o.code, o.item, v.id, v.uscc, o.result, t.source)
        .select_from(
            table_of(Outcome)
            .join(table_of(InspectionCode), c.code == o.code)
            .join(table_of(Visit), v.id == c.visit_id)
            .join(table_of(PlanRevision), r.id == v.revision_id)
            .outerjoin(table_of(VisitTask), and_(t.visit_id == v.id, t.item == o.item))
        )
        .where(r.plan_id == plan_id)
    )
    rank = {s: k for k, s in enumerate(SOURCE_ORDER)}
    best: dict[tuple[str, str], _OutcomeRow] = {}
    for code, item, vid, uscc, result, source in conn.execute(query):
        row = _OutcomeRow(code, item, int(vid), uscc, result, source or UNGRADED)
        key = (code, item)
        # A triggered source comes later in DemandSource, and it is why the visit was made.
        if key not in best or rank.get(row.source, -1) > rank.get(best[key].source, -1):
            best[key] = row
    return [best[k] for k in sorted(best)]


def _count(key: str, rows: Sequence[_OutcomeRow]) -> OutcomeCounts:
    results = Counter(r.result for r in rows)
    done = [r for r in rows if r.result != InspectionResult.NOT_DONE.value]
    return OutcomeCounts(
        key=key,
        visits=len({r.visit_id for r in done}),
        checks=len(done),
        violations=results[InspectionResult.VIOLATION.value],
        minor=results[InspectionResult.MINOR.value],
        compliant=results[InspectionResult.COMPLIANT.value],
        not_done=results[InspectionResult.NOT_DONE.value],
    )


def _by_key(rows: Sequence[_OutcomeRow], key_of: Any) -> tuple[OutcomeCounts, ...]:
    groups: dict[str, list[_OutcomeRow]] = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    order = {k: n for n, k in enumerate((*GRADES, *SOURCE_ORDER))}
    keys = sorted(groups, key=lambda k: (order.get(k, len(order)), k))
    return tuple(_count(k, groups[k]) for k in keys)


def _workload(conn: Connection, rid: int) -> tuple[OfficerLoad, ...]:
    v, vo, ins, d = (
        table_of(Visit).c,
        table_of(VisitOfficer).c,
        table_of(Inspector).c,
        table_of(Department).c,
    )
    rows = conn.execute(
        select(vo.inspector_id, func.count(), func.count(distinct(v.date)))
        .select_from(table_of(VisitOfficer).join(table_of(Visit), v.id == vo.visit_id))
        .where(holds_visit(rid))
        .group_by(vo.inspector_id)
    ).all()
    load = {oid: (int(n), int(days)) for oid, n, days in rows}
    served: dict[str, int] = dict(
        conn.execute(
            select(ins.department, func.count(distinct(vo.visit_id)))
            .select_from(
                table_of(VisitOfficer)
                .join(table_of(Visit), v.id == vo.visit_id)
                .join(table_of(Inspector), ins.id == vo.inspector_id)
            )
            .where(holds_visit(rid))
            .group_by(ins.department)
        ).all()
    )
    roster: dict[str, list[str]] = defaultdict(list)
    for oid, dept in conn.execute(select(ins.id, ins.department)):
        roster[dept].append(oid)
    names = dict(conn.execute(select(d.code, d.name)).all())
    out = []
    for dept in sorted(roster):
        ids = roster[dept]
        out.append(
            OfficerLoad(
                department=dept,
                name=names.get(dept, dept),
                visits=tuple(sorted(load.get(oid, (0, 0))[0] for oid in ids)),
                officer_days=sum(load.get(oid, (0, 0))[1] for oid in ids),
                department_visits=int(served.get(dept, 0)),
            )
        )
    return tuple(out)


def _towns(conn: Connection, rid: int) -> tuple[TownVisits, ...]:
    v, e = table_of(Visit).c, table_of(Enterprise).c
    rows = conn.execute(
        select(
            v.town,
            func.count(),
            func.sum(v.triggered.cast(Integer)),
            func.count(distinct(v.uscc)),
            func.avg(e.lat),
            func.avg(e.lon),
        )
        .select_from(table_of(Visit).join(table_of(Enterprise), e.uscc == v.uscc))
        .where(holds_visit(rid))
        .group_by(v.town)
        .order_by(v.town)
    ).all()
    return tuple(
        TownVisits(
            town,
            int(n),
            int(trig or 0),
            int(ents),
            None if lat is None else float(lat),
            None if lon is None else float(lon),
        )
        for town, n, trig, ents, lat, lon in rows
    )


def _points(conn: Connection, rid: int) -> tuple[VisitPoint, ...]:
    v, e = table_of(Visit).c, table_of(Enterprise).c
    rows = conn.execute(
        select(e.lat, e.lon, v.triggered)
        .select_from(table_of(Visit).join(table_of(Enterprise), e.uscc == v.uscc))
        .where(holds_visit(rid), e.lat.is_not(None), e.lon.is_not(None))
        .order_by(v.id)
    )
    return tuple(VisitPoint(float(lat), float(lon), bool(trig)) for lat, lon, trig in rows)


def _ratings(conn: Connection, plan_id: str, rid: int) -> Ratings:
    f, c, v, r = (
        table_of(Feedback).c,
        table_of(InspectionCode).c,
        table_of(Visit).c,
        table_of(PlanRevision).c,
    )
    rows: dict[int, int] = dict(
        conn.execute(
            select(f.rating, func.count())
            .select_from(
                table_of(Feedback)
                .join(table_of(InspectionCode), c.code == f.code)
                .join(table_of(Visit), v.id == c.visit_id)
                .join(table_of(PlanRevision), r.id == v.revision_id)
            )
            .where(r.plan_id == plan_id)
            .group_by(f.rating)
        ).all()
    )
    rateable = conn.execute(
        select(func.count(distinct(v.id)))
        .select_from(table_of(Visit).join(table_of(InspectionCode), c.visit_id == v.id))
        .where(holds_visit(rid), c.status == CodeStatus.VALID.value)
    ).scalar_one()
    return Ratings(tuple(int(rows.get(k, 0)) for k in RATINGS), int(rateable))


def _revisions(conn: Connection, plan_id: str) -> tuple[RevisionRow, ...]:
    r = table_of(PlanRevision).c
    rows = conn.execute(
        select(r.revision, r.status, r.generated_at, r.filed_at, r.metrics, r.diff)
        .where(r.plan_id == plan_id)
        .order_by(r.revision)
    )
    out = []
    for number, status, generated, filed, metrics, diff in rows:
        m = metrics or {}
        out.append(
            RevisionRow(
                revision=int(number),
                status=status,
                generated_at=generated,
                filed_at=filed,
                onsite_visits=m.get("onsite_visits"),
                offsite_checks=m.get("offsite_checks"),
                unscheduled=m.get("unscheduled"),
                diff=diff or None,
            )
        )
    return tuple(out)
