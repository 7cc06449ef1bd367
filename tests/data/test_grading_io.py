"""Loading grading inputs from the database (respecting as_of) and storing grades,
on SQLite and on PostgreSQL."""

import dataclasses
import datetime as dt
import json
from typing import Any

import psycopg
import pytest
from helpers.grading_district import AS_OF, A, B, small_district
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Engine

from jointinspect.data.grading import tables
from jointinspect.data.grading.tables import (
    GradeRows,
    UngradableEnterpriseError,
    grade_rows_in_words,
    last_inspection_date,
    load_grade,
    load_grading_tables,
    load_inspections,
    write_grades,
)
from jointinspect.models import (
    EnterpriseGrade,
    make_engine,
)

Grade = tuple[str, float, float, str, list[dict[str, Any]]]


def _in_words(*grades: Grade) -> GradeRows:
    return grade_rows_in_words(grades)


def _wordings(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        query = "SELECT id, code, zh, en FROM reason_wording ORDER BY id"
        return [tuple(r) for r in conn.execute(text(query))]


def _stored_reasons(engine: Engine, uscc: str) -> Any:
    with engine.connect() as conn:
        query = text("SELECT reasons FROM enterprise_grade WHERE uscc = :u")
        reasons = conn.execute(query, {"u": uscc}).scalar_one()
    return json.loads(reasons) if isinstance(reasons, str) else reasons


def test_loads_only_what_is_dated_up_to_as_of(db_url: str) -> None:
    engine = make_engine(db_url)
    small_district(engine)
    tables = load_grading_tables(engine=engine, as_of=AS_OF)
    assert sorted(tables.enterprises["uscc"]) == [A, B]
    assert dict(zip(tables.enterprises["uscc"], tables.enterprises["active"], strict=True)) == {
        A: True,
        B: False,
    }
    assert tables.credit_events["kind"] == ["penalty"]
    assert tables.credit_events["date"].tolist() == [dt.date(2025, 3, 1)]
    assert tables.industry_records["value"] == [60.0]
    assert tables.relations == {"uscc_a": [A], "uscc_b": [B], "kind": ["legal_rep"]}
    assert tables.triggers == {
        "uscc": [A],
        "kind": ["complaint"],
        "date": [dt.date(2025, 6, 30)],
        "severity": [None],
    }
    inspections = sorted(
        zip(
            tables.inspections["uscc"],
            tables.inspections["date"].tolist(),
            tables.inspections["result"],
            strict=True,
        )
    )
    assert inspections == [
        (A, dt.date(2024, 5, 1), "violation"),
        (B, dt.date(2025, 5, 6), "violation"),  # from the outcome of visit K1
    ]
    later = load_inspections(engine=engine, after=AS_OF)
    assert (later["uscc"], later["date"].tolist(), later["result"]) == (
        [A],
        [dt.date(2025, 9, 1)],
        ["compliant"],
    )
    assert last_inspection_date(engine=engine) == dt.date(2025, 9, 1)
    engine.dispose()


def test_grades_are_upserted(db_url: str) -> None:
    engine = make_engine(db_url)
    small_district(engine)
    reasons = [{"code": "penalty", "zh": "2025-03 行政处罚（严重）", "en": "x", "weight": 1.5}]
    assert (
        write_grades(engine=engine, as_of=AS_OF, grades=_in_words((A, 70.0, 40.0, "C", reasons)))
        == 1
    )
    write_grades(
        engine=engine,
        as_of=dt.date(2025, 7, 1),
        grades=_in_words((A, 80.0, 20.0, "A", []), (B, 1, 2, "D", [])),
    )
    stored = load_grade(engine=engine, uscc=A)
    assert stored is not None
    assert (stored.credit, stored.risk, stored.grade, stored.as_of) == (
        80.0,
        20.0,
        "A",
        dt.date(2025, 7, 1),
    )
    assert load_grade(engine=engine, uscc="nobody") is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EnterpriseGrade)).scalar_one() == 2
    write_grades(engine=engine, as_of=AS_OF, grades=_in_words((A, 70.0, 40.0, "C", reasons)))
    again = load_grade(engine=engine, uscc=A)
    assert again is not None and again.reasons == reasons
    engine.dispose()


