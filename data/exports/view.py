"""What every export of a plan revision shares: the names, towns and addresses shown next
to its codes and ids, when it was filed, each visit's departments in the whole plan, one
row per visit task or off-site check, text cells a spreadsheet will not run, and writing
a file whole."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlmodel import Session, select

from jointinspect.data.plans.document import OffsiteDoc, PlanDocument, VisitDoc, as_aware
from jointinspect.models import Department, Enterprise, Inspector, Item, PlanRevision


class VisitKey(NamedTuple):
    """A visit within one revision, the same in the whole plan and in a department's share."""

    code: str
    uscc: str
    date: dt.date
    order: int


def visit_key(v: VisitDoc) -> VisitKey:
    return VisitKey(v.code or "", v.uscc, v.date, v.order)


@dataclass(frozen=True)
class Names:
    """Lookups for one document; a missing name falls back to the id."""

    #: uscc → (name, address, town)
    enterprises: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    officers: dict[str, str] = field(default_factory=dict)
    #: When the revision was filed (aware), None for a draft; every export names it.
    filed_at: dt.datetime | None = None
    filed_by: str | None = None
    #: The departments of each visit of the whole plan: a department's share holds only its
    #: own tasks, and its exports still name the partners of its joint visits.
    visit_departments: dict[VisitKey, tuple[str, ...]] = field(default_factory=dict)

    def enterprise(self, uscc: str) -> str:
        return self.enterprises.get(uscc, (uscc, "", ""))[0]

    def address(self, uscc: str) -> str:
        return self.enterprises.get(uscc, ("", "", ""))[1]

    def town(self, uscc: str) -> str:
        return self.enterprises.get(uscc, ("", "", ""))[2]

    def department(self, code: str) -> str:
        return self.departments.get(code, code)

    def item(self, code: str) -> str:
        return self.items.get(code, code)

    def officer(self, officer_id: str) -> str:
        return self.officers.get(officer_id, officer_id)

    def partners(self, v: VisitDoc, department: str) -> tuple[str, ...]:
        """The other departments on the joint visit ``v`` (in code order)."""
        every = self.visit_departments.get(visit_key(v), v.departments)
        return tuple(d for d in every if d != department)


def load_names(*, session: Session, doc: PlanDocument) -> Names:
    """The names ``doc`` shows, its filing, and its visits' departments. ``doc`` is the whole
    plan (a share is cut from it afterwards, so that partners stay known)."""
    usccs = sorted(
        {v.uscc for v in doc.visits}
        | {o.uscc for o in doc.offsite}
        | {u.uscc for u in doc.unscheduled}
    )
    enterprises: dict[str, tuple[str, str, str]] = {}
    chunk = 500
    for start in range(0, len(usccs), chunk):
        part = usccs[start : start + chunk]
        for e in session.exec(select(Enterprise).where(Enterprise.uscc.in_(part))):  # type: ignore[attr-defined]
            enterprises[e.uscc] = (e.name, e.address or "", e.town)
    revision = session.exec(
        select(PlanRevision).where(
            PlanRevision.plan_id == doc.plan_id, PlanRevision.revision == doc.revision
        )
    ).first()
    filed_at = None if revision is None or revision.filed_at is None else revision.filed_at
    return Names(
        enterprises=enterprises,
        departments={d.code: d.name for d in session.exec(select(Department))},
        items={i.code: i.name for i in session.exec(select(Item))},
        officers={i.id: i.name for i in session.exec(select(Inspector))},
        filed_at=None if filed_at is None else as_aware(filed_at),
        filed_by=None if revision is None else revision.filed_by,
        visit_departments={visit_key(v): v.departments for v in doc.visits},
    )


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class TaskRow:
    """One visit task or one off-site check, as the tabular exports (CSV, XLSX) show it.
    Off-site checks have no date, slot or officers; they have a due date."""

    code: str
    date: dt.date | None
    order: int | None
    uscc: str
    enterprise: str
    town: str
    address: str
    mode: str
    department: str
    department_name: str
    item: str
    item_name: str
    demand_id: str
    source: str
    inspectors: str
    partners: str
    due: dt.date | None


def department_list(codes: tuple[str, ...], names: Names) -> str:
    return "; ".join(f"{code} {names.department(code)}" for code in codes)


def task_rows(doc: PlanDocument, names: Names) -> Iterator[TaskRow]:
    """The visits' tasks in visit order, then the off-site checks in due order; the officers
    listed with a task are its department's."""
    for v in doc.visits:
        for t in v.tasks:
            yield _visit_row(v, t.department, names, t.item, t.demand_id, t.source)
    for o in doc.offsite:
        yield _offsite_row(o, names)


def _visit_row(
    v: VisitDoc, department: str, names: Names, item: str, demand_id: str, source: str
) -> TaskRow:
    officers = "; ".join(
        f"{o.id} {names.officer(o.id)}" for o in v.inspectors if o.department == department
    )
    return TaskRow(
        code=v.code or "",
        date=v.date,
        order=v.order,
        uscc=v.uscc,
        enterprise=names.enterprise(v.uscc),
        town=v.town,
        address=names.address(v.uscc),
        mode=v.mode,
        department=department,
        department_name=names.department(department),
        item=item,
        item_name=names.item(item),
        demand_id=demand_id,
        source=source,
        inspectors=officers,
        partners=department_list(names.partners(v, department), names),
        due=None,
    )


def _offsite_row(o: OffsiteDoc, names: Names) -> TaskRow:
    return TaskRow(
        code=o.code or "",
        date=None,
        order=None,
        uscc=o.uscc,
        enterprise=names.enterprise(o.uscc),
        town=names.town(o.uscc),
        address=names.address(o.uscc),
        mode="offsite",
        department=o.department,
        department_name=names.department(o.department),
        item=o.item,
        item_name=names.item(o.item),
        demand_id=o.demand_id,
        source=o.source,
        inspectors="",
        partners="",
        due=o.due,
    )
