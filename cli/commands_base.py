"""``init``: create the database and the secret key."""

import typer

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.options import create_key_file


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def init(ctx: typer.Context, db: DbOption = None) -> None:
        """Create the database (all tables) and the secret key for inspection codes."""
        settings = settings_for(ctx, db)
        engine = open_engine(settings, create=True)
        engine.dispose()
        created = create_key_file(settings.key_file)
        typer.echo(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
        state = "created" if created else "kept (already there)"
        typer.echo(f"Secret key {state}: {settings.key_file}")
