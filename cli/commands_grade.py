"""``grade [--as-of DATE] [--out FILE] [--evaluate] [--config FILE]``: grade every enterprise.

The work is the library's (``jointinspect.grading``); this module parses and prints.
"""

import datetime as dt
import time
from dataclasses import replace
from pathlib import Path
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
    reports_errors,
    settings_for,
    starting,
)
from jointinspect.cli.model_tables import print_validation
from jointinspect.models.timezones import CHINA

# The library is imported where it is used: grading brings the risk model's libraries,
# which `grade --help` (and `calibrate` and `explain`, which import this module for its
# options) should not pay for at start-up.
if TYPE_CHECKING:
    from jointinspect.grading import Evaluation, GradingResult

#: ``--config`` of the commands that grade (read by ``jointinspect.options.grading_config``).
GradingConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE.toml",
        help="TOML overriding the shipped grading weights "
        "(default: $JOINTINSPECT_GRADING_FILE, else none).",
        show_default=False,
    ),
]


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def print_mix(result: "GradingResult", console: Console) -> None:
    n = result.inputs.size
    table = Table("grade", "enterprises", "share", title=f"Grades as of {result.inputs.as_of}")
    for letter, count in result.mix().items():
        table.add_row(letter, f"{count:,}", f"{count / n:.1%}" if n else "–")
    table.add_row("all", f"{n:,}", "100.0%" if n else "–")
    console.print(table)


def print_evaluation(
    evaluation: "Evaluation", cutoff: dt.date, last: dt.date, console: Console
) -> None:
    table = Table(
        "grade",
        "enterprises",
        "inspected after T",
        "inspections",
        "violations",
        "violation rate",
        title=f"Grades as of T = {cutoff}, scored on inspections "
        f"{cutoff + dt.timedelta(days=1)} … {last}",
    )
    for row in evaluation.per_grade:
        rate = f"{row.rate:.1%}" if row.rate is not None else "–"
        table.add_row(
            row.grade,
            f"{row.enterprises:,}",
            f"{row.inspected:,}",
            f"{row.inspections:,}",
            f"{row.violations:,}",
            rate,
        )
    console.print(table)
    for label, value in (
        ("risk score", evaluation.auc),
        ("priority score (grade, then risk and credit)", evaluation.priority_auc),
    ):
        shown = f"{value:.3f}" if value is not None else "– (one class only)"
        console.print(f"AUC of the {label} (enterprise found violating after T): {shown}")
    console.print(
        "Violation rate rises strictly from A to D: "
        + ("yes" if evaluation.strictly_rising else "no")
    )
    grades = "+".join(evaluation.targeted_grades)
    if evaluation.hit_rate is not None and evaluation.base_rate is not None:
        lift = f"{evaluation.lift:.2f}×" if evaluation.lift is not None else "–"
        console.print(
            f"Graded selection ({grades}, {evaluation.selected:,} inspected enterprises): "
            f"{evaluation.hit_rate:.1%} found violating, against {evaluation.base_rate:.1%} for "
            f"a random selection of the same size — lift {lift}"
        )
    else:
        console.print(f"Graded selection ({grades}): no inspected enterprise in these grades")


def register(app: typer.Typer) -> None:
    @app.command("grade")
    @reports_errors
    def grade_command(
        ctx: typer.Context,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                metavar="DATE",
                help="Grade as of this date (YYYY-MM-DD; default today): later events do not "
                "count. With --evaluate: the cut-off date T.",
                show_default=False,
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                metavar="PATH",
                help="Write uscc,credit,risk,grade,p_violation,reasons as CSV here.",
            ),
        ] = None,
        evaluate_flag: Annotated[
            bool,
            typer.Option(
                "--evaluate",
                help="Grade as of T (--as-of, default a year before the last inspection) from "
                "data up to T, and score the grades against the inspections after T. "
                "Stored grades are left as they are.",
            ),
        ] = False,
        config_file: GradingConfigOption = None,
        district: DistrictOption = None,
        all_districts: AllDistrictsOption = False,
        redo: RedoOption = False,
        engine_name: EngineOption = "local",
        ray_address: RayAddressOption = None,
        db: DbOption = None,
    ) -> None:
        """Grade every enterprise by credit and risk (A low … D high), with reasons."""
        with starting():
            from jointinspect.grading import (
                adopted_model,
                evaluate_district,
                evaluation_cutoff,
                grade_and_store,
                grading_model,
                model_name,
                write_csv,
            )
            from jointinspect.options import grading_config

        settings = settings_for(ctx, db)
        config = grading_config(settings.options(), config_file)
        day = parse_date(as_of, "--as-of")
        city = city_fanout(district, all_districts, engine_name, ray_address, redo)
        if city is not None:
            if out is not None or evaluate_flag:
                raise typer.BadParameter(
                    "each is one district's: leave out --all-districts",
                    param_hint="--out / --evaluate",
                )
            from jointinspect.city import grade_districts

            options = settings.options()
            if config_file is not None:
                options = replace(options, grading_file=config_file)
            today = day or dt.datetime.now(CHINA).date()
            progress = elapsed_progress(time.monotonic())
            run = grade_districts(
                url=settings.db, as_of=today, options=options, fanout=city, progress=progress
            )
            print_city(run)
            return
        console = Console(soft_wrap=True)
        engine = open_engine(settings, district=district)
        try:
            if evaluate_flag:
                cutoff, last = evaluation_cutoff(engine=engine, as_of=day, config=config)
                result, evaluation = evaluate_district(engine=engine, cutoff=cutoff, config=config)
                print_mix(result, console)
                print_evaluation(evaluation, cutoff, last, console)
                if out is not None:
                    write_csv(result, out)
                    console.print(f"Grades as of {cutoff} written to {out}")
                stored_model = adopted_model(engine=engine)
                if stored_model is not None:
                    console.print(
                        f"Adopted risk model {stored_model.id}, as validated when it was "
                        f"calibrated (as of {stored_model.as_of}):"
                    )
                    print_validation(stored_model.validation, console)
                else:
                    console.print(
                        "Grades come from the shipped default model; `jointinspect calibrate` "
                        "compares a model learned from this district's inspections with it."
                    )
                console.print("Stored grades were not changed (evaluation only).")
                return
            today = day or dt.datetime.now(CHINA).date()
            model = grading_model(engine=engine)
            result = grade_and_store(
                engine=engine, as_of=today, config=config, model=model, out=out
            )
        finally:
            engine.dispose()
        print_mix(result, console)
        console.print(f"{result.inputs.size:,} grades stored; risk model: {model_name(model.id)}.")
        if out is not None:
            console.print(f"Written to {out}")
