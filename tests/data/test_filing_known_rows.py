"""``file_plan(filed_rows=…, draft_rows=…)``: rows a replan already has are used for their
revision only, and ``store_draft``'s rows are exactly what reading the draft gives."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest
from helpers.plan_factory import USCC, add_revision, sample_plan, sample_spec, seed_reference
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from jointinspect.data.codes.filing import FilingResult, file_plan
from jointinspect.data.plans.carry import carried_rows
from jointinspect.data.plans.document import RevisionRows, read_revision_rows
from jointinspect.data.plans.replan_store import read_filed_revision
from jointinspect.data.plans.store import store_draft
from jointinspect.models import create_schema, make_engine, session_scope
from jointinspect.models.codes import CodeKey
from jointinspect.models.enums import DemandSource
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanResult,
    TaskRef,
    UnscheduledResult,
    VisitResult,
)

KEY = CodeKey("k1", bytes.fromhex("11" * 32))
NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
NOTHING = RevisionRows([], {}, {}, [], [])


def _no_violations(_session: Session, _revision_id: int) -> Sequence[str]:
    return []


def _refile(db_url: str, given: object) -> tuple[FilingResult, dict[str, str | None]]:
    """File the sample plan, then a revision moving its first visit with ``given``
    (``"filed"``: the rows ``read_filed_revision`` read) as ``filed_rows``; the result and the
    codes of revision 1 and of revision 2 by enterprise."""
    engine: Engine = make_engine(db_url)
    create_schema(engine)
    rid1 = sample_plan(engine)
    file_plan("2025Q3", engine=engine, key=KEY, filed_by="t", now=NOW, check=_no_violations)
    filed = read_filed_revision("2025Q3", engine=engine)
    with engine.connect() as conn:
        assert filed.rows == read_revision_rows(conn, filed.revision_id)
    spec = sample_spec()
    moved = dataclasses.replace(spec.visits[0], date=dt.date(2025, 7, 10))
    replanned = dataclasses.replace(spec, visits=[moved, *spec.visits[1:]])
    with session_scope(engine) as session:
        rid2 = add_revision(session, replanned, revision=2)
    known = (filed.revision_id, filed.rows) if given == "filed" else given
    result = file_plan(
        "2025Q3",
        engine=engine,
        key=KEY,
        filed_by="t",
        now=NOW,
        check=_no_violations,
        filed_rows=known,  # type: ignore[arg-type]
    )
    codes: dict[str, str | None] = {}
    with engine.connect() as conn:
        for number, rid in ((1, rid1), (2, rid2)):
            for v in read_revision_rows(conn, rid).visits:
                codes[f"{number}:{v.uscc}"] = v.code
    engine.dispose()
    return result, codes


@pytest.mark.parametrize("given", ["filed", "stale"])
def test_filed_rows_give_the_filing_reading_them_gives(db_url: str, given: str) -> None:
    # Rows said to be of another revision (id 999) must not be used: were they (no
    # visits), every code would be new and none kept or revoked.
    result, codes = _refile(db_url, "filed" if given == "filed" else (999, NOTHING))
    assert (result.codes_issued, result.codes_kept, result.codes_revoked) == (1, 3, 1)
    assert codes[f"2:{USCC[1]}"] == codes[f"1:{USCC[1]}"]
    assert codes[f"2:{USCC[0]}"] != codes[f"1:{USCC[0]}"]


def _sample_result() -> PlanResult:
    """The sample revision as the scheduler would hand it to ``store_draft`` (sources as
    the enum, one visit without officers), twice the off-site checks."""
    spec = sample_spec()
    visits = tuple(
        VisitResult(
            key=f"{v.uscc}/1",
            uscc=v.uscc,
            date=v.date,
            town="town",
            triggered=False,
            tasks=tuple(TaskRef(d, dep, item, DemandSource(src)) for d, dep, item, src in v.tasks),
            inspectors=tuple(OfficerRef(o, o.split("-")[0]) for o in v.officers) if n else (),
            order=v.order,
        )
        for n, v in enumerate(spec.visits)
    )
    offsite = tuple(
        OffsiteResult(f"{o.demand_id}{k}", o.uscc, o.department, o.item, "plan", o.due)
        for o in spec.offsite
        for k in "ab"
    )
    unscheduled = tuple(
        UnscheduledResult(u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail)
        for u in spec.unscheduled
    )
    return PlanResult("2025Q3", "seed", visits, offsite, unscheduled, {})


def test_store_draft_rows_are_what_is_read_back(db_url: str) -> None:
    engine: Engine = make_engine(db_url)
    create_schema(engine)
    with session_scope(engine) as session:
        seed_reference(session)
    # The second revision's ids do not start at 1; the third (in place of that draft)
    # shares all but one visit and one check with the filed first (a replan's), whose
    # rows carry their codes.
    for step in ("first", "second", "shared"):
        plan = _sample_result()
        carried = None
        if step == "shared":
            plan = dataclasses.replace(
                plan,
                visits=(dataclasses.replace(plan.visits[0], order=7), *plan.visits[1:]),
                offsite=plan.offsite[1:],
            )
            filed = read_filed_revision("2025Q3", engine=engine)
            carried = carried_rows(plan, filed.revision_id, filed.rows)
            assert 0 < len(carried.visits) < len(plan.visits)
            assert 0 < len(carried.offsite) == len(plan.offsite)
        stored = store_draft(plan, engine=engine, prefix="FX", generated_at=NOW, carried=carried)
        with engine.connect() as conn:
            read = read_revision_rows(conn, stored.revision_id)
        assert stored.rows is not None
        as_written = stored.rows
        assert repr(as_written.visits) == repr(read.visits)
        assert repr(as_written.offsite) == repr(read.offsite)
        assert repr(as_written.unscheduled) == repr(read.unscheduled)
        for vid in [v.id for v in read.visits]:
            assert sorted(map(repr, as_written.tasks[vid])) == sorted(map(repr, read.tasks[vid]))
            assert sorted(map(repr, as_written.officers[vid])) == sorted(
                map(repr, read.officers[vid])
            )
        if step == "shared":
            assert any(v.code for v in read.visits)  # shared rows, with their codes
        elif step == "first":
            file_plan("2025Q3", engine=engine, key=KEY, filed_by="t", now=NOW, check=_no_violations)
    engine.dispose()


def test_a_draft_stored_without_its_rows_files_the_same_codes(db_url: str) -> None:
    codes = []
    for keep_rows in (True, False):
        engine: Engine = make_engine(db_url)
        create_schema(engine)
        with session_scope(engine) as session:
            seed_reference(session)
        stored = store_draft(
            _sample_result(), engine=engine, prefix="FX", generated_at=NOW, keep_rows=keep_rows
        )
        assert (stored.rows is None) == (not keep_rows)
        file_plan("2025Q3", engine=engine, key=KEY, filed_by="t", now=NOW, check=_no_violations)
        with engine.connect() as conn:
            read = read_revision_rows(conn, stored.revision_id)
        codes.append(sorted([v.code for v in read.visits] + [o.code for o in read.offsite]))
        with engine.begin() as conn:  # the next round starts from an empty database
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()
    assert codes[0] == codes[1]
    assert all(codes[0])
