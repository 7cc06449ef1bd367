"""The plan document of contract §4: built from the planning tables, written as JSON with
the keys in contract order, and read back into plain data.

Everything here is deterministic: visits, tasks, officers, off-site checks and unscheduled
demands are sorted by their content (never by database ids), so two runs that plan the
same thing write byte-identical documents (bar ``generated_at``).

Timestamps: the tables hold timezone-aware datetimes; SQLite hands them back naive, so a
naive value is read as UTC (the project stores UTC) and every timestamp is written in
China time (``+08:00``), as the contract's example shows.
"""

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import func
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from jointinspect.data.reading.columnar import grouped, query_columns
from jointinspect.data.uscc_scope import Keep, every_row
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
from jointinspect.models.plan_result import OfficerRef, TaskRef, UnscheduledResult
from jointinspect.models.timezones import CHINA

#: The four counts the contract's ``metrics`` starts with; other metrics follow them.
CORE_METRICS = ("demands", "onsite_visits", "offsite_checks", "unscheduled")


class PlanNotFoundError(JointInspectError):
    """There is no plan (or no revision of it) for the quarter asked for."""


class PlanDocumentError(JointInspectError):
    """A plan document does not have the shape of contract §4."""


@dataclass(frozen=True)
class VisitDoc:
    code: str | None
    uscc: str
    date: dt.date
    town: str
    mode: str
    tasks: tuple[TaskRef, ...]
    inspectors: tuple[OfficerRef, ...]
    order: int

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({t.department for t in self.tasks}))

    def sort_key(self) -> tuple[dt.date, int, str, str]:
        return visit_sort_key(self.date, self.order, self.uscc, self.tasks)


def visit_sort_key(
    date: dt.date, order: int, uscc: str, tasks: Sequence[TaskRef]
) -> tuple[dt.date, int, str, str]:
    """A document's order of visits: by day, slot, enterprise and first demand."""
    return (date, order, uscc, min((t.demand_id for t in tasks), default=""))


@dataclass(frozen=True)
class OffsiteDoc:
    code: str | None
    uscc: str
    department: str
    item: str
    demand_id: str
    source: str
    due: dt.date

    def sort_key(self) -> tuple[dt.date, str]:
        return (self.due, self.demand_id)


