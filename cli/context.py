"""What every command shares: the database option, settings, and error reporting.

Every command module imports this one, so it imports nothing heavy itself: settings,
the database and the workflows' options load when a command runs (``settings_for``,
``open_engine``), not when ``jointinspect COMMAND --help`` starts (issue 14).
"""

import gc
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeGuard, TypeVar

import typer

from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter, QuarterFormatError

if TYPE_CHECKING:
    from jointinspect.cli.settings import Settings
    from jointinspect.database import DatabaseError, Engine
    from jointinspect.models.workdays import WorkingCalendar

P = ParamSpec("P")
R = TypeVar("R")

#: Every command takes ``--db`` (spec §7); it may also be given before the command.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL (default: $JOINTINSPECT_DB, else sqlite:///jointinspect.db).",
        show_default=False,
    ),
]


#: ``--quarter`` of the commands that work on one quarter's plan (see :func:`parse_quarter`).
QuarterOption = Annotated[
    str, typer.Option("--quarter", metavar="QUARTER", help="Quarter, e.g. 2025Q3.")
]


def parse_quarter(text: str) -> Quarter:
    """The ``--quarter`` value as a Quarter; a malformed one is a usage error on the option."""
    try:
        return Quarter.parse(text)
    except QuarterFormatError as exc:
        raise typer.BadParameter(str(exc), param_hint="--quarter") from None


@dataclass
class _Process:
    #: Set by the console script (``app.main``): this process runs one command and ends.
    one_command: bool = False


PROCESS = _Process()


@contextmanager
def starting(*, serving: bool = False) -> Iterator[None]:
    """Around a command's import of its workflow: the cyclic garbage collector paused, and
    what was imported frozen out of its sight (``gc.freeze``).

    A workflow brings SQLAlchemy, OR-Tools, pandas and the models: a few hundred thousand
    objects that live as long as the process and are never garbage. Each full collection
    while they load walks all that loaded before it, again and again as they grow, and
    frees nothing (0.2 s of the imports alone); frozen, they are not walked by the
    collections of the command's own work either (the two: 0.4 s of a 650,000-enterprise
    district's nightly replan).

    In a process that runs one command (:data:`PROCESS`) the collector stays paused until
    the process ends, unless the command is ``serving`` (it runs until stopped). The
    workflows pause it around their work, and each time they resumed it, the first
    collection walked every object they had made that was still held — the plan they
    return, for one: 0.4 s at the end of a 650,000-enterprise plan, for nothing, since the
    process ends a moment later and the memory goes with it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled and (serving or not PROCESS.one_command):
            gc.enable()


@dataclass
class AppState:
    db: str | None = None


def settings_for(ctx: typer.Context, db: str | None) -> "Settings":
    """Settings with ``--db`` from the command, else from before the command."""
    from jointinspect.cli.settings import load_settings

    state = ctx.find_root().obj
    root_db = state.db if isinstance(state, AppState) else None
    return load_settings(db=db or root_db)


def open_engine(
    settings: "Settings", *, create: bool = False, district: str | None = None
) -> "Engine":
    """An engine on the configured database (on its ``district``, for a city's database:
    default its only one); only ``init`` and ``demo`` may ``create``."""
    from jointinspect.database import open_database

    return open_database(settings.db, create=create, district=district)


def working_calendar(settings: "Settings") -> "WorkingCalendar":
    """The official calendar with the district's override file, when one is set."""
    from jointinspect.options import working_calendar as options_calendar

    return options_calendar(settings.options())


def fail(message: str, hint: str | None = None, code: int = 1) -> typer.Exit:
    """Print ``Error: …`` (and a hint) on stderr; return the Exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    if hint:
        typer.echo(f"Hint: {hint}", err=True)
    return typer.Exit(code)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's exceptions into ``Error: …`` with a hint and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except JointInspectError as exc:
            raise fail(str(exc), exc.hint) from None
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            raise fail(
                f"the database cannot be used: {exc.orig}",
                "check --db / $JOINTINSPECT_DB and that the server is running",
            ) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted; nothing was committed.", err=True)
            sys.exit(130)

    return wrapper


def _is_database_error(exc: Exception) -> TypeGuard["DatabaseError"]:
    """Whether ``exc`` says the database cannot be used. Only a command that has opened
    one can get that, and the others must not load SQLAlchemy to ask."""
    if "jointinspect.database" not in sys.modules:
        return False
    from jointinspect.database import DatabaseError

    return isinstance(exc, DatabaseError)


def elapsed_progress(started: float) -> Callable[[str], None]:
    """A progress callback: ``[  12.3s] message`` on stderr, timed from ``started``."""

    def progress(message: str) -> None:
        typer.echo(f"[{time.monotonic() - started:6.1f}s] {message}", err=True)

    return progress


@contextmanager
def progress_stage(label: str) -> Iterator[None]:
    """A one-line stage marker on stderr for long commands."""
    typer.echo(f"… {label}", err=True)
    yield
