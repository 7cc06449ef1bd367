"""The schema revision of this code's models, and a database's, read without Alembic.

Every command checks the database it opens (``jointinspect.database.check_schema``): one
query for the revision the database records, compared with :data:`HEAD`. Alembic (with
Mako and Pygments, which it loads) costs a tenth of a second of every command's start, so
it is loaded only when the two differ: an upgrade, or a database older or newer than the
code (``jointinspect.models.migrations`` then says which).
"""

from dataclasses import dataclass

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

#: The newest revision in ``migrations/versions``: the schema of the models. A new
#: revision moves it, and ``tests/data/test_migrations.py`` holds it to Alembic's head.
HEAD = "0012"
VERSION_TABLE = "alembic_version"


@dataclass(frozen=True, slots=True)
class Revision:
    """One migration: its id and what it does (the first line of its message)."""

    id: str
    message: str


def revision_of(engine: Engine) -> str | None:
    """The revision ``engine``'s database records (None: none), in one query on a
    connection of its own: what every command pays to check the database it opens.
    Several rows (branches, made by a newer jointinspect) come back joined by ``+``, a
    revision this code does not know."""
    with engine.connect() as conn:
        try:
            return read_version(conn)
        except DBAPIError:
            conn.rollback()  # PostgreSQL refuses anything more in a failed transaction
            if inspect(conn).has_table(VERSION_TABLE):
                raise
            return None


def read_version(conn: Connection) -> str | None:
    """The revision in ``conn``'s version table, which must exist."""
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return "+".join(sorted(rows)) or None
