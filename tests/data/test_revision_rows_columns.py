"""``read_revision_rows`` reads each table's rows as columns (JSON arrays on SQLite): the
rows are the same whichever way the columns come, and grouping tasks and officers by visit
does not depend on the order the database gives them in."""

import datetime as dt
from pathlib import Path

import pytest
from helpers.plan_factory import sample_plan

from jointinspect.data.plans.document import read_revision_rows
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
