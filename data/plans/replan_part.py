"""What a replan of part of a district reads of the rest of its filed revision.

A replan of the enterprises a night changed (``scheduler.replan_scope``) reads their
rows (``read_revision_rows`` with a ``keep``, ``load_planning_inputs`` with
``only_usccs``) and, of the rest of the revision, only what its visits take from the
officers and where they stand among the visits CP-SAT could re-solve: read here in two
queries, without a row object per visit, and kept for the stops the rest's visits make
on the officer-days the part takes (their travel, the rules of an officer's day).
"""

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    and_,
    func,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.bundle.spec import DRAWN_ID_PREFIX
from jointinspect.data.plans.document import plain_rows, stored_dates
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


def read_rest_of_plan(
    conn: Connection, revision_id: int, scope: Collection[str], as_of: dt.date
) -> RestOfPlan:
    return read_coming_visits(conn, revision_id, scope, as_of).rest(scope)


@dataclass(frozen=True)
class ComingVisits:
    """The coming visits (on or after a date) of a filed revision outside a scope, each
    with its officers: the rest of the plan for that scope or any wider one."""

    #: (uscc, date, town, slot, officer ids), in the revision's order (by day, slot,
    #: enterprise and first demand, as ``visit_sort_key``), officers in id order.
    visits: list[tuple[str, dt.date, str, int, tuple[str, ...]]]
    revision_id: int
    #: Aligned with ``visits``: each visit's row id.
    ids: list[int]
    #: Visit id → its officers' (id, department), in no order.
    staff: Mapping[int, Sequence[tuple[str, str]]]
    #: The day they are coming from.
    as_of: dt.date

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
                # An officer-day in two towns (a visit that must not be dropped, placed
                # with officers working elsewhere that day) is taken as its first town's,
                # as the construction's roster takes it.
                count, first_town, top = officer_days.get(key, (0, town, 0))
                officer_days[key] = (count + 1, first_town, max(top, order))
        return RestOfPlan(officer_days, listed)

    def stops(
        self,
        conn: Connection,
        scope: Collection[str],
        officer_days: Collection[tuple[str, dt.date]],
    ) -> list["RestStop"]:
        """The officers' stops on ``officer_days`` (officer id, date; each on or after
        :attr:`as_of`) at the visits outside ``scope`` (which holds the scope read with):
        what else those officer-days hold besides the scope's visits (their travel, the
        rules of an officer's day). In the revision's order; the enterprises' places are
        read for the visits found."""
        wanted = set(officer_days)
        if any(day < self.as_of for _, day in wanted):
            raise ValueError(f"officer-days before {self.as_of} are not coming")
        on_day: dict[dt.date, set[str]] = defaultdict(set)
        for oid, day in wanted:
            on_day[day].add(oid)
        inside = set(scope)
        found: list[tuple[int, str, dt.date, int, str, str]] = []
        for (uscc, day, _, order, officers), vid in zip(self.visits, self.ids, strict=True):
            asked = on_day.get(day)
            if asked is None or asked.isdisjoint(officers) or uscc in inside:
                continue
            found.extend(
                (vid, uscc, day, order, oid, department)
                for oid, department in sorted(self.staff[vid])
                if (oid, day) in wanted
            )
        places = _places(conn, {stop[1] for stop in found})
        return [(*stop, *places.get(stop[1], (None, None))) for stop in found]


