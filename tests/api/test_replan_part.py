"""Reading the part of a filed revision a replan of some enterprises needs — their rows,
demands and triggers, and the rest's officer-days and visits (``replan_part``) — gives what
reading the whole district and cutting it in memory gives."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers.replan_world import AS_OF, World, build_filed_world, copy_world, write_bundle
from helpers.sqlite_steps import counting_engine
from sqlalchemy import literal, select, update
from sqlalchemy.engine import Engine

from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.plans.document import (
    ordered_offsite,
    ordered_visits,
    read_revision_rows,
    stored_date,
    visit_sort_key,
)
from jointinspect.data.plans.planning_inputs import load_planning_inputs
from jointinspect.data.plans.replan_part import (
    ComingVisits,
    coming_visits_ahead,
    read_coming_visits,
    read_rest_of_plan,
)
from jointinspect.data.plans.replan_store import read_filed_revision
from jointinspect.data.uscc_scope import uscc_scope
from jointinspect.models import (
    Enterprise,
    Item,
    RevisionVisit,
    Visit,
    VisitOfficer,
    VisitTask,
    make_engine,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.industry import applies
from jointinspect.models.quarter import Quarter
from jointinspect.options import working_calendar
from jointinspect.planning import build_problem, frozen_draw
from jointinspect.rules import plan_result
from jointinspect.scheduler.pinning import pin_window
from jointinspect.scheduler.replan_scope import Background, split_visits

QUARTER = "2025Q4"


def _complaints(engine: Engine, tmp_path: Path) -> None:
    """Complaints at ten enterprises, one with an on-site item of its trade each."""
    with engine.connect() as conn:
        ents = conn.execute(
            select(Enterprise.uscc, Enterprise.industry).order_by(Enterprise.uscc)
        ).all()  # type: ignore[arg-type]
        items = conn.execute(
            select(Item.code, Item.department, Item.industries, Item.mode).order_by(Item.code)
        ).all()  # type: ignore[arg-type]
    rows = []
    for uscc, industry in ents[::97]:
        item = next((i for i in items if i[3] != "offsite" and applies(i[2], industry)), None)
        if item is not None:
            rows.append(
                {
                    "id": f"C-PART-{len(rows)}",
                    "uscc": uscc,
                    "kind": "complaint",
                    "received_at": "2025-11-02T09:00:00+08:00",
                    "department": item[1],
                    "item": item[0],
                    "severity": "2",
                }
            )
    import_bundle(write_bundle(tmp_path / "night", "triggers.csv", rows), engine=engine)


def _inputs(world: World, engine: Engine, **scope: Any) -> Any:
    options = world.settings().options()
    return load_planning_inputs(
        Quarter.parse(QUARTER),
        engine=engine,
        calendar=working_calendar(options),
        trigger_response_days=options.trigger_response_days,
        **scope,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(
    request: pytest.FixtureRequest, filed_template: World, tmp_path: Path
) -> Iterator[tuple[World, Engine]]:
    """The filed world on each database (PostgreSQL: built there from the same district)."""
    if request.param == "sqlite":
        built = copy_world(filed_template, tmp_path, district=tmp_path)
    else:
        pg_url = request.getfixturevalue("pg_url")
        built = build_filed_world(tmp_path / "pg", pg_url, district=filed_template.district)
    engine = make_engine(built.url)
    yield built, engine
    engine.dispose()


def test_reading_the_part_equals_cutting_the_whole(
    world: tuple[World, Engine], tmp_path: Path
) -> None:
    filed_world, filed_engine = world
    _complaints(filed_engine, tmp_path)
    calendar = working_calendar(filed_world.settings().options())
    filed = read_filed_revision(QUARTER, engine=filed_engine)
    seed = filed.header.seed
    drawn = frozen_draw(filed.rows)
    whole = build_problem(
        _inputs(filed_world, filed_engine, only_enterprises_with_demands=[d.uscc for d in drawn]),
        seed,
        calendar,
        drawn,
    )
    previous = plan_result(
        filed.rows,
        QUARTER,
        seed,
        filed.header.metrics,
        ordered_visits(filed.rows),
        ordered_offsite(filed.rows),
    )
    # The complaints' enterprises and every fifth enterprise with a visit.
    visited = sorted({v.uscc for v in previous.visits})
    scope = {d.uscc for d in whole.demands if d.id.startswith("C-PART-")} | set(visited[::5])
    assert len(scope) < len(visited) / 2
    pins = pin_window(whole.workdays, AS_OF, 2)
    movable_from = whole.workdays[pins.first_free]

    # In memory: the whole district cut in two.
    inside, rest = split_visits(previous.visits, scope, AS_OF)
    cut_problem = replace(
        whole,
        enterprises={u: e for u, e in whole.enterprises.items() if u in scope},
        demands=[d for d in whole.demands if d.uscc in scope],
    )
    cut_background = Background.of(rest, movable_from)

    # From the database: only the part, and the rest's officer-days and visits.
    with filed_engine.connect() as conn:
        with uscc_scope(conn, scope) as keep:
            rows = read_revision_rows(conn, filed.revision_id, keep)
        rest_rows = read_rest_of_plan(conn, filed.revision_id, scope, AS_OF)
    part_drawn = frozen_draw(rows)
    read_problem = build_problem(
        _inputs(filed_world, filed_engine, only_usccs=scope), seed, calendar, part_drawn
    )
    read_previous = plan_result(
        rows, QUARTER, seed, filed.header.metrics, ordered_visits(rows), ordered_offsite(rows)
    )

    by_id = lambda demands: sorted(demands, key=lambda d: d.id)  # noqa: E731
    assert by_id(read_problem.demands) == by_id(cut_problem.demands)
    assert dict(read_problem.enterprises) == dict(cut_problem.enterprises)
    assert read_problem.inspectors == cut_problem.inspectors
    assert read_previous.visits == tuple(inside)
    assert read_previous.offsite == tuple(o for o in previous.offsite if o.uscc in scope)
    assert read_previous.unscheduled == tuple(u for u in previous.unscheduled if u.uscc in scope)
    read_background = Background.of_rows(rest_rows.officer_days, rest_rows.visits, movable_from)
    assert read_background == cut_background
    assert read_background.movable  # the rest has visits CP-SAT could move


@pytest.mark.parametrize("mark", ["0", "~"], ids=["renamed-first", "renamed-last"])
def test_the_rest_s_coming_visits_come_in_the_revision_s_order_with_their_stops(
    world: tuple[World, Engine], mark: str
) -> None:
    """``read_coming_visits`` orders the rest's coming visits as the revision's document
    does (``visit_sort_key``) — also two visits of one enterprise in one day's slot, put
    there for the test, which only their first demands tell apart — and ``stops`` gives
    the rest's stops on the officer-days asked for, as the tables hold them."""
    _, engine = world
    filed = read_filed_revision(QUARTER, engine=engine)
    rows = filed.rows
    coming = [v for v in rows.visits if v.date >= AS_OF]
    tie = sorted(v.id for v in coming)[:2]
    by_id = {v.id: v for v in coming}
    moved = by_id[tie[0]]
    visit, task = table_of(Visit), table_of(VisitTask)
    with engine.begin() as conn:
        # The later row made a visit of the earlier one's enterprise in its slot, its
        # demands renamed to come first, or last: by its officers, one of the two is in
        # the wrong order.
        conn.execute(
            update(visit)
            .where(visit.c.id == tie[1])
            .values(uscc=moved.uscc, town=moved.town, date=moved.date, order=moved.order)
        )
        conn.execute(
            update(task)
            .where(task.c.visit_id == tie[1])
            .values(demand_id=literal(mark) + task.c.demand_id)
        )
    rows = read_filed_revision(QUARTER, engine=engine).rows
    scope = sorted({v.uscc for v in rows.visits})[::7]
    assert by_id[tie[0]].uscc not in scope

    with engine.connect() as conn:
        read = read_coming_visits(conn, filed.revision_id, scope, AS_OF)
    expected = sorted(
        (v for v in rows.visits if v.date >= AS_OF and v.uscc not in scope),
        key=lambda v: visit_sort_key(v.date, v.order, v.uscc, rows.tasks[v.id]),
    )
    assert read.ids == [v.id for v in expected]
    assert (read.ids.index(tie[1]) < read.ids.index(tie[0])) == (mark == "0")
    assert read.visits == [
        (v.uscc, v.date, v.town, v.order, tuple(sorted(o.id for o in rows.officers[v.id])))
        for v in expected
    ]

    # Stops on the scope's coming officer-days and on some of the rest's, outside the
    # scope widened (as a replan widens it).
    scope = [*scope, *sorted({v.uscc for v in rows.visits})[1::7]]
    days = {(o.id, v.date) for v in rows.visits if v.date >= AS_OF for o in rows.officers[v.id]}
    asked = sorted(days)[::3]
    v, o, m = table_of(Visit).c, table_of(VisitOfficer).c, table_of(RevisionVisit).c
    e = table_of(Enterprise).c
    with engine.connect() as conn:
        stops = read.stops(conn, scope, asked)
        tables = conn.execute(
            select(v.id, v.uscc, v.date, v["order"], o.inspector_id, o.department, e.lat, e.lon)
            .join_from(table_of(VisitOfficer), table_of(Visit), v.id == o.visit_id)
            .join(table_of(RevisionVisit), m.visit_id == v.id)
            .outerjoin(table_of(Enterprise), e.uscc == v.uscc)
            .where(m.revision_id == filed.revision_id, v.date >= AS_OF)
        ).all()
    wanted = set(asked)
    held = sorted(
        (vid, uscc, stored_date(day), order, oid, dept, lat, lon)
        for vid, uscc, day, order, oid, dept, lat, lon in tables
        if uscc not in scope and (oid, stored_date(day)) in wanted
    )
    assert stops and sorted(stops) == held
    with pytest.raises(ValueError, match="not coming"):
        read.stops(engine.connect(), scope, [(asked[0][0], AS_OF - timedelta(days=1))])


