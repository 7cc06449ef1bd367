"""``read_revision_rows`` reads each table's rows as columns (JSON arrays on SQLite): the
rows are the same whichever way the columns come, and grouping tasks and officers by visit
does not depend on the order the database gives them in."""

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from helpers.plan_factory import sample_plan

from jointinspect.data.plans.document import (
    RevisionRows,
    StoredVisit,
    ordered_visits,
    read_revision_rows,
    visit_sort_key,
)
from jointinspect.data.reading import columnar
from jointinspect.models import create_schema, make_engine
from jointinspect.models.plan_result import TaskRef


def test_rows_are_the_same_from_json_columns_and_from_the_cursor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    create_schema(engine)
    revision_id = sample_plan(engine)
    with engine.connect() as conn:
        from_json = read_revision_rows(conn, revision_id)
        monkeypatch.setattr(columnar, "json_columns", lambda _conn, _query: None)
        from_cursor = read_revision_rows(conn, revision_id)
    engine.dispose()
    assert from_json.visits and from_json.offsite and from_json.tasks and from_json.officers
    assert from_json == from_cursor
    # As read back before: a visit without officers (or tasks) has an empty list.
    assert from_json.tasks[-1] == [] and from_json.officers[-1] == []
    assert all(isinstance(v.date, dt.date) for v in from_json.visits)
    assert all(isinstance(c.due, dt.date) for c in from_json.offsite)
    # An officer's staffings share one reference (immutable), made once per officer.
    for rows in (from_json, from_cursor):
        staffings = [ref for refs in rows.officers.values() for ref in refs]
        assert len(staffings) > len({ref.id for ref in staffings})
        assert len({id(ref) for ref in staffings}) == len(set(staffings))


def _task(n: int) -> TaskRef:
    return TaskRef(f"D{n}", "market", "food", "plan")


@pytest.mark.parametrize(
    "vids",
    [
        [1, 1, 2, 5, 5, 5, 9],  # visit by visit, as the join gives them: sliced
        [5, 1, 5, 2, 1, 9, 5],  # scattered: gathered row by row
        [3, 3, 2, 2],  # grouped but descending: not taken for sliced
    ],
)
def test_rows_are_grouped_by_visit_in_the_order_given(vids: list[int]) -> None:
    rows = [_task(n) for n in range(len(vids))]
    grouped = columnar.grouped(vids, rows)
    expected: dict[int, list[TaskRef]] = {}
    for vid, row in zip(vids, rows, strict=True):
        expected.setdefault(vid, []).append(row)
    assert grouped == expected
    assert grouped[404] == []  # a defaultdict, as the readers of the rows expect


def test_no_rows_group_to_nothing() -> None:
    assert columnar.grouped([], []) == {}


def test_visits_are_ordered_as_a_document_orders_them() -> None:
    """By day, slot, enterprise and first demand (``visit_sort_key``): two visits of one
    enterprise in one slot are told apart by their smallest demand, whichever order their
    tasks were read in, and a visit without tasks comes first."""
    day = dt.date(2025, 10, 8)
    visits = [
        StoredVisit(1, None, "U2", day, "t", "onsite", 1),
        StoredVisit(2, None, "U1", day, "t", "onsite", 1),
        StoredVisit(3, None, "U1", day, "t", "onsite", 1),
        StoredVisit(4, None, "U1", day, "t", "onsite", 1),
        StoredVisit(5, None, "U1", day, "t", "onsite", 0),
        StoredVisit(6, None, "U0", day + dt.timedelta(days=1), "t", "onsite", 0),
    ]
    task = lambda demand: TaskRef(demand, "market", "food", "plan")  # noqa: E731
    tasks = {2: [task("D9"), task("D3")], 3: [task("D5"), task("D4")], 5: [task("D1")]}
    tasks |= {1: [task("D0")], 6: [task("D2")]}  # visit 4 has none
    rows = RevisionRows(visits, defaultdict(list, tasks), defaultdict(list), [], [])
    ordered = ordered_visits(rows)
    expected = sorted(
        visits, key=lambda v: visit_sort_key(v.date, v.order, v.uscc, tasks.get(v.id, []))
    )
    assert [v.row for v in ordered] == expected
    assert [v.row.id for v in ordered] == [5, 4, 2, 3, 1, 6]
    assert [t.demand_id for t in ordered[2].tasks] == ["D3", "D9"]
