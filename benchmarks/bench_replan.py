"""Benchmark: the nightly replan of a 650,000-enterprise district with 1 % new triggers.

    .venv/bin/python benchmarks/bench_replan.py [--enterprises N] [--keep DIR]
        [--prepare-only] [--profile default|tight|multi|dense|bigtown|every]
        [--shares 0.0001,0.001,0.01,0.05]

Preparation (untimed, minutes at full scale; reused from ``--keep DIR`` when there):
generate the synthetic district (2025Q4) → import → grade → plan → file, into
``DIR/base.db``. The timed part copies that database and runs what the daemon runs each
night — ``replan`` with new complaint triggers for 1 % of the plan's visits dropped into
the inbox: import the bundle, regrade, replan with the previous revision pinned and
penalised, file (codes kept or revoked). Reported: wall time per stage, the share of
visits changed, pinned visits changed (must be 0). Goal (issue 15): ≤ 5 s.
``--profile`` generates the district with one of the generator's stress profiles.

``--whole`` replans the whole district (``replan --whole``) rather than the enterprises
with news against the rest, for a comparison; the revision is the same.

``--shares`` replans once per share of new triggers, each on a fresh copy of the filed
district, and prints the curve: replan time against the size of the change (issue 15:
it should grow with the change, not with the district).
"""

import argparse
import csv
import datetime as dt
import gc
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUARTER = "2025Q4"
SEED = "bench"
#: The replan's date: a Monday inside the quarter, so history, pinned days and the rest
#: of the quarter are all present.
AS_OF = dt.date(2025, 11, 3)
TRIGGER_SHARE = 0.01


def _settings(folder: Path, db: Path) -> Any:
    from jointinspect.cli.settings import Settings

    return Settings(
        db=f"sqlite:///{db}",
        key_file=folder / "bench.key",
        inbox_dir=folder / "inbox",  # type: ignore[call-arg]
    )


def prepare(folder: Path, enterprises: int, profile: str = "default") -> Path:
    from jointinspect import rules as hard_rules
    from jointinspect.data.bundle.importer import import_bundle
    from jointinspect.data.codes.filing import file_plan
    from jointinspect.data.synthetic.district import generate_district
    from jointinspect.grading import grade_district, store_grades
    from jointinspect.models import create_schema, make_engine
    from jointinspect.models.quarter import Quarter
    from jointinspect.models.workdays import WorkingCalendar
    from jointinspect.options import create_key_file, grading_config, load_keys
    from jointinspect.planning import make_plan
    from jointinspect.scheduler.params import SchedulerParams

    base = folder / "base.db"
    if base.exists():
        return base
    quarter = Quarter.parse(QUARTER)
    settings = _settings(folder, folder / "prep.db")
    create_key_file(settings.key_file)
    marks = [time.monotonic()]
    district = folder / "district"
    if not (district / "bundle" / "enterprises.csv").exists():
        generate_district(
            district, enterprises=enterprises, seed=SEED, quarter=quarter, profile=profile
        )
    marks.append(time.monotonic())
    engine = make_engine(settings.db)
    create_schema(engine)
    import_bundle(district / "bundle", engine=engine)
    marks.append(time.monotonic())
    as_of = quarter.first_day - dt.timedelta(days=1)
    store_grades(
        grade_district(engine=engine, as_of=as_of, config=grading_config(settings.options())),
        engine=engine,
    )
    marks.append(time.monotonic())
    make_plan(
        quarter,
        f"{QUARTER}-{SEED}",
        engine=engine,
        calendar=WorkingCalendar(),
        trigger_response_days=settings.trigger_response_days,
        prefix=settings.district_prefix,
        params=SchedulerParams.default(),
    )
    marks.append(time.monotonic())
    file_plan(
        QUARTER,
        engine=engine,
        key=load_keys(settings.options(), engine).current,
        filed_by="bench",
        now=dt.datetime.now(dt.UTC),
        check=hard_rules.hard_rule_check(settings.options()),
    )
    marks.append(time.monotonic())
    engine.dispose()
    stages = ("generate", "import", "grade", "plan", "file")
    took = {s: round(b - a, 1) for s, a, b in zip(stages, marks, marks[1:], strict=False)}
    print(f"prepared {enterprises:,} enterprises: {took}", file=sys.stderr)
    (folder / "prep.db").rename(base)
    return base


