"""Import of a bundle (spec §1): validate everything, then upsert every file in one transaction.

Nothing is written unless the whole bundle is valid; the writes go in foreign-key order
as chunked executemany upserts (``INSERT … ON CONFLICT (key) DO UPDATE``), so a re-import
of the same bundle changes nothing and a later bundle may carry only what changed.

On update, the columns the file has overwrite the stored row (a blank optional cell
stands for "not given", i.e. its default); columns the file does not have at all keep
their stored values.
"""

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Float, Index, Table, inspect, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.sql.dml import Insert

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.bundle.errors import BundleNotFound, Problem
from jointinspect.data.bundle.known_keys import DatabaseKeys
from jointinspect.data.bundle.validation import (
    ImportProgress,
    ParsedFile,
    ProgressCallback,
    validate_bundle,
)
from jointinspect.data.plans.basis import NEWS_FILES, PLANNING_FILES, record_input_change
from jointinspect.models.errors import JointInspectError

#: Rows per executemany call: large enough to amortise the call, small enough for memory.
CHUNK_ROWS = 10_000


class ImportWriteFailed(JointInspectError):
    """The database refused a row that passed validation; nothing was imported."""


class UnsupportedDatabase(JointInspectError):
    """Bundles import into SQLite and PostgreSQL only."""


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What importing one file did."""

    file: str
    rows: int
    inserted: int
    #: Rows whose key was there already, and of those, rows whose values changed.
    updated: int
    changed: int
    validate_seconds: float
    write_seconds: float
    #: CPU time of this process, which tells the work apart from waiting on a busy machine.
    validate_cpu_seconds: float
    write_cpu_seconds: float


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: per file, with the warnings that did not stop it."""

    files: tuple[FileSummary, ...]
    warnings: tuple[Problem, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(summary.rows for summary in self.files)


def check_bundle_dir(bundle_dir: Path) -> None:
    """Raise ``BundleNotFound`` unless ``bundle_dir`` is an existing folder."""
    if not bundle_dir.exists():
        raise BundleNotFound(
            f"bundle folder {bundle_dir} does not exist",
            hint="give the folder that holds departments.csv, enterprises.csv, items.csv …",
        )
    if not bundle_dir.is_dir():
        raise BundleNotFound(
            f"{bundle_dir} is not a folder",
            hint="give the folder that holds the bundle's CSV files, not a file",
        )


def import_bundle(
    bundle_dir: Path,
    *,
    engine: Engine,
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate the bundle in ``bundle_dir`` and upsert it, all or nothing.

    Raises ``BundleNotFound`` for a missing folder and ``BundleInvalid`` (listing every
    problem) for an invalid bundle; the database is unchanged in both cases. The schema
    must exist (``models.create_schema``).
    """
    started = time.perf_counter()
    bundle_dir = Path(bundle_dir)
    check_bundle_dir(bundle_dir)
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(f"cannot import into a {engine.dialect.name} database")
    with no_cyclic_gc(), engine.begin() as conn, _sqlite_cache(conn):
        db = DatabaseKeys(conn)
        bundle = validate_bundle(bundle_dir, db=db, strict=strict, progress=progress)
        summaries = []
        for parsed in bundle.files:
            written_started, cpu_started = time.perf_counter(), time.process_time()
            inserted, updated, changed = _write_file(conn, parsed, db, progress)
            checked, checked_cpu = bundle.seconds.get(parsed.spec.name, (0.0, 0.0))
            summaries.append(
                FileSummary(
                    parsed.spec.name,
                    parsed.size,
                    inserted,
                    updated,
                    changed,
                    checked,
                    time.perf_counter() - written_started,
                    checked_cpu,
                    time.process_time() - cpu_started,
                )
            )
        _note_planning_change(conn, summaries)
    return ImportReport(tuple(summaries), tuple(bundle.warnings), time.perf_counter() - started)


def _note_planning_change(conn: Connection, summaries: Sequence[FileSummary]) -> None:
    """Record the import as a change to the planning inputs when it added or changed
    rows every enterprise's plan may read, or changed demands or triggers already there
    (new ones are news a replan finds by their ids): ``data.plans.basis``. A file sent
    again as it was changes nothing."""
    changed = [
        f"{s.file} {s.inserted + s.changed:,} rows"
        for s in summaries
        if (s.file in PLANNING_FILES and s.inserted + s.changed)
        or (s.file in NEWS_FILES and s.changed)
    ]
    if changed:
        record_input_change(conn, "import: " + ", ".join(changed))


#: A file of at least this many rows going into an empty table is written without the
#: table's secondary indexes, which are built afterwards: sorting once is much faster
#: than keeping several B-trees in order row by row.
DEFER_INDEXES_ROWS = 50_000
#: SQLite page cache for the import's connection, in KiB: the indexes of a large district
#: are written in key order of other columns, so a cache that holds them saves re-reading
#: pages (the default 2 MiB makes writing 650,000 history rows four times slower).
SQLITE_IMPORT_CACHE_KIB = 512 * 1024


@contextmanager
def _sqlite_cache(conn: Connection) -> Iterator[None]:
    """A large page cache on SQLite for the import, the connection's own size afterwards."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _upsert(table: Table, dialect: str, update: Sequence[str]) -> Insert:
    """``INSERT … ON CONFLICT (primary key) DO UPDATE SET`` the ``update`` columns, where
    one of them differs: a row sent again as it is stays untouched, and the statement's
    row count is the rows inserted and the rows whose values changed."""
    key = list(table.primary_key.columns)
    stmt = sqlite.insert(table) if dialect == "sqlite" else postgresql.insert(table)
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=key)
    return stmt.on_conflict_do_update(
        index_elements=key,
        set_={name: stmt.excluded[name] for name in update},
        where=or_(*(table.c[name].is_distinct_from(stmt.excluded[name]) for name in update)),
    )


def _existing(parsed: ParsedFile, db: DatabaseKeys) -> int:
    """How many of the file's keys the table already holds (rows that will be updated)."""
    table = parsed.spec.table
    if db.is_empty(table):
        return 0
    stored = db.keys(table)
    key = parsed.spec.key
    keys: Iterable[Any] = (
        parsed.columns[key[0]]
        if len(key) == 1
        else zip(*(parsed.columns[name] for name in key), strict=True)
    )
    return sum(1 for value in keys if value in stored)


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        yield chunk


def _write_file(
    conn: Connection, parsed: ParsedFile, db: DatabaseKeys, progress: ProgressCallback | None
) -> tuple[int, int, int]:
    """Upsert one validated file; (inserted, updated: keys already there, changed: of
    those, rows whose values differed)."""
    spec, table = parsed.spec, parsed.spec.table
    updated = _existing(parsed, db)
    if parsed.size == 0:
        return 0, 0, 0
    names = [column.name for column in table.columns]
    present = set(parsed.columns)
    update = [n for n in names if n in present and n not in spec.key]
    statement = _upsert(table, conn.dialect.name, update)
    columns: dict[str, Sequence[Any]] = {}
    for name in names:
        if name in parsed.columns:
            columns[name] = parsed.columns[name]
        else:  # an optional column the file does not have: its default on insert
            columns[name] = [spec.column(name).default] * parsed.size
    compiled = statement.compile(dialect=conn.dialect, column_keys=names)
    send: Callable[[list[tuple[Any, ...]]], CursorResult[Any]]
    if compiled.positional and compiled.positiontup is not None:
        # SQLite: the driver gets plain tuples, converted by the same bind processors
        # SQLAlchemy would apply, which skips building a dict per row (twice as fast).
        order = compiled.positiontup
        rows = zip(*(_bound(table, conn, name, columns[name]) for name in order), strict=True)

        def send(chunk: list[tuple[Any, ...]]) -> CursorResult[Any]:
            return conn.exec_driver_sql(compiled.string, chunk)
    else:
        # PostgreSQL: the driver's executemany too, with named parameters; psycopg's row
        # count is the sum over the rows (SQLAlchemy's own executemany keeps none).
        rows = zip(*(_bound(table, conn, name, columns[name]) for name in names), strict=True)

        def send(chunk: list[tuple[Any, ...]]) -> CursorResult[Any]:
            return conn.exec_driver_sql(
                compiled.string, [dict(zip(names, row, strict=True)) for row in chunk]
            )

    deferred: list[Index] = []
    done = written = 0
    try:
        for chunk in _chunks(rows):
            written += send(chunk).rowcount
            if done == 0 and parsed.size >= DEFER_INDEXES_ROWS and db.is_empty(table):
                # After the first chunk, so that the transaction has begun (SQLite's driver
                # opens it at the first INSERT) and a failure rolls the DROP back too.
                present = {f["name"] for f in inspect(conn).get_indexes(table.name) if f["name"]}
                deferred = [i for i in table.indexes if not i.unique and i.name in present]
                for index in deferred:
                    index.drop(conn)
            done += len(chunk)
            if progress is not None:
                progress(ImportProgress("write", spec.name, done, parsed.size))
        for index in deferred:
            index.create(conn)
    except (IntegrityError, DataError) as exc:
        raise ImportWriteFailed(
            f"the database refused a row of {spec.name}: {exc.orig}; nothing was imported",
            hint="this is a gap in validation: please report it with the row",
        ) from exc
    inserted = parsed.size - updated
    return inserted, updated, written - inserted


def _bound(table: Table, conn: Connection, name: str, values: Sequence[Any]) -> Sequence[Any]:
    """``values`` as the driver wants them (e.g. dates as ISO text on SQLite)."""
    column_type = table.c[name].type
    if isinstance(column_type, Float):
        return values  # already floats; the driver takes them as they are
    dialect = conn.dialect
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    # Convert each distinct value once: dates and flags repeat a lot.
    converted = {value: None if value is None else process(value) for value in set(values)}
    return list(map(converted.__getitem__, values))
