"""Regrading a few enterprises (the nightly replan's touched ones) from their relation
neighbourhood gives exactly the grades a whole-district grading gives them."""

import datetime as dt
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.imported_district import imported_district
from helpers.sqlite_steps import counting_engine
from sqlalchemy.engine import Engine

from jointinspect.calibration import calibrate_district
from jointinspect.data.grading.tables import load_grading_tables, related_enterprises
from jointinspect.grading import grade_district, grade_enterprises, inputs_from_tables
from jointinspect.models import make_engine
from jointinspect.risk.config import load_config
from jointinspect.risk.contagion import neighbourhood
from jointinspect.risk.grade import GradingResult, grade
from jointinspect.risk.reasons import render_all

ENTERPRISES = 2000
AS_OF = dt.date(2025, 9, 1)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("incremental")
    path = imported_district(root, enterprises=ENTERPRISES, seed="incremental")
    engine = make_engine(f"sqlite:///{path}")
    return engine


def _rows(result: GradingResult, usccs: set[str]) -> dict[str, tuple[Any, ...]]:
    return {
        u: row
        for u, *row in zip(
            result.inputs.uscc.tolist(),
            result.credit.tolist(),
            result.risk.tolist(),
            result.grade.tolist(),
            render_all(result),
            strict=True,
        )
        if u in usccs
    }


def _related_by(pairs: list[tuple[str, str]]) -> Callable[[set[str]], set[str]]:
    def related(usccs: set[str]) -> set[str]:
        return {b for a, b in pairs if a in usccs} | {a for a, b in pairs if b in usccs}

    return related


def test_neighbourhood_reaches_hops_relations_in_either_direction() -> None:
    related = _related_by([("A", "B"), ("C", "B"), ("C", "D"), ("E", "F")])
    assert neighbourhood(related, ["A"], hops=0) == {"A"}
    assert neighbourhood(related, ["A"], hops=1) == {"A", "B"}
    assert neighbourhood(related, ["A"], hops=3) == {"A", "B", "C", "D"}
    assert neighbourhood(related, ["A", "X"], hops=9) == {"A", "B", "C", "D", "X"}
    assert neighbourhood(related, ["A"], hops=None) == {"A", "B", "C", "D"}


def test_the_neighbourhood_is_read_from_the_scope_s_relations_alone(
    district: Engine, tmp_path: Path
) -> None:
    """The regrade of a night's few hundred enterprises asks for their relations, hop by
    hop, instead of reading the district's every relation (82,000 of them at 650,000
    enterprises): 20,000 more relations elsewhere leave its work as it was."""
    copy = tmp_path / "related.db"
    with sqlite3.connect(str(district.url.database)) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    url = f"sqlite:///{copy}"
    with sqlite3.connect(copy) as conn:
        usccs = [u for (u,) in conn.execute("SELECT uscc FROM enterprise ORDER BY uscc")]
        seeds = {a for (a,) in conn.execute("SELECT uscc_a FROM relation ORDER BY 1 LIMIT 5")}

    def reach() -> tuple[set[str], int]:
        with counting_engine(url, 100) as (engine, steps), engine.connect() as conn:
            found = neighbourhood(lambda reached: related_enterprises(conn, reached), seeds, hops=3)
        return found, steps.count

    before, work = reach()
    assert len(before) > len(seeds)  # the seeds have relations for the test to be about
    # Relations among enterprises the neighbourhood does not hold, and none beside it:
    # what it reaches cannot change.
    others = [u for u in usccs if u not in before]
    pick = random.Random(11)
    extra = {tuple(sorted(pick.sample(others, 2))) for _ in range(20_000)}
    with sqlite3.connect(copy) as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO relation (uscc_a, uscc_b, kind) VALUES (?, ?, 'address')",
            sorted(extra),
        )
    after, more_work = reach()
    assert after == before
    # Reading every relation took ten times the work (steps of 100 SQLite instructions).
    assert more_work <= work * 1.2, (work, more_work)


def test_touched_enterprises_get_the_district_grades(district: Engine) -> None:
    config = load_config()
    full = grade_district(engine=district, as_of=AS_OF, config=config)
    exposed = [
        u
        for u, c in zip(full.inputs.uscc.tolist(), full.factors.contagion.tolist(), strict=True)
        if c > 0
    ]
    assert len(exposed) >= 10  # the district has contagion for the test to be about
    pick = random.Random(7)
    touched = set(pick.sample(exposed, 10)) | set(pick.sample(full.inputs.uscc.tolist(), 40))
    touched.add("NOT-AN-ENTERPRISE")

    part = grade_enterprises(engine=district, as_of=AS_OF, config=config, usccs=touched)

    assert part.inputs.size < full.inputs.size / 2
    assert _rows(part, touched) == _rows(full, touched)
    # Without the neighbourhood the exposed enterprises' grades would be wrong.
    alone = grade(
        inputs_from_tables(load_grading_tables(engine=district, as_of=AS_OF, only=touched), AS_OF),
        config,
    )
    assert _rows(alone, touched) != _rows(full, touched)


def test_a_learned_model_gives_touched_enterprises_the_district_grades(
    district: Engine, tmp_path: Path
) -> None:
    copy = tmp_path / "adopted.db"
    # SQLite's backup copies what the open WAL holds too.
    with sqlite3.connect(str(district.url.database)) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    engine = make_engine(f"sqlite:///{copy}")
    config = load_config()
    run = calibrate_district(
        engine=engine, as_of=AS_OF, holdout_days=365, config=config, adopt_as="t", force=True
    )
    assert run.adopted
    full = grade_district(engine=engine, as_of=AS_OF, config=config)
    assert full.model is not None  # graded with the adopted scorecard
    related = {str(full.inputs.uscc[i]) for i in full.inputs.relations.a[:20].tolist()}
    touched = related | set(random.Random(3).sample(full.inputs.uscc.tolist(), 30))

    part = grade_enterprises(engine=engine, as_of=AS_OF, config=config, usccs=touched)

    assert part.inputs.size < full.inputs.size / 2
    assert _rows(part, touched) == _rows(full, touched)
    engine.dispose()


def _steps_reading(district: Engine, only: set[str]) -> int:
    """SQLite's steps (in thousands) to read ``only``'s grading tables."""
    with counting_engine(str(district.url), 1000) as (engine, steps):
        load_grading_tables(engine=engine, as_of=AS_OF, only=only)
    return steps.count


def test_reading_a_scope_grows_with_it_not_with_its_square(district: Engine) -> None:
    """A replan's regrade reads the relations with both ends in its scope. Asked of the
    relation's key for both ends at once, SQLite probed it for every pair of the scope's
    enterprises (a 5 % replan: 3,500 of them, 12 million probes)."""
    with sqlite3.connect(str(district.url.database)) as conn:
        usccs = [u for (u,) in conn.execute("SELECT uscc FROM enterprise ORDER BY uscc")]
    small, large = set(usccs[:200]), set(usccs[:800])
    ratio = _steps_reading(district, large) / _steps_reading(district, small)
    assert ratio < 6, f"4× the enterprises took {ratio:.1f}× the work"
