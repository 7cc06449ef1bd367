"""What a replan of part of a district reads of the rest of its filed revision.

A replan of the enterprises a night changed (``scheduler.replan_scope``) reads their
rows (``read_revision_rows`` with a ``keep``, ``load_planning_inputs`` with
``only_usccs``) and, of the rest of the revision, only what its visits take from the
officers and where they stand among the visits CP-SAT could re-solve: read here in two
queries, without a row object per visit.
"""

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from jointinspect.data.plans.document import plain_rows, stored_date
from jointinspect.data.uscc_scope import scope_members
from jointinspect.models import RevisionVisit, Visit, VisitOfficer, VisitTask
from jointinspect.models.core_table import table_of


@dataclass(frozen=True)
class RestOfPlan:
    """The coming visits (on or after the replan's day) of a filed revision outside a
    scope of enterprises."""

    #: (officer id, date) → (visits, town, highest slot).
    officer_days: dict[tuple[str, dt.date], tuple[int, str, int]]
    #: (uscc, date, town) of each, in the revision's order (by day, slot, enterprise and
    #: first demand, as ``visit_sort_key``).
    visits: list[tuple[str, dt.date, str]]


class OfficerInTwoTownsError(RuntimeError):
    """An officer's day in the filed revision holds visits in two towns, which the
    planner never makes: the revision was not written by it."""


def read_rest_of_plan(
    conn: Connection, revision_id: int, scope: Collection[str], as_of: dt.date
) -> RestOfPlan:
    v, o, t = table_of(Visit).c, table_of(VisitOfficer).c, table_of(VisitTask).c
    held = table_of(RevisionVisit)
    m = held.c
    with scope_members(conn, scope) as members:
        outside = v.uscc.not_in(members)
        days = plain_rows(
            conn,
            select(o.inspector_id, v.date, v.town, func.count(), func.max(v["order"]))
            .join_from(table_of(VisitOfficer), table_of(Visit), v.id == o.visit_id)
            .join(held, m.visit_id == v.id)
            .where(m.revision_id == revision_id, v.date >= as_of, outside)
            .group_by(o.inspector_id, v.date, v.town)
            .order_by(o.inspector_id, v.date, v.town),
        )
        first_demand = select(func.min(t.demand_id)).where(t.visit_id == v.id).scalar_subquery()
        visits = plain_rows(
            conn,
            select(v.uscc, v.date, v.town, v["order"], first_demand)
            .join_from(table_of(Visit), held, m.visit_id == v.id)
            .where(m.revision_id == revision_id, v.date >= as_of, outside),
        )
    officer_days: dict[tuple[str, dt.date], tuple[int, str, int]] = {}
    for oid, day, town, count, top in days:
        key = (oid, stored_date(day))
        if key in officer_days:
            raise OfficerInTwoTownsError(
                f"officer {oid} has visits in {officer_days[key][1]} and {town} on {key[1]} "
                f"in revision id {revision_id}"
            )
        officer_days[key] = (count, town, top)
    ordered = sorted(
        (
            (stored_date(day), order, uscc, first or "", town)
            for uscc, day, town, order, first in visits
        )
    )
    return RestOfPlan(officer_days, [(uscc, day, town) for day, _, uscc, _, town in ordered])
