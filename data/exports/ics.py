"""``export --format ics``: calendars (iCalendar) — one per department and one per officer —
with one all-day event per visit, carrying the inspection code, address and items. Each
calendar's description names the plan, the revision and when it was filed."""

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

from icalendar import Calendar, Event

from jointinspect.data.exports.files import prepare_folder, written_whole
from jointinspect.data.exports.view import Names
from jointinspect.data.plans.document import (
    PlanDocument,
    VisitDoc,
    as_aware,
    departments_of,
    format_timestamp,
    visit_officer_ids,
)

PRODID = "-//JointInspect//Inspection plan//ZH"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _uid(doc: PlanDocument, v: VisitDoc) -> str:
    if v.code:
        return f"{v.code}@jointinspect"
    first = min(t.demand_id for t in v.tasks) if v.tasks else ""
    return f"{doc.plan_id}-{v.uscc}-{v.date.isoformat()}-{first}@jointinspect"


def plan_line(doc: PlanDocument, names: Names) -> str:
    """Which plan this is: id, revision, status and filing time, in both languages."""
    filed = "未备案 not filed" if names.filed_at is None else format_timestamp(names.filed_at)
    return (
        f"计划 plan {doc.plan_id} 第{doc.revision}版 revision {doc.revision} ({doc.status}), "
        f"备案 filed {filed}"
    )


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
    cal.add("x-wr-caldesc", plan_line(doc, names))
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
    """Write ``department-CODE.ics`` and ``officer-ID.ics`` files into ``out_dir``, each whole."""
    prepare_folder(out_dir)
    written = []
    departments = [department] if department else departments_of(doc)
    for code in departments:
        path = out_dir / f"department-{_UNSAFE.sub('_', code)}.ics"
        _write(path, department_calendar(doc, names, code))
        written.append(path)
    officers = visit_officer_ids(doc.visits)
    if department:
        officers = sorted(
            {o.id for v in doc.visits for o in v.inspectors if o.department == department}
        )
    for officer_id in officers:
        path = out_dir / f"officer-{_UNSAFE.sub('_', officer_id)}.ics"
        _write(path, officer_calendar(doc, names, officer_id))
        written.append(path)
    return written


def _write(path: Path, cal: Calendar) -> None:
    with written_whole(path, "ics") as temp:
        temp.write_bytes(cal.to_ical())
