"""``file --quarter Q``: file (备案) the latest draft and issue inspection codes."""

import datetime as dt
import getpass
import time
from typing import Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    elapsed_progress,
    open_engine,
    reports_errors,
    settings_for,
    starting,
)

# jointinspect.filing is imported in the commands: it loads the database layer and the
# rule checker, which `file --help` need not wait for.


def register(app: typer.Typer) -> None:
    @app.command("file")
    @reports_errors
    def file_command(
        ctx: typer.Context,
        quarter: QuarterOption,
        by: Annotated[
            str | None,
            typer.Option(
                "--by", metavar="NAME", help="Who files (recorded); default: the login name."
            ),
        ] = None,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """File the latest draft of a quarter's plan and issue its inspection codes.

        Refuses a draft that breaks a hard rule or plans exactly what is already filed.
        The previously filed revision is superseded; codes of visits that changed are
        revoked and name their replacement.
        """
        settings = settings_for(ctx, db)
        with starting():
            from jointinspect.filing_ahead import check_process_ahead
        # A big district's check process imports beside this one's imports below.
        with check_process_ahead(settings.db) as early:
            with starting():
                from jointinspect.filing import file_quarter

            options = settings.options()
            engine = open_engine(settings, district=district)
            try:
                result = file_quarter(
                    quarter.strip().upper(),
                    engine=engine,
                    options=options,
                    filed_by=by or getpass.getuser(),
                    now=dt.datetime.now(dt.UTC),
                    progress=elapsed_progress(time.monotonic()),
                    early_check=early,
                )
            finally:
                engine.dispose()
        typer.echo(
            f"Filed {result.plan_id} revision {result.revision} by {result.filed_by}: "
            f"{result.codes_issued} new codes, {result.codes_kept} kept, "
            f"{result.codes_revoked} revoked."
        )
        if result.superseded_revision is not None:
            typer.echo(f"Revision {result.superseded_revision} is superseded.")

    @app.command("discard")
    @reports_errors
    def discard_command(
        ctx: typer.Context,
        quarter: QuarterOption,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Discard the unfiled draft of a quarter's plan.

        A draft is a proposal: `plan` replaces it, `replan` drops a stale one by itself,
        and this drops it by hand. Filed revisions are the record and are never discarded.
        """
        with starting():
            from jointinspect.filing import discard_draft

        settings = settings_for(ctx, db)
        engine = open_engine(settings, district=district)
        q = quarter.strip().upper()
        try:
            dropped = discard_draft(q, engine=engine, options=settings.options())
        finally:
            engine.dispose()
        typer.echo(f"Discarded draft revision {', '.join(map(str, dropped))} of {q}.")
