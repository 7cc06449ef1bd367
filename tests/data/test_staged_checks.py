"""A draft's off-site checks and visits copied from staged files
(:mod:`data.plans.staged_checks`) are the rows the draft writes itself, value and type; a
file that does not hold the plan's checks or visits is not used; the files are never left
attached, also when the draft fails."""

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.plan_factory import OFFICERS, USCC, seed_reference
from helpers.staged_copies import rows_of, spy_staged_copies, spy_staged_visit_copies
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from jointinspect.data.plans.staged_checks import (
    STAGED_SCHEMA,
    VISITS_SCHEMA,
    packed_checks,
    packed_visits,
    staged_attached,
    write_staged_checks,
    write_staged_visits,
)
from jointinspect.data.plans.store import store_draft
from jointinspect.models import create_schema, make_engine, session_scope
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanResult,
    TaskRef,
    VisitResult,
)

NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    with session_scope(engine) as session:
        seed_reference(session)
    return engine


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    here, staged = _engine(tmp_path / "here.db"), _engine(tmp_path / "staged.db")
    yield here, staged
    here.dispose()
    staged.dispose()


def _plan(checks: int = 300) -> PlanResult:
    """A plan of off-site checks alone: demand ids, departments, sources and dues vary."""
    offsite = tuple(
        OffsiteResult(
            f"R:WJ:WJ-REMOTE-03:{USCC[k % len(USCC)]}:{k:05d}",
            USCC[k % len(USCC)],
            "WJ" if k % 3 else "SCJ",
            "WJ-REMOTE-03",
            ("random", "plan", "alert")[k % 3],
            dt.date(2025, 7, 1) + dt.timedelta(days=k % 92),
        )
        for k in range(checks)
    )
    return PlanResult("2025Q3", "s", (), offsite, (), {})


def _checks(engine: Engine) -> list[tuple[object, ...]]:
    """Every off-site check row, each value with its SQLite type."""
    return rows_of(
        engine,
        "SELECT id, revision_id, demand_id, uscc, department, item, source, due, code, "
        "typeof(id), typeof(revision_id), typeof(due), typeof(code) "
        "FROM offsite_check ORDER BY id",
    )


def _attached(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]


def _stage(tmp_path: Path, plan: PlanResult) -> str:
    path = str(tmp_path / "checks.sqlite")
    assert write_staged_checks(path, packed_checks(plan.offsite)) == len(plan.offsite)
    return path


