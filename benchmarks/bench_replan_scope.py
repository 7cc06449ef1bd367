"""Benchmark: the replanner on the part of a district a night changes, against the whole.

    .venv/bin/python benchmarks/bench_replan_scope.py [--enterprises 650000] [--keep DIR]
        [--profile default] [--shares 0.0001,0.001,0.01,0.05]

For each share of new complaint triggers (as ``bench_replan.py`` writes them, on a fresh
copy of its filed district in ``--keep``): the triggers are imported, the filed revision
and the problem are loaded as ``replan`` loads them (untimed), and then, in this process,
the scheduler replans (1) the whole district and (2) only the enterprises with new
demands against the rest of the plan (:mod:`jointinspect.scheduler.replan_scope`), the
scope widened when CP-SAT re-solves a chunk holding the rest's visits. Both revisions must
hold the same visits and changes (the benchmark stops otherwise). Printed per share: the
triggers, the visits the replan changed, the scope (enterprises, and their visits of the
filed revision's), how often it was widened, and the seconds of each — the part's
including reading the part from the database (``data.plans.replan_part``; again when
widened), the whole's not its loading (3.4 s at 1 % on 650,000). Not timed: storing and
filing.
"""

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from bench_replan import AS_OF, QUARTER, ROOT, _settings, copy_database, prepare, write_triggers


def loaded(folder: Path, db: Path) -> tuple[Any, Any, int, Any]:
    """The problem and the filed revision of ``db`` after taking in its inbox, as
    ``replan_quarter`` loads them, the pinned working days and the filed revision's
    header (id, town centres)."""
    from jointinspect.data.bundle.inbox import take_inbox
    from jointinspect.data.plans.document import ordered_offsite, ordered_visits
    from jointinspect.data.plans.planning_inputs import load_planning_inputs
    from jointinspect.data.plans.replan_store import read_filed_revision
    from jointinspect.models import make_engine
    from jointinspect.models.quarter import Quarter
    from jointinspect.options import working_calendar
    from jointinspect.planning import build_problem, frozen_draw
    from jointinspect.rules import plan_result

    settings = _settings(folder, db)
    options = settings.options()
    engine = make_engine(settings.db)
    try:
        take_inbox(folder / "inbox", engine=engine, now=dt.datetime.now(dt.UTC))
        calendar = working_calendar(options)
        filed = read_filed_revision(QUARTER, engine=engine)
        drawn = frozen_draw(filed.rows)
        inputs = load_planning_inputs(
            Quarter.parse(QUARTER),
            engine=engine,
            calendar=calendar,
            trigger_response_days=options.trigger_response_days,
            only_enterprises_with_demands=[d.uscc for d in drawn],
            town_centres=filed.town_centres,
        )
        problem = build_problem(inputs, filed.header.seed, calendar, drawn)
        previous = plan_result(
            filed.rows,
            filed.header.quarter,
            filed.header.seed,
            filed.header.metrics,
            ordered_visits(filed.rows),
            ordered_offsite(filed.rows),
        )
    finally:
        engine.dispose()
    return problem, previous, options.pin_working_days, filed


def part(
    folder: Path, db: Path, filed: Any, problem: Any, previous: Any, scope: set[str], pin: int
) -> tuple[Any, Any, Any]:
    """The scope's problem and filed revision, and the rest as background, read from the
    database (``data.plans.replan_part``) as ``replan`` would; ``problem`` and ``previous``
    (the whole) give only the seed, the calendar's days and the filed metrics."""
    from jointinspect.data.plans.document import ordered_offsite, ordered_visits, read_revision_rows
    from jointinspect.data.plans.planning_inputs import load_planning_inputs
    from jointinspect.data.plans.replan_part import read_rest_of_plan
    from jointinspect.data.uscc_scope import uscc_scope
    from jointinspect.models import make_engine
    from jointinspect.models.quarter import Quarter
    from jointinspect.options import working_calendar
    from jointinspect.planning import build_problem, frozen_draw
    from jointinspect.rules import plan_result
    from jointinspect.scheduler.pinning import pin_window
    from jointinspect.scheduler.replan_scope import Background

    settings = _settings(folder, db)
    options = settings.options()
    calendar = working_calendar(options)
    engine = make_engine(settings.db)
    try:
        with engine.connect() as conn:
            with uscc_scope(conn, scope) as keep:
                rows = read_revision_rows(conn, filed.revision_id, keep)
            rest = read_rest_of_plan(conn, filed.revision_id, scope, AS_OF)
        inputs = load_planning_inputs(
            Quarter.parse(QUARTER),
            engine=engine,
            calendar=calendar,
            trigger_response_days=options.trigger_response_days,
            only_usccs=scope,
            town_centres=filed.town_centres,
        )
    finally:
        engine.dispose()
    pins = pin_window(problem.workdays, AS_OF, pin)
    movable_from = (
        problem.workdays[pins.first_free] if pins.first_free < len(problem.workdays) else None
    )
    return (
        build_problem(inputs, problem.seed, calendar, frozen_draw(rows)),
        plan_result(
            rows,
            QUARTER,
            previous.seed,
            previous.metrics,
            ordered_visits(rows),
            ordered_offsite(rows),
        ),
        Background.of_rows(rest.officer_days, rest.visits, movable_from),
    )