def read_coming_visits(
    conn: Connection, revision_id: int, scope: Collection[str], as_of: dt.date
) -> ComingVisits:
    """The visits of ``revision_id`` on or after ``as_of`` outside ``scope``, with their
    officers, in two queries and without a row object per visit."""
    v, o = table_of(Visit).c, table_of(VisitOfficer).c
    held = table_of(RevisionVisit)
    m = held.c
    with scope_members(conn, scope) as members:
        outside = v.uscc.not_in(members)
        vids, oids, departments = query_columns(
            conn,
            select(o.visit_id, o.inspector_id, o.department)
            .join_from(table_of(VisitOfficer), table_of(Visit), v.id == o.visit_id)
            .join(held, m.visit_id == v.id)
            .where(m.revision_id == revision_id, v.date >= as_of, outside),
            3,
        )
        # In no order: the revision's (by first demand where it decides, below) is made
        # here, where it is cheaper than in the database.
        ids, usccs, days, towns, orders = query_columns(
            conn,
            select(v.id, v.uscc, v.date, v.town, v["order"])
            .join_from(table_of(Visit), held, m.visit_id == v.id)
            .where(m.revision_id == revision_id, v.date >= as_of, outside),
            5,
        )
    staff = grouped(vids, list(zip(oids, departments, strict=True)))
    officers = [tuple(sorted(oid for oid, _ in staff.get(vid, ()))) for vid in ids]
    keys = list(zip(stored_dates(days), orders, usccs, towns, officers, strict=True))
    rank = _by_first_demand(conn, sorted(range(len(ids)), key=keys.__getitem__), ids, keys)
    return ComingVisits(
        [(keys[k][2], keys[k][0], towns[k], orders[k], officers[k]) for k in rank],
        revision_id,
        [ids[k] for k in rank],
        staff,
        as_of,
    )


@contextmanager
def coming_visits_ahead(
    engine: Engine, revision_id: int, scope: Collection[str], as_of: dt.date
) -> Iterator[Callable[[], ComingVisits]]:
    """:func:`read_coming_visits` on a connection of its own, in a thread started now;
    the block is given the function that waits for them. Most of that reading is the
    database's, which releases the GIL, so the caller goes on with its own meanwhile
    (regrading, reading the part): 0.45 s of a night's replan at 650,000 enterprises."""
    wanted = frozenset(scope)

    def read() -> ComingVisits:
        with engine.connect() as conn:
            return read_coming_visits(conn, revision_id, wanted, as_of)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="coming-visits") as pool:
        yield pool.submit(read).result


def _by_first_demand(
    conn: Connection,
    rank: list[int],
    ids: Sequence[int],
    keys: Sequence[tuple[dt.date, int, str, str, tuple[str, ...]]],
) -> list[int]:
    """``rank`` (visits by day, slot and enterprise: the first three of each one's
    ``keys``) with the visits of one enterprise in one day's slot in ``visit_sort_key``'s
    order: by first demand (then town and officers). Such ties are rare, and their
    first demands alone are read."""
    tied: list[list[int]] = []
    for a, b in itertools.pairwise(range(len(rank))):
        if keys[rank[a]][:3] == keys[rank[b]][:3]:
            if tied and tied[-1][-1] == a:
                tied[-1].append(b)
            else:
                tied.append([a, b])
    if not tied:
        return rank
    t = table_of(VisitTask).c
    wanted = sorted({ids[rank[p]] for places in tied for p in places})
    first: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        first.update(
            plain_rows(
                conn,
                select(t.visit_id, func.min(t.demand_id))
                .where(t.visit_id.in_(wanted[start : start + 500]))
                .group_by(t.visit_id),
            )
        )
    out = list(rank)
    for places in tied:
        ordered = sorted(
            (rank[p] for p in places),
            key=lambda k: (*keys[k][:3], first.get(ids[k]) or "", *keys[k][3:]),
        )
        for p, k in zip(places, ordered, strict=True):
            out[p] = k
    return out


def _places(conn: Connection, usccs: Collection[str]) -> dict[str, tuple[float, float]]:
    """Where the register puts each of ``usccs`` that it places (lat, lon)."""
    if not usccs:
        return {}
    e = table_of(Enterprise).c
    with scope_members(conn, usccs) as members:
        rows = plain_rows(
            conn,
            select(e.uscc, e.lat, e.lon).where(
                e.uscc.in_(members), e.lat.is_not(None), e.lon.is_not(None)
            ),
        )
    return {uscc: (lat, lon) for uscc, lat, lon in rows}


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
