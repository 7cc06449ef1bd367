"""``explain (--visit CODE | --enterprise USCC | --demand ID)``: say in words why.

``--enterprise`` explains a grade from what the last grading run stored. ``--visit`` and
``--demand`` explain plans from the newest revision that holds them (``explain_plan``).
"""

from typing import Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.commands_grade import GradingConfigOption
from jointinspect.cli.context import (
    DbOption,
    open_engine,
    reports_errors,
    settings_for,
    starting,
    working_calendar,
)


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def explain(
        ctx: typer.Context,
        visit: Annotated[
            str | None,
            typer.Option(
                "--visit",
                metavar="CODE",
                help="Why this visit (inspection code; a draft's visit id).",
            ),
        ] = None,
        enterprise: Annotated[
            str | None,
            typer.Option("--enterprise", metavar="USCC", help="Why this enterprise has its grade."),
        ] = None,
        demand: Annotated[
            str | None,
            typer.Option("--demand", metavar="ID", help="What became of this demand, and why."),
        ] = None,
        config_file: GradingConfigOption = None,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Say in words why: a visit, an enterprise's grade, or a demand's fate."""
        # Here, not at the top: the explanations load the planning and grading libraries.
        with starting():
            from jointinspect.explaining import (
                ExplainUsageError,
                explain_demand_lines,
                explain_enterprise,
                explain_visit_lines,
            )
            from jointinspect.options import grading_config

        given = [
            name
            for name, v in (("--visit", visit), ("--enterprise", enterprise), ("--demand", demand))
            if v is not None
        ]
        if len(given) != 1:
            raise ExplainUsageError(
                "give exactly one of --visit CODE, --enterprise USCC, --demand ID"
                + (f" (got {', '.join(given)})" if given else "")
            )
        settings = settings_for(ctx, db)
        if enterprise is None:
            engine = open_engine(settings, district=district)
            explain_in_plan = explain_visit_lines if visit is not None else explain_demand_lines
            try:
                lines = explain_in_plan(
                    (visit or demand or "").strip(),
                    engine=engine,
                    calendar=working_calendar(settings),
                    trigger_response_days=settings.trigger_response_days,
                )
            finally:
                engine.dispose()
            for line in lines:
                typer.echo(line)
            return
        config = grading_config(settings.options(), config_file)
        engine = open_engine(settings, district=district)
        try:
            lines = explain_enterprise(enterprise.strip(), engine=engine, config=config)
        finally:
            engine.dispose()
        for line in lines:
            typer.echo(line)
