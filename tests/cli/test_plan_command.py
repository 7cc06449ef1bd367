"""``plan`` end to end on a small database: load → draw → plan → draft revision.

The stored draft is read back through the contract document (``data/plan_document``)
and validated with the scheduler's checker; two runs with one seed write the same plan.
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.plans.document import load_plan_document, to_contract
from jointinspect.data.plans.planning_inputs import load_planning_inputs, trigger_window
from jointinspect.models import (
    Conflict,
    Demand,
    Department,
    Enterprise,
    EnterpriseGrade,
    Inspector,
    Item,
    NoDisturb,
    PlanRevision,
    SamplingRule,
    Trigger,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanResult,
    TaskRef,
    UnscheduledResult,
    VisitResult,
)
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.planning import build_problem, draw_sample
from jointinspect.scheduler.checker import check

runner = CliRunner()
CHINA = ZoneInfo("Asia/Shanghai")
Q = Quarter.parse("2025Q4")


def _uscc(k: int) -> str:
    return f"91310120MA1H{k:05d}X"


def _district(engine: Engine, *, grades: bool = True, complaint_blocked: bool = False) -> None:
    with session_scope(engine) as s:
        s.add_all([Department(code="SCJ", name="市场监管"), Department(code="WJ", name="卫健")])
        s.flush()
        towns = ["南桥镇", "庄行镇"]
        for k in range(40):
            s.add(
                Enterprise(
                    uscc=_uscc(k),
                    name=f"企业{k}",
                    industry="5211" if k % 2 else "8411",
                    town=towns[k % 2],
                    lat=30.9 + 0.001 * k,
                    lon=121.45 + 0.001 * k,
                )
            )
        s.add_all(
            [
                Item(
                    code="SCJ-FOOD",
                    department="SCJ",
                    name="食品",
                    industries="52",
                    minutes=60,
                    mode="onsite",
                ),
                Item(
                    code="SCJ-REM",
                    department="SCJ",
                    name="远程",
                    industries="*",
                    minutes=30,
                    mode="either",
                ),
                Item(
                    code="WJ-HYG",
                    department="WJ",
                    name="卫生",
                    industries="*",
                    minutes=60,
                    mode="onsite",
                ),
            ]
        )
        for k in range(4):
            for dept in ("SCJ", "WJ"):
                s.add(
                    Inspector(
                        id=f"{dept}-{k:02d}",
                        department=dept,
                        name=f"{dept}{k}",
                        cert_no=f"C{k}",
                        cert_valid_until=dt.date(2027, 1, 1),
                        home_town=towns[k % 2],
                    )
                )
        s.flush()
        if grades:
            for k in range(40):
                s.add(
                    EnterpriseGrade(
                        uscc=_uscc(k),
                        credit=80,
                        risk=30,
                        grade="ABCD"[k % 4],
                        reasons=[],
                        as_of=dt.date(2025, 9, 1),
                    )
                )
        s.add_all(
            [
                SamplingRule(department="SCJ", item="SCJ-FOOD", grade="D", ratio="0.5"),
                SamplingRule(department="SCJ", item="SCJ-REM", grade="C", ratio="0.3"),
                Demand(id="D-1", department="WJ", item="WJ-HYG", uscc=_uscc(3), source="plan"),
                Demand(
                    id="D-2",
                    department="SCJ",
                    item="SCJ-FOOD",
                    uscc=_uscc(3),
                    source="key",
                    earliest=dt.date(2025, 11, 1),
                    latest=dt.date(2025, 11, 30),
                ),
                Demand(id="D-3", department="WJ", item="WJ-HYG", uscc=_uscc(5), source="plan"),
                NoDisturb(uscc=_uscc(5), since=dt.date(2025, 1, 1)),
                Trigger(
                    id="T-1",
                    uscc=_uscc(7),
                    kind="complaint",
                    department="WJ",
                    item="WJ-HYG",
                    received_at=dt.datetime(2025, 10, 31, 23, 30, tzinfo=CHINA),
                ),
            ]
        )
        if complaint_blocked:
            for k in range(4):
                s.add(Conflict(inspector_id=f"WJ-{k:02d}", uscc=_uscc(7)))


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    e = make_engine(sqlite_url)
    create_schema(e)
    return e


def _plan(url: str, seed: str = "2025Q4-fx") -> object:
    return runner.invoke(app, ["plan", "--quarter", "2025Q4", "--seed", seed, "--db", url])


def test_trigger_window_is_china_date_plus_ten_working_days() -> None:
    received = dt.datetime(2025, 9, 30, 17, 0, tzinfo=dt.UTC)  # 2025-10-01 01:00 in China
    opened, closes = trigger_window(received, WorkingCalendar(), 10)
    assert opened == dt.date(2025, 10, 1)
    # Holiday to 10-08; then 10-09, 10-10, 10-11 (make-up Saturday), 10-13 … 10-17, 10-20, 10-21
    assert closes == dt.date(2025, 10, 21)


def test_plan_writes_a_valid_draft_and_prints_metrics(engine: Engine, sqlite_url: str) -> None:
    result = _plan(sqlite_url)
    assert result.exit_code == 0, result.output
    assert "FX-2025Q4 revision 1" in result.output
    assert "consolidation lower bound" in result.output
    inputs = load_planning_inputs(
        Q, engine=engine, calendar=WorkingCalendar(), trigger_response_days=10
    )
    problem = build_problem(
        inputs, "2025Q4-fx", WorkingCalendar(), draw_sample(inputs, "2025Q4-fx")
    )
    with Session(engine) as s:
        revision = s.exec(select(PlanRevision)).one()  # type: ignore[call-overload]
        doc = load_plan_document(session=s, revision_id=revision.id)
    assert revision.status == "draft"
    stored = _as_result(doc)
    assert check(problem, stored) == []
    placed = {t.demand_id: v for v in doc.visits for t in v.tasks}
    assert placed["D-1"] is placed["D-2"]  # 综合查一次 at enterprise 3
    assert "T-1" in placed and placed["T-1"].date <= dt.date(2025, 11, 14)
    assert {u.demand_id: u.reason for u in doc.unscheduled}["D-3"] == "no_disturb_enterprise"


def test_same_seed_same_document(engine: Engine, sqlite_url: str) -> None:
    def only_draft() -> dict[str, object]:
        with Session(engine) as s:
            ids = [r.id for r in s.exec(select(PlanRevision))]  # type: ignore[call-overload]
            assert len(ids) == 1  # a second plan replaces the unfiled draft
            doc = to_contract(load_plan_document(session=s, revision_id=ids[0]))
        doc.pop("generated_at")
        return doc

    assert _plan(sqlite_url).exit_code == 0
    first = only_draft()
    again = _plan(sqlite_url)
    assert again.exit_code == 0 and "replacing unfiled draft revision 1" in again.output
    assert json.dumps(first, ensure_ascii=False) == json.dumps(only_draft(), ensure_ascii=False)


def test_plan_without_grades_says_to_grade_first(engine: Engine, sqlite_url: str) -> None:
    _district(engine, grades=False)
    result = _plan(sqlite_url)
    assert result.exit_code == 1
    assert "Error: no enterprise has a grade yet" in result.output
    assert "run `jointinspect grade` first" in result.output


def test_unplaceable_complaint_fails_and_writes_nothing(sqlite_url: str) -> None:
    e = make_engine(sqlite_url)
    create_schema(e)
    _district(e, complaint_blocked=True)
    result = _plan(sqlite_url)
    assert result.exit_code == 1
    assert "Error: demand T-1 cannot be placed" in result.output
    with Session(e) as s:
        assert s.exec(select(func.count()).select_from(PlanRevision)).one() == 0  # type: ignore[call-overload]


def _as_result(doc) -> PlanResult:  # type: ignore[no-untyped-def]
    """A stored document as the checker's input (codes and keys play no part in §5)."""
    visits = tuple(
        VisitResult(
            f"{v.uscc}/{k}",
            v.uscc,
            v.date,
            v.town,
            any(
                t.source in ("complaint", "alert", "accident", "referral", "followup")
                for t in v.tasks
            ),
            tuple(TaskRef(t.demand_id, t.department, t.item, t.source) for t in v.tasks),
            tuple(OfficerRef(o.id, o.department) for o in v.inspectors),
            v.order,
        )
        for k, v in enumerate(doc.visits)
    )
    offsite = tuple(
        OffsiteResult(o.demand_id, o.uscc, o.department, o.item, o.source, o.due)
        for o in doc.offsite
    )
    unscheduled = tuple(
        UnscheduledResult(u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail)
        for u in doc.unscheduled
    )
    return PlanResult(doc.quarter, doc.seed, visits, offsite, unscheduled, dict(doc.metrics))


