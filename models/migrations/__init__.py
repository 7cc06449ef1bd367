"""Schema migrations (Alembic): every change to the tables after 0.1.0 is a revision in
``versions/``, and a database records the revision it is at in ``alembic_version``.

- A new database is made from the models (``create_schema``) and stamped at the head.
- ``upgrade`` brings an older one to the head; a database made by 0.1.0, before
  migrations (tables, no ``alembic_version``), is first stamped as :data:`BASELINE`.
- ``revision_of`` (``models.schema_revision``, which needs no Alembic) reads a
  database's revision in one query, for the check every command makes when it opens a
  database; ``HEAD`` there names the newest revision, and a new revision moves it.

Migrations always run on a connection the code hands to Alembic (``env.py``), never from
an ini file. A change to the models needs a revision; ``python -m
jointinspect.models.migrations "what changed"`` writes one (:func:`write_revision`) for
review, and ``tests/data/test_migrations.py`` fails until it exists and ``HEAD`` in
``models/schema_revision.py`` names it.
"""

import hashlib
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel.sql.sqltypes import AutoString

from jointinspect.models.errors import JointInspectError
from jointinspect.models.schema_revision import VERSION_TABLE, Revision, read_version

#: The folder holding ``env.py`` and ``versions/``; tests point it at a copy.
LOCATION = Path(__file__).resolve().parent
#: The revision of the schema that shipped as 0.1.0, before migrations.
BASELINE = "0001"
#: Tables in the project database that JointInspect's models do not own: the nightly
#: daemon's APScheduler job store (``cli/daemon.py`` ``JOBS_TABLE``) makes its own.
NOT_OURS = frozenset({"apscheduler_jobs", VERSION_TABLE})
_UNCHANGED_HINT = (
    "nothing of the upgrade was kept: the database is as it was, and the jointinspect it "
    "worked with still does; report this with the message above"
)
#: The advisory-lock key that keeps two upgrades of one PostgreSQL database apart.
_PG_LOCK = int.from_bytes(hashlib.sha256(b"jointinspect.migrations").digest()[:8], "big") >> 1


class MigrationFailedError(JointInspectError):
    """A migration failed or left the database inconsistent, so none of it was kept."""


@dataclass(frozen=True, slots=True)
class UpgradeSteps:
    """What :func:`upgrade` did: the revision before (None: none recorded), the revision it
    stamped a database made before migrations at (:data:`BASELINE`), and the revisions it
    applied, oldest first."""

    before: str | None
    stamped: str | None
    applied: tuple[Revision, ...]
    after: str


@cache
def _scripts(location: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(location))


def script_directory() -> ScriptDirectory:
    """The revisions this code knows (read once per process)."""
    return _scripts(LOCATION)


def head() -> str:
    """The newest revision: the schema of the models."""
    revision = script_directory().get_current_head()
    assert revision is not None, f"no migrations in {LOCATION / 'versions'}"
    return revision


def is_known(revision: str) -> bool:
    """Whether this code has ``revision`` (one it does not know came from a newer one)."""
    return revision in {script.revision for script in script_directory().walk_revisions()}


def pending(current: str | None) -> tuple[Revision, ...]:
    """The revisions an upgrade from ``current`` (None: an empty database) applies,
    oldest first."""
    scripts = script_directory().iterate_revisions(head(), current or "base")
    return tuple(
        Revision(script.revision, (script.doc or "").splitlines()[0] if script.doc else "")
        for script in reversed(list(scripts))
    )


def stored_revision(conn: Connection) -> str | None:
    """The revision ``conn``'s database is at; None when it has none (a new database, or
    one made by 0.1.0). Several rows (branches, made by a newer jointinspect) come back
    joined by ``+``, a revision this code does not know."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return read_version(conn)


def stamp_head(conn: Connection) -> None:
    """Record that ``conn``'s database has the schema of the models (made by them)."""
    MigrationContext.configure(conn).stamp(script_directory(), "head")


