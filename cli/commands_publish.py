"""``publish --quarter Q --out DIR [--special --approval REF --approved-on DATE [--late]]``:
the public disclosure (一公开) of a quarter's filed plan."""

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    open_engine,
    parse_quarter,
    reports_errors,
    settings_for,
    starting,
)
from jointinspect.models.timezones import CHINA

# The publishing workflow (database, page templates) is imported when the command runs.
if TYPE_CHECKING:
    from jointinspect.publishing import PublishRun, SpecialApproval


def _special(
    special: bool, approval: str | None, approved_on: str | None, late: bool
) -> "SpecialApproval | None":
    """The approval ``--special`` needs; the three options make sense only together."""
    from jointinspect.publishing import SpecialApproval

    if not special:
        for given, name in ((approval, "--approval"), (approved_on, "--approved-on")):
            if given is not None:
                raise typer.BadParameter("only a --special plan has an approval", param_hint=name)
        if late:
            raise typer.BadParameter("only a --special plan can be late", param_hint="--late")
        return None
    if not approval or not approval.strip():
        raise typer.BadParameter(
            "a special plan is published with its approval reference (批准文号)",
            param_hint="--approval",
        )
    if approved_on is None:
        raise typer.BadParameter(
            "a special plan is published with its approval date", param_hint="--approved-on"
        )
    try:
        day = dt.date.fromisoformat(approved_on.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{approved_on!r} is not a date; write YYYY-MM-DD", param_hint="--approved-on"
        ) from None
    return SpecialApproval(approval.strip(), day)


def register(app: typer.Typer) -> None:
    @app.command("publish")
    @reports_errors
    def publish_command(
        ctx: typer.Context,
        quarter: QuarterOption,
        out: Annotated[
            Path,
            typer.Option(
                "--out", metavar="DIR", help="Folder to write the page and CSV files into."
            ),
        ],
        special: Annotated[
            bool,
            typer.Option("--special", help="Publish the quarter's plan as a 专项检查 plan."),
        ] = False,
        approval: Annotated[
            str | None,
            typer.Option(
                "--approval",
                metavar="REF",
                help="With --special: the approval reference (批准文号).",
            ),
        ] = None,
        approved_on: Annotated[
            str | None,
            typer.Option(
                "--approved-on",
                metavar="DATE",
                help="With --special: the approval date, YYYY-MM-DD.",
            ),
        ] = None,
        late: Annotated[
            bool,
            typer.Option(
                "--late",
                help="With --special: publish although the approval is more than a month old.",
            ),
        ] = False,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Publish a quarter's filed plan (一公开): one HTML page and CSV files, nothing private.

        The page (Chinese, readable on a phone) and the plan CSV show the 双随机 items,
        departments, ratios per credit-risk grade, enterprises drawn per grade and item,
        the seed and how to redo the draw (redo_draw.py is written beside them); once
        outcomes are in, the results CSV and the page list each random check's result.
        No officer, inspection code, complaint or enterprise grade is published. A special
        plan is published within a month of its approval; later needs --late.
        """
        with starting():
            from jointinspect.publishing import publish_quarter

        q = parse_quarter(quarter.strip().upper())
        approval_given = _special(special, approval, approved_on, late)
        settings = settings_for(ctx, db)
        engine = open_engine(settings, district=district)
        try:
            run = publish_quarter(
                q,
                engine=engine,
                out=out,
                published_on=dt.datetime.now(CHINA).date(),
                special=approval_given,
                late=late,
            )
        finally:
            engine.dispose()
        for warning in run.warnings:
            typer.echo(f"Warning: {warning}", err=True)
        print_summary(run)


def print_summary(run: "PublishRun") -> None:
    d = run.disclosure
    kind = "special plan" if d.special is not None else "plan"
    results = (
        f"results of {len(d.results):,} random checks"
        if d.results
        else "no results yet (published once outcomes are imported)"
    )
    typer.echo(
        f"Published the {kind} {d.plan_id} revision {d.revision} (filed {d.filed_on}): "
        f"{d.drawn:,} enterprises drawn for {len(d.items)} items of "
        f"{len(d.departments)} departments, {d.planned:,} placed; {results}."
    )
    typer.echo("Wrote " + ", ".join(str(path) for path in run.paths))
