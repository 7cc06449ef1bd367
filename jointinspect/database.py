"""The database as the interfaces see it: open one, check that its schema is this code's,
upgrade it, and the errors of one that cannot be used.

Only ``init`` and ``demo`` create a database (``create=True``). Every other command opens
an existing one: a mistyped ``--db`` must not leave an empty database behind and report
success. The schema changes only through migrations (``jointinspect.models.migrations``):
a database at an older revision than the code's, or one made by 0.1.0 before migrations,
is refused until ``jointinspect db upgrade`` has brought it up; one at a revision the code
does not know was upgraded by a newer jointinspect, and is refused too.

A city's database holds several districts (``models.districts``), listed in its registry
(``data.districts.registry``): each district's tables are a schema of their own
(PostgreSQL) or a file of their own beside the city's (SQLite), with their own schema
revision. ``open_database(url, district=CODE)`` opens one of them; without a code, the
only district, or an error listing them when there are several. A database without a
registry is one unnamed district, as every database was before districts.
"""

import datetime as dt
import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.exc import OperationalError as DatabaseError

from jointinspect import __version__
from jointinspect.data.districts.registry import describe, register_district, registered_districts
from jointinspect.models import create_schema, make_engine, schema_revision
from jointinspect.models.db import district_url
from jointinspect.models.districts import ENGINE_OPTION, District, check_area_code
from jointinspect.models.errors import JointInspectError
from jointinspect.models.schema_revision import Revision, revision_of

__all__ = [
    "DatabaseError",
    "DatabaseMissingError",
    "DatabaseUrlError",
    "District",
    "DistrictRequiredError",
    "DistrictSchema",
    "DistrictUpgrade",
    "Engine",
    "MixedDatabaseError",
    "NotACityError",
    "Revision",
    "SchemaMissingError",
    "SchemaNewerError",
    "SchemaOutdatedError",
    "SchemaState",
    "SchemaStatus",
    "SchemaUpgrade",
    "UnknownDistrictError",
    "check_schema",
    "create_district",
    "database_districts",
    "database_schema",
    "districts_schema",
    "open_city",
    "open_database",
    "open_districts",
    "schema_state",
    "upgrade_database",
    "upgrade_districts",
]

#: A table every JointInspect database has from ``init`` on.
_MARK_TABLE = "enterprise"
_URL_HINT = "give --db as sqlite:///PATH.db or postgresql://USER@HOST/DATABASE"
_INIT_HINT = "create it with `jointinspect init` (same --db), or check --db / $JOINTINSPECT_DB"
_UPGRADE_HINT = "same --db; it migrates the schema in place and keeps every row"


class DatabaseUrlError(JointInspectError):
    """The database URL is not one JointInspect can use."""


class DatabaseMissingError(JointInspectError):
    """There is no database at the URL, and only ``init`` creates one."""


class SchemaMissingError(JointInspectError):
    """The database exists but holds no JointInspect tables."""


class SchemaOutdatedError(JointInspectError):
    """The database's schema is older than this jointinspect's: ``db upgrade`` first."""


class SchemaNewerError(JointInspectError):
    """A newer jointinspect upgraded the database beyond the schema this one knows."""


class DistrictRequiredError(JointInspectError):
    """The database holds several districts and the command did not say which."""


class UnknownDistrictError(JointInspectError):
    """The district named is not one the database holds."""


class NotACityError(JointInspectError):
    """A city-wide command on a database that holds no districts."""


class MixedDatabaseError(JointInspectError):
    """A district would be added beside an unnamed district's tables, or the reverse."""


class SchemaStatus(enum.StrEnum):
    """Where a database's schema stands against this code's."""

    CURRENT = "current"
    OLDER = "older"
    #: Made by 0.1.0, before migrations: tables but no revision.
    BEFORE_MIGRATIONS = "before migrations"
    NEWER = "newer"
    #: No JointInspect tables at all.
    EMPTY = "empty"


@dataclass(frozen=True, slots=True)
class SchemaState:
    """A database's schema revision (None: it has none) beside the code's newest."""

    revision: str | None
    head: str
    status: SchemaStatus


