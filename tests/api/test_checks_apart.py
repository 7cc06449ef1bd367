"""A plan's off-site checks and visits staged in the draw's second process
(``jointinspect.checks_apart``): the file holds the checks (visits) sent, in order; a
process that is gone or fails leaves the draft to write them; a plan made so is the plan
made without, and leaves no file behind."""

import dataclasses
import datetime as dt
import sqlite3
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from helpers.replan_world import World, plan_world
from helpers.staged_copies import rows_of, spy_staged_copies, spy_staged_visit_copies
from sqlalchemy.engine import Engine

from jointinspect import checks_apart, draw_apart
from jointinspect.models import make_engine
from jointinspect.models.plan_result import OfficerRef, OffsiteResult, TaskRef, VisitResult
from jointinspect.scheduler.params import SchedulerParams


@pytest.fixture
def helper(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessPoolExecutor]:
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
    with draw_apart.draw_helper(draw_apart.DRAW_APART_FROM, cpus=2) as pool:
        assert pool is not None
        yield pool


def _checks(n: int) -> list[OffsiteResult]:
    return [
        OffsiteResult(f"D-{k}", f"U{k % 7}", "WJ", "WJ-REMOTE-03", "random", dt.date(2025, 8, 1))
        for k in range(n)
    ]


def test_the_second_process_stages_the_checks_in_order(helper: ProcessPoolExecutor) -> None:
    checks = _checks(checks_apart.STAGE_APART_FROM)
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.sender(helper)
        assert send is not None
        send(checks)
        path = staging.written()
        assert path is not None
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT k, demand_id, due FROM staged_check ORDER BY k").fetchall()
        assert rows == [(k, c.demand_id, "2025-08-01") for k, c in enumerate(checks)]
    assert not Path(path).parent.exists()


def _visits(n: int) -> list[VisitResult]:
    return [
        VisitResult(
            f"U{k}/1",
            f"U{k}",
            dt.date(2025, 8, 1),
            "南桥镇",
            False,
            (TaskRef(f"D-{k}", "WJ", "WJ-REMOTE-03", "plan"),),
            (OfficerRef("WJ-1", "WJ"), OfficerRef("WJ-2", "WJ")),
            k % 5,
        )
        for k in range(n)
    ]


def test_the_second_process_stages_the_visits_in_order(helper: ProcessPoolExecutor) -> None:
    visits = _visits(checks_apart.STAGE_APART_FROM)
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.visits_sender(helper)
        assert send is not None
        send(visits)
        path = staging.visits_written()
        assert path is not None
        with sqlite3.connect(path) as conn:
            rows = conn.execute('SELECT k, uscc, "order" FROM staged_visit ORDER BY k').fetchall()
            officers = conn.execute(
                "SELECT v, inspector_id FROM staged_officer ORDER BY seq"
            ).fetchall()
        assert rows == [(k, v.uscc, v.order) for k, v in enumerate(visits)]
        assert officers == [(k, o) for k in range(len(visits)) for o in ("WJ-1", "WJ-2")]
        # Too few visits, or no process: nothing more is staged.
        assert staging.visits_sender(None) is None
    assert not Path(path).parent.exists()
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.visits_sender(helper)
        assert send is not None
        send(visits[1:])
        assert staging.visits_written() is None
        gone = ProcessPoolExecutor(max_workers=1)
        gone.shutdown()
        send = staging.visits_sender(gone)
        assert send is not None
        send(visits)
        assert staging.visits_written() is None


def test_few_checks_no_process_or_another_database_stage_nothing(
    helper: ProcessPoolExecutor,
) -> None:
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.sender(helper)
        assert send is not None
        send(_checks(checks_apart.STAGE_APART_FROM - 1))
        assert staging.written() is None
        assert staging.sender(None) is None
    server = make_engine("postgresql://nobody@127.0.0.1:1/none")  # never connected
    with checks_apart.staged_checks(server) as staging:
        assert staging.sender(helper) is None


