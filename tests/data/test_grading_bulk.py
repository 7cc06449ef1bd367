"""Grading's bulk paths write and read exactly what the plain ways would: the grades'
rows and the CSV (a slice at a time, the CSV also in a second process), and the columns
SQLite sends as JSON arrays."""

import csv
import datetime as dt
import io
import json
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.imported_district import imported_district
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from jointinspect import grading
from jointinspect.data.grading import tables
from jointinspect.data.grading.risk_models import last_grading_model
from jointinspect.grading import grade_and_store, grade_district, store_grades, write_csv
from jointinspect.models import make_engine
from jointinspect.models.errors import JointInspectError
from jointinspect.risk.config import GRADES, load_config
from jointinspect.risk.grade import GradingResult
from jointinspect.risk.reasons import render_all

ENTERPRISES = 300
AS_OF = dt.date(2025, 9, 1)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated district, imported into SQLite and never changed: copy it to write."""
    return imported_district(tmp_path_factory.mktemp("bulk"), enterprises=ENTERPRISES, seed="bulk")


@pytest.fixture
def engine(district: Path, tmp_path: Path) -> Engine:
    copy = tmp_path / "district.db"
    copy.write_bytes(district.read_bytes())
    return make_engine(f"sqlite:///{copy}")


def _plain_rows(result: GradingResult) -> list[tuple[Any, ...]]:
    """``enterprise_grade`` as the grades' words say, made one enterprise at a time."""
    return [
        (
            uscc,
            credit,
            risk,
            GRADES[g],
            json.dumps([r.as_dict() for r in reasons], ensure_ascii=False),
            result.inputs.as_of.isoformat(),
        )
        for uscc, credit, risk, g, reasons in zip(
            result.inputs.uscc.tolist(),
            result.credit.tolist(),
            result.risk.tolist(),
            result.grade.tolist(),
            render_all(result),
            strict=True,
        )
    ]


