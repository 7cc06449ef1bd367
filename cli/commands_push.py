"""``push --quarter Q``: deliver each department's share of the filed plan.

A district of a city's database pushes from its own outbox (its tables) to its own
departments' systems: by default the endpoints of ``endpoints.CODE.toml``
(``city_options.endpoints_file``), never a file another district's shares would go by.
"""

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer

from jointinspect.cli.city_options import DistrictOption, endpoints_file
from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    fail,
    open_engine,
    reports_errors,
    settings_for,
    starting,
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
                "else endpoints.toml; for a district of a city's database endpoints.CODE.toml, "
                "e.g. endpoints.310120.toml).",
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
        endpoint's `deadline`, 30 s by default) for the whole reply. A district of a
        city's database pushes its own shares, to the endpoints of its own file.
        """
        with starting():
            from jointinspect.exporting import load_endpoint_specs, push_plan, resolve_tokens
            from jointinspect.models.districts import district_of

        settings = settings_for(ctx, db)
        engine = open_engine(settings, district=district)
        try:
            named = district_of(engine)
            path = endpoints or endpoints_file(settings, named)
            if named is not None and endpoints is None and not path.exists():
                # The district's own default file: say so, not just "no such file".
                raise fail(
                    f"district {named.label} pushes to its departments as {path} says, and "
                    f"there is no {path}",
                    "each district of a city has its own departments' systems: write that "
                    "file (as endpoints.toml, docs/push.md) or give --endpoints FILE",
                )
            specs = load_endpoint_specs(path)
            # Tokens come from the environment, read here at the edge only.
            targets = resolve_tokens(specs, dict(os.environ))
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
