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
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from jointinspect.models import (
    OffsiteCheck,
    Plan,
    PlanRevision,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
)
from jointinspect.models.errors import JointInspectError
from jointinspect.models.timezones import CHINA

#: The four counts the contract's ``metrics`` starts with; other metrics follow them.
CORE_METRICS = ("demands", "onsite_visits", "offsite_checks", "unscheduled")


class PlanNotFoundError(JointInspectError):
    """There is no plan (or no revision of it) for the quarter asked for."""


class PlanDocumentError(JointInspectError):
    """A plan document does not have the shape of contract §4."""


@dataclass(frozen=True, order=True)
class TaskDoc:
    demand_id: str
    department: str
    item: str
    source: str


@dataclass(frozen=True, order=True)
class OfficerDoc:
    id: str
    department: str


@dataclass(frozen=True)
class VisitDoc:
    code: str | None
    uscc: str
    date: dt.date
    town: str
    mode: str
    tasks: tuple[TaskDoc, ...]
    inspectors: tuple[OfficerDoc, ...]
    order: int

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({t.department for t in self.tasks}))

    def sort_key(self) -> tuple[dt.date, int, str, str]:
        first = min((t.demand_id for t in self.tasks), default="")
        return (self.date, self.order, self.uscc, first)


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
class UnscheduledDoc:
    demand_id: str
    uscc: str
    department: str
    item: str
    source: str
    reason: str
    detail: str


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
    unscheduled: tuple[UnscheduledDoc, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    #: Set when the document is one department's share (``--department``).
    department: str | None = None


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


def load_plan_document(*, session: Session, revision_id: int) -> PlanDocument:
    """The §4 document of one stored revision."""
    revision = session.get(PlanRevision, revision_id)
    if revision is None:
        raise PlanNotFoundError(f"there is no plan revision with id {revision_id}")
    plan = session.get(Plan, revision.plan_id)
    if plan is None:
        raise PlanNotFoundError(f"plan {revision.plan_id} of revision {revision_id} is missing")

    visit_rows = session.exec(select(Visit).where(Visit.revision_id == revision_id)).all()
    visit_ids = [v.id for v in visit_rows]
    tasks: dict[int, list[TaskDoc]] = defaultdict(list)
    officers: dict[int, list[OfficerDoc]] = defaultdict(list)
    task_stmt = (
        select(VisitTask)
        .join(Visit, Visit.id == VisitTask.visit_id)  # type: ignore[arg-type]
        .where(Visit.revision_id == revision_id)
    )
    for t in session.exec(task_stmt):
        tasks[t.visit_id].append(TaskDoc(t.demand_id, t.department, t.item, t.source))
    officer_stmt = (
        select(VisitOfficer)
        .join(Visit, Visit.id == VisitOfficer.visit_id)  # type: ignore[arg-type]
        .where(Visit.revision_id == revision_id)
    )
    for o in session.exec(officer_stmt):
        officers[o.visit_id].append(OfficerDoc(o.inspector_id, o.department))

    visits = []
    for v, vid in zip(visit_rows, visit_ids, strict=True):
        assert vid is not None  # loaded rows have ids
        visits.append(
            VisitDoc(
                code=v.code,
                uscc=v.uscc,
                date=v.date,
                town=v.town,
                mode=v.mode,
                tasks=tuple(sorted(tasks[vid], key=lambda t: (t.demand_id, t.department))),
                inspectors=tuple(sorted(officers[vid], key=lambda o: (o.department, o.id))),
                order=v.order,
            )
        )
    offsite = [
        OffsiteDoc(o.code, o.uscc, o.department, o.item, o.demand_id, o.source, o.due)
        for o in session.exec(select(OffsiteCheck).where(OffsiteCheck.revision_id == revision_id))
    ]
    unscheduled = [
        UnscheduledDoc(u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail)
        for u in session.exec(
            select(UnscheduledDemand).where(UnscheduledDemand.revision_id == revision_id)
        )
    ]
    doc = PlanDocument(
        plan_id=plan.id,
        quarter=plan.quarter,
        revision=revision.revision,
        status=revision.status,
        seed=revision.seed,
        generated_at=as_aware(revision.generated_at),
        visits=tuple(sorted(visits, key=VisitDoc.sort_key)),
        offsite=tuple(sorted(offsite, key=OffsiteDoc.sort_key)),
        unscheduled=tuple(sorted(unscheduled, key=lambda u: u.demand_id)),
        metrics=dict(revision.metrics or {}),
    )
    return replace(doc, metrics=_metrics(doc, revision.metrics or {}))


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
                UnscheduledDoc(
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
            TaskDoc(t["demand_id"], t["department"], t["item"], t["source"]) for t in v["tasks"]
        ),
        inspectors=tuple(OfficerDoc(o["id"], o["department"]) for o in v["inspectors"]),
        order=int(v["order"]),
    )


def visit_officer_ids(visits: Sequence[VisitDoc]) -> list[str]:
    """Every officer on any of ``visits``, sorted."""
    return sorted({o.id for v in visits for o in v.inspectors})
