"""The ``jointinspect`` command: a Typer app whose commands live in small modules."""

from typing import Annotated

import typer

from jointinspect import __version__
from jointinspect.cli import (
    commands_base,
    commands_calibrate,
    commands_db,
    commands_demo,
    commands_explain,
    commands_export,
    commands_file,
    commands_generate,
    commands_grade,
    commands_import,
    commands_plan,
    commands_publish,
    commands_push,
    commands_replan,
    commands_report,
    commands_serve,
    commands_verify,
)
from jointinspect.cli.context import AppState

app = typer.Typer(
    name="jointinspect",
    help="Plan joint, credit- and risk-based enterprise inspections for a district.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jointinspect {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: $JOINTINSPECT_DB, else sqlite:///jointinspect.db).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Plan joint, credit- and risk-based enterprise inspections for a district."""
    ctx.obj = AppState(db=db)


commands_base.register(app)
commands_db.register(app)
commands_demo.register(app)
commands_generate.register(app)
commands_import.register(app)
commands_plan.register(app)
commands_file.register(app)
commands_verify.register(app)
commands_export.register(app)
commands_push.register(app)
commands_publish.register(app)
commands_report.register(app)
commands_serve.register(app)
commands_grade.register(app)
commands_calibrate.register(app)
commands_explain.register(app)
commands_replan.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