def _plain_csv(result: GradingResult) -> bytes:
    """The CSV of spec §7 as the csv module writes it row by row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(grading.CSV_HEADER)
    for i, reasons in enumerate(render_all(result)):
        writer.writerow(
            [
                result.inputs.uscc[i],
                f"{result.credit[i]:.1f}",
                f"{result.risk[i]:.1f}",
                result.letter(i),
                f"{result.p_violation[i]:.6f}",
                "; ".join(f"{r.zh} / {r.en}" for r in reasons),
            ]
        )
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _stored(engine: Engine) -> list[tuple[Any, ...]]:
    """``enterprise_grade``, each row's reasons in words (read from ``reason_wording``) as
    :func:`_plain_rows` writes them."""
    with engine.connect() as conn:
        words = {
            i: w for i, *w in conn.execute(text("SELECT id, code, zh, en FROM reason_wording"))
        }
        rows = conn.execute(text("SELECT * FROM enterprise_grade ORDER BY uscc")).all()
    keys = ("code", "zh", "en", "weight", "adverse")
    return [
        (
            *row[:4],
            json.dumps(
                [
                    dict(zip(keys, (*words[w], weight, bool(adverse)), strict=True))
                    for w, weight, adverse in json.loads(row[4])
                ],
                ensure_ascii=False,
            ),
            row[5],
        )
        for row in rows
    ]


def test_grades_and_csv_are_written_a_slice_at_a_time_as_one_by_one(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slices and batches that do not divide the district, so that every boundary is crossed.
    monkeypatch.setattr(grading, "OUTPUT_SLICE", 37)
    monkeypatch.setattr(tables, "WRITE_CHUNK", 50)
    result = grade_district(engine=engine, as_of=AS_OF, config=load_config())
    assert result.config.grade.score_decimals == 1
    out = tmp_path / "grades.csv"
    assert store_grades(result, engine=engine, out=out) == ENTERPRISES
    plain = _plain_rows(result)
    assert _stored(engine) == plain
    assert out.read_bytes() == _plain_csv(result)
    write_csv(result, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == out.read_bytes()
    # The same day again changes nothing; the next day is written over every row.
    store_grades(result, engine=engine)
    assert _stored(engine) == plain
    later = grade_district(engine=engine, as_of=AS_OF + dt.timedelta(days=1), config=load_config())
    store_grades(later, engine=engine)
    assert _stored(engine) == _plain_rows(later)


def test_the_csv_written_in_a_second_process_is_the_same(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = grade_district(engine=engine, as_of=AS_OF, config=load_config())
    write_csv(result, tmp_path / "here.csv")
    monkeypatch.setattr(grading, "SECOND_PROCESS_FROM", 10)
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
    started: list[object] = []

    def counted(*args: Any, **kwargs: Any) -> ProcessPoolExecutor:
        started.append(args)
        return ProcessPoolExecutor(*args, **kwargs)

    monkeypatch.setattr("jointinspect.second_process.ProcessPoolExecutor", counted)
    out = tmp_path / "there.csv"
    store_grades(result, engine=engine, out=out)
    assert started, "a second process must write the CSV for this test to mean something"
    assert out.read_bytes() == (tmp_path / "here.csv").read_bytes()
    # grade_and_store starts the process before it reads the district.
    again = grade_and_store(engine=engine, as_of=AS_OF, out=tmp_path / "early.csv")
    assert len(started) == 2
    assert (tmp_path / "early.csv").read_bytes() == out.read_bytes()
    assert _stored(engine) == _plain_rows(again) == _plain_rows(result)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_csv_path_that_cannot_be_written_fails_before_any_grade_is_stored(
    engine: Engine, tmp_path: Path
) -> None:
    result = grade_district(engine=engine, as_of=AS_OF, config=load_config())
    before = _stored(engine)
    folder = tmp_path / "a folder"
    folder.mkdir()
    with pytest.raises(JointInspectError):
        store_grades(result, engine=engine, out=folder)
    assert _stored(engine) == before
    assert list(folder.iterdir()) == []


def test_columns_sent_as_json_are_the_rows_the_cursor_gives(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_json = tables.load_grading_tables(engine=engine, as_of=AS_OF)  # read ahead, too
    real = tables._batches

    def from_the_cursor(conn: Any, query: Any, width: int, *, reals: bool, sent: Any) -> Any:
        return real(conn, query, width, reals=True)

    monkeypatch.setattr(tables, "_batches", from_the_cursor)
    monkeypatch.setattr(tables, "FETCH_ROWS", 100)  # several batches per table
    by_rows = tables.load_grading_tables(engine=engine, as_of=AS_OF)
    for name in ("enterprises", "credit_events", "industry_records", "inspections", "relations"):
        mine, theirs = getattr(by_json, name), getattr(by_rows, name)
        assert mine.keys() == theirs.keys(), name
        for column, values in mine.items():
            assert len(values) > 0, (name, column)
            if isinstance(values, np.ndarray):
                assert values.dtype == theirs[column].dtype, (name, column)
                np.testing.assert_array_equal(values, theirs[column], err_msg=f"{name}.{column}")
            else:
                assert values == theirs[column], (name, column)
    # Equal text is one object per table column: a district's events share their strings.
    usccs = by_json.credit_events["uscc"]
    assert len({id(u) for u in usccs}) == len(set(usccs))
    own = {id(u) for u in by_json.enterprises["uscc"]}
    assert {id(u) for u in usccs} <= own


def test_columns_too_long_for_one_json_text_come_from_the_cursor(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = tables.load_grading_tables(engine=engine, as_of=AS_OF)

    def short_strings(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 2000)

    engine.dispose()
    event.listen(engine, "connect", short_strings)
    got = tables.load_grading_tables(engine=engine, as_of=AS_OF)
    assert got.credit_events["uscc"] == expected.credit_events["uscc"]
    np.testing.assert_array_equal(got.credit_events["date"], expected.credit_events["date"])
    assert got.relations == expected.relations


def test_industry_values_are_read_exactly_as_stored(engine: Engine) -> None:
    # 100 / 3 needs 17 significant digits; SQLite's JSON writes 15.
    with engine.begin() as conn:
        uscc, department = conn.execute(
            text("SELECT uscc, department FROM industry_record LIMIT 1")
        ).one()
        conn.execute(
            text(
                "INSERT INTO industry_record (id, uscc, department, indicator, value, date) "
                "VALUES ('exact', :uscc, :department, 'exactness', :value, '2025-01-02')"
            ),
            {"uscc": uscc, "department": department, "value": 100 / 3},
        )
    records = tables.load_grading_tables(engine=engine, as_of=AS_OF).industry_records
    values = [
        v for v, i in zip(records["value"], records["indicator"], strict=True) if i == "exactness"
    ]
    assert values == [100 / 3]
    scoped = tables.load_grading_tables(engine=engine, as_of=AS_OF, only=[uscc]).industry_records
    assert [
        v for v, i in zip(scoped["value"], scoped["indicator"], strict=True) if i == "exactness"
    ] == [100 / 3]


def test_industry_records_read_in_two_parts_fall_back_to_one_read_if_out_of_step(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = tables.load_grading_tables(engine=engine, as_of=AS_OF).industry_records
    real = tables._fetch

    def reversed_rows(conn: Any, query: Any) -> list[tuple[Any, ...]]:
        return real(conn, query)[::-1]

    monkeypatch.setattr(tables, "_fetch", reversed_rows)
    got = tables.load_grading_tables(engine=engine, as_of=AS_OF).industry_records
    assert got["value"] == expected["value"]
    assert got["uscc"] == expected["uscc"]


def test_the_grading_run_is_recorded_with_its_grades_or_neither_is(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = grade_district(engine=engine, as_of=AS_OF, config=load_config())

    def runs() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            query = "SELECT as_of, model_id, enterprises FROM grading_run ORDER BY id"
            return [tuple(r) for r in conn.execute(text(query))]

    def failing(conn: Connection, enterprises: int, **_: object) -> None:
        raise RuntimeError("the disk is full")

    with monkeypatch.context() as m:
        m.setattr(grading, "record_grading", failing)
        with pytest.raises(RuntimeError, match="disk is full"):
            store_grades(result, engine=engine)
    assert _stored(engine) == [] and runs() == []

    store_grades(result, engine=engine)
    assert len(_stored(engine)) == ENTERPRISES
    assert runs() == [(AS_OF.isoformat(), None, ENTERPRISES)]
    assert last_grading_model(engine=engine) is None
