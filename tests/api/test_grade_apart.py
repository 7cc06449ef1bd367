"""A district's credit events read in a second process give the grades one process gives;
where that process read another register, or is gone, they are read here instead."""

import dataclasses
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.imported_district import imported_district
from sqlalchemy.engine import Engine

from jointinspect import grade_apart, grading
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.synthetic.district import generate_district
from jointinspect.grading import grade_district
from jointinspect.models import create_schema, make_engine
from jointinspect.models.db import EngineRecipe
from jointinspect.models.quarter import Quarter
from jointinspect.risk.config import load_config
from jointinspect.risk.grade import GradingResult

AS_OF = dt.date(2025, 9, 1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = imported_district(tmp_path_factory.mktemp("apart"), enterprises=300, seed="apart")
    made = make_engine(f"sqlite:///{path}")
    yield made
    made.dispose()


@pytest.fixture(scope="module")
def alone(engine: Engine) -> GradingResult:
    result = grade_district(engine=engine, as_of=AS_OF, config=load_config())
    assert len(result.inputs.credit_events.ent) > 100, "the district needs credit events"
    return result


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each of this process's reads of the district took its credit events."""
    taken: list[bool] = []
    load = grading.load_grading_tables

    def counted(**kwargs: Any) -> Any:
        taken.append(kwargs.get("credit_events", True))
        return load(**kwargs)

    monkeypatch.setattr(grading, "load_grading_tables", counted)
    return taken


def _same(a: GradingResult, b: GradingResult) -> None:
    for name in ("credit", "risk", "grade", "p_violation"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for field in dataclasses.fields(a.inputs.credit_events):
        mine = getattr(a.inputs.credit_events, field.name)
        assert np.array_equal(mine, getattr(b.inputs.credit_events, field.name)), field.name
        assert mine.dtype == getattr(b.inputs.credit_events, field.name).dtype, field.name


def test_a_second_process_reads_the_credit_events_one_process_reads(
    engine: Engine, alone: GradingResult, reads: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grading, "SECOND_PROCESS_FROM", 10)
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
    with grading._second_process(300) as helper:
        assert helper is not None
        apart = grade_district(engine=engine, as_of=AS_OF, config=load_config(), helper=helper)
    # One read here, without the credit events: the second process's were used.
    assert reads == [False]
    _same(apart, alone)


@pytest.mark.postgres
def test_on_postgresql_the_second_process_reads_what_one_process_reads(
    pg_url: str, tmp_path: Path, reads: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = generate_district(
        tmp_path / "out", enterprises=300, seed="apart", quarter=Quarter.parse("2025Q3")
    )
    engine = make_engine(pg_url)
    try:
        create_schema(engine)
        import_bundle(made.bundle_dir, engine=engine)
        alone = grade_district(engine=engine, as_of=AS_OF, config=load_config())
        monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
        with grading._second_process(grading.SECOND_PROCESS_FROM) as helper:
            assert helper is not None
            apart = grade_district(engine=engine, as_of=AS_OF, config=load_config(), helper=helper)
    finally:
        engine.dispose()
    assert reads == [True, False]
    _same(apart, alone)


def _helper_sending(made: Any) -> Executor:
    """An executor whose ``read_events`` gives ``made(recipe, as_of)`` (in a thread)."""
    pool = ThreadPoolExecutor(max_workers=1)
    real = pool.submit

    def submit(function: Any, *args: Any) -> Any:
        assert function is grade_apart.read_events
        return real(made, *args)

    pool.submit = submit  # type: ignore[method-assign]
    return pool


def test_events_numbered_by_another_register_are_read_again_here(
    engine: Engine, alone: GradingResult, reads: list[bool]
) -> None:
    def another(recipe: EngineRecipe, as_of: dt.date) -> grade_apart.EventsApart:
        made = grade_apart.read_events(recipe, as_of)
        # As if an enterprise had been added between the two processes' reads.
        return dataclasses.replace(made, register=grade_apart.register_digest(np.array(["x"])))

    with _helper_sending(another) as helper:
        again = grade_district(engine=engine, as_of=AS_OF, config=load_config(), helper=helper)
    assert reads == [False, True]
    _same(again, alone)


def test_events_are_read_here_when_the_second_process_is_gone(
    engine: Engine, alone: GradingResult, reads: list[bool]
) -> None:
    def gone(_recipe: EngineRecipe, _as_of: dt.date) -> grade_apart.EventsApart:
        raise BrokenProcessPool("killed")

    with _helper_sending(gone) as helper:
        again = grade_district(engine=engine, as_of=AS_OF, config=load_config(), helper=helper)
    assert reads == [False, True]
    _same(again, alone)


def test_the_same_register_has_the_same_digest_and_another_does_not() -> None:
    usccs = np.array(["91310120A", "91310120B"])
    assert grade_apart.register_digest(usccs) == grade_apart.register_digest(usccs.copy())
    assert grade_apart.register_digest(usccs) != grade_apart.register_digest(usccs[:1])
    # The same characters in a wider array are another register's layout.
    wider = usccs.astype("<U12")
    assert grade_apart.register_digest(usccs) != grade_apart.register_digest(wider)


def test_a_database_only_this_process_opens_is_read_here(tmp_path: Path) -> None:
    memory = make_engine("sqlite://")
    with ThreadPoolExecutor(max_workers=1) as helper:
        assert grade_apart.events_apart(helper, memory, AS_OF) is None
    memory.dispose()
