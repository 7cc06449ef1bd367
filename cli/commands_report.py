"""``report --quarter Q --out FILE.html [--lang zh|en]``: the efficiency report (效能评估)."""

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from jointinspect.cli.city_options import DistrictOption
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

# The report (matplotlib, the grading libraries) is imported when the command runs, not
# for `report --help`.
if TYPE_CHECKING:
    from jointinspect.reporting import ModelMetrics, ReportData, ReportRun

__all__ = ["register"]


class ReportLang(StrEnum):
    ZH = "zh"
    EN = "en"


def register(app: typer.Typer) -> None:
    @app.command("report")
    @reports_errors
    def report_command(
        ctx: typer.Context,
        quarter: QuarterOption,
        out: Annotated[
            Path,
            typer.Option(
                "--out", metavar="FILE.html", help="The HTML file to write (self-contained)."
            ),
        ],
        lang: Annotated[
            ReportLang,
            typer.Option("--lang", metavar="zh|en", help="Language of the labels: zh or en."),
        ] = ReportLang.ZH,
        revision: Annotated[
            int | None,
            typer.Option(
                "--revision",
                metavar="N",
                help="Report on revision N (default: the latest filed revision).",
            ),
        ] = None,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Write the efficiency report (效能评估) of a quarter's latest filed plan revision.

        One HTML page that opens offline: visits against departments planning alone and the
        lower bound, off-site shares, no-disturb respected, burden by grade, findings per
        visit and lift, the adopted risk model's out-of-time validation beside the default's,
        officer workload, visits by town, enterprise ratings, revisions.
        """
        with starting():
            from jointinspect.options import grading_config
            from jointinspect.reporting import make_report

        settings = settings_for(ctx, db)
        q = parse_quarter(quarter.strip().upper())
        config = grading_config(settings.options())
        engine = open_engine(settings, district=district)
        started = time.monotonic()
        progress = elapsed_progress(started)

        try:
            run = make_report(
                q,
                engine=engine,
                out=out,
                lang=lang.value,
                config=config,
                progress=progress,
                revision=revision,
            )
        finally:
            engine.dispose()
        for warning in run.rendered.warnings:
            typer.echo(f"Warning: {warning}", err=True)
        print_summary(run, time.monotonic() - started)


def risk_model_summary(data: "ReportData") -> str:
    """The model grading uses, with its held-out AUC beside the default's."""
    m = data.risk_model
    if m is None:
        return "shipped default (none adopted)"

    def auc(metrics: "ModelMetrics | None") -> str:
        return "–" if metrics is None or metrics.auc is None else f"{metrics.auc:.3f}"

    forced = ", forced" if m.forced else ""
    return f"learned model {m.id}{forced}: AUC {auc(m.learned)} vs default {auc(m.default)}"


def print_summary(run: "ReportRun", seconds: float) -> None:
    d = run.data
    c = d.consolidation
    demands = int(d.metrics.get("demands", 0))
    offsite = int(d.metrics.get("offsite_checks", 0))
    e = d.evaluation
    table = Table("figure", "value", title=f"Efficiency report {d.plan_id} r{d.revision}")
    rows = [
        ("on-site visits (this plan)", f"{c.onsite_visits:,}"),
        ("visits if departments planned alone", f"{c.departments_alone:,}"),
        ("consolidation lower bound", f"{c.lower_bound:,}"),
        ("visits saved (综合查一次)", f"{c.visits_saved:,}"),
        ("off-site share of demands", f"{offsite / demands:.1%}" if demands else "–"),
        ("no-disturb violations", f"{d.no_disturb.violations:,}"),
        ("on-site visits with findings", f"{d.outcomes_total.visits:,}"),
        (
            "violations per visit",
            f"{d.outcomes_total.violations_per_visit:.2f}"
            if d.outcomes_total.violations_per_visit is not None
            else "–",
        ),
        ("lift of the graded selection", f"{e.lift:.2f}×" if e and e.lift else "–"),
        (
            "mean rating (扫码评价)",
            f"{d.ratings.mean:.2f} ({d.ratings.rated:,} ratings)" if d.ratings.mean else "–",
        ),
        ("revisions", f"{len(d.revisions)}" + ("" if d.replanned else " (no replans yet)")),
        ("risk model", risk_model_summary(d)),
        ("charts", f"{len(run.rendered.charts)}"),
        ("chart font", run.rendered.font.family if run.rendered.font else "none (English)"),
        ("written", f"{run.path} ({run.bytes_written / 1024:,.0f} KiB)"),
        ("time", f"{seconds:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console(soft_wrap=True).print(table)
