"""``init``: create the database and the secret key."""

import typer

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.options import init_keys


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def init(ctx: typer.Context, db: DbOption = None) -> None:
        """Create the database (all tables) and the secret key for inspection codes.

        The key file goes beside a SQLite database (ji.db → ji.key) unless
        JOINTINSPECT_KEY_FILE says otherwise; a database that has a key never gets a
        second one.
        """
        settings = settings_for(ctx, db)
        engine = open_engine(settings, create=True)
        try:
            keys = init_keys(settings.options(), engine)
        finally:
            engine.dispose()
        typer.echo(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
        ids = ", ".join(keys.key_ids)
        if keys.path is None:
            typer.echo(f"Code key {ids} from JOINTINSPECT_KEY, bound to this database.")
        else:
            state = "created" if keys.created else "kept (already there)"
            typer.echo(f"Secret key {state}: {keys.path} (key {ids}, bound to this database)")