def test_the_coming_visits_read_ahead_are_those_read_here(world: tuple[World, Engine]) -> None:
    """``coming_visits_ahead`` reads the rest's coming visits on a connection and a thread
    of its own while the caller reads too: the same visits, ids, officers and day as
    ``read_coming_visits`` on the caller's connection."""
    _, engine = world
    filed = read_filed_revision(QUARTER, engine=engine)
    scope = sorted({v.uscc for v in filed.rows.visits})[::5]
    with engine.connect() as conn:
        here = read_coming_visits(conn, filed.revision_id, scope, AS_OF)
    with coming_visits_ahead(engine, filed.revision_id, scope, AS_OF) as ahead:
        meanwhile = read_filed_revision(QUARTER, engine=engine, only=scope)
        read = ahead()
    assert meanwhile.revision_id == filed.revision_id
    assert read.ids and read == here


def _read_steps(engine: Engine, revision_id: int, only: set[str] | None) -> int:
    """SQLite's steps (in tens) to read a revision's rows, or ``only``'s."""
    with counting_engine(str(engine.url), 10) as (counting, steps), counting.connect() as conn:
        if only is None:
            read_revision_rows(conn, revision_id)
        else:
            with uscc_scope(conn, only) as keep:
                read_revision_rows(conn, revision_id, keep)
    return steps.count


