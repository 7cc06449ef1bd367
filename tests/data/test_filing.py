"""Filing (备案), code issue and verification, immutability of filed revisions."""

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence

import pytest
from helpers.plan_factory import USCC, OffsiteSpec, add_revision, sample_plan, sample_spec
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jointinspect.data.codes.filing import (
    HardRuleViolationError,
    NothingToFileError,
    UnchangedPlanError,
    file_plan,
)
from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.codes.verification import verify_code
from jointinspect.data.plans.document import PlanNotFoundError, load_plan_document
from jointinspect.models import (
    FiledRevisionImmutableError,
    InspectionCode,
    OffsiteCheck,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    Visit,
    VisitOfficer,
    VisitTask,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.codes import ALPHABET, Binding, CodeKey, issue_code

K1 = CodeKey("k1", bytes.fromhex("11" * 32))
K2 = CodeKey("k2", bytes.fromhex("22" * 32))
STRANGER = CodeKey("k1", bytes.fromhex("33" * 32))
RING = KeyRing((K1,))
NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def no_violations(_session: Session, _revision_id: int) -> Sequence[str]:
    return []


def _file(engine: Engine, key: CodeKey = K1):  # type: ignore[no-untyped-def]
    return file_plan(
        "2025Q3", engine=engine, key=key, filed_by="coordinator", now=NOW, check=no_violations
    )


def _codes(engine: Engine, revision_id: int) -> list[str]:
    with session_scope(engine) as session:
        doc = load_plan_document(session=session, revision_id=revision_id)
    return [v.code or "" for v in doc.visits] + [o.code or "" for o in doc.offsite]


def _codes_by_uscc(engine: Engine, revision_id: int) -> dict[str, str]:
    with session_scope(engine) as session:
        doc = load_plan_document(session=session, revision_id=revision_id)
    return {v.uscc: v.code or "" for v in doc.visits} | {
        f"offsite:{o.demand_id}": o.code or "" for o in doc.offsite
    }


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    create_schema(engine)
    return engine


def test_filing_issues_a_valid_code_for_every_check(engine: Engine) -> None:
    rid = sample_plan(engine)
    result = _file(engine)
    assert (result.revision, result.codes_issued, result.codes_revoked) == (1, 4, 0)
    with session_scope(engine) as session:
        rev = session.get(PlanRevision, rid)
        assert rev is not None and rev.status == "filed" and rev.filed_by == "coordinator"
        assert rev.filed_at is not None
    codes = _codes(engine, rid)
    assert len(codes) == 4 and all(codes) and len(set(codes)) == 4
    checks = [verify_code(c, engine=engine, keys=RING) for c in codes]
    assert [c.status for c in checks] == ["valid"] * 4
    joint = checks[0]
    assert joint.enterprise is not None and joint.enterprise["name"] == "上海奉贤甜心烘焙有限公司"
    assert joint.date == dt.date(2025, 7, 8)
    assert [d["code"] for d in joint.departments] == ["SCJ", "XF"]
    assert {o["name"] for o in joint.officers} == {"张伟", "王芳", "李强", "刘洋"}
    assert [i["code"] for i in joint.items] == ["SCJ-FOOD-01", "XF-FIRE-01"]
    assert joint.to_json()["status"] == "valid" and next(iter(joint.to_json())) == "status"
    offsite = checks[3]
    assert offsite.kind == "offsite" and offsite.officers == []


def test_refuses_when_nothing_to_file(sqlite_engine: Engine) -> None:
    with pytest.raises(PlanNotFoundError):
        _file(sqlite_engine)
    sample_plan(sqlite_engine)
    _file(sqlite_engine)
    with pytest.raises(NothingToFileError, match="revision 1 of 2025Q3 is already filed"):
        _file(sqlite_engine)


def test_refuses_a_draft_unchanged_from_the_filed_one(sqlite_engine: Engine) -> None:
    sample_plan(sqlite_engine)
    _file(sqlite_engine)
    sample_plan(sqlite_engine, revision=2)
    with pytest.raises(UnchangedPlanError, match="plans exactly what the filed revision 1"):
        _file(sqlite_engine)


def test_refuses_hard_rule_violations_and_changes_nothing(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    seen: list[int] = []

    def broken(_session: Session, revision_id: int) -> Sequence[str]:
        seen.append(revision_id)
        return [f"rule 2: visit {i} has one XF officer" for i in range(7)]

    with pytest.raises(HardRuleViolationError, match=r"breaks 7 hard rule\(s\).*\(and 2 more\)"):
        file_plan("2025Q3", engine=sqlite_engine, key=K1, filed_by="x", now=NOW, check=broken)
    assert seen == [rid]
    with session_scope(sqlite_engine) as session:
        rev = session.get(PlanRevision, rid)
        assert rev is not None and rev.status == "draft"
        assert session.exec(select(InspectionCode)).all() == []
        assert all(v.code is None for v in session.exec(select(Visit)))


def test_filed_revision_is_immutable(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    _file(sqlite_engine)

    def attempt(change) -> None:  # type: ignore[no-untyped-def]
        with (
            pytest.raises(FiledRevisionImmutableError, match="cannot"),
            session_scope(sqlite_engine) as session,
        ):
            change(session)

    def move_visit(s: Session) -> None:
        v = s.exec(select(Visit)).first()
        assert v is not None
        v.date = dt.date(2025, 7, 9)
        s.add(v)

    def add_task(s: Session) -> None:
        v = s.exec(select(Visit)).first()
        assert v is not None and v.id is not None
        s.add(
            VisitTask(visit_id=v.id, demand_id="D-NEW", department="SCJ", item="x", source="plan")
        )

    def drop_officer(s: Session) -> None:
        s.delete(s.exec(select(VisitOfficer)).first())

    def drop_offsite(s: Session) -> None:
        s.delete(s.exec(select(OffsiteCheck)).first())

    def unlist_visit(s: Session) -> None:
        s.delete(s.exec(select(RevisionVisit)).first())

    def list_another_check(s: Session) -> None:
        check = s.exec(select(OffsiteCheck)).first()
        assert check is not None and check.id is not None
        s.delete(s.exec(select(RevisionOffsite)).first())
        s.flush()
        s.add(RevisionOffsite(revision_id=rid, offsite_id=check.id))

    def reseed(s: Session) -> None:
        rev = s.get(PlanRevision, rid)
        assert rev is not None
        rev.seed = "other"
        s.add(rev)

    def back_to_draft(s: Session) -> None:
        rev = s.get(PlanRevision, rid)
        assert rev is not None
        rev.status = "draft"
        s.add(rev)

    def delete_code(s: Session) -> None:
        s.delete(s.exec(select(InspectionCode)).first())

    def rewrite_code(s: Session) -> None:
        c = s.exec(select(InspectionCode)).first()
        assert c is not None
        c.key_id = "k9"
        s.add(c)

    for change in (
        move_visit,
        add_task,
        drop_officer,
        drop_offsite,
        unlist_visit,
        list_another_check,
        reseed,
        back_to_draft,
        delete_code,
        rewrite_code,
    ):
        attempt(change)
    # Drafts stay editable.
    rid2 = sample_plan(sqlite_engine, revision=2)
    with session_scope(sqlite_engine) as session:
        v = session.exec(select(Visit).where(Visit.revision_id == rid2)).first()
        assert v is not None
        v.order = 3
        session.add(v)


def _replan_spec():  # type: ignore[no-untyped-def]
    spec = sample_spec()
    moved = dataclasses.replace(spec.visits[0], date=dt.date(2025, 7, 10))
    return dataclasses.replace(spec, visits=[moved, *spec.visits[1:]])


def test_replan_revokes_changed_codes_and_keeps_the_rest(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    rid1 = sample_plan(engine)
    _file(engine)
    old = _codes_by_uscc(engine, rid1)
    with session_scope(engine) as session:
        rid2 = add_revision(session, _replan_spec(), revision=2)
    result = _file(engine, K2)  # the key was rotated in between
    assert (result.codes_issued, result.codes_kept, result.codes_revoked) == (1, 3, 1)
    assert result.superseded_revision == 1
    new = _codes_by_uscc(engine, rid2)
    moved = USCC[0]
    assert {k: c for k, c in new.items() if k != moved} == {
        k: c for k, c in old.items() if k != moved
    }  # unchanged visits and checks keep their codes
    assert new[moved] != old[moved]
    ring = KeyRing((K2, K1))
    revoked = verify_code(old[moved], engine=engine, keys=ring)
    assert revoked.status == "revoked" and revoked.replaced_by == new[moved]
    assert revoked.to_json()["replaced_by"] == new[moved]
    assert revoked.date == dt.date(2025, 7, 8)  # what the old code was for
    assert verify_code(new[moved], engine=engine, keys=ring).status == "valid"
    kept = verify_code(old[USCC[1]], engine=engine, keys=ring)
    assert kept.status == "valid" and kept.revision == 2
    with session_scope(engine) as session:
        statuses = {r.revision: r.status for r in session.exec(select(PlanRevision))}
    assert statuses == {1: "superseded", 2: "filed"}


def test_forged_unknown_and_malformed(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    _file(sqlite_engine)
    code = _codes(sqlite_engine, rid)[0]
    binding = Binding("visit", USCC[0], dt.date(2025, 7, 8), ("SCJ",), (), ("X",), ("D-1",))
    assert verify_code(issue_code(binding, STRANGER), engine=sqlite_engine, keys=RING).status == (
        "forged"
    )
    unknown = verify_code(issue_code(binding, K1), engine=sqlite_engine, keys=RING)
    assert unknown.status == "unknown" and unknown.enterprise is None
    assert unknown.to_json() == {
        "status": "unknown",
        "code": unknown.code,
        "message": unknown.message,
    }
    bad = verify_code(
        code[:-1] + ("0" if code[-1] != "0" else "1"), engine=sqlite_engine, keys=RING
    )
    assert bad.status == "malformed" and "check character" in bad.message
    # Without the old key a code on record cannot be checked: its key is retired, and the
    # code is not called forged.
    retired = verify_code(code, engine=sqlite_engine, keys=KeyRing((K2,)))
    assert retired.status == "unknown" and "retired key k1" in retired.message


def test_tampered_binding_is_forged(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    _file(sqlite_engine)
    code = _codes(sqlite_engine, rid)[1]
    # Someone edits the database behind the application's back (no ORM, no guard).
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE visit SET date = '2025-07-09' WHERE code = :c"), {"c": code})
    result = verify_code(code, engine=sqlite_engine, keys=RING)
    assert result.status == "forged" and "changed after filing" in result.message


def test_random_two_character_changes_never_verify_valid(sqlite_engine: Engine) -> None:
    rid = sample_plan(sqlite_engine)
    _file(sqlite_engine)
    codes = [c.replace("-", "") for c in _codes(sqlite_engine, rid)]
    rng = random.Random(5)
    statuses: dict[str, int] = {}
    for _ in range(3000):
        chars = list(rng.choice(codes))
        for pos in rng.sample(range(len(chars)), 2):
            chars[pos] = rng.choice(ALPHABET.replace(chars[pos], ""))
        status = verify_code("".join(chars), engine=sqlite_engine, keys=RING).status
        statuses[status] = statuses.get(status, 0) + 1
    assert "valid" not in statuses and "revoked" not in statuses
    assert statuses.get("malformed", 0) > 0.95 * 3000


def test_replacement_follows_the_demand_and_a_code_can_come_back(sqlite_engine: Engine) -> None:
    rid1 = sample_plan(sqlite_engine)
    _file(sqlite_engine)
    first = _codes_by_uscc(sqlite_engine, rid1)
    # Revision 2: the WJ visit's demand is done off-site instead.
    spec = sample_spec()
    wj_visit = spec.visits[2]
    offsite = OffsiteSpec("D-000300", wj_visit.uscc, "WJ", "WJ-HYG-01", dt.date(2025, 9, 30))
    spec2 = dataclasses.replace(spec, visits=spec.visits[:2], offsite=[*spec.offsite, offsite])
    with session_scope(sqlite_engine) as session:
        rid2 = add_revision(session, spec2, revision=2)
    _file(sqlite_engine)
    second = _codes_by_uscc(sqlite_engine, rid2)
    moved = verify_code(first[wj_visit.uscc], engine=sqlite_engine, keys=RING)
    assert moved.status == "revoked" and moved.replaced_by == second["offsite:D-000300"]
    # Revision 3 plans the visit again exactly as in revision 1: its old code is valid again.
    with session_scope(sqlite_engine) as session:
        rid3 = add_revision(session, sample_spec(), revision=3)
    _file(sqlite_engine)
    assert _codes_by_uscc(sqlite_engine, rid3) == first
    assert verify_code(first[wj_visit.uscc], engine=sqlite_engine, keys=RING).status == "valid"
    gone = verify_code(second["offsite:D-000300"], engine=sqlite_engine, keys=RING)
    assert gone.status == "revoked" and gone.replaced_by == first[wj_visit.uscc]
