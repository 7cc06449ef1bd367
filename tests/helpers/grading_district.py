"""A two-enterprise district with events either side of 2025-06-30, for the
grading storage and command tests."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from jointinspect.models import (
    CreditEvent,
    Department,
    Enterprise,
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