@pytest.fixture(autouse=True)
def _seeded(request: pytest.FixtureRequest, engine: Engine) -> None:
    if request.node.name.startswith(("test_plan_writes", "test_same_seed", "test_explain")):
        _district(engine)


def test_explain_demand_and_visit_from_the_stored_draft(engine: Engine, sqlite_url: str) -> None:
    from jointinspect.explaining import explain_demand_lines, explain_visit_lines
    from jointinspect.models import Visit, VisitTask

    assert _plan(sqlite_url).exit_code == 0
    kw = {"engine": engine, "calendar": WorkingCalendar(), "trigger_response_days": 10}
    joint = "\n".join(explain_demand_lines("D-2", **kw))  # type: ignore[arg-type]
    assert "FX-2025Q4 revision 1 (draft" in joint
    assert "综合查一次: 1 other task(s) (WJ)" in joint
    assert "Window: 2025-11-01 – 2025-11-30." in joint
    quiet = "\n".join(explain_demand_lines("D-3", **kw))  # type: ignore[arg-type]
    assert "Unscheduled (no_disturb_enterprise)" in quiet
    with Session(engine) as s:
        visit_id = s.exec(select(VisitTask.visit_id).where(VisitTask.demand_id == "T-1")).one()
        assert s.get(Visit, visit_id) is not None
    text = "\n".join(explain_visit_lines(str(visit_id), **kw))  # type: ignore[arg-type]
    assert "a triggered visit (not capped)" in text
    assert "T-1 (WJ WJ-HYG, complaint)" in text
    assert "双随机" in text
