"""``calibrate [--as-of DATE] [--adopt [--force]] [--holdout-days N] [--export FILE.toml]``:
learn the risk model from the district's own inspections and say how well it learned.

The work is the library's (``jointinspect.calibration``); this module parses and prints.
"""

import dataclasses
import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.commands_grade import GradingConfigOption, parse_date
from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for, starting
from jointinspect.cli.model_tables import figure, print_validation

# The library is imported where it is used: it brings scikit-learn and SciPy, seconds
# that `calibrate --help` and every other command should not pay at start-up.
if TYPE_CHECKING:
    from jointinspect.calibration import CalibrationRun


def print_model(run: "CalibrationRun", console: Console) -> None:
    from jointinspect.calibration import POINTS_PER_LOGIT

    model = run.calibration.model
    table = Table(
        "feature",
        "bins",
        "points (lowest … highest)",
        title=f"Risk model {run.stored.id}: fitted on {run.calibration.inspections:,} inspections "
        f"({run.calibration.violations:,} violations) up to {run.stored.as_of}",
    )
    for f in model.features:
        points = [p * POINTS_PER_LOGIT for p in f.points]
        table.add_row(f.name, str(len(f.points)), f"{min(points):+.0f} … {max(points):+.0f}")
    console.print(table)
    console.print(
        f"Base rate {model.base_rate:.1%}; 20 points double the odds of a violation. "
        f"{len(model.features)} features carry weight; the rest told nothing in this district."
    )


def register(app: typer.Typer) -> None:
    @app.command("calibrate")
    @reports_errors
    def calibrate_command(
        ctx: typer.Context,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                metavar="DATE",
                help="Learn from inspections up to this date (YYYY-MM-DD; default: the last "
                "inspection on record). Features are taken as of the day before each.",
                show_default=False,
            ),
        ] = None,
        adopt: Annotated[
            bool,
            typer.Option(
                "--adopt",
                help="Refit on everything up to the date and make the model the one `grade` "
                "uses — only when it beats the default on the held-out inspections.",
            ),
        ] = False,
        force: Annotated[
            bool,
            typer.Option(
                "--force", help="With --adopt: adopt even if it does not beat the default."
            ),
        ] = False,
        holdout_days: Annotated[
            int | None,
            typer.Option(
                "--holdout-days",
                metavar="N",
                min=1,
                help="Validate on the inspections of the last N days (default: the grading "
                "config's model.holdout_days, 365).",
                show_default=False,
            ),
        ] = None,
        export: Annotated[
            Path | None,
            typer.Option(
                "--export", metavar="FILE.toml", help="Write the scorecard here for review."
            ),
        ] = None,
        config_file: GradingConfigOption = None,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Learn the risk model from past inspections and compare it with the default."""
        with starting():
            from jointinspect.calibration import calibrate_district, check_export_path, write_export
            from jointinspect.options import grading_config

        settings = settings_for(ctx, db)
        config = grading_config(settings.options(), config_file)
        day = parse_date(as_of, "--as-of")
        if force and not adopt:
            raise typer.BadParameter("--force goes with --adopt", param_hint="--force")
        if export is not None:
            check_export_path(export)
        console = Console(soft_wrap=True)
        engine = open_engine(settings, district=district)
        try:
            run = calibrate_district(
                engine=engine,
                as_of=day,
                holdout_days=holdout_days or config.model.holdout_days,
                config=config,
                adopt_as=getpass.getuser() if adopt else None,
                force=force,
            )
            if export is not None:
                write_export(run, export)
        finally:
            engine.dispose()
        print_validation(dataclasses.asdict(run.calibration.validation), console)
        print_model(run, console)
        validation = run.calibration.validation
        verdict = "beats" if validation.beats_default else "does not beat"
        console.print(
            f"The learned model {verdict} the default on the held-out inspections "
            f"(AUC {figure(validation.learned.auc, '.3f')} against "
            f"{figure(validation.default.auc, '.3f')})."
        )
        if run.adopted:
            how = " (forced)" if run.forced else ""
            console.print(
                f"Adopted model {run.stored.id}{how}: `jointinspect grade` now grades with it."
            )
        elif adopt:
            console.print(
                f"Model {run.stored.id} was stored but not adopted; grading keeps the default "
                "model (--force adopts it anyway)."
            )
        else:
            console.print(f"Model {run.stored.id} stored; --adopt makes grading use it.")
        if export is not None:
            console.print(f"Scorecard written to {export}")
