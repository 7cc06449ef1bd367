"""``file`` runs the planner's checker on the stored draft and refuses what it finds."""

import datetime as dt
from dataclasses import replace

import pytest
from helpers.plan_factory import USCC, sample_plan, sample_spec
from sqlalchemy.engine import Engine

from jointinspect.cli.settings import Settings
from jointinspect.data.codes.filing import HardRuleViolationError, file_plan
from jointinspect.data.plans.document import load_plan_document, read_revision_rows
from jointinspect.models import Demand, EnterpriseGrade, session_scope
from jointinspect.models.codes import CodeKey
from jointinspect.rules import hard_rule_check, plan_result


def test_stored_draft_converts_to_a_plan_result(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        doc = load_plan_document(session=session, revision_id=rid)
        rows = read_revision_rows(session.connection(), rid)
    result = plan_result(rows, doc.quarter, doc.seed, doc.metrics)
    # The document's order, straight from the rows.
    assert [(v.uscc, v.date, v.order) for v in result.visits] == [
        (v.uscc, v.date, v.order) for v in doc.visits
    ]
    assert [tuple(t.demand_id for t in v.tasks) for v in result.visits] == [
        tuple(t.demand_id for t in v.tasks) for v in doc.visits
    ]
    assert [o.demand_id for o in result.offsite] == [o.demand_id for o in doc.offsite]
    assert [v.key for v in result.visits] == [f"{v.uscc}/1" for v in doc.visits]
    assert [v.triggered for v in result.visits] == [False, True, False]
    assert {o.demand_id for o in result.offsite} == {"D-000777"}


def test_a_task_of_an_unknown_source_is_refused_by_name(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        doc = load_plan_document(session=session, revision_id=rid)
        rows = read_revision_rows(session.connection(), rid)
    vid = rows.visits[0].id
    rows.tasks[vid] = [*rows.tasks[vid], replace(rows.tasks[vid][0], source="gossip")]
    with pytest.raises(ValueError, match="gossip"):
        plan_result(rows, doc.quarter, doc.seed, doc.metrics)


def test_filing_refuses_what_the_checker_finds(sqlite_engine: Engine, sqlite_url: str) -> None:
    # Every demand of the sample draft is in the database but one: the checker must say so.
    sample_plan(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        for uscc in USCC:
            session.add(
                EnterpriseGrade(uscc=uscc, credit=80, risk=30, grade="B", as_of=dt.date(2025, 6, 1))
            )
        spec = sample_spec()
        demands = [(t[0], t[1], t[2], t[3], v.uscc) for v in spec.visits for t in v.tasks]
        demands += [(o.demand_id, o.department, o.item, o.source, o.uscc) for o in spec.offsite]
        for demand_id, department, item, source, uscc in demands:
            session.add(
                Demand(id=demand_id, department=department, item=item, uscc=uscc, source=source)
            )
    with pytest.raises(HardRuleViolationError, match="D-000901 is not a demand of the problem"):
        file_plan(
            "2025Q3",
            engine=sqlite_engine,
            key=CodeKey("k1", b"k" * 32),
            filed_by="t",
            now=dt.datetime(2025, 6, 20, tzinfo=dt.UTC),
            check=hard_rule_check(Settings(db=sqlite_url).options()),
        )