def changes(diff: dict[str, Any], visits: Any) -> list[Any]:
    """The diff's entries, each naming its filed visit by key rather than by place."""
    from jointinspect.scheduler.plan_diff import KINDS

    out = []
    for kind in KINDS:
        for entry in diff[kind]:
            named = {k: v for k, v in entry.items() if k != "previous_index"}
            if "previous_index" in entry:
                named["filed"] = visits[entry["previous_index"]].key
            out.append((kind, sorted(named.items(), key=str)))
    return out


def measure(
    folder: Path, db: Path, filed: Any, problem: Any, previous: Any, pin: int
) -> dict[str, Any]:
    from jointinspect.scheduler.replan import replan
    from jointinspect.scheduler.replan_scope import ScopeTooNarrow

    known = {t.demand_id for v in previous.visits for t in v.tasks}
    known |= {o.demand_id for o in previous.offsite} | {u.demand_id for u in previous.unscheduled}
    changed = {d.uscc for d in problem.demands if d.id not in known}
    started = time.monotonic()
    whole = replan(problem, previous, AS_OF, pin)
    whole_s = time.monotonic() - started
    started = time.monotonic()
    scope, widened = set(changed), 0
    while True:
        sub_problem, sub_previous, background = part(
            folder, db, filed, problem, previous, scope, pin
        )
        try:
            scoped = replan(sub_problem, sub_previous, AS_OF, pin, background=background)
            break
        except ScopeTooNarrow as narrow:
            scope |= narrow.usccs
            widened += 1
    part_s = time.monotonic() - started
    rest = [v for v in previous.visits if v.uscc not in scope]
    merged = sorted([*scoped.result.visits, *rest], key=lambda v: (v.date, v.town, v.uscc, v.key))
    if merged != list(whole.result.visits) or changes(scoped.diff, sub_previous.visits) != changes(
        whole.diff, previous.visits
    ):
        raise SystemExit("the part's replan differs from the whole district's")
    return {
        "changed": len(changed),
        "scope": len(scope),
        "scope_visits": len(sub_previous.visits),
        "visits": len(previous.visits),
        "widened": widened,
        "whole": whole_s,
        "part": part_s,
        "changed_visits": whole.diff["counts"]["changed_visits"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--keep", type=Path, default=ROOT / "benchmarks" / "out" / "replan650k")
    parser.add_argument("--profile", default="default", help="the generator's stress profile")
    parser.add_argument("--shares", default="0.0001,0.001,0.01,0.05")
    args = parser.parse_args()
    folder: Path = args.keep
    folder.mkdir(parents=True, exist_ok=True)
    base = prepare(folder, args.enterprises, args.profile)
    print(
        f"{args.enterprises:,} enterprises: the scheduler's replan, whole district against "
        "the changed part (seconds; equal revisions)"
    )
    print(
        f"  {'share':>7} {'triggers':>8} {'changed':>8} {'scope':>7} {'visits':>15} "
        f"{'widened':>7} {'whole s':>7} {'part s':>7}"
    )
    for share in (float(x) for x in args.shares.split(",")):
        work = folder / "work.db"
        copy_database(base, work)
        triggers = write_triggers(work, folder / "inbox", share)
        problem, previous, pin, filed = loaded(folder, work)
        m = measure(folder, work, filed, problem, previous, pin)
        print(
            f"  {share:>7.2%} {triggers:>8,} {m['changed_visits']:>8,} {m['scope']:>7,} "
            f"{m['scope_visits']:>6,} of {m['visits']:>6,} {m['widened']:>7} "
            f"{m['whole']:>7.2f} {m['part']:>7.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
