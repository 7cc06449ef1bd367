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
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    MetaData,
    String,
    Table,
    and_,
    func,
    insert,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection

from jointinspect.data.bulk_write import execute_many
from jointinspect.data.bundle.spec import DRAWN_ID_PREFIX
from jointinspect.data.plans.document import plain_rows, stored_date, stored_dates
from jointinspect.data.reading.columnar import grouped, query_columns
from jointinspect.data.uscc_scope import scope_members
from jointinspect.models import (
    Demand,
    Enterprise,
    OffsiteCheck,
    RevisionOffsite,
    RevisionVisit,
    Trigger,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
)
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
    return read_coming_visits(conn, revision_id, scope, as_of).rest(scope)


@dataclass(frozen=True)
class ComingVisits:
    """The coming visits (on or after a date) of a filed revision outside a scope, each
    with its officers: the rest of the plan for that scope or any wider one."""

    #: (uscc, date, town, slot, officer ids), in the revision's order (by day, slot,
    #: enterprise and first demand, as ``visit_sort_key``).
    visits: list[tuple[str, dt.date, str, int, tuple[str, ...]]]
    revision_id: int

    def rest(self, scope: Collection[str]) -> RestOfPlan:
        """The rest of the plan outside ``scope`` (which holds the scope read with)."""
        wanted = set(scope)
        officer_days: dict[tuple[str, dt.date], tuple[int, str, int]] = {}
        listed = []
        for uscc, day, town, order, officers in self.visits:
            if uscc in wanted:
                continue
            listed.append((uscc, day, town))
            for oid in officers:
                key = (oid, day)
                count, first_town, top = officer_days.get(key, (0, town, 0))
                if first_town != town:
                    raise OfficerInTwoTownsError(
                        f"officer {oid} has visits in {first_town} and {town} on {day} "
                        f"in revision id {self.revision_id}"
                    )
                officer_days[key] = (count + 1, town, max(top, order))
        return RestOfPlan(officer_days, listed)


def read_coming_visits(
    conn: Connection, revision_id: int, scope: Collection[str], as_of: dt.date
) -> ComingVisits:
    """The visits of ``revision_id`` on or after ``as_of`` outside ``scope``, with their
    officers, in two queries and without a row object per visit."""
    v, o, t = table_of(Visit).c, table_of(VisitOfficer).c, table_of(VisitTask).c
    held = table_of(RevisionVisit)
    m = held.c
    with scope_members(conn, scope) as members:
        outside = v.uscc.not_in(members)
        vids, oids = query_columns(
            conn,
            select(o.visit_id, o.inspector_id)
            .join_from(table_of(VisitOfficer), table_of(Visit), v.id == o.visit_id)
            .join(held, m.visit_id == v.id)
            .where(m.revision_id == revision_id, v.date >= as_of, outside),
            2,
        )
        officers = grouped(vids, list(oids))
        first_demand = select(func.min(t.demand_id)).where(t.visit_id == v.id).scalar_subquery()
        ids, usccs, days, towns, orders, firsts = query_columns(
            conn,
            select(v.id, v.uscc, v.date, v.town, v["order"], first_demand)
            .join_from(table_of(Visit), held, m.visit_id == v.id)
            .where(m.revision_id == revision_id, v.date >= as_of, outside),
            6,
        )
    ordered = sorted(
        zip(
            stored_dates(days),
            orders,
            usccs,
            [first or "" for first in firsts],
            towns,
            [tuple(sorted(officers.get(vid, ()))) for vid in ids],
            strict=True,
        )
    )
    return ComingVisits(
        [(uscc, day, town, order, staff) for day, order, uscc, _, town, staff in ordered],
        revision_id,
    )