def test_a_process_gone_or_failing_leaves_the_checks_to_the_draft(
    helper: ProcessPoolExecutor, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    checks = _checks(checks_apart.STAGE_APART_FROM)
    gone = ProcessPoolExecutor(max_workers=1)
    gone.shutdown()
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.sender(gone)
        assert send is not None
        send(checks)
        assert staging.written() is None

    # No temporary folder to be had.
    def no_folder(**kwargs: str) -> str:
        raise PermissionError("no temporary folder")

    monkeypatch.setattr(tempfile, "mkdtemp", no_folder)
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.sender(helper)
        assert send is not None
        send(checks)
        assert staging.written() is None
    # The file is there already: the second process refuses to write over it.
    (tmp_path / "checks.sqlite").write_bytes(b"")
    monkeypatch.setattr(tempfile, "mkdtemp", lambda **kwargs: str(tmp_path))
    with checks_apart.staged_checks(make_engine("sqlite://")) as staging:
        send = staging.sender(helper)
        assert send is not None
        send(checks)
        assert staging.written() is None


def _offsite(engine: Engine, revision: int) -> list[tuple[object, ...]]:
    return rows_of(
        engine,
        "SELECT o.demand_id, o.uscc, o.department, o.item, o.source, o.due "
        "FROM offsite_check o JOIN revision_offsite h ON h.offsite_id = o.id "
        "JOIN plan_revision r ON r.id = h.revision_id WHERE r.revision = ? ORDER BY o.id",
        (revision,),
    )


def _visit_rows(engine: Engine, revision: int) -> list[list[tuple[object, ...]]]:
    """A revision's visits with their tasks and officers, in the order written."""
    held = (
        "JOIN revision_visit h ON h.visit_id = v.id JOIN plan_revision r ON r.id = h.revision_id "
        "WHERE r.revision = ?"
    )
    visits = rows_of(
        engine,
        f'SELECT v.id, v.uscc, v.date, v.town, v.mode, v."order", v.triggered FROM visit v '
        f"{held} ORDER BY v.id",
        (revision,),
    )
    tasks = rows_of(
        engine,
        f"SELECT t.visit_id, t.demand_id, t.department, t.item, t.source FROM visit_task t "
        f"JOIN visit v ON v.id = t.visit_id {held} ORDER BY t.rowid",
        (revision,),
    )
    officers = rows_of(
        engine,
        f"SELECT o.visit_id, o.inspector_id, o.department FROM visit_officer o "
        f"JOIN visit v ON v.id = o.visit_id {held} ORDER BY o.rowid",
        (revision,),
    )
    first = visits[0][0] if visits else 0
    # Numbered within the revision: the two revisions' ids differ by the first's.
    return [[(row[0] - first, *row[1:]) for row in rows] for rows in (visits, tasks, officers)]


def test_a_plan_with_staged_checks_is_the_plan_without(
    filed_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The world was planned and filed in one process; planned again with a second
    process that stages its checks, the draft holds the same checks, and no file is left."""
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
    monkeypatch.setattr(draw_apart, "DRAW_APART_FROM", 0)
    monkeypatch.setattr(checks_apart, "STAGE_APART_FROM", 1)
    copied = spy_staged_copies(monkeypatch)
    copied_visits = spy_staged_visit_copies(monkeypatch)
    folders: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def mkdtemp(**kwargs: str) -> str:
        folders.append(real_mkdtemp(**kwargs))
        return folders[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    engine = make_engine(filed_world.url)
    try:
        two_cpus = dataclasses.replace(SchedulerParams.default(), cpus=2)
        run = plan_world(filed_world, engine, two_cpus)
        assert copied == [True] and copied_visits == [True] and len(folders) == 1
        assert not Path(folders[0]).exists()
        again = _offsite(engine, run.stored.revision)
        assert len(again) == len(run.result.offsite) > 0
        assert again == _offsite(engine, 1)
        visits = _visit_rows(engine, run.stored.revision)
        assert len(visits[0]) == len(run.result.visits) > 0
        assert visits == _visit_rows(engine, 1)
    finally:
        engine.dispose()
