"""What a revision was planned from besides its demands, and whether a replan may take
the rest of the district to be as its filed revision saw it.

A replan of part of a district (``scheduler.replan_scope``) leaves every other
enterprise's visits as filed. A replan of the whole district does the same exactly when
nothing else it reads has changed since: officers, their availability and conflicts,
items, sampling rules, the register, no-disturb periods, grades and the demands already
planned; the settings (scheduler parameters, working calendar, pinned days, response
days, the software's version); and the routine visits of the year's earlier quarters.
What a night brings — new demands and triggers (new ids) and outcomes — the replan finds
itself and replans with their enterprises.

So the writers of those inputs record an :class:`~jointinspect.models.InputChange`
(``import_bundle`` for the files that feed planning, ``write_grades`` for a grading run),
a revision keeps in ``basis`` the last one it was planned after, a digest of the settings
and its year's earlier filed revisions, and a replan compares (:func:`why_whole`).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from jointinspect.models import InputChange, Plan, PlanRevision
from jointinspect.models.core_table import table_of
from jointinspect.models.quarter import Quarter

#: Bundle files whose rows the plan of every enterprise may read (a new demand or trigger
#: is news, found by its id; a changed one is a change here).
PLANNING_FILES = frozenset(
    {
        "departments.csv",
        "enterprises.csv",
        "items.csv",
        "inspectors.csv",
        "availability.csv",
        "conflicts.csv",
        "no_disturb.csv",
        "sampling_rules.csv",
    }
)
#: Bundle files whose new rows are news and whose changed rows are changes.
NEWS_FILES = frozenset({"demands.csv", "triggers.csv"})


@dataclass(frozen=True)
class Travel:
    """A revision's officer-days and travel in micrometres (``PlanResult.travel_um``), as
    its basis keeps them: a replan of part of it works out its own by difference."""

    officer_days: int
    um: int

    @classmethod
    def of(cls, basis: dict[str, Any] | None) -> "Travel | None":
        found = (basis or {}).get("travel")
        return None if found is None else cls(int(found["officer_days"]), int(found["um"]))


def with_travel(basis: dict[str, Any], officer_days: int, um: int | None) -> dict[str, Any]:
    """``basis`` with the revision's travel (``um`` None: a plan that did not work it out,
    which is a fault of the planner's)."""
    if um is None:
        raise ValueError("the plan did not work out its travel")
    return {**basis, "travel": {"officer_days": int(officer_days), "um": um}}


def record_input_change(conn: Connection, source: str) -> None:
    """Note, in the writer's transaction, that planning inputs changed (``source`` says
    how, in words)."""
    conn.execute(
        insert(table_of(InputChange)).values(changed_at=dt.datetime.now(dt.UTC), source=source)
    )


def planning_basis(conn: Connection, quarter: Quarter, settings: str) -> dict[str, Any]:
    """The basis of a revision of ``quarter`` planned now with ``settings`` (a digest)."""
    changes = table_of(InputChange).c
    return {
        "inputs": int(conn.execute(select(func.coalesce(func.max(changes.id), 0))).scalar_one()),
        "settings": settings,
        "earlier": _earlier_filed(conn, quarter),
    }


def why_whole(
    conn: Connection, stored: dict[str, Any] | None, current: dict[str, Any], revision: int
) -> str | None:
    """Why a replan of the filed revision ``revision`` (whose basis is ``stored``) must
    replan the whole district, given ``current`` (:func:`planning_basis` now); None when
    only the enterprises with news need it."""
    if stored is None or Travel.of(stored) is None:
        return f"revision {revision} was planned before revisions kept what they were planned from"
    if stored.get("settings") != current["settings"]:
        return (
            "the settings changed since revision "
            f"{revision} was planned (scheduler, calendar, pinned days, response days or version)"
        )
    if stored.get("earlier") != current["earlier"]:
        return f"a plan of an earlier quarter of the year was filed after revision {revision}"
    since = int(stored.get("inputs", -1))
    if since != current["inputs"]:
        changes = table_of(InputChange).c
        rows = conn.execute(
            select(changes.source, changes.changed_at)
            .where(changes.id > since)
            .order_by(changes.id)
            .limit(4)
        ).all()
        named = "; ".join(f"{source} ({str(at)[:16]})" for source, at in rows[:3])
        more = " and more" if len(rows) > 3 else ""
        return f"the planning inputs changed after revision {revision}: {named}{more}"
    return None


def _earlier_filed(conn: Connection, quarter: Quarter) -> list[int]:
    """The ids of the filed revisions of the year's earlier quarters (whose routine visits
    count against this quarter's caps)."""
    earlier = [str(Quarter(quarter.year, n)) for n in range(1, quarter.number)]
    if not earlier:
        return []
    r, p = table_of(PlanRevision).c, table_of(Plan).c
    return [
        int(i)
        for i in conn.execute(
            select(r.id)
            .join_from(table_of(PlanRevision), table_of(Plan), r.plan_id == p.id)
            .where(p.quarter.in_(earlier), r.status == "filed")
            .order_by(r.id)
        ).scalars()
    ]