def filed_demands(conn: Connection, revision_id: int) -> dict[str, str]:
    """Every demand a revision holds (in a visit, an off-site check or as unscheduled)
    that the demand or trigger table may hold, with its enterprise: demand id → USCC.
    What those tables hold and this does not is news to a replan, and what this holds
    and they do not has been withdrawn.

    The draw's demands (``is_drawn_id``: nine in ten of a revision's) are in neither
    table and are left out in the query, unless a table holds one by that id after all:
    reading them only to drop them took most of the time the news took."""
    v, t, m = table_of(Visit).c, table_of(VisitTask).c, table_of(RevisionVisit).c
    c, mc = table_of(OffsiteCheck).c, table_of(RevisionOffsite).c
    u = table_of(UnscheduledDemand).c
    d, tr = table_of(Demand).c, table_of(Trigger).c
    # Tables hold no id like a drawn one (the importer refuses the prefix), so this list
    # is empty but for a hand-made row; it keeps the result exact all the same.
    drawn_like = union_all(select(d.id).where(_drawn(d.id)), select(tr.id).where(_drawn(tr.id)))
    out: dict[str, str] = {}
    for query in (
        select(t.demand_id, v.uscc)
        .join_from(table_of(VisitTask), table_of(RevisionVisit), m.visit_id == t.visit_id)
        .join(table_of(Visit), v.id == t.visit_id)
        .where(m.revision_id == revision_id, _kept(t.demand_id, drawn_like)),
        select(c.demand_id, c.uscc)
        .join_from(table_of(OffsiteCheck), table_of(RevisionOffsite), mc.offsite_id == c.id)
        .where(mc.revision_id == revision_id, _kept(c.demand_id, drawn_like)),
        select(u.demand_id, u.uscc).where(u.revision_id == revision_id),
    ):
        out.update(plain_rows(conn, query))
    return out


def _drawn(column: Any) -> Any:
    """``is_drawn_id`` in SQL: ``R:`` (compared exactly: ``LIKE`` ignores case in
    SQLite) and at least three colons."""
    return and_(func.substr(column, 1, 2) == DRAWN_ID_PREFIX, column.like("R:%:%:%"))


def _kept(column: Any, drawn_like: Any) -> Any:
    return or_(not_(_drawn(column)), column.in_(drawn_like))


#: A stop of an officer at a visit: (visit id, uscc, date, slot, officer id, department,
#: lat, lon), lat and lon None when the register has none.
RestStop = tuple[int, str, dt.date, int, str, str, float | None, float | None]


def read_rest_stops(
    conn: Connection,
    revision_id: int,
    scope: Collection[str],
    officer_days: Collection[tuple[str, dt.date]],
) -> list[RestStop]:
    """The officers' stops on ``officer_days`` (officer id, date) at the visits of
    ``revision_id`` outside ``scope``, in no order: what else those officer-days hold
    besides the scope's visits (their travel, the rules of an officer's day)."""
    v, o, m = table_of(Visit).c, table_of(VisitOfficer).c, table_of(RevisionVisit).c
    e = table_of(Enterprise).c
    pairs = Table(
        "officer_day_scope",
        MetaData(),
        Column("inspector_id", String, primary_key=True),
        Column("date", Date, primary_key=True),
        prefixes=["TEMPORARY"],
        schema="pg_temp" if conn.dialect.name == "postgresql" else None,
    )
    pairs.create(conn)
    try:
        execute_many(
            conn,
            insert(pairs),
            [{"inspector_id": oid, "date": day} for oid, day in sorted(set(officer_days))],
        )
        with scope_members(conn, scope) as members:
            rows = plain_rows(
                conn,
                select(v.id, v.uscc, v.date, v["order"], o.inspector_id, o.department, e.lat, e.lon)
                .join_from(
                    pairs,
                    table_of(VisitOfficer),
                    o.inspector_id == pairs.c.inspector_id,
                )
                .join(table_of(Visit), and_(v.id == o.visit_id, v.date == pairs.c.date))
                .join(table_of(RevisionVisit), m.visit_id == v.id)
                .outerjoin(table_of(Enterprise), e.uscc == v.uscc)
                .where(m.revision_id == revision_id, v.uscc.not_in(members)),
            )
    finally:
        pairs.drop(conn)
        conn.commit()  # as scope_members: the temporary table is gone from the connection
    return [
        (vid, uscc, stored_date(day), order, oid, dept, lat, lon)
        for vid, uscc, day, order, oid, dept, lat, lon in rows
    ]