#: The filed revision's on-site tasks (enterprise, department, item), in a fixed order.
FILED_TASKS = (
    "SELECT v.uscc, t.department, t.item FROM visit v "
    "JOIN revision_visit m ON m.visit_id = v.id "
    "JOIN plan_revision r ON r.id = m.revision_id "
    "JOIN visit_task t ON t.visit_id = v.id "
    "JOIN item i ON i.code = t.item "
    "WHERE r.status = 'filed' AND i.mode != 'offsite' ORDER BY v.id, t.demand_id"
)


def write_triggers(db: Path | str, inbox: Path, share: float) -> int:
    """Complaint triggers for ``share`` of the filed visits' enterprises, as the bundle
    ``inbox/night-1`` (``inbox`` emptied first); ``db`` a SQLite file or a PostgreSQL
    URL. ``bench_profiles`` uses it too."""
    if isinstance(db, str):
        from sqlalchemy import text

        from jointinspect.models import make_engine

        engine = make_engine(db)
        with engine.connect() as server:
            found = [tuple(row) for row in server.execute(text(FILED_TASKS))]
        engine.dispose()
        shutil.rmtree(inbox, ignore_errors=True)
        return write_complaints(inbox / "night-1", found, share)
    with sqlite3.connect(db) as conn:
        # A database from before migration 0007 (``--code`` of older code) has no lists
        # of the rows a revision holds; each row is its writer's alone there.
        listed = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'revision_visit'"
        ).fetchone()[0]
        query = FILED_TASKS
        if not listed:
            query = query.replace(
                "JOIN revision_visit m ON m.visit_id = v.id "
                "JOIN plan_revision r ON r.id = m.revision_id ",
                "JOIN plan_revision r ON r.id = v.revision_id ",
            )
        rows = conn.execute(query).fetchall()
    shutil.rmtree(inbox, ignore_errors=True)
    return write_complaints(inbox / "night-1", rows, share)


