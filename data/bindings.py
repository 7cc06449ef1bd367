"""What an inspection code binds, read from the planning tables: the enterprise, date,
departments, officers, items and demands of one visit or one off-site check."""

from collections import defaultdict

from sqlmodel import Session, select

from jointinspect.models import OffsiteCheck, Visit, VisitOfficer, VisitTask
from jointinspect.models.codes import Binding

VISIT = "visit"
OFFSITE = "offsite"


def offsite_binding(check: OffsiteCheck) -> Binding:
    return Binding(
        kind=OFFSITE,
        uscc=check.uscc,
        date=check.due,
        departments=(check.department,),
        officers=(),
        items=(check.item,),
        demand_ids=(check.demand_id,),
    )


def visit_bindings(*, session: Session, visits: list[Visit]) -> dict[int, Binding]:
    """The binding of every visit in ``visits``, keyed by visit id."""
    ids = [v.id for v in visits if v.id is not None]
    tasks: dict[int, list[VisitTask]] = defaultdict(list)
    officers: dict[int, list[VisitOfficer]] = defaultdict(list)
    chunk = 500
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        for t in session.exec(select(VisitTask).where(VisitTask.visit_id.in_(part))):  # type: ignore[attr-defined]
            tasks[t.visit_id].append(t)
        for o in session.exec(select(VisitOfficer).where(VisitOfficer.visit_id.in_(part))):  # type: ignore[attr-defined]
            officers[o.visit_id].append(o)
    result: dict[int, Binding] = {}
    for v in visits:
        if v.id is None:
            continue
        vt = tasks[v.id]
        result[v.id] = Binding(
            kind=VISIT,
            uscc=v.uscc,
            date=v.date,
            departments=tuple(sorted({t.department for t in vt})),
            officers=tuple(sorted((o.department, o.inspector_id) for o in officers[v.id])),
            items=tuple(sorted({t.item for t in vt})),
            demand_ids=tuple(sorted(t.demand_id for t in vt)),
        )
    return result
