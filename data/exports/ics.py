"""``export --format ics``: calendars (iCalendar) — one per department and one per officer —
with one all-day event per visit, carrying the inspection code, address and items."""

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

from icalendar import Calendar, Event

from jointinspect.data.exports.view import Names
from jointinspect.data.plans.document import (
    PlanDocument,
    VisitDoc,
    as_aware,
    departments_of,
    visit_officer_ids,
)

PRODID = "-//JointInspect//Inspection plan//ZH"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _uid(doc: PlanDocument, v: VisitDoc) -> str:
    if v.code:
        return f"{v.code}@jointinspect"
    first = min(t.demand_id for t in v.tasks) if v.tasks else ""
    return f"{doc.plan_id}-{v.uscc}-{v.date.isoformat()}-{first}@jointinspect"


def _event(doc: PlanDocument, names: Names, v: VisitDoc) -> Event:
    event = Event()
    event.add("uid", _uid(doc, v))
    event.add("dtstamp", as_aware(doc.generated_at).astimezone(dt.UTC))
    event.add("dtstart", v.date)
    event.add("dtend", v.date + dt.timedelta(days=1))
    departments = "、".join(names.department(d) for d in v.departments)
    event.add("summary", f"检查 {names.enterprise(v.uscc)}（{departments}）")
    address = names.address(v.uscc) or v.town
    event.add("location", address)
    lines = [
        f"检查码 code: {v.code or '（草案，未备案）'}",
        f"企业 enterprise: {names.enterprise(v.uscc)} {v.uscc}",
        f"地址 address: {address}",
        f"当日顺序 order: {v.order}",
        "检查事项 items: "
        + "; ".join(f"{t.department} {names.item(t.item)} ({t.item})" for t in v.tasks),
        "检查人员 officers: "
        + "; ".join(f"{o.department} {names.officer(o.id)} ({o.id})" for o in v.inspectors),
    ]
    event.add("description", "\n".join(lines))
    if v.code:
        event.add("x-jointinspect-code", v.code)
    return event


def calendar(doc: PlanDocument, names: Names, visits: Iterable[VisitDoc], title: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", title)
    for v in visits:
        cal.add_component(_event(doc, names, v))
    return cal


def officer_calendar(doc: PlanDocument, names: Names, officer_id: str) -> Calendar:
    visits = [v for v in doc.visits if any(o.id == officer_id for o in v.inspectors)]
    title = f"{names.officer(officer_id)} {officer_id} {doc.quarter}"
    return calendar(doc, names, visits, title)


def department_calendar(doc: PlanDocument, names: Names, department: str) -> Calendar:
    visits = [v for v in doc.visits if department in v.departments]
    return calendar(doc, names, visits, f"{names.department(department)} {doc.quarter}")


def write_ics(
    doc: PlanDocument, names: Names, out_dir: Path, *, department: str | None = None
) -> list[Path]:
    """Write ``department-CODE.ics`` and ``officer-ID.ics`` files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    departments = [department] if department else departments_of(doc)
    for code in departments:
        path = out_dir / f"department-{_UNSAFE.sub('_', code)}.ics"
        path.write_bytes(department_calendar(doc, names, code).to_ical())
        written.append(path)
    officers = visit_officer_ids(doc.visits)
    if department:
        officers = sorted(
            {o.id for v in doc.visits for o in v.inspectors if o.department == department}
        )
    for officer_id in officers:
        path = out_dir / f"officer-{_UNSAFE.sub('_', officer_id)}.ics"
        path.write_bytes(officer_calendar(doc, names, officer_id).to_ical())
        written.append(path)
    return written