def write_complaints(bundle: Path, tasks: list[Any], share: float, day: dt.date = AS_OF) -> int:
    """A bundle of complaint triggers received on ``day`` for ``share`` of the enterprises
    of ``tasks`` (``FILED_TASKS``' rows), chosen by a hash of their USCC; how many."""
    one_per_enterprise: dict[str, tuple[str, str]] = {}
    for uscc, dept, item in tasks:
        one_per_enterprise.setdefault(uscc, (dept, item))
    ranked = sorted(one_per_enterprise, key=lambda u: hashlib.sha256(u.encode()).hexdigest())
    chosen = ranked[: max(1, round(share * len(one_per_enterprise)))]
    bundle.mkdir(parents=True)
    received = dt.datetime.combine(day, dt.time(9), dt.timezone(dt.timedelta(hours=8)))
    with (bundle / "triggers.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "uscc", "kind", "received_at", "department", "item", "severity"])
        for n, uscc in enumerate(chosen, start=1):
            dept, item = one_per_enterprise[uscc]
            out.writerow(
                [f"BENCH-C{n:06d}", uscc, "complaint", received.isoformat(), dept, item, 2]
            )
    return len(chosen)


def run_replan(folder: Path, db: Path, whole: bool = False) -> dict[str, Any]:
    from jointinspect.models import make_engine
    from jointinspect.replanning import replan_quarter

    settings = _settings(folder, db)
    engine = make_engine(settings.db)
    started = time.monotonic()
    run = replan_quarter(
        QUARTER, options=settings.options(), engine=engine, as_of=AS_OF, whole=whole
    )
    wall = time.monotonic() - started
    engine.dispose()
    return {"wall_seconds": round(wall, 2), "run": run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--keep", type=Path, default=ROOT / "benchmarks" / "out" / "replan650k")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument(
        "--whole", action="store_true", help="replan the whole district (replan --whole)"
    )
    parser.add_argument("--profile", default="default", help="the generator's stress profile")
    parser.add_argument(
        "--shares",
        help="comma-separated shares of new triggers (e.g. 0.0001,0.001,0.01,0.05): a curve",
    )
    args = parser.parse_args()
    folder: Path = args.keep
    folder.mkdir(parents=True, exist_ok=True)
    base = prepare(folder, args.enterprises, args.profile)
    if args.prepare_only:
        return
    if args.shares:
        curve(
            folder, base, [float(x) for x in args.shares.split(",")], args.enterprises, args.whole
        )
        return
    triggers, figures = replan_once(folder, base, TRIGGER_SHARE, args.whole)
    run = figures["run"]
    diff = run.diff
    counts = diff["counts"]
    previous = counts["previous_visits"]
    changed = counts["changed_visits"]
    print(f"{args.enterprises:,} enterprises, {triggers:,} new complaint triggers")
    print(f"replan wall time      {figures['wall_seconds']:>8} s  (goal ≤ 5 s)")
    print(f"stages                {json.dumps(run.seconds)}")
    print(f"previous visits       {previous:>8,}")
    print(
        f"changed visits        {changed:>8,}  ({changed / max(previous, 1):.2%} of the plan; "
        f"added {counts['added']}, moved {counts['moved']}, re-staffed {counts['restaffed']}, "
        f"re-tasked {counts['retasked']}, cancelled {counts['cancelled']})"
    )
    print(f"pinned visits changed {counts['pinned_changed']:>8}")
    print(f"filed revision        {run.filing.revision if run.filing else '-'}")


def copy_database(source: Path, copy: Path) -> None:
    """``copy`` of the SQLite database ``source``. A write-ahead log an interrupted run
    left beside an earlier copy would be replayed into this one (SQLite cannot tell it
    belongs to another file), so it goes first — after the cycle collector has closed any
    connection of the previous step still waiting for it (replanning runs with it off),
    whose files are not to be taken from under it."""
    gc.collect()
    for stale in (copy.with_name(copy.name + "-wal"), copy.with_name(copy.name + "-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(source, copy)


def replan_once(
    folder: Path, base: Path, share: float, whole: bool = False
) -> tuple[int, dict[str, Any]]:
    """New triggers for ``share`` of the planned enterprises, replanned on a fresh copy."""
    work = folder / "work.db"
    copy_database(base, work)
    triggers = write_triggers(work, folder / "inbox", share)
    os.sync()  # the copy written out before the clock starts (see bench_profiles)
    return triggers, run_replan(folder, work, whole)


def curve(
    folder: Path, base: Path, shares: list[float], enterprises: int, whole: bool = False
) -> None:
    """One replan per share; a table of time against the change."""
    stages = ("news", "regrade", "replan", "store", "file")
    print(f"{enterprises:,} enterprises: replan time by share of new complaint triggers")
    head = (
        f"  {'share':>7} {'triggers':>8} {'changed':>8} {'replanned':>9} {'wall s':>7} "
        + " ".join(f"{s:>7}" for s in stages)
    )
    print(head)
    for share in shares:
        triggers, figures = replan_once(folder, base, share, whole)
        run = figures["run"]
        changed = run.diff["counts"]["changed_visits"] if run.diff else 0
        cells = " ".join(f"{run.seconds.get(s, 0.0):>7.2f}" for s in stages)
        # How many enterprises were replanned (all, when the whole district was).
        scope = f"{run.scope:,}" if run.scope is not None else "all"
        print(
            f"  {share:>7.2%} {triggers:>8,} {changed:>8,} {scope:>9} "
            f"{figures['wall_seconds']:>7.2f} {cells}",
            flush=True,
        )


if __name__ == "__main__":
    main()
