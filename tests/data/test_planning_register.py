"""The register as planning reads it: text columns as SQLite's JSON, coordinates from the
cursor, the same columns either way; the towns' centres, the same bits in any order."""

import math
import random
from pathlib import Path
from typing import Any

import pytest
from helpers.imported_district import imported_district
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from jointinspect.data.plans import planning_inputs
from jointinspect.data.plans.planning_inputs import (
    EnterpriseColumns,
    RegisterChangedError,
    load_planning_inputs,
    town_centres,
)
from jointinspect.data.reading import columnar
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar

QUARTER = Quarter.parse("2025Q3")


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return imported_district(tmp_path_factory.mktemp("register"), enterprises=200, seed="reg")


@pytest.fixture
def engine(district: Path, tmp_path: Path) -> Engine:
    copy = tmp_path / "district.db"
    copy.write_bytes(district.read_bytes())
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        # Some grades, some not: a missing grade is None either way. A coordinate with
        # all 17 digits, which SQLite's JSON would round.
        conn.execute(
            text(
                "INSERT INTO enterprise_grade (uscc, credit, risk, grade, reasons, as_of) "
                "SELECT uscc, 80, 10, 'B', '[]', '2025-06-30' FROM enterprise "
                "WHERE rowid % 3 = 0"
            )
        )
        conn.execute(text("UPDATE enterprise SET lat = 30.0 + 1.0 / 3 WHERE rowid = 1"))
    return engine


def _inputs(engine: Engine, routing: bool = True, **scope: Any) -> Any:
    return load_planning_inputs(
        QUARTER,
        engine=engine,
        calendar=WorkingCalendar(),
        trigger_response_days=10,
        routing=routing,
        **scope,
    )


def _register(engine: Engine, routing: bool = True) -> EnterpriseColumns:
    return _inputs(engine, routing).enterprises


def _by_cursor(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT e.uscc, e.town, e.industry, e.lat, e.lon, e.status, g.grade "
                    "FROM enterprise e LEFT JOIN enterprise_grade g ON g.uscc = e.uscc "
                    "ORDER BY e.uscc"
                )
            )
        ]


def test_the_register_is_read_exactly(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    register = _register(engine)
    columns = (
        register.uscc,
        register.town,
        register.industry,
        register.lat,
        register.lon,
        register.status,
        register.grade,
    )
    assert list(zip(*columns, strict=True)) == _by_cursor(engine)
    assert 30.0 + 1.0 / 3 in register.lat
    assert None in register.grade and "B" in register.grade
    # Without JSON (as on PostgreSQL) the same columns come from the cursor, whether
    # the register was asked for ahead (a whole district) or in turn.
    monkeypatch.setattr(planning_inputs, "json_columns", lambda _conn, _query: None)
    monkeypatch.setattr(columnar, "json_columns", lambda _conn, _query: None)
    assert _register(engine) == register


def test_the_rules_read_no_coordinates(engine: Engine) -> None:
    register = _register(engine, routing=False)
    assert set(register.lat) == set(register.lon) == {None}
    assert register.grade == _register(engine).grade


def test_a_register_changed_between_its_reads_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = planning_inputs._cursor_columns

    def shifted(conn: Any, query: Any, width: int) -> list[tuple[Any, ...]]:
        columns = real(conn, query, width)
        return [column[1:] + column[:1] for column in columns]

    monkeypatch.setattr(planning_inputs, "_cursor_columns", shifted)
    with pytest.raises(RegisterChangedError):
        _register(engine)


def test_a_quarter_with_no_enterprises_reads_an_empty_register(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    create_schema(engine)
    assert _register(engine) == EnterpriseColumns()


def test_the_town_centres_are_the_means_of_the_register_whole_or_scoped(engine: Engine) -> None:
    """``plan`` takes the centres from the register it read; a replan, which reads only
    the enterprises with demands, reads the coordinates for them: the same centres."""
    rows = _by_cursor(engine)
    towns = {r[1] for r in rows}
    expected = {
        t: tuple(
            math.fsum(r[k] for r in rows if r[1] == t and r[3] is not None and r[4] is not None)
            / sum(1 for r in rows if r[1] == t and r[3] is not None and r[4] is not None)
            for k in (3, 4)
        )
        for t in towns
    }
    whole = _inputs(engine).town_centres
    assert whole == expected
    scoped = _inputs(engine, only_enterprises_with_demands=[rows[0][0]])
    assert len(scoped.enterprises) < len(rows)
    assert scoped.town_centres == whole
    assert _inputs(engine, routing=False).town_centres == {}


def test_a_town_centre_has_the_same_bits_in_any_order() -> None:
    """Added one after another, 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit;
    a centre does not, nor does a row without both coordinates count."""
    towns = ("南桥镇",) * 4
    forward = town_centres(towns, (0.1, 0.2, 0.3, None), (121.0, 121.0, 121.0, 121.5))
    backward = town_centres(towns, (None, 0.3, 0.2, 0.1), (121.5, 121.0, 121.0, 121.0))
    assert forward == backward == {"南桥镇": (0.6 / 3, 121.0)}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["南桥镇", "奉城镇", "海湾镇"]),
            st.none() | st.floats(30.6, 31.0),
            st.none() | st.floats(121.2, 121.8),
        ),
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
def test_town_centres_do_not_depend_on_the_order_of_the_rows(
    rows: list[tuple[str, float | None, float | None]], shuffle: random.Random
) -> None:
    shuffled = list(rows)
    shuffle.shuffle(shuffled)

    def centres(of: list[tuple[str, float | None, float | None]]) -> Any:
        return town_centres([r[0] for r in of], [r[1] for r in of], [r[2] for r in of])

    assert centres(shuffled) == centres(rows)