@dataclass(frozen=True, slots=True)
class SchemaUpgrade:
    """What ``upgrade_database`` did: the revision before and after; for a database made
    before migrations, the revision it was stamped at as 0.1.0's schema; the migrations
    run, oldest first (none: it was up to date)."""

    database: str
    before: str | None
    after: str
    stamped: str | None
    applied: tuple[Revision, ...]

    @property
    def changed(self) -> bool:
        return self.stamped is not None or bool(self.applied)

    @property
    def upgraded_from(self) -> str | None:
        """The revision the migrations started from."""
        return self.stamped or self.before


@dataclass(frozen=True, slots=True)
class DistrictSchema:
    """Where one district's schema stands (``db current --all-districts``), or why it
    could not be read."""

    district: District
    state: SchemaState | None = None
    error: str | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class DistrictUpgrade:
    """What ``upgrade_districts`` did to one district: its upgrade, or why it failed
    (then nothing of it was kept)."""

    district: District
    upgrade: SchemaUpgrade | None = None
    error: str | None = None
    hint: str | None = None


def open_database(url: str, *, create: bool = False, district: str | None = None) -> Engine:
    """An engine on ``url`` whose schema is this code's. With ``create``, a new database
    is made (schema at the head) as needed; without, a missing database or schema is an
    error naming ``init``. A schema older or newer than the code's is an error saying
    which jointinspect to run (:func:`check_schema`).

    In a city's database the engine is one district's: ``district`` (its area code), else
    the only one; several and none named is an error listing them. Only
    :func:`create_district` adds a district."""
    engine = _engine(url, create=create)
    try:
        chosen = _chosen_district(engine, district)
        if chosen is not None:
            engine.dispose()
            engine = _district_engine(url, chosen)
        if create:
            create_schema(engine)
        check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def create_district(url: str, district: District) -> Engine:
    """Make ``district`` in the city's database at ``url`` (the database too, if need
    be) and return an engine on it; a district the database holds already is opened.
    Its tables are made and stamped before it is registered, so an ``init`` that fails
    half way is finished by the next one."""
    check_area_code(district.code)
    root = _engine(url, create=True)
    try:
        known = {d.code: d for d in registered_districts(root)}
        if district.code in known:
            district = known[district.code]
        elif schema_state(root).status is not SchemaStatus.EMPTY:
            raise MixedDatabaseError(
                f"{_shown(root)} holds the tables of an unnamed district already: a "
                f"district cannot be added beside them",
                hint="make a city's districts in a database of their own (another --db)",
            )
        if root.dialect.name == "postgresql":
            with root.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{district.schema}"'))
        else:
            own = make_url(district_url(url, district)).database
            assert own is not None
            _create_private_file(Path(own))
        engine = make_engine(url, district=district)
        try:
            create_schema(engine)
            check_schema(engine)
            if district.code not in known:
                with root.begin() as conn:
                    register_district(conn, district, now=dt.datetime.now(dt.UTC))
        except BaseException:
            engine.dispose()
            raise
    finally:
        root.dispose()
    return engine


def open_city(url: str) -> Engine:
    """An engine on the city's own tables (its registry; the nightly daemon's job store)
    of the existing city's database at ``url``, not on any district."""
    engine = _engine(url, create=False)
    if not registered_districts(engine):
        engine.dispose()
        raise NotACityError(
            f"{_shown(engine)} holds no districts: it is not a city's database",
            hint="leave out --all-districts, or add districts with `jointinspect init "
            "--district CODE`",
        )
    return engine


def open_districts(url: str) -> list[Engine]:
    """An engine on each district of the city's database at ``url``, by code, each
    checked as :func:`open_database` checks one; none for a database without districts.

    On PostgreSQL the engines share one connection pool (each names its schema through
    the translate map alone): a long-lived process serving every district — ``serve`` —
    then holds as many connections as it has requests at once, not that many per
    district. Raw SQL on them finds no district's tables (the default schema holds only
    the city's), so only SQLAlchemy's own statements may be run on them, as
    verification and ratings do. On SQLite each district is a file, and an engine of its
    own."""
    root = _engine(url, create=False)
    shared = root.dialect.name == "postgresql"
    engines: list[Engine] = []
    try:
        for district in registered_districts(root):
            own = _district_engine(url, district)
            try:
                check_schema(own)
            except BaseException:
                own.dispose()
                raise
            if shared:
                own.dispose()
                own = root.execution_options(
                    schema_translate_map={None: district.schema}, **{ENGINE_OPTION: district}
                )
            engines.append(own)
    except BaseException:
        for engine in engines:
            engine.dispose()
        root.dispose()
        raise
    if not shared or not engines:
        root.dispose()
    return engines


