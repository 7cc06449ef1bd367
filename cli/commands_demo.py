"""``demo``: a newcomer's first run on a synthetic district, with what happened in tables."""

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from jointinspect.cli.context import (
    DbOption,
    open_engine,
    parse_quarter,
    reports_errors,
    settings_for,
    starting,
    working_calendar,
)
from jointinspect.models.quarter import Quarter

if TYPE_CHECKING:
    from jointinspect.demo import DemoSummary

DEFAULT_ENTERPRISES = 5_000
DEFAULT_SEED = "fengxian"


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def demo(
        ctx: typer.Context,
        enterprises: Annotated[
            int,
            typer.Option(
                "--enterprises", "-n", metavar="N", help="Size of the synthetic district."
            ),
        ] = DEFAULT_ENTERPRISES,
        seed: Annotated[
            str,
            typer.Option(
                "--seed",
                metavar="SEED",
                help="Seed of the district; the plan's seed is QUARTER-SEED.",
            ),
        ] = DEFAULT_SEED,
        out: Annotated[
            Path,
            typer.Option(
                "--out", metavar="DIR", help="Folder for the district, exports and report."
            ),
        ] = Path("jointinspect-demo"),
        quarter: Annotated[
            str | None,
            typer.Option(
                "--quarter",
                metavar="QUARTER",
                help="Quarter to plan, e.g. 2025Q4 (default: the next).",
            ),
        ] = None,
        db: DbOption = None,
    ) -> None:
        """Generate a synthetic district; import, grade, plan, file, export and report on it.

        Everything goes into the database (--db, default $JOINTINSPECT_DB, else
        ./jointinspect.db) and the folder --out; run it again and it replans the same
        district.
        """
        settings = settings_for(ctx, db)
        planned = parse_quarter(quarter) if quarter else _next_quarter()
        engine = open_engine(settings, create=True)
        started = time.monotonic()
        console = Console(stderr=True)

        def stage(message: str) -> None:
            console.print(f"[dim][{time.monotonic() - started:6.1f}s][/dim] {message}")

        # Imported here: the pipeline pulls in the solver, charts and all; `--help` and the
        # other commands should not pay for that at start-up.
        with starting():
            from jointinspect.demo import run_demo

        try:
            summary = run_demo(
                options=settings.options(),
                engine=engine,
                calendar=working_calendar(settings),
                enterprises=enterprises,
                seed=seed,
                quarter=planned,
                out=out,
                stage=stage,
            )
        finally:
            engine.dispose()
        print_summary(summary, seconds=time.monotonic() - started)


def _next_quarter() -> Quarter:
    return Quarter.containing(dt.date.today()).next()


def print_summary(summary: "DemoSummary", *, seconds: float) -> None:
    console = Console(soft_wrap=True)
    m = summary.plan.result.metrics
    console.print(
        f"\n[bold]JointInspect demo[/bold]: {summary.enterprises:,} enterprises, "
        f"plan {summary.plan.stored.plan_id} for {summary.quarter} in {seconds:.0f} s"
    )
    if summary.uncovered_years:
        years = ", ".join(map(str, summary.uncovered_years))
        console.print(
            f"[yellow]Note:[/yellow] the official holidays of {years} are not published in the "
            "calendar package yet; Monday–Friday less the statutory holidays were taken as "
            "working days "
            "(see README: working-day calendar)."
        )
    grades = Table("grade", "enterprises", "share", title="Grades (信用风险分类)")
    total = sum(summary.grade_mix.values()) or 1
    for letter, count in summary.grade_mix.items():
        grades.add_row(letter, f"{count:,}", f"{count / total:.1%}")
    console.print(grades)

    plan = Table(title="The joint plan (综合查一次)", show_header=False)
    plan.add_column("figure")
    plan.add_column("value", justify="right")
    bound = m["consolidation_lower_bound"]
    plan.add_row("demands (incl. 双随机 draw)", f"{m['demands']:,} ({summary.plan.drawn:,} drawn)")
    plan.add_row("on-site visits", f"{m['onsite_visits']:,}")
    plan.add_row("  lower bound", f"{bound:,}")
    plan.add_row("  if departments planned alone", f"{m['visits_if_departments_alone']:,}")
    plan.add_row("off-site checks (非现场)", f"{m['offsite_checks']:,}")
    plan.add_row("unscheduled", f"{m['unscheduled']:,}")
    for reason, n in m["unscheduled_by_reason"].items():
        plan.add_row(f"  {reason}", f"{n:,}")
    plan.add_row("officer-days", f"{m['officer_days']:,}")
    console.print(plan)

    filing = summary.filing
    if filing is not None:
        console.print(
            f"Filed revision {filing.revision}: {filing.codes_issued:,} inspection codes issued"
            f" ({filing.codes_kept:,} kept, {filing.codes_revoked:,} revoked)."
        )
    else:
        console.print("The plan is unchanged since the last demo run; its filed codes stand.")
    files = Table("format", "written to", title="Exports")
    for fmt, paths in summary.exports.items():
        where = paths[0] if len(paths) == 1 else f"{paths[0].parent} ({len(paths)} files)"
        files.add_row(fmt, str(where))
    console.print(files)
    if summary.report is not None:
        console.print(f"Efficiency report (效能评估): {summary.report}")
    for warning in summary.report_warnings:
        words = warning.replace("[", "\\[")  # the report's words are text, not markup
        console.print(f"[yellow]Note:[/yellow] {words}")
    if summary.sample_code:
        console.print(f"Try: jointinspect verify {summary.sample_code}")