def test_reasons_name_their_words_which_are_stored_once(db_url: str) -> None:
    """Each wording is one row of ``reason_wording``, however many grades use it and however
    often they are stored; the grades name it by id, and read back in words as written
    (``adverse`` absent where it was not given)."""
    engine = make_engine(db_url)
    small_district(engine)
    trade = {"code": "inherent", "zh": "行业固有风险高", "en": "a risky trade", "weight": 9.0}
    penalty = {"code": "penalty", "zh": "行政处罚", "en": "a penalty", "weight": 2.5}
    grades = [
        (A, 40.0, 70.0, "C", [{**trade, "adverse": True}, {**penalty, "adverse": True}]),
        (B, 90.0, 10.0, "A", [{**trade, "weight": 1.25, "adverse": False}, penalty]),
    ]
    write_grades(engine=engine, as_of=AS_OF, grades=_in_words(*grades))
    first = _wordings(engine)
    assert [w[1:] for w in first] == [
        ("inherent", "行业固有风险高", "a risky trade"),
        ("penalty", "行政处罚", "a penalty"),
    ]
    (t, _, _, _), (p, _, _, _) = first
    assert _stored_reasons(engine, A) == [[t, 9.0, 1], [p, 2.5, 1]]
    assert _stored_reasons(engine, B) == [[t, 1.25, 0], [p, 2.5, None]]
    for uscc, *_, reasons in grades:
        stored = load_grade(engine=engine, uscc=uscc)
        assert stored is not None and stored.reasons == reasons

    later = {"code": "penalty", "zh": "行政处罚（严重）", "en": "a serious penalty", "weight": 4.0}
    write_grades(engine=engine, as_of=AS_OF, grades=_in_words((A, 30.0, 80.0, "D", [later, trade])))
    assert _wordings(engine)[:2] == first and len(_wordings(engine)) == 3
    new = _wordings(engine)[2][0]
    assert _stored_reasons(engine, A) == [[new, 4.0, None], [t, 9.0, None]]
    engine.dispose()


def test_stored_scores_are_the_floats_given(db_url: str) -> None:
    """Grades reach the database as they were computed, to the last bit (PostgreSQL takes
    them by COPY as text, SQLite by executemany)."""
    engine = make_engine(db_url)
    small_district(engine)
    credit, risk = 0.1 + 0.2, 100 / 3
    write_grades(engine=engine, as_of=AS_OF, grades=_in_words((A, credit, risk, "B", [])))
    stored = load_grade(engine=engine, uscc=A)
    assert stored is not None and (stored.credit, stored.risk) == (credit, risk)
    engine.dispose()


