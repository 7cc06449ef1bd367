"""What a replan takes for news (``news_since``): the enterprises with new demands or
triggers, and those whose visits or checks have an outcome dated since the filed revision,
found by the outcomes' codes — what the tables hold of earlier revisions costs nothing."""

import datetime as dt

from helpers.sqlite_steps import counting_engine
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from jointinspect.data.plans.replan_part import filed_demands
from jointinspect.data.plans.replan_store import News, news_since, read_filed_head
from jointinspect.models import OffsiteCheck, Outcome, Visit
from jointinspect.models.core_table import table_of

QUARTER = "2025Q4"
SINCE = dt.date(2025, 11, 1)


def _news(engine: Engine) -> News:
    head = read_filed_head(QUARTER, engine=engine)
    with engine.connect() as conn:
        held = filed_demands(conn, head.revision_id)
    return news_since(engine=engine, known_demands=held, outcomes_since=SINCE)


def test_outcomes_since_the_revision_bring_their_enterprises(filed_engine: Engine) -> None:
    assert not _news(filed_engine).touched  # nothing new in the filed world
    v, c = table_of(Visit).c, table_of(OffsiteCheck).c
    with filed_engine.connect() as conn:
        visits = conn.execute(
            select(v.code, v.uscc).where(v.code.is_not(None)).order_by(v.code)
        ).all()
        checks = conn.execute(
            select(c.code, c.uscc, c.item).where(c.code.is_not(None)).order_by(c.code)
        ).all()
    (visit_code, visit_uscc), (old_code, old_uscc) = visits[0], visits[-1]
    check_code, check_uscc, item = next(k for k in checks if k[1] not in (visit_uscc, old_uscc))
    assert old_uscc != visit_uscc
    earlier = SINCE - dt.timedelta(days=10)  # before the revision's date: not news
    with filed_engine.begin() as conn:
        conn.execute(
            insert(table_of(Outcome)),
            [
                {"code": visit_code, "item": item, "result": "compliant", "date": SINCE},
                {"code": check_code, "item": item, "result": "violation", "date": SINCE},
                {"code": old_code, "item": item, "result": "compliant", "date": earlier},
            ],
        )
    assert _news(filed_engine).touched == {visit_uscc, check_uscc}


def _steps(engine: Engine) -> int:
    """SQLite's steps (in hundreds) of ``news_since``."""
    head = read_filed_head(QUARTER, engine=engine)
    with engine.connect() as conn:
        held = filed_demands(conn, head.revision_id)
    with counting_engine(str(engine.url), 100) as (counting, steps):
        news_since(engine=counting, known_demands=held, outcomes_since=SINCE)
    return steps.count


def test_checks_of_earlier_revisions_cost_the_news_nothing(filed_engine: Engine) -> None:
    """SQLite joined outcomes to checks by walking every check of every revision and
    looking its code up among the outcomes (310,000 probes a night on a district)."""
    before = _steps(filed_engine)
    c = table_of(OffsiteCheck).c
    with filed_engine.begin() as conn:
        template = dict(conn.execute(select(table_of(OffsiteCheck))).mappings().first() or {})
        first = conn.execute(select(c.id).order_by(c.id.desc())).scalars().first()
        assert first is not None
        conn.execute(
            insert(table_of(OffsiteCheck)),
            [
                {
                    **template,
                    "id": first + k + 1,
                    "code": f"OLD-{k:06d}",
                }
                for k in range(20_000)
            ],
        )
    after = _steps(filed_engine)
    assert after < before * 1.5, f"20,000 unheld checks took the news from {before} to {after}"