def upgrade(engine: Engine, *, progress: Callable[[str], None] | None = None) -> UpgradeSteps:
    """Bring ``engine``'s database to the head, all or nothing. A database without a
    revision but with tables is taken to be 0.1.0's and stamped :data:`BASELINE` first;
    an empty one gets every migration. ``progress`` is told of each migration as it
    starts (some convert every grade or plan row: tens of seconds at district scale)."""
    with _migrating(engine) as conn:
        before = stored_revision(conn)
        stamp = before is None and bool(set(inspect(conn).get_table_names()) - NOT_OURS)
        if stamp:
            MigrationContext.configure(conn).stamp(script_directory(), BASELINE)
        steps = pending(BASELINE if stamp else before)
        config = _config(LOCATION, connection=conn)
        for k, step in enumerate(steps, start=1):  # one by one: a failure names its own
            if progress is not None:
                progress(f"migration {step.id} ({k} of {len(steps)}): {step.message}")
            try:
                command.upgrade(config, step.id)
            except DBAPIError as exc:
                raise MigrationFailedError(
                    f"migration {step.id} ({step.message}) failed: {exc.orig}",
                    hint=_UNCHANGED_HINT,
                ) from exc
        if steps and conn.dialect.name == "sqlite":
            _check_foreign_keys(conn)
        after = stored_revision(conn)
        assert after is not None
    return UpgradeSteps(before, BASELINE if stamp else None, steps, after)


def migration_options(conn: Connection) -> dict[str, Any]:
    """How Alembic reads and changes the database, the same for migrating and comparing.

    SQLite alters tables by copying them (batch mode); tables JointInspect does not own
    are neither compared nor dropped.
    """

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name not in NOT_OURS

    return {
        "render_as_batch": conn.dialect.name == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
        "include_name": include_name,
        "render_item": _render_item,
    }


def _render_item(type_: str, obj: Any, _context: Any) -> str | Literal[False]:
    # SQLModel's AutoString is a String that picks a length on MySQL only; a revision
    # says String, so that it stays readable and does not depend on SQLModel's internals.
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def schema_differences(conn: Connection, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make ``conn``'s database ``metadata``'s:
    empty when the migrations and the models agree."""
    context = MigrationContext.configure(conn, opts=migration_options(conn))
    return list(compare_metadata(context, metadata))


def write_revision(message: str, metadata: MetaData, *, location: Path | None = None) -> Path:
    """Write the next revision: what ``metadata`` has beyond the head, autogenerated on a
    scratch SQLite database upgraded to the head. Review it before committing it."""
    location = location or LOCATION
    scripts = _scripts(location)
    current = scripts.get_current_head()
    rev_id = f"{int(current or '0') + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'head.db'}", poolclass=NullPool)
        try:
            with engine.begin() as conn:
                config = _config(location, connection=conn, metadata=metadata)
                command.upgrade(config, "head")
                script = command.revision(config, message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    _scripts.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def _config(
    location: Path, *, connection: Connection | None = None, metadata: MetaData | None = None
) -> Config:
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    config.attributes["metadata"] = metadata
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction that migrations may change tables in, held by one
    upgrade at a time.

    PostgreSQL's DDL is transactional as it is; an advisory lock held to the commit makes
    a second upgrade wait and then find the work done. SQLite's DDL is transactional too,
    but Python's driver commits around DDL on its own, so the transaction is begun by
    hand (IMMEDIATE: the write lock from the start); foreign keys are off while tables are
    copied (dropping the original would otherwise delete or refuse its children's rows)
    and are checked before the commit, as SQLite's own procedure for altering tables has
    it.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
            yield conn
        return
    migrating = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 60})

    @event.listens_for(migrating, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(migrating, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with migrating.begin() as conn:
            yield conn
    finally:
        migrating.dispose()


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        table, row = broken[0][0], broken[0][1]
        raise MigrationFailedError(
            f"the migrations left {len(broken)} rows whose foreign keys point nowhere "
            f"(the first: table {table}, row {row})",
            hint=_UNCHANGED_HINT,
        )