@pytest.mark.parametrize("graded_before", [False, True], ids=["first grades", "upsert"])
def test_a_grade_of_an_enterprise_not_in_the_register_is_refused_whole(
    db_url: str, graded_before: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``enterprise_grade`` has no foreign key; ``write_grades`` checks each batch against
    the register instead. An unknown enterprise in the last batch (a batch a row here)
    refuses the whole write: the batches before it are not kept."""
    engine = make_engine(db_url)
    small_district(engine)
    if graded_before:
        write_grades(engine=engine, as_of=AS_OF, grades=_in_words((A, 70.0, 40.0, "C", [])))

    def stored() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            query = "SELECT uscc, credit, grade, as_of FROM enterprise_grade ORDER BY uscc"
            return [tuple(r) for r in conn.execute(text(query))]

    before = stored()
    monkeypatch.setattr(tables, "WRITE_CHUNK", 1)
    unknown = "91310120MA1XXXXX9X"
    why = [{"code": "inherent", "zh": "行业固有风险高", "en": "a risky trade", "weight": 9.0}]
    rows = [(A, 10.0, 90.0, "D", why), (B, 10.0, 90.0, "D", why), (unknown, 1.0, 1.0, "A", [])]
    with pytest.raises(UngradableEnterpriseError, match=f"{unknown}, which is not in the reg"):
        write_grades(engine=engine, as_of=dt.date(2025, 7, 1), grades=_in_words(*rows))
    assert stored() == before
    assert _wordings(engine) == []  # the new wording went with the rest
    assert write_grades(engine=engine, as_of=dt.date(2025, 7, 1), grades=_in_words(*rows[:2])) == 2
    engine.dispose()


@pytest.mark.postgres
def test_a_districts_first_grades_are_copied_in_as_the_upsert_stores_them(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: into an empty table the grades go by COPY straight into it (the
    temporary table's statement is broken here, and the first write does not need it),
    and the table is what the upsert through the temporary table makes of the same rows."""
    engine = make_engine(pg_url)
    small_district(engine)
    reasons = [{"code": "penalty", "zh": "行政处罚", "en": "x", "weight": 1.5, "adverse": True}]
    rows = _in_words((A, 0.1 + 0.2, 100 / 3, "B", reasons), (B, 1.0, 2.0, "D", []))

    def stored() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text(
                        "SELECT uscc, credit, risk, grade, reasons::text, as_of "
                        "FROM enterprise_grade ORDER BY uscc"
                    )
                )
            ]

    def emptied() -> None:
        with engine.begin() as conn:
            conn.execute(delete(EnterpriseGrade))

    with monkeypatch.context() as m:
        m.setattr(tables, "_COPY_TABLE", "SELECT no_such_function()")
        assert write_grades(engine=engine, as_of=AS_OF, grades=rows) == 2
        copied = stored()
        with pytest.raises(psycopg.Error, match="no_such_function"):
            write_grades(engine=engine, as_of=AS_OF, grades=rows)  # not empty: the upsert
    assert stored() == copied  # the failed write changed nothing
    emptied()
    with monkeypatch.context() as m:
        m.setattr(tables, "_ANY_GRADE", "SELECT true")  # as if not empty: the upsert
        write_grades(engine=engine, as_of=AS_OF, grades=rows)
    assert stored() == copied
    engine.dispose()


def test_a_whole_districts_grades_replace_the_tables_as_upserting_them_would(
    db_url: str,
) -> None:
    """Grades given as the whole register's (a district's grading) empty the table and
    are inserted: the table is what upserting them makes of it, but for a grade of an
    enterprise the register does not hold, which goes. Fewer grades than the register's
    enterprises are refused, and the table is left as it was."""
    engine = make_engine(db_url)
    small_district(engine)
    why = [{"code": "penalty", "zh": "行政处罚", "en": "x", "weight": 1.5, "adverse": True}]
    first = [(A, 50.0, 50.0, "B", why), (B, 60.0, 20.0, "A", [])]
    later = [(A, 10.0, 90.0, "D", why), (B, 60.0, 20.0, "A", [])]

    def stored() -> list[tuple[object, ...]]:
        with engine.connect() as conn:
            query = "SELECT uscc, credit, risk, grade, reasons, as_of FROM enterprise_grade"
            return sorted(tuple(r) for r in conn.execute(text(query + " ORDER BY uscc")))

    def whole(*rows: Grade) -> GradeRows:
        return dataclasses.replace(_in_words(*rows), whole=True)

    write_grades(engine=engine, as_of=AS_OF, grades=_in_words(*first))
    write_grades(engine=engine, as_of=AS_OF + dt.timedelta(days=1), grades=_in_words(*later))
    upserted = stored()
    write_grades(engine=engine, as_of=AS_OF, grades=_in_words(*first))
    stray = "91310120MA1XXXXX9X"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO enterprise_grade (uscc, credit, risk, grade, as_of) "
                "VALUES (:u, 1.0, 1.0, 'A', :d)"
            ),
            {"u": stray, "d": AS_OF},
        )
    before = stored()
    with pytest.raises(tables.PartialGradesError, match=r"1 grade\(s\) .* holds 2 enterprises"):
        write_grades(engine=engine, as_of=AS_OF, grades=whole(later[0]))
    assert stored() == before
    assert write_grades(engine=engine, as_of=AS_OF + dt.timedelta(days=1), grades=whole(*later))
    assert stored() == upserted
    engine.dispose()
