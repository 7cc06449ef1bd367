"""Follow-ups (非现场发现问题后的现场核查): an off-site check that found a violation
brings an on-site check of that enterprise.

Each ``violation`` outcome on the code of an off-site check becomes a ``followup``
demand, stored in ``demand`` like a department's own:

- id ``R:followup/{code}/{item}``. ``R:`` starts the ids the system derives, which an
  import refuses in ``demands.csv`` and ``triggers.csv`` (contract §1), so no user id can
  collide; drawn demands are ``R:{department}:{item}:{uscc}`` with three colons after
  ``R``, a follow-up id has none after ``R:``.
- window: from the outcome's date to the ``trigger_response_days``-th working day after
  it, as for a trigger (§2); ``onsite_required``.
- item: the off-site check's item when it may be checked on-site (mode ``either``); for
  an ``offsite``-only item, the first (by code) item of the same department that may be
  checked on-site and applies to the enterprise's industry. With none, no follow-up is
  made and the outcome is reported as skipped.

Deriving is idempotent: an existing follow-up is left as it is.
"""

from dataclasses import dataclass

from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Engine

from jointinspect.data.plans.planning_inputs import DEFAULT_PRIORITY
from jointinspect.models import Demand, Enterprise, Item, OffsiteCheck, Outcome
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import DemandSource, InspectionResult, ItemMode
from jointinspect.models.industry import applies
from jointinspect.models.workdays import WorkingCalendar

PREFIX = "R:followup/"


def followup_id(code: str, item: str) -> str:
    return f"{PREFIX}{code}/{item}"


@dataclass(frozen=True)
class FollowupReport:
    created: list[str]
    #: ``(code, item)`` of violations with no item that could be checked on-site.
    skipped: list[tuple[str, str]]


def derive_followups(
    *, engine: Engine, calendar: WorkingCalendar, response_days: int
) -> FollowupReport:
    """Create the follow-up demands of every off-site violation that has none yet."""
    o, c, i = table_of(Outcome).c, table_of(OffsiteCheck).c, table_of(Item).c
    e, d = table_of(Enterprise).c, table_of(Demand).c
    created: list[str] = []
    skipped: list[tuple[str, str]] = []
    with engine.begin() as conn:
        found = conn.execute(
            select(o.code, o.item, o.date, c.uscc, c.department, e.industry)
            .distinct()
            .select_from(
                table_of(Outcome)
                .join(table_of(OffsiteCheck), and_(c.code == o.code, c.item == o.item))
                .join(table_of(Enterprise), e.uscc == c.uscc)
            )
            .where(o.result == InspectionResult.VIOLATION.value)
            .order_by(o.code, o.item)
        ).all()
        if not found:
            return FollowupReport([], [])
        items = [
            (str(a), str(b), str(m), str(n))
            for a, b, m, n in conn.execute(
                select(i.code, i.department, i.mode, i.industries).order_by(i.code)
            )
        ]
        existing = set(
            conn.execute(select(d.id).where(d.id.startswith(PREFIX, autoescape=True))).scalars()
        )
        rows = []
        for code, item, date, uscc, department, industry in found:
            fid = followup_id(code, item)
            if fid in existing:
                continue
            onsite_item = _onsite_item(items, item, department, industry)
            if onsite_item is None:
                skipped.append((code, item))
                continue
            rows.append(
                {
                    "id": fid,
                    "department": department,
                    "item": onsite_item,
                    "uscc": uscc,
                    "source": DemandSource.FOLLOWUP.value,
                    "earliest": date,
                    "latest": calendar.add_workdays(date, response_days),
                    "priority": DEFAULT_PRIORITY,
                    "onsite_required": True,
                    "note": f"follow-up of the violation found off-site by {code} ({item})",
                }
            )
            created.append(fid)
            existing.add(fid)
        if rows:
            conn.execute(insert(table_of(Demand)), rows)
    return FollowupReport(created, skipped)


def _onsite_item(
    items: list[tuple[str, str, str, str]], item: str, department: str, industry: str
) -> str | None:
    modes = {code: mode for code, _, mode, _ in items}
    if modes.get(item) not in (None, ItemMode.OFFSITE.value):
        return item
    for code, dept, mode, industries in items:
        if dept == department and mode != ItemMode.OFFSITE.value and applies(industries, industry):
            return code
    return None
