"""The database as the interfaces see it: open one, and the errors of one that cannot be
used.

Only ``init`` and ``demo`` create a database (``create=True``). Every other command opens
an existing one: a mistyped ``--db`` must not leave an empty database behind and report
success. An existing database gets the tables and indexes declared since it was made.
"""

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.exc import OperationalError as DatabaseError

from jointinspect.models import create_schema, make_engine
from jointinspect.models.errors import JointInspectError

__all__ = [
    "DatabaseError",
    "DatabaseMissingError",
    "DatabaseUrlError",
    "Engine",
    "SchemaMissingError",
    "open_database",
]

#: A table every JointInspect database has from ``init`` on.
_MARK_TABLE = "enterprise"
_URL_HINT = "give --db as sqlite:///PATH.db or postgresql://USER@HOST/DATABASE"
_INIT_HINT = "create it with `jointinspect init` (same --db), or check --db / $JOINTINSPECT_DB"


class DatabaseUrlError(JointInspectError):
    """The database URL is not one JointInspect can use."""


class DatabaseMissingError(JointInspectError):
    """There is no database at the URL, and only ``init`` creates one."""


class SchemaMissingError(JointInspectError):
    """The database exists but holds no JointInspect tables."""


def open_database(url: str, *, create: bool = False) -> Engine:
    """An engine on ``url``. With ``create``, the database and schema are made as needed;
    without, a missing database or schema is an error naming ``init``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"{url!r} is not a database URL", hint=_URL_HINT) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"{parsed.get_backend_name()} databases are not supported", hint=_URL_HINT
        )
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not create and path and path != ":memory:" and not Path(path).exists():
        raise DatabaseMissingError(f"there is no database at {path}", hint=_INIT_HINT)
    try:
        engine = make_engine(url)
    except NoSuchModuleError:
        raise DatabaseUrlError(f"{url!r}: unknown database driver", hint=_URL_HINT) from None
    if not create and not inspect(engine).has_table(_MARK_TABLE):
        engine.dispose()
        raise SchemaMissingError(
            f"{parsed.render_as_string(hide_password=True)} holds no JointInspect tables",
            hint=_INIT_HINT,
        )
    create_schema(engine)
    return engine
