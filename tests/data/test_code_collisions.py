"""Two checks whose bindings share their 40 bits each get a code of their own.

A code is named by 40 bits of its binding's MAC, so among the 170,000 checks of a
650,000-enterprise district's quarter two unrelated ones share them about once in 75
filings (it happened to the tight profile's benchmark). The pair below was found by a
birthday search under ``K1``: two off-site checks whose plain (variant 0) codes are one
code. The tests check that premise first.
"""

import datetime as dt
from collections.abc import Sequence

import pytest
from helpers.plan_factory import USCC, OffsiteSpec, RevisionSpec, add_revision
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.codes.bindings import offsite_fields
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.codes.issue import issue_codes
from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.codes.verification import verify_code
from jointinspect.models import (
    InspectionCode,
    OffsiteCheck,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.codes import CodeKey
from jointinspect.models.core_table import table_of

K1 = CodeKey("k1", bytes.fromhex("11" * 32))
RING = KeyRing((K1,))
NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
DUE = dt.date(2025, 7, 31)
# Found by a birthday search over demand ids D-C0, D-C1, … (enterprise n mod 4).
FIRST = OffsiteSpec("D-C1681586", USCC[2], "WJ", "WJ-REMOTE-03", DUE)
SECOND = OffsiteSpec("D-C2139795", USCC[3], "WJ", "WJ-REMOTE-03", DUE)


def _plain_code(check: OffsiteSpec) -> str:
    fields = offsite_fields(check.uscc, check.due, check.department, check.item, check.demand_id)
    return issue_codes([fields], K1)[0]


def no_violations(_session: Session, _revision_id: int) -> Sequence[str]:
    return []


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    create_schema(engine)
    return engine


def _file_revision(engine: Engine, revision: int, *checks: OffsiteSpec) -> dict[str, str]:
    """Write revision ``revision`` holding ``checks``, file it; each demand's code."""
    with session_scope(engine) as session:
        rid = add_revision(session, RevisionSpec(offsite=list(checks)), revision=revision)
    file_plan("2025Q3", engine=engine, key=K1, filed_by="c", now=NOW, check=no_violations)
    c = table_of(OffsiteCheck).c
    with engine.connect() as conn:
        rows = conn.execute(select(c.demand_id, c.code).where(c.revision_id == rid)).all()
    return {demand: code for demand, code in rows}


def _verified(engine: Engine, code: str) -> tuple[str, str | None]:
    answer = verify_code(code, engine=engine, keys=RING)
    return answer.status, (answer.enterprise or {}).get("uscc")


def _variant(engine: Engine, code: str) -> int:
    c = table_of(InspectionCode).c
    with engine.connect() as conn:
        return int(conn.execute(select(c.variant).where(c.code == code)).scalar_one())


def test_the_pair_shares_its_plain_code() -> None:
    assert _plain_code(FIRST) == _plain_code(SECOND)


def test_two_checks_of_one_filing_get_codes_of_their_own(engine: Engine) -> None:
    codes = _file_revision(engine, 1, FIRST, SECOND)
    first, second = codes[FIRST.demand_id], codes[SECOND.demand_id]
    # The first in entry order keeps the plain code; the other is made with variant 1.
    assert first == _plain_code(FIRST) and second != first
    assert (_variant(engine, first), _variant(engine, second)) == (0, 1)
    assert _verified(engine, first) == ("valid", FIRST.uscc)
    assert _verified(engine, second) == ("valid", SECOND.uscc)


def test_a_replan_s_new_check_does_not_take_an_old_check_s_code(engine: Engine) -> None:
    old = _file_revision(engine, 1, FIRST)[FIRST.demand_id]
    # Revision 2 drops the first check and plans the second, whose plain code is the
    # first's: taken for the same check planned again, it was repointed at the second.
    new = _file_revision(engine, 2, SECOND)[SECOND.demand_id]
    assert new != old
    assert _verified(engine, old) == ("revoked", FIRST.uscc)
    assert _verified(engine, new) == ("valid", SECOND.uscc)


def test_a_code_made_with_a_variant_is_kept_and_comes_back(engine: Engine) -> None:
    both = _file_revision(engine, 1, FIRST, SECOND)
    # Kept: the second check unchanged in the next revision keeps its code.
    other = OffsiteSpec("D-OTHER", USCC[0], "WJ", "WJ-REMOTE-03", DUE)
    assert (
        _file_revision(engine, 2, FIRST, SECOND, other)[SECOND.demand_id] == both[SECOND.demand_id]
    )
    # Dropped, then planned again: the same code is valid again, made the same way.
    gone = _file_revision(engine, 3, FIRST, other)
    assert SECOND.demand_id not in gone
    assert _verified(engine, both[SECOND.demand_id])[0] == "revoked"
    back = _file_revision(engine, 4, FIRST, SECOND)
    assert back == both
    assert _verified(engine, both[SECOND.demand_id]) == ("valid", SECOND.uscc)
