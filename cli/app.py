"""The ``jointinspect`` command: a Typer app whose commands live in small modules.

Each module is imported only when its command runs or shows its help (see
:mod:`jointinspect.cli.lazy_group`); :data:`COMMANDS` names them, and
``tests/cli/test_startup.py`` fails when it disagrees with what the modules define.
"""

from typing import Annotated

import typer

from jointinspect.cli.context import PROCESS, AppState
from jointinspect.cli.lazy_group import LazyCommand, LazyGroup

#: Every command: the module under ``jointinspect.cli`` that registers it, and the first
#: paragraph of its help, which ``jointinspect --help`` lists. In the order it lists them.
COMMANDS = {
    "init": LazyCommand(
        "commands_base",
        "Create the database (all tables) and the secret key for inspection codes.",
    ),
    "demo": LazyCommand(
        "commands_demo",
        "Generate a synthetic district; import, grade, plan, file, export and report on it.",
    ),
    "generate": LazyCommand(
        "commands_generate",
        "Generate a synthetic Fengxian district as an import bundle (no database is used).",
    ),
    "import": LazyCommand(
        "commands_import",
        "Import a bundle (spec §1), all or nothing: every row is checked first.",
    ),
    "plan": LazyCommand(
        "commands_plan", "Make a draft plan revision for a quarter and print its metrics."
    ),
    "file": LazyCommand(
        "commands_file",
        "File the latest draft of a quarter's plan and issue its inspection codes.",
    ),
    "discard": LazyCommand("commands_file", "Discard the unfiled draft of a quarter's plan."),
    "verify": LazyCommand(
        "commands_verify",
        "Check an inspection code: valid, revoked, unknown, malformed or forged.",
    ),
    "export": LazyCommand(
        "commands_export",
        "Write the latest filed revision of a quarter's plan (or --revision N).",
    ),
    "push": LazyCommand(
        "commands_push", "Push each department's share of the filed plan to its system."
    ),
    "publish": LazyCommand(
        "commands_publish",
        "Publish a quarter's filed plan (一公开): one HTML page and CSV files, nothing private.",
    ),
    "report": LazyCommand(
        "commands_report",
        "Write the efficiency report (效能评估) of a quarter's latest filed plan revision.",
    ),
    "serve": LazyCommand(
        "commands_serve",
        "Serve code verification for enterprises: GET /v/CODE (page), /api/verify/CODE (JSON).",
    ),
    "grade": LazyCommand(
        "commands_grade",
        "Grade every enterprise by credit and risk (A low … D high), with reasons.",
    ),
    "calibrate": LazyCommand(
        "commands_calibrate",
        "Learn the risk model from past inspections and compare it with the default.",
    ),
    "explain": LazyCommand(
        "commands_explain",
        "Say in words why: a visit, an enterprise's grade, or a demand's fate.",
    ),
    "replan": LazyCommand(
        "commands_replan",
        "Take in new triggers and outcomes, make the next revision and file it.",
    ),
    "daemon": LazyCommand(
        "commands_replan",
        "Run the nightly replanning on its schedule until stopped (SIGTERM, Ctrl-C).",
    ),
    "db": LazyCommand(
        "commands_db",
        "The database's schema: its revision, and upgrading it to this jointinspect's.",
    ),
}


class JointInspectGroup(LazyGroup):
    table = COMMANDS


app = typer.Typer(
    name="jointinspect",
    cls=JointInspectGroup,
    help="Plan joint, credit- and risk-based enterprise inspections for a district.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from jointinspect import __version__  # looked up now: it costs start-up otherwise

        typer.echo(f"jointinspect {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
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


def main() -> None:
    """Console-script entry point: this process runs one command (``context.starting``)."""
    PROCESS.one_command = True
    app()