def test_checks_copied_from_the_staged_file_are_the_rows_written_here(
    engines: tuple[Engine, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, staged = engines
    plan = _plan()
    # Another quarter's rows before the plan's: the ids go on from them.
    earlier = dataclasses.replace(_plan(5), quarter="2025Q2")
    for engine in engines:
        store_draft(earlier, engine=engine, prefix="FX", generated_at=NOW)
    answers = spy_staged_copies(monkeypatch)
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    assert answers == []
    store_draft(
        plan, engine=staged, prefix="FX", generated_at=NOW, staged_checks=_stage(tmp_path, plan)
    )
    assert answers == [True]
    rows = _checks(staged)
    assert rows == _checks(here)
    assert len(rows) == 305 and rows[-1][-4:] == ("integer", "integer", "text", "null")
    assert STAGED_SCHEMA not in _attached(staged)


@pytest.mark.parametrize("held", [299, 301])
def test_a_staged_file_without_the_plans_checks_is_not_used(
    engines: tuple[Engine, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: int
) -> None:
    here, staged = engines
    plan = _plan()
    other = _stage(tmp_path, _plan(held))
    answers = spy_staged_copies(monkeypatch)
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    store_draft(plan, engine=staged, prefix="FX", generated_at=NOW, staged_checks=other)
    assert answers == [False]
    assert _checks(staged) == _checks(here)
    assert STAGED_SCHEMA not in _attached(staged)


@pytest.mark.parametrize(
    "content",
    [b"not a database, " * 512, None],
    ids=["not a database", "a database without the table"],
)
def test_a_file_sqlite_cannot_read_the_checks_from_is_not_used(
    engines: tuple[Engine, Engine], tmp_path: Path, content: bytes | None
) -> None:
    here, staged = engines
    plan = _plan()
    path = tmp_path / "checks.sqlite"
    if content is None:
        sqlite3.connect(path).execute("CREATE TABLE other (x)").connection.close()
    else:
        path.write_bytes(content)
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    store_draft(plan, engine=staged, prefix="FX", generated_at=NOW, staged_checks=str(path))
    assert _checks(staged) == _checks(here)
    assert STAGED_SCHEMA not in _attached(staged)


def test_a_missing_file_is_written_here(engines: tuple[Engine, Engine], tmp_path: Path) -> None:
    here, staged = engines
    plan = _plan()
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    gone = str(tmp_path / "never-written.sqlite")
    store_draft(plan, engine=staged, prefix="FX", generated_at=NOW, staged_checks=gone)
    assert _checks(staged) == _checks(here)
    assert not Path(gone).exists()  # not created by attaching it


def test_a_failed_draft_leaves_nothing_and_the_file_detached(
    engines: tuple[Engine, Engine], tmp_path: Path
) -> None:
    _, staged = engines
    plan = _plan()
    stranger = dataclasses.replace(plan.offsite[0], uscc="91310120NOTINREG0X")
    bad = dataclasses.replace(plan, offsite=(*plan.offsite, stranger))
    with pytest.raises(Exception, match="NOTINREG"):
        store_draft(
            bad, engine=staged, prefix="FX", generated_at=NOW, staged_checks=_stage(tmp_path, bad)
        )
    assert _checks(staged) == []
    assert STAGED_SCHEMA not in _attached(staged)
    with staged.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM plan_revision")).scalar_one() == 0


def test_checks_are_staged_to_a_new_file_only(tmp_path: Path) -> None:
    path = tmp_path / "checks.sqlite"
    sqlite3.connect(path).close()
    with pytest.raises(FileExistsError):
        write_staged_checks(str(path), packed_checks(_plan(3).offsite))


class _Unattachable:
    """A SQLite connection whose DETACH fails (the file still in use)."""

    class dialect:  # the connection's dialect, as SQLAlchemy names it
        name = "sqlite"

    def __init__(self) -> None:
        self.invalidated = False

    def exec_driver_sql(self, statement: str, *args: object) -> None:
        if statement.startswith("DETACH"):
            raise DBAPIError(statement, None, sqlite3.OperationalError("database is locked"))

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def in_transaction(self) -> bool:
        return False

    def invalidate(self) -> None:
        self.invalidated = True


@pytest.mark.parametrize("fails", [False, True], ids=["block done", "block failed"])
def test_a_file_that_will_not_detach_leaves_the_outcome_and_drops_the_connection(
    tmp_path: Path, fails: bool
) -> None:
    conn = _Unattachable()
    path = _stage(tmp_path, _plan(3))

    def run() -> None:
        with staged_attached(conn, path) as attached:  # type: ignore[arg-type]
            assert attached
            if fails:
                raise KeyError("the draft's own error")

    if fails:
        with pytest.raises(KeyError, match="the draft's own error"):
            run()
    else:
        run()
    assert conn.invalidated


def _visit_plan(visits: int = 120) -> PlanResult:
    """A plan of visits alone: enterprises, days, slots, the triggered flag and the
    numbers of tasks and officers vary."""
    officers = sorted(OFFICERS.items())
    planned = tuple(
        VisitResult(
            f"{USCC[k % len(USCC)]}/{k}",
            USCC[k % len(USCC)],
            dt.date(2025, 7, 1) + dt.timedelta(days=k % 92),
            ("南桥镇", "奉城镇")[k % 2],
            k % 5 == 0,
            tuple(
                TaskRef(f"P-{k:04d}-{t}", "WJ" if t else "SCJ", "WJ-REMOTE-03", "plan")
                for t in range(1 + k % 3)
            ),
            tuple(
                OfficerRef(oid, department)
                for oid, (department, _) in officers[k % 3 : k % 3 + 2 + k % 2]
            ),
            k % 7,
        )
        for k in range(visits)
    )
    return PlanResult("2025Q3", "s", planned, (), (), {})


def _visits(engine: Engine) -> list[list[tuple[object, ...]]]:
    """Every visit, task and officer row, in the order written, each value with its type."""
    return [
        rows_of(
            engine,
            'SELECT id, revision_id, uscc, date, town, mode, "order", triggered, code, '
            "typeof(date), typeof(triggered), typeof(code) FROM visit ORDER BY id",
        ),
        rows_of(engine, "SELECT rowid, *, typeof(visit_id) FROM visit_task ORDER BY rowid"),
        rows_of(engine, "SELECT rowid, *, typeof(visit_id) FROM visit_officer ORDER BY rowid"),
    ]


def _stage_visits(tmp_path: Path, plan: PlanResult) -> str:
    path = str(tmp_path / "visits.sqlite")
    counts = write_staged_visits(path, packed_visits(plan.visits))
    tasks = sum(len(v.tasks) for v in plan.visits)
    assert counts == (len(plan.visits), tasks, sum(len(v.inspectors) for v in plan.visits))
    return path


def test_visits_copied_from_the_staged_file_are_the_rows_written_here(
    engines: tuple[Engine, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, staged = engines
    plan = _visit_plan()
    earlier = dataclasses.replace(_visit_plan(4), quarter="2025Q2")
    for engine in engines:
        store_draft(earlier, engine=engine, prefix="FX", generated_at=NOW)
    answers = spy_staged_visit_copies(monkeypatch)
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    assert answers == []
    path = _stage_visits(tmp_path, plan)
    store_draft(plan, engine=staged, prefix="FX", generated_at=NOW, staged_visits=path)
    assert answers == [True]
    rows = _visits(staged)
    assert rows == _visits(here)
    visits, tasks, officers = rows
    assert len(visits) == 124 and visits[-1][-3:] == ("text", "integer", "null")
    assert {v[7] for v in visits} == {0, 1}
    assert len(tasks) == sum(len(v.tasks) for v in (*earlier.visits, *plan.visits))
    assert len(officers) == sum(len(v.inspectors) for v in (*earlier.visits, *plan.visits))
    assert VISITS_SCHEMA not in _attached(staged)


def _fewer_tasks(plan: PlanResult) -> PlanResult:
    first = plan.visits[1]
    return dataclasses.replace(
        plan,
        visits=(
            plan.visits[0],
            dataclasses.replace(first, tasks=first.tasks[:1]),
            *plan.visits[2:],
        ),
    )


def _fewer_officers(plan: PlanResult) -> PlanResult:
    first = plan.visits[1]
    return dataclasses.replace(
        plan,
        visits=(
            plan.visits[0],
            dataclasses.replace(first, inspectors=first.inspectors[:1]),
            *plan.visits[2:],
        ),
    )


@pytest.mark.parametrize(
    "other",
    [
        lambda plan: _visit_plan(119),
        lambda plan: _visit_plan(121),
        _fewer_tasks,
        _fewer_officers,
    ],
    ids=["a visit fewer", "a visit more", "a task fewer", "an officer fewer"],
)
def test_a_staged_file_without_the_plans_visits_is_not_used(
    engines: tuple[Engine, Engine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    other: Callable[[PlanResult], PlanResult],
) -> None:
    here, staged = engines
    plan = _visit_plan()
    path = _stage_visits(tmp_path, other(plan))
    answers = spy_staged_visit_copies(monkeypatch)
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    store_draft(plan, engine=staged, prefix="FX", generated_at=NOW, staged_visits=path)
    assert answers == [False]
    assert _visits(staged) == _visits(here)
    assert VISITS_SCHEMA not in _attached(staged)


def test_a_file_without_the_staged_visits_tables_is_not_used(
    engines: tuple[Engine, Engine], tmp_path: Path
) -> None:
    here, staged = engines
    plan = _visit_plan()
    # The checks' file is a database, but holds no visits.
    path = _stage(tmp_path, _plan())
    store_draft(plan, engine=here, prefix="FX", generated_at=NOW)
    store_draft(plan, engine=staged, prefix="FX", generated_at=NOW, staged_visits=path)
    assert _visits(staged) == _visits(here)
    assert VISITS_SCHEMA not in _attached(staged)


def test_visits_are_staged_to_a_new_file_only(tmp_path: Path) -> None:
    path = _stage_visits(tmp_path, _visit_plan(3))
    with pytest.raises(FileExistsError):
        write_staged_visits(path, packed_visits(_visit_plan(3).visits))