def database_districts(url: str) -> list[District]:
    """The districts of the existing database at ``url``, by code (none: it is one
    unnamed district's)."""
    engine = _engine(url, create=False)
    try:
        return registered_districts(engine)
    finally:
        engine.dispose()


def check_schema(engine: Engine) -> None:
    """Refuse a database whose schema is not this code's (one query when it is)."""
    state = schema_state(engine)
    if state.status is SchemaStatus.CURRENT:
        return
    if state.status is SchemaStatus.EMPTY:
        raise SchemaMissingError(f"{_shown(engine)} holds no JointInspect tables", hint=_INIT_HINT)
    if state.status is SchemaStatus.NEWER:
        raise SchemaNewerError(
            f"the database schema is at revision {state.revision}, which this jointinspect "
            f"does not know (its newest is {state.head}): the database was upgraded by a "
            "newer jointinspect; upgrade jointinspect",
            hint=f"this is jointinspect {__version__}; install the version that upgraded it",
        )
    if state.status is SchemaStatus.BEFORE_MIGRATIONS:
        raise SchemaOutdatedError(
            "the database schema is at revision none (made by jointinspect 0.1.0, before "
            f"migrations), this jointinspect needs {state.head}: run `jointinspect db upgrade`",
            hint=_UPGRADE_HINT,
        )
    raise SchemaOutdatedError(
        f"the database schema is at revision {state.revision}, this jointinspect needs "
        f"{state.head}: run `jointinspect db upgrade`",
        hint=_UPGRADE_HINT,
    )


def schema_state(engine: Engine) -> SchemaState:
    """Where ``engine``'s schema stands: one query for a database with a revision, one
    more for one without."""
    revision = revision_of(engine)
    if revision == schema_revision.HEAD:  # nearly every command's case, known without Alembic
        return SchemaState(revision, revision, SchemaStatus.CURRENT)
    from jointinspect.models import migrations

    head = migrations.head()
    if revision is None:
        made = inspect(engine).has_table(_MARK_TABLE)
        status = SchemaStatus.BEFORE_MIGRATIONS if made else SchemaStatus.EMPTY
    elif revision == head:
        status = SchemaStatus.CURRENT
    elif migrations.is_known(revision):
        status = SchemaStatus.OLDER
    else:
        status = SchemaStatus.NEWER
    return SchemaState(revision, head, status)


def database_schema(url: str, *, district: str | None = None) -> SchemaState:
    """Where the schema of the JointInspect database at ``url`` (of its ``district``, as
    :func:`open_database` chooses it) stands (``jointinspect db current``); one without
    JointInspect tables is an error naming ``init``."""
    engine = _target(url, district)
    try:
        state = schema_state(engine)
        if state.status is SchemaStatus.EMPTY:
            check_schema(engine)  # raises SchemaMissingError
    finally:
        engine.dispose()
    return state


def upgrade_database(
    url: str, *, district: str | None = None, progress: Callable[[str], None] | None = None
) -> SchemaUpgrade:
    """Migrate the existing database at ``url`` (its ``district``, as :func:`open_database`
    chooses it; each district has its own revision) to this code's schema, all or
    nothing. A database made before migrations is taken as 0.1.0's schema, stamped, then
    upgraded; an up-to-date one is left as it is. ``progress`` hears of each migration
    as it starts."""
    engine = _target(url, district)
    try:
        state = schema_state(engine)
        if state.status is SchemaStatus.CURRENT:
            return SchemaUpgrade(_shown(engine), state.head, state.head, None, ())
        if state.status in (SchemaStatus.EMPTY, SchemaStatus.NEWER):
            check_schema(engine)  # raises the error of either
        from jointinspect.models import migrations

        steps = migrations.upgrade(engine, progress=progress)
    finally:
        engine.dispose()
    return SchemaUpgrade(_shown(engine), steps.before, steps.after, steps.stamped, steps.applied)


