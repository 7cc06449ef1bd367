"""``init``: create the database and the secret key."""

import os
import secrets
from pathlib import Path

import typer

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.models.errors import JointInspectError


class KeyFileError(JointInspectError):
    """The secret key file cannot be created or has unsafe permissions."""


def create_key_file(path: Path) -> bool:
    """Create a fresh random key readable only by its owner; False when it exists already."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "w") as handle:
        # key id, then 32 random bytes; the id lets keys rotate without breaking old codes.
        handle.write(f"k1:{secrets.token_hex(32)}\n")
    return True


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def init(ctx: typer.Context, db: DbOption = None) -> None:
        """Create the database (all tables) and the secret key for inspection codes."""
        settings = settings_for(ctx, db)
        engine = open_engine(settings)
        engine.dispose()
        created = create_key_file(settings.key_file)
        typer.echo(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
        state = "created" if created else "kept (already there)"
        typer.echo(f"Secret key {state}: {settings.key_file}")
