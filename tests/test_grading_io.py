"""Loading grading inputs from the database (respecting as_of) and storing grades,
on SQLite and on PostgreSQL."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from jointinspect.data.grading.tables import (
    last_inspection_date,
    load_grade,
    load_grading_tables,
    load_inspections,
    write_grades,
)
from jointinspect.models import (
    CreditEvent,
    Department,
    Enterprise,
    EnterpriseGrade,
    History,
    IndustryRecord,
    InspectionCode,
    Item,
    Outcome,
    Plan,
    PlanRevision,
    Relation,
    Trigger,
    Visit,
    create_schema,
    make_engine,
    session_scope,
)

CHINA = ZoneInfo("Asia/Shanghai")
AS_OF = dt.date(2025, 6, 30)
A = "91310120MA1H00001X"
B = "91310120MA1H00002X"


def small_district(engine: Engine) -> None:
    """Two enterprises with events either side of 2025-06-30."""
    create_schema(engine)
    day = dt.date
    with session_scope(engine) as s:
        s.add(Department(code="SCJ", name="市场监管"))
        s.add(
            Item(
                code="SCJ-FOOD-01",
                department="SCJ",
                name="食品",
                industries="62",
                minutes=60,
                mode="onsite",
            )
        )
        s.add(Enterprise(uscc=A, name="甲餐饮有限公司", industry="6210", town="南桥镇"))
        s.add(Enterprise(uscc=B, name="乙歌舞厅", industry="8911", town="南桥镇", status="closed"))
        s.flush()
        s.add(Relation(uscc_a=A, uscc_b=B, kind="legal_rep"))
        s.add_all(
            [
                CreditEvent(id="C1", uscc=A, kind="penalty", date=day(2025, 3, 1), severity=2),
                CreditEvent(id="C2", uscc=B, kind="serious_dishonest", date=day(2025, 7, 1)),
                IndustryRecord(
                    id="I1",
                    uscc=A,
                    department="SCJ",
                    indicator="food",
                    value=60.0,
                    date=day(2025, 1, 1),
                ),
                IndustryRecord(
                    id="I2",
                    uscc=A,
                    department="SCJ",
                    indicator="food",
                    value=10.0,
                    date=day(2025, 8, 1),
                ),
                History(
                    id="H1", uscc=A, department="SCJ", date=day(2024, 5, 1), result="violation"
                ),
                History(
                    id="H2", uscc=A, department="SCJ", date=day(2025, 9, 1), result="compliant"
                ),
                # 23:30 in Shanghai on 30 June counts; 00:30 on 1 July does not (stored in UTC,
                # as the importer stores them).
                Trigger(
                    id="T1",
                    uscc=A,
                    kind="complaint",
                    department="SCJ",
                    item="SCJ-FOOD-01",
                    received_at=dt.datetime(2025, 6, 30, 23, 30, tzinfo=CHINA).astimezone(dt.UTC),
                ),
                Trigger(
                    id="T2",
                    uscc=B,
                    kind="alert",
                    department="SCJ",
                    item="SCJ-FOOD-01",
                    received_at=dt.datetime(2025, 7, 1, 0, 30, tzinfo=CHINA).astimezone(dt.UTC),
                    severity=3,
                ),
            ]
        )
        # An outcome reaches its enterprise through the inspection code of a visit.
        s.add(Plan(id="FX-2025Q2", quarter="2025Q2"))
        s.flush()
        rev = PlanRevision(
            plan_id="FX-2025Q2",
            revision=1,
            status="draft",
            seed="s",
            generated_at=dt.datetime(2025, 3, 20, tzinfo=CHINA),
        )
        s.add(rev)
        s.flush()
        assert rev.id is not None
        visit = Visit(
            revision_id=rev.id, uscc=B, date=day(2025, 5, 6), town="南桥镇", order=1, code="K1"
        )
        s.add(visit)
        s.flush()
        s.add(
            InspectionCode(
                code="K1",
                key_id="k1",
                revision_id=rev.id,
                visit_id=visit.id,
                issued_at=dt.datetime(2025, 3, 20, tzinfo=CHINA),
            )
        )
        s.flush()
        s.add(Outcome(code="K1", item="SCJ-FOOD-01", result="violation", date=day(2025, 5, 6)))


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
    text = json.dumps(reasons, ensure_ascii=False)
    assert write_grades(engine=engine, as_of=AS_OF, rows=[(A, 70.0, 40.0, "C", text)]) == 1
    write_grades(
        engine=engine,
        as_of=dt.date(2025, 7, 1),
        rows=[(A, 80.0, 20.0, "A", "[]"), (B, 1, 2, "D", "[]")],
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
    write_grades(engine=engine, as_of=AS_OF, rows=[(A, 70.0, 40.0, "C", text)])
    again = load_grade(engine=engine, uscc=A)
    assert again is not None and again.reasons == reasons
    engine.dispose()
