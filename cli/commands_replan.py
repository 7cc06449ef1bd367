"""``replan --quarter Q [--as-of DATE]`` and ``daemon``: nightly replanning."""

import datetime as dt
import getpass
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.city_options import (
    AllDistrictsOption,
    DistrictOption,
    EngineOption,
    RayAddressOption,
    RedoOption,
    city_fanout,
    print_city,
)
from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    elapsed_progress,
    open_engine,
    parse_quarter,
    reports_errors,
    settings_for,
    starting,
)

# The replanning workflow and the daemon (the planner, APScheduler) are imported when a
# command runs, not for its help.
if TYPE_CHECKING:
    from jointinspect.replanning import ReplanRun

#: Changed visits listed one per line before the rest are counted.
SHOWN_CHANGES = 20


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def replan(
        ctx: typer.Context,
        quarter: QuarterOption,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                metavar="DATE",
                help="Replan from this date (YYYY-MM-DD; default today in China): visits "
                "before it are history; filed visits of the next "
                "$JOINTINSPECT_PIN_WORKING_DAYS (default 2) working days stay as filed.",
                show_default=False,
            ),
        ] = None,
        district: DistrictOption = None,
        all_districts: AllDistrictsOption = False,
        redo: RedoOption = False,
        engine_name: EngineOption = "local",
        ray_address: RayAddressOption = None,
        whole: Annotated[
            bool,
            typer.Option(
                "--whole",
                help="Replan every enterprise of the district, not only those with news "
                "(the revision is the same; for an audit of that, or after a change the "
                "replan cannot see).",
            ),
        ] = False,
        db: DbOption = None,
    ) -> None:
        """Take in new triggers and outcomes, make the next revision and file it.

        Imports bundles waiting in the inbox ($JOINTINSPECT_INBOX_DIR), turns off-site
        violations into follow-up demands, regrades the enterprises with new demands,
        replans with as little change as possible and files the revision (new codes for
        changed visits, old ones revoked). Prints what changed.
        """
        with starting():
            from jointinspect.replanning import replan_quarter

        settings = settings_for(ctx, db)
        q = parse_quarter(quarter)
        day = _date(as_of)
        city = city_fanout(district, all_districts, engine_name, ray_address, redo)
        if whole and city is not None:
            raise typer.BadParameter(
                "--whole replans one district; give --district CODE instead of --all-districts",
                param_hint="--whole",
            )
        started = time.monotonic()
        progress = elapsed_progress(started)
        if city is not None:
            from jointinspect.city import replan_districts
            from jointinspect.models.timezones import CHINA

            run_city = replan_districts(
                str(q),
                url=settings.db,
                as_of=day or dt.datetime.now(CHINA).date(),
                options=settings.options(),
                fanout=city,
                filed_by=getpass.getuser(),
                progress=progress,
            )
            print_city(run_city)
            return
        engine = open_engine(settings, district=district)

        try:
            run = replan_quarter(
                str(q),
                options=settings.options(),
                engine=engine,
                as_of=day,
                filed_by=getpass.getuser(),
                progress=progress,
                whole=whole,
            )
        finally:
            engine.dispose()
        print_run(run, settings.inbox_dir)

    @app.command()
    @reports_errors
    def daemon(
        ctx: typer.Context,
        district: DistrictOption = None,
        all_districts: AllDistrictsOption = False,
        engine_name: EngineOption = "local",
        ray_address: RayAddressOption = None,
        db: DbOption = None,
    ) -> None:
        """Run the nightly replanning on its schedule until stopped (SIGTERM, Ctrl-C).

        Schedule: $JOINTINSPECT_REPLAN_CRON (default 02:00 in
        $JOINTINSPECT_REPLAN_TIMEZONE, Asia/Shanghai) or every
        $JOINTINSPECT_REPLAN_INTERVAL_SECONDS; the job is kept in the database
        (apscheduler_jobs).
        Each run replans and files the current quarter, exports and pushes the changes,
        and logs one line. With --all-districts, each run replans every district of a
        city's database (a district that fails is logged and the others go on), and the
        job is kept in the city's own tables.
        """
        from jointinspect.cli.daemon import run_daemon

        settings = settings_for(ctx, db)
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        city = city_fanout(district, all_districts, engine_name, ray_address)
        if city is None:
            engine = open_engine(settings, district=district)
        else:
            from jointinspect.database import open_city

            engine = open_city(settings.db)
        try:
            run_daemon(settings, engine, city)
        finally:
            engine.dispose()


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date YYYY-MM-DD", param_hint="--as-of"
        ) from None


def print_run(run: "ReplanRun", inbox: Path | None) -> None:
    if run.misplaced and inbox is not None:
        from jointinspect.replanning import misplaced_warning

        typer.echo(f"Warning: inbox: {misplaced_warning(inbox, run.misplaced)}")
    if run.discarded:
        numbers = ", ".join(map(str, run.discarded))
        typer.echo(f"Discarded unfiled draft revision {numbers} of {run.quarter}.")
    for item in run.inbox:
        state = f"imported ({item.rows} rows)" if item.imported else f"refused: {item.error}"
        typer.echo(f"inbox {item.name}: {state} → {item.moved_to}")
    if run.followups and run.followups.skipped:
        typer.echo(
            f"{len(run.followups.skipped)} off-site violation(s) got no follow-up: the "
            "department has no item that may be checked on-site for that industry"
        )
    diff = run.diff
    if run.filing is None or diff is None:
        typer.echo(f"Replan of {run.quarter} as of {run.as_of}: no change; nothing filed.")
        return
    shown = 0
    for kind in ("added", "moved", "restaffed", "retasked", "cancelled"):
        for entry in diff[kind]:
            if shown == SHOWN_CHANGES:
                break
            shown += 1
            when = entry.get("date") or f"{entry['from']} → {entry.get('to', '-')}"
            why = "; ".join(entry["reasons"]) or "-"
            typer.echo(f"{kind:<10} {entry['uscc']} {when}: {why}")
    more = diff["counts"]["changed_visits"] - shown
    if more > 0:
        typer.echo(f"… and {more} more (stored with the revision)")
    if run.scope is not None:
        typer.echo(
            f"Replanned the {run.scope:,} enterprise(s) with news; the rest of the district "
            "is as filed."
        )
    elif run.whole_because:
        typer.echo(f"Replanned the whole district: {run.whole_because}.")
    typer.echo(run.describe())