def test_a_scope_s_rows_are_found_through_its_enterprises(filed_engine: Engine) -> None:
    """A night's few enterprises' rows are looked up by their USCCs. Left to itself,
    SQLite walked the revision's every visit and check and kept the scope's (a 1 % replan
    of 650,000 enterprises: 310,000 rows walked, 0.1 s a query, for 8,000)."""
    filed = read_filed_revision(QUARTER, engine=filed_engine)
    with_both = {v.uscc for v in filed.rows.visits} & {c.uscc for c in filed.rows.offsite}
    one = {min(with_both)}
    rows = read_filed_revision(QUARTER, engine=filed_engine, only=one).rows
    assert rows.visits and rows.offsite  # the enterprise's rows are read
    whole = _read_steps(filed_engine, filed.revision_id, None)
    part = _read_steps(filed_engine, filed.revision_id, one)
    assert part * 20 < whole, f"one enterprise's rows took {part / whole:.0%} of the revision's"


def test_a_scope_s_inputs_hold_its_own_no_disturb_entries(filed_world: World) -> None:
    """The 无感监管 list is read for the scope's enterprises, not the district's."""
    engine = make_engine(filed_world.url)
    try:
        listed = _inputs(filed_world, engine).no_disturb
        assert len(listed) > 2
        scope = set(sorted(listed)[:2]) | {"91310120000000000X"}
        part = _inputs(filed_world, engine, only_usccs=scope).no_disturb
    finally:
        engine.dispose()
    assert part == {u: listed[u] for u in sorted(listed)[:2]}


def test_the_rest_takes_an_officer_day_in_two_towns_as_its_first_town() -> None:
    """A plan may send an officer on to a second town on a day (a complaint that could not
    be placed otherwise); the rest of such a plan is read, its officer-day counted once,
    in the town of its first visit. It was refused as a plan the planner never makes."""
    day = AS_OF + timedelta(days=7)
    coming = ComingVisits(
        [
            ("E1", day, "南桥镇", 1, ("SCJ-01", "SCJ-02")),
            ("E2", day, "奉城镇", 2, ("SCJ-01", "SCJ-03")),
        ],
        1,
        [11, 12],
        {11: [("SCJ-01", "SCJ"), ("SCJ-02", "SCJ")], 12: [("SCJ-01", "SCJ"), ("SCJ-03", "SCJ")]},
        AS_OF,
    )
    rest = coming.rest(())
    assert rest.officer_days[("SCJ-01", day)] == (2, "南桥镇", 2)
    assert rest.officer_days[("SCJ-03", day)] == (1, "奉城镇", 2)
    assert coming.rest({"E1"}).officer_days[("SCJ-01", day)] == (1, "奉城镇", 2)
