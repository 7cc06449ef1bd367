"""Engine and session helpers: SQLite file by default, PostgreSQL by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from jointinspect.models import (  # noqa: F401  (registers tables)
    events,
    planning,
    reference,
    risk_models,
)
from jointinspect.models.districts import ENGINE_OPTION, District, district_of

DEFAULT_DB_URL = "sqlite:///jointinspect.db"


def normalise_url(url: str) -> str:
    """Accept the usual spellings: ``postgresql://`` means the psycopg 3 driver here."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while one writer imports; foreign keys are off by default
    # in SQLite and the schema relies on them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(
    url: str = DEFAULT_DB_URL, *, echo: bool = False, district: District | None = None
) -> Engine:
    """An engine for ``url``; SQLite gets WAL and enforced foreign keys. With
    ``district``, an engine on that district's tables (:func:`district_url` on SQLite,
    its schema on PostgreSQL), carrying the district (``districts.district_of``)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        if district is not None:
            url = district_url(url, district)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif district is None:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    else:
        # The translate map names the district's schema in every statement SQLAlchemy
        # builds; the search path, set when the connection opens (before the dialect
        # reads its default schema), serves the SQL that is written out or compiled on
        # its own (the bulk writes, the version table, the inspector, Alembic) and has
        # no other schema to fall back on, so a stray statement fails rather than writes
        # elsewhere.
        engine = create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            connect_args={"options": f"-csearch_path={district.schema}"},
        ).execution_options(schema_translate_map={None: district.schema})
    if district is not None:
        engine = engine.execution_options(**{ENGINE_OPTION: district})
    return engine


@dataclass(frozen=True)
class EngineRecipe:
    """What another process needs to open an engine on the same database as one of this
    process's: its URL (password included) and its district."""

    url: str
    district: District | None

    def engine(self) -> Engine:
        if self.district is not None and make_url(self.url).get_backend_name() == "sqlite":
            # A SQLite district's URL names its own file already (``district_url``).
            return make_engine(self.url).execution_options(**{ENGINE_OPTION: self.district})
        return make_engine(self.url, district=self.district)


def recipe_of(engine: Engine) -> EngineRecipe | None:
    """How to open ``engine``'s database in another process; None for one no other
    process can open (SQLite in memory)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return EngineRecipe(url.render_as_string(hide_password=False), district_of(engine))


def district_url(url: str, district: District) -> str:
    """A SQLite district's own file, beside the city's (``ji.db`` → ``ji.310120.db``):
    a whole JointInspect database, so its lock file, key file and write lock are its
    own, and SQL written out by hand finds its tables with no schema to name."""
    parsed = make_url(url)
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("districts need a SQLite database file, not an in-memory one")
    path = Path(parsed.database)
    own = path.with_name(f"{path.stem}.{district.code}{path.suffix}")
    return parsed.set(database=str(own)).render_as_string(hide_password=False)


def create_schema(engine: Engine) -> None:
    """Make a new database's tables and indexes and stamp it at the migrations' head.

    A database that already has a revision, or tables of its own from before migrations,
    is left as it is: only its migrations change it (``jointinspect db upgrade``), since
    tables made here beside an older schema would collide with the migration that adds
    them.
    """
    # Here, not at the top: Alembic is for making and migrating a database, and every
    # command that only opens one would load it (``models.schema_revision``).
    from jointinspect.models.migrations import stamp_head, stored_revision

    with engine.begin() as conn:
        if stored_revision(conn) is not None:
            return
        existing = set(inspect(conn).get_table_names())
        if existing & set(SQLModel.metadata.tables):
            return
        SQLModel.metadata.create_all(conn)
        stamp_head(conn)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