@dataclass(frozen=True)
class PlanDocument:
    """One plan revision as contract §4 describes it."""

    plan_id: str
    quarter: str
    revision: int
    status: str
    seed: str
    generated_at: dt.datetime
    visits: tuple[VisitDoc, ...]
    offsite: tuple[OffsiteDoc, ...]
    unscheduled: tuple[UnscheduledResult, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    #: Set when the document is one department's share (``--department``).
    department: str | None = None


class NoFiledRevisionError(JointInspectError):
    """The quarter's plan has no filed revision, and no revision was named."""


# --------------------------------------------------------------------------- from the DB


def latest_revision(*, session: Session, quarter: str) -> PlanRevision:
    """The newest revision (draft or filed) of the quarter's plan."""
    plan = session.exec(select(Plan).where(Plan.quarter == quarter)).first()
    if plan is None:
        raise PlanNotFoundError(
            f"there is no plan for {quarter}",
            hint=f"make one with `jointinspect plan --quarter {quarter} --seed …`",
        )
    number = session.exec(
        select(func.max(PlanRevision.revision)).where(PlanRevision.plan_id == plan.id)
    ).one()
    revision = session.exec(
        select(PlanRevision).where(PlanRevision.plan_id == plan.id, PlanRevision.revision == number)
    ).first()
    if revision is None:
        raise PlanNotFoundError(f"the plan for {quarter} has no revision yet")
    return revision


def chosen_revision(*, session: Session, quarter: str, revision: int | None) -> PlanRevision:
    """Revision ``revision`` of the quarter's plan, or when None its latest filed one."""
    plan = session.exec(select(Plan).where(Plan.quarter == quarter)).first()
    if plan is None:
        raise PlanNotFoundError(
            f"there is no plan for {quarter}",
            hint=f"make one with `jointinspect plan --quarter {quarter} --seed …`",
        )
    revisions = session.exec(
        select(PlanRevision)
        .where(PlanRevision.plan_id == plan.id)
        .order_by(col(PlanRevision.revision))
    ).all()
    if revision is not None:
        found = next((r for r in revisions if r.revision == revision), None)
        if found is None:
            known = f"1–{revisions[-1].revision}" if revisions else "none yet"
            raise PlanNotFoundError(
                f"the plan for {quarter} has no revision {revision}",
                hint=f"its revisions are {known}",
            )
        return found
    filed = [r for r in revisions if r.status == RevisionStatus.FILED.value]
    if not filed:
        raise NoFiledRevisionError(
            f"the plan for {quarter} has no filed revision",
            hint=f"file it first with `jointinspect file --quarter {quarter}`, or pass "
            "--revision N to export a draft explicitly",
        )
    return filed[-1]


def load_plan_document(*, session: Session, revision_id: int) -> PlanDocument:
    """The §4 document of one stored revision, its four counts completed (stored first,
    else counted)."""
    doc = read_plan_document(session.connection(), revision_id)
    return replace(doc, metrics=_metrics(doc, doc.metrics))


def as_aware(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as an aware datetime (SQLite returns naive UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _metrics(doc: PlanDocument, stored: Mapping[str, Any]) -> dict[str, Any]:
    """The contract's four counts first (as stored, else counted), then the rest as stored."""
    counted = {
        "demands": sum(len(v.tasks) for v in doc.visits) + len(doc.offsite) + len(doc.unscheduled),
        "onsite_visits": len(doc.visits),
        "offsite_checks": len(doc.offsite),
        "unscheduled": len(doc.unscheduled),
    }
    metrics: dict[str, Any] = {key: stored.get(key, counted[key]) for key in CORE_METRICS}
    metrics.update((k, v) for k, v in stored.items() if k not in metrics)
    return metrics


class StoredVisit(NamedTuple):
    id: int
    code: str | None
    uscc: str
    date: dt.date
    town: str
    mode: str
    order: int


class StoredOffsite(NamedTuple):
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

    visits: list[StoredVisit]
    tasks: dict[int, list[TaskRef]]  # by visit id, in no particular order
    officers: dict[int, list[OfficerRef]]  # by visit id, in no particular order
    offsite: list[StoredOffsite]
    unscheduled: list[UnscheduledResult]


def read_revision_rows(
    conn: Connection, revision_id: int, keep: Keep | None = None
) -> RevisionRows:
    """The rows of one revision with plain Core queries: one query per table, each
    through the revision's list of the rows it holds (``revision_visit``,
    ``revision_offsite``). ``keep`` (of :func:`uscc_scope`): those of its enterprises
    only (a replan of part of the district)."""
    v, t, o = table_of(Visit).c, table_of(VisitTask).c, table_of(VisitOfficer).c
    held, held_checks = table_of(RevisionVisit), table_of(RevisionOffsite)
    m, mc = held.c, held_checks.c

    def of_visits(query: Any, visit_id: Any) -> Any:
        # A visit's tasks and officers are its enterprise's: through the visit, when kept.
        if keep is None:
            return query
        return keep(query.join(table_of(Visit), v.id == visit_id), v.uscc)

    kept = keep or every_row
    # SQLite, knowing nothing of the tables' sizes, walks the revision's whole list of
    # rows and looks each row's enterprise up in the scope: 96,000 visits and 214,000
    # checks for a night's 3,000 enterprises. ``+ 0`` keeps it from looking rows up by
    # the revision, so it starts from the scope's enterprises (the USCC indexes) and
    # checks each of their rows against the revision's list: 0.12 → 0.01 s a query.
    by_scope = keep is not None and conn.dialect.name == "sqlite"
    held_by = m.revision_id + 0 if by_scope else m.revision_id
    checks_held_by = mc.revision_id + 0 if by_scope else mc.revision_id
    # Each query's rows come as columns (``query_columns``: JSON arrays on SQLite) and
    # become tuples by ``map`` over them, never a driver's row and a Python loop's tuple
    # each: a district's draft is read by its filing and by the filing's check, ~900,000
    # rows each time.
    vids, *task_columns = query_columns(
        conn,
        of_visits(
            core_select(t.visit_id, t.demand_id, t.department, t.item, t.source).join_from(
                table_of(VisitTask), held, m.visit_id == t.visit_id
            ),
            t.visit_id,
        ).where(held_by == revision_id),
        5,
    )
    tasks = grouped(vids, list(map(TaskRef, *task_columns)))
    vids, *officer_columns = query_columns(
        conn,
        of_visits(
            core_select(o.visit_id, o.inspector_id, o.department).join_from(
                table_of(VisitOfficer), held, m.visit_id == o.visit_id
            ),
            o.visit_id,
        ).where(held_by == revision_id),
        3,
    )
    # A district's few thousand officers are most of a quarter's 250,000 staffings: one
    # (immutable) reference each, shared by all its visits, is a frozen dataclass made
    # per officer instead of per row.
    staffing = list(zip(*officer_columns, strict=True))
    made = {pair: OfficerRef(*pair) for pair in set(staffing)}
    officers = grouped(vids, list(map(made.__getitem__, staffing)))
    ids, codes, usccs, days, towns, modes, orders = query_columns(
        conn,
        kept(
            core_select(v.id, v.code, v.uscc, v.date, v.town, v.mode, v["order"]).join_from(
                table_of(Visit), held, m.visit_id == v.id
            ),
            v.uscc,
        )
        .where(held_by == revision_id)
        .order_by(v.id),
        7,
    )
    visits = list(map(StoredVisit, ids, codes, usccs, stored_dates(days), towns, modes, orders))
    c = table_of(OffsiteCheck).c
    *check_columns, dues = query_columns(
        conn,
        kept(
            core_select(
                c.id, c.code, c.uscc, c.department, c.item, c.demand_id, c.source, c.due
            ).join_from(table_of(OffsiteCheck), held_checks, mc.offsite_id == c.id),
            c.uscc,
        )
        .where(checks_held_by == revision_id)
        .order_by(c.id),
        8,
    )
    offsite = list(map(StoredOffsite, *check_columns, stored_dates(dues)))
    u = table_of(UnscheduledDemand).c
    unscheduled = [
        UnscheduledResult(*row)
        for row in plain_rows(
            conn,
            kept(
                core_select(
                    u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail
                ),
                u.uscc,
            ).where(u.revision_id == revision_id),
        )
    ]
    return RevisionRows(visits, tasks, officers, offsite, unscheduled)


def plain_rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the driver's own tuples: a SQLAlchemy ``Row`` per row cost
    more than the query for a district's revision. Only text, numbers and dates (see
    :func:`stored_date`) are selected this way."""
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def stored_dates(values: Sequence[dt.date | str]) -> list[dt.date]:
    """:func:`stored_date` of each value, each distinct value parsed once (a quarter's
    rows hold a few dozen dates)."""
    parsed = {value: stored_date(value) for value in set(values)}
    return list(map(parsed.__getitem__, values))


def stored_date(value: dt.date | str) -> dt.date:
    # SQLite's driver gives the ISO text SQLAlchemy's Date type stored; PostgreSQL's a date.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def read_draw_record(conn: Connection, revision_id: int) -> dict[str, Any] | None:
    """The draw record kept with a revision (``plan_revision.draw``), if it has one."""
    r = table_of(PlanRevision).c
    record = conn.execute(core_select(r.draw).where(r.id == revision_id)).scalar()
    return dict(record) if isinstance(record, dict) else None


class OrderedVisit(NamedTuple):
    """A stored visit with its tasks and officers in a document's order."""

    row: StoredVisit
    tasks: tuple[TaskRef, ...]
    officers: tuple[OfficerRef, ...]


def ordered_visits(rows: RevisionRows) -> list[OrderedVisit]:
    """The revision's visits as a document holds them (:func:`visit_sort_key`; tasks by
    demand, officers by department), built from the rows without a document: a replan
    and the hard-rule check need this order, not the document's hundreds of thousands
    of objects."""
    tasks, officers = rows.tasks, rows.officers
    visits = [
        OrderedVisit(
            row, _in_order(tasks[row.id], _TASK_ORDER), _in_order(officers[row.id], _OFFICER_ORDER)
        )
        for row in rows.visits
    ]
    visits.sort(key=_document_order)
    return visits


def _document_order(v: OrderedVisit) -> tuple[dt.date, int, str, str]:
    """:func:`visit_sort_key` of an ordered visit, whose tasks are sorted by demand: the
    first demand is the first task's, without a pass over them (a sort key is made for
    each of a district's 100,000 visits)."""
    row, tasks = v.row, v.tasks
    return (row.date, row.order, row.uscc, tasks[0].demand_id if tasks else "")


_Ref = TypeVar("_Ref", TaskRef, OfficerRef)
_TASK_ORDER = attrgetter("demand_id", "department")
_OFFICER_ORDER = attrgetter("department", "id")


def _in_order(refs: list[_Ref], order: Callable[[_Ref], Any]) -> tuple[_Ref, ...]:
    # Most visits have one task; sorting a list of one still calls its key.
    return tuple(refs) if len(refs) < 2 else tuple(sorted(refs, key=order))


def ordered_offsite(rows: RevisionRows) -> list[StoredOffsite]:
    """The revision's off-site checks in a document's order (due day, demand)."""
    return sorted(rows.offsite, key=lambda o: (o.due, o.demand_id))


def ordered_unscheduled(rows: RevisionRows) -> list[UnscheduledResult]:
    """The revision's unscheduled demands in a document's order (demand)."""
    return sorted(rows.unscheduled, key=lambda x: x.demand_id)


@dataclass(frozen=True)
class RevisionHeader:
    """A revision's own row, without its visits: what a document says besides them."""

    plan_id: str
    quarter: str
    revision: int
    status: str
    seed: str
    generated_at: dt.datetime
    metrics: dict[str, Any]


def read_revision_header(conn: Connection, revision_id: int) -> RevisionHeader:
    r, p = table_of(PlanRevision).c, table_of(Plan).c
    found = conn.execute(
        core_select(p.id, p.quarter, r.revision, r.status, r.seed, r.generated_at, r.metrics)
        .join_from(table_of(PlanRevision), table_of(Plan), r.plan_id == p.id)
        .where(r.id == revision_id)
    ).first()
    if found is None:
        raise PlanNotFoundError(f"there is no plan revision with id {revision_id}")
    plan_id, quarter, number, status, seed, generated_at, metrics = found
    return RevisionHeader(
        plan_id, quarter, number, status, seed, as_aware(generated_at), dict(metrics or {})
    )


def read_plan_document(
    conn: Connection, revision_id: int, *, rows: RevisionRows | None = None
) -> PlanDocument:
    """One stored revision as a §4 document, read with plain Core rows (a 50,000-visit
    revision reads in seconds, where ORM objects took tens); the metrics are as stored."""
    header = read_revision_header(conn, revision_id)
    return document_of(header, read_revision_rows(conn, revision_id) if rows is None else rows)


def document_of(header: RevisionHeader, rows: RevisionRows) -> PlanDocument:
    """The §4 document of a revision read as its header and rows. A draft's has no
    codes: filing issues them, even where a replan's draft holds filed rows that have."""
    coded = header.status != RevisionStatus.DRAFT.value
    return PlanDocument(
        plan_id=header.plan_id,
        quarter=header.quarter,
        revision=header.revision,
        status=header.status,
        seed=header.seed,
        generated_at=header.generated_at,
        visits=tuple(
            VisitDoc(
                code=v.row.code if coded else None,
                uscc=v.row.uscc,
                date=v.row.date,
                town=v.row.town,
                mode=v.row.mode,
                tasks=v.tasks,
                inspectors=v.officers,
                order=v.row.order,
            )
            for v in ordered_visits(rows)
        ),
        offsite=tuple(
            OffsiteDoc(
                o.code if coded else None,
                o.uscc,
                o.department,
                o.item,
                o.demand_id,
                o.source,
                o.due,
            )
            for o in ordered_offsite(rows)
        ),
        unscheduled=tuple(ordered_unscheduled(rows)),
        metrics=dict(header.metrics),
    )


# --------------------------------------------------------------------------- shares


def department_share(doc: PlanDocument, department: str) -> PlanDocument:
    """One department's share: the visits it takes part in (with only its own tasks and
    officers), its off-site checks and its unscheduled demands; metrics are recounted."""
    visits = []
    for v in doc.visits:
        own = tuple(t for t in v.tasks if t.department == department)
        if own:
            officers = tuple(o for o in v.inspectors if o.department == department)
            visits.append(replace(v, tasks=own, inspectors=officers))
    share = replace(
        doc,
        visits=tuple(visits),
        offsite=tuple(o for o in doc.offsite if o.department == department),
        unscheduled=tuple(u for u in doc.unscheduled if u.department == department),
        department=department,
    )
    return replace(share, metrics=_metrics(share, {}))


def departments_of(doc: PlanDocument) -> list[str]:
    """Every department with a task, an off-site check or an unscheduled demand."""
    found = {t.department for v in doc.visits for t in v.tasks}
    found.update(o.department for o in doc.offsite)
    found.update(u.department for u in doc.unscheduled)
    return sorted(found)


# --------------------------------------------------------------------------- JSON


def to_contract(doc: PlanDocument) -> dict[str, Any]:
    """Plain JSON data with the keys in contract §4 order."""
    data: dict[str, Any] = {
        "plan_id": doc.plan_id,
        "quarter": doc.quarter,
        "revision": doc.revision,
        "status": doc.status,
        "seed": doc.seed,
        "generated_at": format_timestamp(doc.generated_at),
    }
    if doc.department is not None:
        data["department"] = doc.department  # an optional field: this is one share
    data["visits"] = [
        {
            "code": v.code,
            "uscc": v.uscc,
            "date": v.date.isoformat(),
            "town": v.town,
            "mode": v.mode,
            "tasks": [
                {
                    "demand_id": t.demand_id,
                    "department": t.department,
                    "item": t.item,
                    "source": t.source,
                }
                for t in v.tasks
            ],
            "inspectors": [{"id": o.id, "department": o.department} for o in v.inspectors],
            "order": v.order,
        }
        for v in doc.visits
    ]
    data["offsite"] = [
        {
            "code": o.code,
            "uscc": o.uscc,
            "department": o.department,
            "item": o.item,
            "demand_id": o.demand_id,
            "source": o.source,
            "due": o.due.isoformat(),
        }
        for o in doc.offsite
    ]
    data["unscheduled"] = [
        {
            "demand_id": u.demand_id,
            "uscc": u.uscc,
            "department": u.department,
            "item": u.item,
            "source": u.source,
            "reason": u.reason,
            "detail": u.detail,
        }
        for u in doc.unscheduled
    ]
    data["metrics"] = dict(doc.metrics)
    return data


def dumps(doc: PlanDocument) -> str:
    """The document as UTF-8-ready JSON text (Chinese kept as is), ending in a newline."""
    return json.dumps(to_contract(doc), ensure_ascii=False, indent=2) + "\n"


def format_timestamp(value: dt.datetime) -> str:
    return as_aware(value).astimezone(CHINA).isoformat(timespec="seconds")


def parse_plan_document(source: str | bytes | Mapping[str, Any]) -> PlanDocument:
    """Read a §4 document (JSON text or already-parsed data) back into plain data."""
    if isinstance(source, str | bytes):
        try:
            data = json.loads(source)
        except json.JSONDecodeError as exc:
            raise PlanDocumentError(f"the plan document is not JSON: {exc}") from exc
    else:
        data = source
    if not isinstance(data, Mapping):
        raise PlanDocumentError("the plan document is not a JSON object")
    try:
        return PlanDocument(
            plan_id=str(data["plan_id"]),
            quarter=str(data["quarter"]),
            revision=int(data["revision"]),
            status=str(data["status"]),
            seed=str(data["seed"]),
            generated_at=dt.datetime.fromisoformat(data["generated_at"]),
            visits=tuple(_visit(v) for v in data["visits"]),
            offsite=tuple(
                OffsiteDoc(
                    code=o["code"],
                    uscc=o["uscc"],
                    department=o["department"],
                    item=o["item"],
                    demand_id=o["demand_id"],
                    source=o["source"],
                    due=dt.date.fromisoformat(o["due"]),
                )
                for o in data["offsite"]
            ),
            unscheduled=tuple(
                UnscheduledResult(
                    demand_id=u["demand_id"],
                    uscc=u["uscc"],
                    department=u["department"],
                    item=u["item"],
                    source=u["source"],
                    reason=u["reason"],
                    detail=u["detail"],
                )
                for u in data["unscheduled"]
            ),
            metrics=dict(data.get("metrics", {})),
            department=data.get("department"),
        )
    except KeyError as exc:
        raise PlanDocumentError(f"the plan document lacks the field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise PlanDocumentError(f"the plan document has a malformed value: {exc}") from exc


def _visit(v: Mapping[str, Any]) -> VisitDoc:
    return VisitDoc(
        code=v["code"],
        uscc=v["uscc"],
        date=dt.date.fromisoformat(v["date"]),
        town=v["town"],
        mode=v["mode"],
        tasks=tuple(
            TaskRef(t["demand_id"], t["department"], t["item"], t["source"]) for t in v["tasks"]
        ),
        inspectors=tuple(OfficerRef(o["id"], o["department"]) for o in v["inspectors"]),
        order=int(v["order"]),
    )


def visit_officer_ids(visits: Sequence[VisitDoc]) -> list[str]:
    """Every officer on any of ``visits``, sorted."""
    return sorted({o.id for v in visits for o in v.inspectors})
