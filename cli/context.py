"""What every command shares: the database option, settings, and error reporting."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Annotated, ParamSpec, TypeVar

import typer

from jointinspect.cli.settings import Settings, load_settings
from jointinspect.database import DatabaseError, Engine, open_database
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter, QuarterFormatError
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.options import working_calendar as options_calendar

P = ParamSpec("P")
R = TypeVar("R")

#: Every command takes ``--db`` (spec §7); it may also be given before the command.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: $JOINTINSPECT_DB, else sqlite:///jointinspect.db).",
        show_default=False,
    ),
]


#: ``--quarter`` of the commands that work on one quarter's plan (see :func:`parse_quarter`).
QuarterOption = Annotated[str, typer.Option("--quarter", help="Quarter, e.g. 2025Q3.")]


def parse_quarter(text: str) -> Quarter:
    """The ``--quarter`` value as a Quarter; a malformed one is a usage error on the option."""
    try:
        return Quarter.parse(text)
    except QuarterFormatError as exc:
        raise typer.BadParameter(str(exc), param_hint="--quarter") from None


@dataclass
class AppState:
    db: str | None = None


def settings_for(ctx: typer.Context, db: str | None) -> Settings:
    """Settings with ``--db`` from the command, else from before the command."""
    state = ctx.find_root().obj
    root_db = state.db if isinstance(state, AppState) else None
    return load_settings(db=db or root_db)


def open_engine(settings: Settings, *, create: bool = False) -> Engine:
    """An engine on the configured database; only ``init`` and ``demo`` may ``create``."""
    return open_database(settings.db, create=create)


def working_calendar(settings: Settings) -> WorkingCalendar:
    """The official calendar with the district's override file, when one is set."""
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
        except DatabaseError as exc:
            raise fail(
                f"the database cannot be used: {exc.orig}",
                "check --db / $JOINTINSPECT_DB and that the server is running",
            ) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted; nothing was committed.", err=True)
            sys.exit(130)

    return wrapper


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
