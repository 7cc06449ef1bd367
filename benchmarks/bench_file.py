"""Benchmark: filing (备案) a plan of the 650,000-enterprise district.

    /tmp/venv/bin/python benchmarks/bench_file.py --db PLANNED.db [--work DIR] [--check-here]

``PLANNED.db`` is a SQLite database whose quarter (2025Q4) has a draft plan on top, e.g.
one ``bench_plan.py`` leaves behind, or ``bench_replan.py --prepare-only``'s
``prep.db`` before filing. It is copied to ``DIR/work.db`` (never changed) and then:

1. ``file``: the draft is filed as the ``file`` command does it, the hard-rule check
   included — in a second process while the codes are made and written, as the command
   does from ``CHECK_APART_FROM`` visits and checks on, or with ``--check-here`` in this
   process, timed apart — every visit and off-site check gets a new code;
2. ``refile``: a draft equal to the filed revision except that every 100th visit moves
   by one day is stored and filed (hard-rule check skipped: the moved visits may well
   break rules, and the check is the planner's cost, not filing's) — codes carried over,
   the moved visits' codes revoked and replaced;
3. ``unchanged``: a draft equal to the filed revision is refused as unchanged, then
   discarded (as ``replan`` does).
"""

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench_replan import copy_database

QUARTER = "2025Q4"
MOVED_EVERY = 100


def _key() -> Any:
    from jointinspect.models.codes import CodeKey

    return CodeKey("bench", b"bench-key-" * 4)


def file_first(engine: Any, settings: Any, *, here: bool) -> dict[str, Any]:
    from sqlmodel import Session

    from jointinspect import rules as hard_rules
    from jointinspect.data.codes.filing import file_plan
    from jointinspect.filing import CHECK_APART_FROM

    inner = hard_rules.hard_rule_check(settings.options())
    spent: dict[str, float] = {}

    def timed_check(session: Session, revision_id: int) -> Sequence[str]:
        started = time.monotonic()
        found = inner(session, revision_id)
        spent["check"] = time.monotonic() - started
        return found

    started = time.monotonic()
    result = file_plan(
        QUARTER,
        engine=engine,
        key=_key(),
        filed_by="bench",
        now=dt.datetime.now(dt.UTC),
        check=timed_check if here else inner,
        check_apart_from=None if here else CHECK_APART_FROM,
    )
    wall = time.monotonic() - started
    return {"wall": wall, "check": spent.get("check"), "result": result}


def store_copy(engine: Any, moved_every: int | None) -> int:
    """Store the filed revision again as a draft, every ``moved_every``-th visit a day later."""
    from jointinspect.data.plans.replan_store import read_filed_revision
    from jointinspect.data.plans.store import store_draft
    from jointinspect.rules import plan_result

    filed = read_filed_revision(QUARTER, engine=engine)
    header = filed.header
    plan = plan_result(filed.rows, header.quarter, header.seed, header.metrics)
    if moved_every:
        visits = tuple(
            replace(v, date=v.date + dt.timedelta(days=1)) if n % moved_every == 0 else v
            for n, v in enumerate(plan.visits)
        )
        plan = replace(plan, visits=visits)
    stored = store_draft(plan, engine=engine, prefix="FX", generated_at=dt.datetime.now(dt.UTC))
    return stored.visits


def file_again(engine: Any) -> dict[str, Any]:
    from jointinspect.data.codes.filing import file_plan

    started = time.monotonic()
    result = file_plan(
        QUARTER,
        engine=engine,
        key=_key(),
        filed_by="bench",
        now=dt.datetime.now(dt.UTC),
        check=lambda _session, _revision_id: [],
    )
    return {"wall": time.monotonic() - started, "result": result}


def refuse_unchanged(engine: Any) -> tuple[float, float]:
    from jointinspect.data.codes.filing import UnchangedPlanError, file_plan
    from jointinspect.data.plans.drafts import discard_drafts

    started = time.monotonic()
    try:
        file_plan(
            QUARTER,
            engine=engine,
            key=_key(),
            filed_by="bench",
            now=dt.datetime.now(dt.UTC),
            check=lambda _session, _revision_id: [],
        )
    except UnchangedPlanError:
        wall = time.monotonic() - started
    else:
        raise SystemExit("an unchanged draft was filed")
    started = time.monotonic()
    discard_drafts(QUARTER, engine=engine)
    return wall, time.monotonic() - started


def _counts(result: Any) -> str:
    return (
        f"{result.codes_issued:,} issued, {result.codes_kept:,} kept, "
        f"{result.codes_revoked:,} revoked"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a planned (draft) database")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_file"))
    parser.add_argument(
        "--check-here",
        action="store_true",
        help="run the hard-rule check in this process and time it apart",
    )
    args = parser.parse_args()
    from jointinspect.cli.settings import Settings
    from jointinspect.database import upgrade_database
    from jointinspect.models import make_engine

    args.work.mkdir(parents=True, exist_ok=True)
    work = args.work / "work.db"
    copy_database(args.db, work)
    settings = Settings(db=f"sqlite:///{work}")
    upgrade_database(settings.db)  # a copy made by an older version gets its migrations
    os.sync()  # the copy written out before the clock starts (see bench_profiles)
    engine = make_engine(settings.db)
    first = file_first(engine, settings, here=args.check_here)
    how = (
        f"hard-rule check {first['check']:.2f} s, "
        f"filing itself {first['wall'] - first['check']:.2f} s"
        if first["check"] is not None
        else "hard-rule check in a second process"
    )
    print(f"file       {first['wall']:7.2f} s  ({how}): {_counts(first['result'])}")
    sys.stdout.flush()
    visits = store_copy(engine, MOVED_EVERY)
    again = file_again(engine)
    print(
        f"refile     {again['wall']:7.2f} s  ({visits:,} visits, every {MOVED_EVERY}th moved; "
        f"no hard-rule check): {_counts(again['result'])}"
    )
    sys.stdout.flush()
    store_copy(engine, None)
    refused, discarded = refuse_unchanged(engine)
    print(f"unchanged  {refused:7.2f} s  (refused as unchanged; discarding it {discarded:.2f} s)")
    engine.dispose()


if __name__ == "__main__":
    main()
