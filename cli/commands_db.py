"""``db upgrade`` and ``db current``: the database's schema revision, and migrating it to
this jointinspect's; with ``--all-districts``, every district of a city's database, a line
each.

The city's own tables (its registry of districts and record of city-wide runs) are not
under Alembic: they are made with the first district and have not changed since, so
there is no revision of theirs to show or upgrade (docs/city.md).
"""

import time
from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import (
    DbOption,
    elapsed_progress,
    fail,
    reports_errors,
    settings_for,
)

# The database layer (SQLAlchemy, Alembic) is imported where it is used, not to show help.
if TYPE_CHECKING:
    from jointinspect.database import DistrictUpgrade, SchemaState, SchemaUpgrade

AllDistrictsOption = Annotated[
    bool,
    typer.Option(
        "--all-districts",
        help="Every district of a city's database, one after another, a line each; each is "
        "all or nothing, and one that fails does not stop the others.",
    ),
]

db_app = typer.Typer(name="db", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)


@db_app.callback()
def db_group(db: DbOption = None) -> None:
    """The database's schema: its revision, and upgrading it to this jointinspect's."""


def _db(ctx: typer.Context, db: str | None) -> str | None:
    """``--db`` of the command, else of ``db`` itself (``jointinspect db --db URL …``)."""
    group = ctx.parent.params.get("db") if ctx.parent is not None else None
    return db or group


def _one_or_all(district: str | None, all_districts: bool) -> None:
    if district is not None and all_districts:
        raise typer.BadParameter(
            "one district or all of them: not both", param_hint="--district / --all-districts"
        )


@db_app.command()
@reports_errors
def upgrade(
    ctx: typer.Context,
    district: DistrictOption = None,
    all_districts: AllDistrictsOption = False,
    db: DbOption = None,
) -> None:
    """Migrate the database's schema to this jointinspect's, keeping every row.

    A database made by 0.1.0, before migrations, is recognised as the 0.1.0 schema and
    stamped first. All or nothing: a migration that fails leaves the database as it was.
    Each district of a city's database has its own schema revision: --district says
    which is upgraded, --all-districts upgrades each (a failed one is left as it was).
    """
    from jointinspect.database import upgrade_database, upgrade_districts

    _one_or_all(district, all_districts)
    settings = settings_for(ctx, _db(ctx, db))
    if all_districts:
        _print_districts(
            upgrade_districts(settings.db, progress=elapsed_progress(time.monotonic()))
        )
        return
    result = upgrade_database(
        settings.db, district=district, progress=elapsed_progress(time.monotonic())
    )
    if not result.changed:
        typer.echo(
            f"The database is at revision {result.after}, this jointinspect's newest: "
            "nothing to upgrade."
        )
        return
    if result.stamped is not None:
        typer.echo(
            "Recognised a database made before migrations as the 0.1.0 schema: "
            f"stamped revision {result.stamped}."
        )
    if not result.applied:
        typer.echo(f"It is at revision {result.after}, this jointinspect's newest.")
        return
    typer.echo(f"Upgraded the database from revision {result.upgraded_from} to {result.after}:")
    for revision in result.applied:
        typer.echo(f"  {revision.id}  {revision.message}")


def _print_districts(outcomes: "list[DistrictUpgrade]") -> None:
    """A line per district, then ``Error: …`` naming those whose upgrade failed (exit 1)."""
    failed = [o for o in outcomes if o.upgrade is None]
    for outcome in outcomes:
        if outcome.upgrade is None:
            line = f"failed, left as it was: {outcome.error}"
        else:
            line = _upgraded(outcome.upgrade)
        typer.echo(f"{outcome.district.label}: {line}")
    if failed:
        named = ", ".join(o.district.label for o in failed)
        raise fail(
            f"{len(failed)} of {len(outcomes)} districts were not upgraded: {named}",
            "mend what their lines say and run it again: a district at the newest revision "
            "is left as it is",
        )


def _upgraded(result: "SchemaUpgrade") -> str:
    """One district's upgrade in a line."""
    if not result.changed:
        return f"at revision {result.after}, the newest: nothing to upgrade"
    stamped = (
        f"made before migrations, stamped {result.stamped}; " if result.stamped is not None else ""
    )
    if not result.applied:
        return f"{stamped}at revision {result.after}, the newest"
    steps = ", ".join(f"{r.id} {r.message}" for r in result.applied)
    return f"{stamped}upgraded from revision {result.upgraded_from} to {result.after} ({steps})"


@db_app.command()
@reports_errors
def current(
    ctx: typer.Context,
    district: DistrictOption = None,
    all_districts: AllDistrictsOption = False,
    db: DbOption = None,
) -> None:
    """Print the database's schema revision, and whether this jointinspect can use it.

    Each district of a city's database has its own: --district says which,
    --all-districts prints each, a line a district.
    """
    from jointinspect.database import database_schema, districts_schema

    _one_or_all(district, all_districts)
    settings = settings_for(ctx, _db(ctx, db))
    if not all_districts:
        typer.echo(_describe(database_schema(settings.db, district=district)))
        return
    outcomes = districts_schema(settings.db)
    command = "jointinspect db upgrade --all-districts"
    for outcome in outcomes:
        state = outcome.state
        line = f"unreadable: {outcome.error}" if state is None else _describe(state, command)
        typer.echo(f"{outcome.district.label}: {line}")
    unreadable = [o for o in outcomes if o.state is None]
    if unreadable:
        named = "; ".join(o.district.label for o in unreadable)
        raise fail(
            f"{len(unreadable)} of {len(outcomes)} districts cannot be read: {named}",
            unreadable[0].hint,
        )


def _describe(state: "SchemaState", command: str = "jointinspect db upgrade") -> str:
    from jointinspect.database import SchemaStatus

    upgrade = f"this jointinspect needs {state.head}: run `{command}`"
    if state.status is SchemaStatus.CURRENT:
        return f"{state.revision} (head)"
    if state.status is SchemaStatus.OLDER:
        return f"{state.revision} ({upgrade})"
    if state.status is SchemaStatus.BEFORE_MIGRATIONS:
        return f"none (made by jointinspect 0.1.0, before migrations; {upgrade})"
    return (
        f"{state.revision} (newer than this jointinspect, whose newest is {state.head}: "
        "upgrade jointinspect)"
    )
