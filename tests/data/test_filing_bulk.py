"""Filing with bulk statements: same outcome as row by row, all or nothing, and the
immutability guard's boundary (ORM bulk statements checked, Core writes confined)."""

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers.plan_factory import USCC, UnscheduledSpec, add_revision, sample_plan, sample_spec
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jointinspect.data.codes import filing
from jointinspect.data.codes.filing import UnchangedPlanError, file_plan
from jointinspect.data.plans.drafts import discard_drafts
from jointinspect.models import (
    FiledRevisionImmutableError,
    InspectionCode,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    Visit,
    VisitTask,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.codes import CodeKey

K1 = CodeKey("k1", bytes.fromhex("11" * 32))
NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
PACKAGE = Path(__file__).resolve().parents[2]


def _no_violations(_session: Session, _revision_id: int) -> Sequence[str]:
    return []


def _file(engine: Engine) -> filing.FilingResult:
    return file_plan("2025Q3", engine=engine, key=K1, filed_by="x", now=NOW, check=_no_violations)


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    create_schema(engine)
    return engine


def _state(engine: Engine) -> tuple[list[tuple[object, ...]], ...]:
    with session_scope(engine) as session:
        revisions = [
            (r.revision, r.status, r.filed_by)
            for r in session.exec(select(PlanRevision).order_by(col(PlanRevision.revision)))
        ]
        codes = [
            (c.code, c.status, c.revision_id, c.visit_id, c.offsite_id, c.replaced_by)
            for c in session.exec(select(InspectionCode).order_by(col(InspectionCode.code)))
        ]
        visits = [(v.id, v.code) for v in session.exec(select(Visit).order_by(col(Visit.id)))]
    return revisions, codes, visits


def test_a_failure_after_codes_are_written_leaves_nothing_behind(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample_plan(engine)
    _file(engine)
    spec = sample_spec()
    moved = dataclasses.replace(spec.visits[0], date=dt.date(2025, 7, 10))
    with session_scope(engine) as session:
        add_revision(
            session, dataclasses.replace(spec, visits=[moved, *spec.visits[1:]]), revision=2
        )
    before = _state(engine)

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(filing, "_revoke", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _file(engine)
    assert _state(engine) == before
    monkeypatch.undo()
    result = _file(engine)
    assert (result.codes_issued, result.codes_kept, result.codes_revoked) == (1, 3, 1)


def test_any_difference_in_content_is_a_change(sqlite_engine: Engine) -> None:
    sample_plan(sqlite_engine)
    _file(sqlite_engine)
    spec = sample_spec()
    v0, v1, v2 = spec.visits
    changes = [  # each revision differs from the one before in one detail only
        dataclasses.replace(spec, visits=[v0, dataclasses.replace(v1, order=3), v2]),
        dataclasses.replace(
            spec,
            visits=[v0, dataclasses.replace(v1, order=3), v2],
            unscheduled=[
                UnscheduledSpec("D-000901", USCC[3], "SCJ", "SCJ-FOOD-01", "x"),
                UnscheduledSpec("D-000902", USCC[2], "SCJ", "SCJ-FOOD-01"),
            ],
        ),
        dataclasses.replace(
            spec,
            visits=[
                dataclasses.replace(v0, officers=["SCJ-017", "XF-003", "XF-008"]),
                dataclasses.replace(v1, order=3),
                v2,
            ],
            unscheduled=[
                UnscheduledSpec("D-000901", USCC[3], "SCJ", "SCJ-FOOD-01", "x"),
                UnscheduledSpec("D-000902", USCC[2], "SCJ", "SCJ-FOOD-01"),
            ],
        ),
    ]
    for number, changed in enumerate(changes, start=2):
        with session_scope(sqlite_engine) as session:
            add_revision(session, changed, revision=number)
        _file(sqlite_engine)  # not refused as unchanged
    with session_scope(sqlite_engine) as session:
        add_revision(session, changes[-1], revision=len(changes) + 2)
    with pytest.raises(UnchangedPlanError):
        _file(sqlite_engine)
    discard_drafts("2025Q3", engine=sqlite_engine)


def test_orm_bulk_statements_cannot_touch_a_filed_revision(engine: Engine) -> None:
    rid = sample_plan(engine)
    _file(engine)
    draft = sample_plan(engine, revision=2)
    refused = [
        update(Visit).where(col(Visit.revision_id) == rid).values(order=9),
        update(Visit).values(order=9),
        delete(VisitTask).where(
            col(VisitTask.visit_id).in_(select(Visit.id).where(col(Visit.revision_id) == rid))
        ),
        update(PlanRevision).where(col(PlanRevision.id) == rid).values(status="draft"),
        update(Visit).where(col(Visit.revision_id) == draft).values(revision_id=rid),
        delete(RevisionVisit).where(col(RevisionVisit.revision_id) == rid),
        update(RevisionOffsite)
        .where(col(RevisionOffsite.revision_id) == draft)
        .values(revision_id=rid),
        delete(InspectionCode),
        update(InspectionCode).values(key_id="k9"),
    ]
    for statement in refused:
        with (
            pytest.raises(FiledRevisionImmutableError, match="cannot"),
            session_scope(engine) as session,
        ):
            session.execute(statement)
    with session_scope(engine) as session:
        session.execute(update(Visit).where(col(Visit.revision_id) == draft).values(order=9))
        session.execute(update(InspectionCode).values(status="valid"))
        orders = {v.revision_id: v.order for v in session.exec(select(Visit))}
    assert orders[draft] == 9 and orders[rid] != 9
    discard_drafts("2025Q3", engine=engine)  # deleting a draft in bulk stays allowed


_PLANNING_TABLES = (
    "PlanRevision|Visit|VisitTask|VisitOfficer|OffsiteCheck|UnscheduledDemand|InspectionCode"
    "|RevisionVisit|RevisionOffsite"
)
_CORE_WRITE = re.compile(
    rf"\b(insert|update|delete)\(\s*(_table\(\s*)?({_PLANNING_TABLES})\b"
    r"|\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(plan_revision|visit|visit_task|visit_officer"
    r"|offsite_check|unscheduled_demand|inspection_code|revision_visit|revision_offsite)\b",
)
#: The modules allowed to write the planning tables with bulk statements (see
#: models/immutability.py), and the tables/aliases they go through.
_SANCTIONED = {"data/codes/filing.py", "data/plans/drafts.py", "data/plans/store.py"}


def test_only_the_sanctioned_modules_write_planning_tables_in_bulk() -> None:
    found = []
    for folder in ("models", "data", "cli", "risk", "scheduler"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            name = path.relative_to(PACKAGE).as_posix()
            if name in _SANCTIONED or name == "models/immutability.py":
                continue
            text = path.read_text(encoding="utf-8")
            found += [f"{name}: {m.group(0)}" for m in _CORE_WRITE.finditer(text)]
    assert found == []
    # The pattern does catch what it is meant to.
    assert _CORE_WRITE.search("conn.execute(update(_table(Visit)).values(code=c))")
    assert _CORE_WRITE.search('text("UPDATE visit SET date = :d")')
