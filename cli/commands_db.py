"""``db upgrade`` and ``db current``: the database's schema revision, and migrating it to
this jointinspect's."""

from typing import TYPE_CHECKING

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import DbOption, reports_errors, settings_for

# The database layer (SQLAlchemy, Alembic) is imported where it is used, not to show help.
if TYPE_CHECKING:
    from jointinspect.database import SchemaState

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


@db_app.command()
@reports_errors
def upgrade(ctx: typer.Context, district: DistrictOption = None, db: DbOption = None) -> None:
    """Migrate the database's schema to this jointinspect's, keeping every row.

    A database made by 0.1.0, before migrations, is recognised as the 0.1.0 schema and
    stamped first. All or nothing: a migration that fails leaves the database as it was.
    Each district of a city's database has its own schema revision: --district says
    which is upgraded.
    """
    from jointinspect.database import upgrade_database

    settings = settings_for(ctx, _db(ctx, db))
    result = upgrade_database(settings.db, district=district)
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


@db_app.command()
@reports_errors
def current(ctx: typer.Context, district: DistrictOption = None, db: DbOption = None) -> None:
    """Print the database's schema revision, and whether this jointinspect can use it."""
    from jointinspect.database import database_schema

    settings = settings_for(ctx, _db(ctx, db))
    typer.echo(_describe(database_schema(settings.db, district=district)))


def _describe(state: "SchemaState") -> str:
    from jointinspect.database import SchemaStatus

    upgrade = f"this jointinspect needs {state.head}: run `jointinspect db upgrade`"
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
