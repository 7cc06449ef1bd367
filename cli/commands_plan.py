"""``plan --quarter Q --seed S [--time-limit SECONDS]``: make a draft plan revision."""

import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

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
    elapsed_progress,
    open_engine,
    parse_quarter,
    reports_errors,
    settings_for,
    starting,
    working_calendar,
)

# The planner (OR-Tools and the rest) is imported when the command runs, not for its help.
if TYPE_CHECKING:
    from jointinspect.planning import PlanRun


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def plan(
        ctx: typer.Context,
        quarter: Annotated[
            str,
            typer.Option("--quarter", metavar="QUARTER", help="Quarter to plan, e.g. 2025Q3."),
        ],
        seed: Annotated[
            str,
            typer.Option(
                "--seed",
                metavar="SEED",
                help="Published seed of the 双随机 draws (enterprises, officers).",
            ),
        ],
        time_limit: Annotated[
            float | None,
            typer.Option(
                "--time-limit",
                metavar="SECONDS",
                min=0.1,
                help="Wall-clock safety cap in seconds; the search is otherwise bounded by "
                "deterministic work. A run the cap cuts short is reported as such.",
            ),
        ] = None,
        district: DistrictOption = None,
        all_districts: AllDistrictsOption = False,
        redo: RedoOption = False,
        engine_name: EngineOption = "local",
        ray_address: RayAddressOption = None,
        db: DbOption = None,
    ) -> None:
        """Make a draft plan revision for a quarter and print its metrics."""
        with starting():
            from jointinspect.planning import plan_quarter

        settings = settings_for(ctx, db)
        q = parse_quarter(quarter)
        calendar = working_calendar(settings)
        uncovered = calendar.uncovered_years(q.first_day, q.last_day)
        if uncovered:
            typer.echo(
                f"Warning: the official holidays of {', '.join(map(str, uncovered))} are not "
                "known; Monday–Friday less the statutory holidays are taken as working days "
                "(set JOINTINSPECT_CALENDAR_FILE to give the published days).",
                err=True,
            )
        city = city_fanout(district, all_districts, engine_name, ray_address, redo)
        started = time.monotonic()
        progress = elapsed_progress(started)
        if city is not None:
            from jointinspect.city import plan_districts

            options = settings.options()
            run_city = plan_districts(
                str(q),
                seed,
                url=settings.db,
                options=options,
                fanout=city,
                time_limit=time_limit,
                progress=progress,
            )
            print_city(run_city)
            return
        engine = open_engine(settings, district=district)

        try:
            run = plan_quarter(
                str(q),
                seed,
                engine=engine,
                options=settings.options(),
                time_limit=time_limit,
                progress=progress,
            )
        finally:
            engine.dispose()
        print_metrics(run)


def print_metrics(run: "PlanRun") -> None:
    m = run.result.metrics
    timing = run.result.timing
    console = Console(soft_wrap=True)
    stored = run.stored
    replaced = (
        f", replacing unfiled draft revision {', '.join(map(str, stored.replaced_drafts))}"
        if stored.replaced_drafts
        else ""
    )
    console.print(
        f"Draft {stored.plan_id} revision {stored.revision} written (seed {run.result.seed!r})"
        f"{replaced}."
    )
    table = Table("metric", "value", show_header=True)
    bound = m["consolidation_lower_bound"]
    ratio = f" ({m['onsite_visits'] / bound:.3f} × lower bound)" if bound else ""
    rows = [
        ("demands", m["demands"]),
        ("  of which drawn (双随机)", run.drawn),
        ("on-site visits", f"{m['onsite_visits']}{ratio}"),
        ("consolidation lower bound", bound),
        ("visits if departments planned alone", m["visits_if_departments_alone"]),
        ("visits saved (综合查一次)", m["visits_saved"]),
        ("off-site checks", m["offsite_checks"]),
        ("unscheduled", m["unscheduled"]),
    ]
    rows += [(f"  {reason}", n) for reason, n in m["unscheduled_by_reason"].items()]
    rows += [
        ("officer-days", m["officer_days"]),
        ("km travelled (great-circle)", f"{m['km']:.1f}"),
    ]
    rows += [
        (
            f"{source}: on-site / off-site / unscheduled",
            f"{c['onsite']} / {c['offsite']} / {c['unscheduled']}",
        )
        for source, c in m["demands_by_source"].items()
    ]
    rows += [
        ("solve time", f"{timing['solve_seconds']:.1f} s"),
        ("total time", f"{run.seconds['total']:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    if timing.get("safety_cap_hit"):
        console.print(
            "Note: the --time-limit safety cap cut the search short; this plan may differ "
            "from another run with the same seed."
        )
