"""What a revision's rows name is checked a revision at a time (the plan rows have no
foreign keys, :mod:`jointinspect.data.plans.references`): a draft or codes naming what the
database lacks is refused and nothing is written, on SQLite and on PostgreSQL."""

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from helpers.plan_factory import ENTERPRISES, OFFICERS, USCC, sample_plan, seed_reference
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from jointinspect.data.plans.references import DanglingReferenceError, check_code_references
from jointinspect.data.plans.store import store_draft
from jointinspect.models import (
    InspectionCode,
    OffsiteCheck,
    PlanRevision,
    Visit,
    VisitOfficer,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanResult,
    TaskRef,
    VisitResult,
)

NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
NOBODY = "91310120NOTINREG0X"
SCJ = sorted(o for o, (department, _) in OFFICERS.items() if department == "SCJ")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    create_schema(engine)
    with session_scope(engine) as session:
        seed_reference(session)
    yield engine
    engine.dispose()


def _plan() -> PlanResult:
    uscc = USCC[0]
    visit = VisitResult(
        key=f"{uscc}/1",
        uscc=uscc,
        date=dt.date(2025, 7, 8),
        town=ENTERPRISES[uscc][1],
        triggered=False,
        tasks=(TaskRef("D-1", "SCJ", "SCJ-FOOD-01", "random"),),
        inspectors=(OfficerRef(SCJ[0], "SCJ"), OfficerRef(SCJ[1], "SCJ")),
        order=1,
    )
    check = OffsiteResult("D-2", USCC[3], "WJ", "WJ-REMOTE-03", "random", dt.date(2025, 7, 31))
    return PlanResult("2025Q3", "s", (visit,), (check,), (), {})


def _rows(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(table_of(model))).scalar_one()
            for model in (PlanRevision, Visit, VisitOfficer, OffsiteCheck)
        )


def test_a_draft_naming_what_the_register_has_is_stored(engine: Engine) -> None:
    stored = store_draft(_plan(), engine=engine, prefix="FX", generated_at=NOW)
    assert stored.revision == 1 and _rows(engine) == (1, 1, 2, 1)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("visit", f"a visit of revision id .* names enterprise '{NOBODY}'"),
        ("officer", "a visit of revision id .* names officer 'SCJ-999'"),
        ("check", f"an off-site check of revision id .* names enterprise '{NOBODY}'"),
    ],
)
def test_a_draft_naming_what_the_register_lacks_is_refused_and_nothing_written(
    engine: Engine, change: str, named: str
) -> None:
    plan = _plan()
    visit, check = plan.visits[0], plan.offsite[0]
    if change == "visit":
        visit = dataclasses.replace(visit, uscc=NOBODY)
    elif change == "officer":
        visit = dataclasses.replace(visit, inspectors=(OfficerRef("SCJ-999", "SCJ"),))
    else:
        check = dataclasses.replace(check, uscc=NOBODY)
    broken = dataclasses.replace(plan, visits=(visit,), offsite=(check,))
    before = _rows(engine)
    with pytest.raises(DanglingReferenceError, match=named):
        store_draft(broken, engine=engine, prefix="FX", generated_at=NOW)
    assert _rows(engine) == before


@pytest.mark.parametrize("pointer", ["visit_id", "offsite_id"])
def test_a_code_pointing_at_no_row_is_refused(engine: Engine, pointer: str) -> None:
    revision_id = sample_plan(engine)
    codes = table_of(InspectionCode)
    with engine.connect() as conn:
        conn.execute(
            codes.insert().values(
                code="FX-TEST-1",
                key_id="k1",
                revision_id=revision_id,
                status="valid",
                issued_at=NOW,
                **{pointer: 987654},
            )
        )
        what = "visit" if pointer == "visit_id" else "offsite_check"
        with pytest.raises(DanglingReferenceError, match=f"points at {what} id 987654"):
            check_code_references(conn, revision_id)
        conn.execute(codes.update().values(**{pointer: None}))
        check_code_references(conn, revision_id)  # no pointer at all: nothing to refuse
        conn.rollback()


def test_the_plan_rows_have_no_foreign_keys(engine: Engine) -> None:
    """The models (and 0008) leave them out; a key added back would be checked row by row."""
    with engine.connect() as conn:
        found = {
            table: inspect(conn).get_foreign_keys(table)
            for table in (
                "visit",
                "visit_task",
                "visit_officer",
                "offsite_check",
                "revision_visit",
                "revision_offsite",
                "inspection_code",
            )
        }
        if engine.dialect.name == "sqlite":
            assert (
                "WITHOUT ROWID"
                in conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'revision_visit'")
                ).scalar_one()
            )
    assert all(keys == [] for keys in found.values()), found


def test_new_rows_take_ids_no_one_else_takes(engine: Engine) -> None:
    """``store_draft`` reserves a range of each table's ids at once (on PostgreSQL by moving
    the sequence past it): a later draft's rows, and a row added without an id, come after."""
    plan = _plan()
    visits = tuple(
        dataclasses.replace(plan.visits[0], key=f"{u}/1", uscc=u, town=ENTERPRISES[u][1])
        for u in USCC[:3]
    )
    checks = tuple(dataclasses.replace(plan.offsite[0], demand_id=f"D-{n}") for n in (2, 3))
    plan = dataclasses.replace(plan, visits=visits, offsite=checks)
    first = store_draft(plan, engine=engine, prefix="FX", generated_at=NOW)
    assert first.rows is not None
    later = dataclasses.replace(plan, quarter="2025Q4")
    second = store_draft(later, engine=engine, prefix="FX", generated_at=NOW)
    assert second.rows is not None
    ids = [v.id for v in first.rows.visits] + [v.id for v in second.rows.visits]
    check_ids = [o.id for o in first.rows.offsite] + [o.id for o in second.rows.offsite]
    assert len(ids) == 6 and ids == sorted(set(ids)) and check_ids == sorted(set(check_ids))
    with session_scope(engine) as session:
        visit = Visit(
            revision_id=second.revision_id,
            uscc=USCC[1],
            date=dt.date(2025, 10, 9),
            town=ENTERPRISES[USCC[1]][1],
            order=1,
        )
        session.add(visit)
        session.flush()
        assert visit.id is not None and visit.id > max(ids)
        session.rollback()
