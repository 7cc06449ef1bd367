"""``file_plan(filed_rows=…)``: the filed revision's rows a replan already read are used
for it, and only for it (rows of another revision are ignored)."""

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest
from plan_factory import USCC, add_revision, sample_plan, sample_spec
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.filing import FilingResult, file_plan
from jointinspect.data.replan_store import RevisionRows, filed_plan, read_revision_rows
from jointinspect.models import create_schema, make_engine, session_scope
from jointinspect.models.codes import CodeKey

KEY = CodeKey("k1", bytes.fromhex("11" * 32))
NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
NOTHING = RevisionRows([], {}, {}, [], [])


def _no_violations(_session: Session, _revision_id: int) -> Sequence[str]:
    return []


def _refile(db_url: str, given: object) -> tuple[FilingResult, dict[str, str | None]]:
    """File the sample plan, then a revision moving its first visit with ``given``
    (``"filed"``: the rows ``filed_plan`` read) as ``filed_rows``; the result and the
    codes of revision 1 and of revision 2 by enterprise."""
    engine: Engine = make_engine(db_url)
    create_schema(engine)
    rid1 = sample_plan(engine)
    file_plan("2025Q3", engine=engine, key=KEY, filed_by="t", now=NOW, check=_no_violations)
    filed = filed_plan("2025Q3", engine=engine)
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
