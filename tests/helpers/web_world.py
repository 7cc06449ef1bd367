"""A database with a filed plan and one code of every status, for the web tests.

Revision 1 of the sample plan is filed, then revision 2 moves the bakery's visit, so its
first code is revoked and names a replacement. ``unknown`` is made with the district's
key but never filed; ``forged`` is well formed but made with a key the district does not
hold; ``malformed`` fails the check character.
"""

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from helpers.plan_factory import USCC, add_revision, sample_plan, sample_spec
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.plans.document import load_plan_document
from jointinspect.models import create_schema, make_engine, session_scope
from jointinspect.models.codes import Binding, CodeKey, issue_code

KEY = CodeKey("k1", bytes.fromhex("5a" * 32))
STRANGER = CodeKey("k1", bytes.fromhex("a5" * 32))
KEY_SETTING = f"{KEY.id}:{KEY.secret.hex()}"
RING = KeyRing((KEY,))
FILED_AT = dt.datetime(2025, 6, 20, 1, 0, tzinfo=dt.UTC)
STRAY = Binding("visit", USCC[0], dt.date(2025, 7, 1), ("SCJ",), (), ("SCJ-FOOD-01",), ("D-x",))


@dataclass(frozen=True)
class WebWorld:
    url: str
    engine: Engine
    valid: str  # the bakery's joint SCJ + XF visit, moved to 2025-07-10 by revision 2
    valid_date: dt.date
    other_valid: str  # the KTV's visit: another enterprise, which the bakery must not see
    offsite: str
    revoked: str
    unknown: str
    forged: str
    malformed: str


def _no_violations(_session: object, _revision_id: int) -> list[str]:
    return []


def build_world(url: str) -> WebWorld:
    engine = make_engine(url)
    create_schema(engine)
    sample_plan(engine)
    file_plan("2025Q3", engine=engine, key=KEY, filed_by="t", now=FILED_AT, check=_no_violations)
    with session_scope(engine) as session:
        first = load_plan_document(session=session, revision_id=1)
    spec = sample_spec()
    moved = dataclasses.replace(spec.visits[0], date=dt.date(2025, 7, 10))
    with session_scope(engine) as session:
        rid = add_revision(
            session, dataclasses.replace(spec, visits=[moved, *spec.visits[1:]]), revision=2
        )
    file_plan(
        "2025Q3",
        engine=engine,
        key=KEY,
        filed_by="t",
        now=FILED_AT + dt.timedelta(days=1),
        check=_no_violations,
    )
    with session_scope(engine) as session:
        second = load_plan_document(session=session, revision_id=rid)
    by_uscc = {v.uscc: v.code or "" for v in second.visits}
    revoked = next(v.code or "" for v in first.visits if v.uscc == USCC[0])
    valid = by_uscc[USCC[0]]
    malformed = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    return WebWorld(
        url=url,
        engine=engine,
        valid=valid,
        valid_date=dt.date(2025, 7, 10),
        other_valid=by_uscc[USCC[1]],
        offsite=second.offsite[0].code or "",
        revoked=revoked,
        unknown=issue_code(STRAY, KEY),
        forged=issue_code(STRAY, STRANGER),
        malformed=malformed,
    )