def districts_schema(url: str) -> list[DistrictSchema]:
    """Where each district's schema of the city's database at ``url`` stands (``db
    current --all-districts``); a district that cannot be read is reported, not raised."""
    outcomes = []
    for district in _city_districts(url):
        try:
            state = database_schema(url, district=district.code)
            outcomes.append(DistrictSchema(district, state))
        except JointInspectError as exc:
            outcomes.append(DistrictSchema(district, error=str(exc), hint=exc.hint))
    return outcomes


def upgrade_districts(
    url: str, *, progress: Callable[[str], None] | None = None
) -> list[DistrictUpgrade]:
    """Migrate every district of the city's database at ``url`` to this code's schema,
    one after another, each all or nothing (:func:`upgrade_database`): a district whose
    upgrade fails is left as it was and reported, and the others are upgraded still —
    each district has its revision, and a district behind is refused until upgraded.
    ``progress`` hears of each district's migrations as they start."""
    outcomes = []
    for district in _city_districts(url):
        told = None if progress is None else _prefixed(progress, f"{district.label}: ")
        try:
            done = upgrade_database(url, district=district.code, progress=told)
            outcomes.append(DistrictUpgrade(district, done))
        except JointInspectError as exc:
            outcomes.append(DistrictUpgrade(district, error=str(exc), hint=exc.hint))
    return outcomes


def _prefixed(progress: Callable[[str], None], prefix: str) -> Callable[[str], None]:
    return lambda message: progress(prefix + message)


def _city_districts(url: str) -> list[District]:
    """The districts of the city's database at ``url``; a database without any is an
    error (:func:`open_city`)."""
    root = open_city(url)
    try:
        return registered_districts(root)
    finally:
        root.dispose()


def _engine(url: str, *, create: bool) -> Engine:
    """An engine on ``url`` after checking the URL and, unless ``create``, that a SQLite
    file is there (connecting would make an empty one)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"{url!r} is not a database URL", hint=_URL_HINT) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"{parsed.get_backend_name()} databases are not supported", hint=_URL_HINT
        )
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        if not create:
            raise DatabaseMissingError(f"there is no database at {path}", hint=_INIT_HINT)
        _create_private_file(Path(path))
    try:
        return make_engine(url)
    except NoSuchModuleError:
        raise DatabaseUrlError(f"{url!r}: unknown database driver", hint=_URL_HINT) from None


def _create_private_file(path: Path) -> None:
    """An empty SQLite file only its owner may read: it holds every enterprise's grade
    and every officer's schedule, and SQLite would make it world-readable (umask)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseUrlError(
            f"cannot create the database {path}: {exc.strerror}",
            hint="choose a folder you may write in (--db sqlite:///PATH.db)",
        ) from None


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _target(url: str, district: str | None) -> Engine:
    """An engine on the existing database at ``url``, or on its district, unchecked."""
    engine = _engine(url, create=False)
    try:
        chosen = _chosen_district(engine, district)
    except BaseException:
        engine.dispose()
        raise
    if chosen is None:
        return engine
    engine.dispose()
    return _district_engine(url, chosen)


def _chosen_district(root: Engine, code: str | None) -> District | None:
    """The district ``code`` names in ``root``'s database, or its only one; None for a
    database without districts."""
    known = registered_districts(root)
    if code is None:
        if len(known) > 1:
            raise DistrictRequiredError(
                f"the database holds {len(known)} districts ({describe(known)}): say which",
                hint="give --district CODE, or --all-districts where the command takes it",
            )
        return known[0] if known else None
    check_area_code(code)
    for district in known:
        if district.code == code:
            return district
    if known:
        raise UnknownDistrictError(
            f"the database holds no district {code}; it holds {describe(known)}",
            hint=f"add it with `jointinspect init --district {code}` (same --db)",
        )
    raise UnknownDistrictError(
        f"the database holds no districts, only the tables of one unnamed district "
        f"(no district {code})",
        hint="leave out --district, or make a city's database with `jointinspect init "
        "--district CODE` and another --db",
    )


def _district_engine(url: str, district: District) -> Engine:
    """An engine on a registered district; its SQLite file must be there."""
    if make_url(url).get_backend_name() == "sqlite":
        own = make_url(district_url(url, district)).database
        if own and not Path(own).exists():
            raise DatabaseMissingError(
                f"district {district.label} is registered but its database {own} is missing",
                hint=f"restore it, or make it anew with `jointinspect init --district "
                f"{district.code}` (same --db)",
            )
    return make_engine(url, district=district)
