"""``push --quarter Q``: deliver each department's share of the filed plan."""

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    fail,
    open_engine,
    reports_errors,
    settings_for,
)

# jointinspect.exporting (openpyxl, HTTP client …) is imported when the command runs.


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def push(
        ctx: typer.Context,
        quarter: QuarterOption,
        endpoints: Annotated[
            Path | None,
            typer.Option(
                "--endpoints",
                metavar="FILE.toml",
                help="TOML file of department endpoints (default: $JOINTINSPECT_ENDPOINTS_FILE, "
                "else endpoints.toml).",
                show_default=False,
            ),
        ] = None,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Push each department's share of the filed plan to its system.

        Each share goes once per revision (an outbox records every delivery); failures
        are retried with backoff, and tried again by the next push. A share another push
        is sending at the same time is left to it. Each attempt has a deadline (the
        endpoint's `deadline`, 30 s by default) for the whole reply.
        """
        from jointinspect.exporting import load_endpoint_specs, push_plan, resolve_tokens

        settings = settings_for(ctx, db)
        specs = load_endpoint_specs(endpoints or settings.endpoints_file)
        # Tokens come from the environment, read here at the edge only.
        targets = resolve_tokens(specs, dict(os.environ))
        engine = open_engine(settings, district=district)
        try:
            report = push_plan(
                quarter.strip().upper(),
                engine=engine,
                endpoints=targets,
                now=lambda: dt.datetime.now(dt.UTC),
            )
        finally:
            engine.dispose()
        for outcome in report.outcomes:
            if outcome.skipped:
                line = "already delivered, not sent again"
            elif outcome.in_progress:
                line = "being sent by another push, not sent here"
            elif outcome.error:
                line = f"{outcome.status} after {outcome.attempts} attempt(s): {outcome.error}"
            else:
                line = f"delivered ({outcome.attempts} attempt(s))"
            typer.echo(f"{outcome.department}: {line}")
        failures = report.failures
        if failures:
            names = ", ".join(f.department for f in failures)
            raise fail(
                f"{len(failures)} of {len(report.outcomes)} deliveries did not go through: {names}",
                "fix what the messages above say and push again; delivered shares are not resent",
            )
