"""The contract §4 document: built from the tables, keys in order, read back unchanged."""

import datetime as dt
import json

import pytest
from helpers.plan_factory import USCC, sample_plan
from sqlalchemy.engine import Engine

from jointinspect.data.plans.document import (
    PlanDocumentError,
    PlanNotFoundError,
    department_share,
    dumps,
    latest_revision,
    load_plan_document,
    parse_plan_document,
)
from jointinspect.models import session_scope


def _doc(engine: Engine, revision_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return load_plan_document(session=session, revision_id=revision_id)


def test_document_has_contract_keys_in_order(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    data = json.loads(dumps(_doc(sqlite_engine, rid)))
    assert list(data) == [
        "plan_id",
        "quarter",
        "revision",
        "status",
        "seed",
        "generated_at",
        "visits",
        "offsite",
        "unscheduled",
        "metrics",
    ]
    assert data["plan_id"] == "FX-2025Q3"
    assert data["generated_at"] == "2025-06-20T02:00:05+08:00"
    visit = data["visits"][0]
    assert list(visit) == ["code", "uscc", "date", "town", "mode", "tasks", "inspectors", "order"]
    assert visit["town"] == "南桥镇"
    assert list(visit["tasks"][0]) == ["demand_id", "department", "item", "source"]
    assert list(data["offsite"][0]) == [
        "code",
        "uscc",
        "department",
        "item",
        "demand_id",
        "source",
        "due",
    ]
    assert list(data["metrics"])[:4] == [
        "demands",
        "onsite_visits",
        "offsite_checks",
        "unscheduled",
    ]
    assert data["metrics"]["demands"] == 6
    assert data["metrics"]["onsite_visits"] == 3


def test_every_demand_appears_once_and_sorted(sqlite_engine: Engine) -> None:
    doc = _doc(sqlite_engine, sample_plan(sqlite_engine))
    ids = [t.demand_id for v in doc.visits for t in v.tasks]
    ids += [o.demand_id for o in doc.offsite] + [u.demand_id for u in doc.unscheduled]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6
    assert [v.date for v in doc.visits] == sorted(v.date for v in doc.visits)
    assert doc.visits[0].inspectors[0].department == "SCJ"


def test_round_trip_equals_the_document(sqlite_engine: Engine) -> None:
    doc = _doc(sqlite_engine, sample_plan(sqlite_engine))
    back = parse_plan_document(dumps(doc))
    assert back == doc
    assert dumps(back) == dumps(doc)


def test_department_share_keeps_only_its_part(sqlite_engine: Engine) -> None:
    doc = _doc(sqlite_engine, sample_plan(sqlite_engine))
    share = department_share(doc, "XF")
    assert [v.uscc for v in share.visits] == [USCC[0], USCC[1]]
    assert all(t.department == "XF" for v in share.visits for t in v.tasks)
    assert all(o.department == "XF" for v in share.visits for o in v.inspectors)
    assert share.offsite == () and share.unscheduled == ()
    assert share.metrics["demands"] == 2
    assert json.loads(dumps(share))["department"] == "XF"
    assert parse_plan_document(dumps(share)) == share


def test_latest_revision_and_missing_plan(sqlite_engine: Engine) -> None:
    sample_plan(sqlite_engine, revision=1, status="filed")
    rid2 = sample_plan(sqlite_engine, revision=2)
    with session_scope(sqlite_engine) as session:
        assert latest_revision(session=session, quarter="2025Q3").id == rid2
        with pytest.raises(PlanNotFoundError, match="no plan for 2025Q4"):
            latest_revision(session=session, quarter="2025Q4")


def test_parse_rejects_wrong_shapes() -> None:
    with pytest.raises(PlanDocumentError, match="not JSON"):
        parse_plan_document("{")
    with pytest.raises(PlanDocumentError, match="lacks the field 'visits'"):
        parse_plan_document(
            {
                "plan_id": "FX-2025Q3",
                "quarter": "2025Q3",
                "revision": 1,
                "status": "draft",
                "seed": "s",
                "generated_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC).isoformat(),
            }
        )
