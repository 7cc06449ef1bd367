"""Everything grading reads from the database, and the grades it writes back.

Reads are Core selects of plain columns (no ORM objects: a district has hundreds of
thousands of enterprises and millions of events), read column by column (on SQLite as
JSON arrays, see ``_batches``), and respect ``as_of``: nothing dated after it is loaded.
Inspections come from ``history`` and from ``outcome`` joined through the inspection code
to its visit or off-site check. Grades are written with one bulk upsert, their reasons
naming their words in ``reason_wording`` (``EnterpriseGradeBase.reasons``).
"""

import datetime as dt
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import String, cast, func, literal_column, select, text, union_all
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.expression import ColumnClause

from jointinspect.data.bulk_write import large_page_cache
from jointinspect.data.plans.basis import record_input_change
from jointinspect.data.reading.columnar import json_columns, read_ahead
from jointinspect.data.uscc_scope import Keep, every_row, scope_members, uscc_scope
from jointinspect.models import (
    CreditEvent,
    Enterprise,
    EnterpriseGrade,
    History,
    IndustryRecord,
    InspectionCode,
    OffsiteCheck,
    Outcome,
    ReasonWording,
    Relation,
    Trigger,
    Visit,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import EnterpriseStatus, InspectionResult
from jointinspect.models.errors import JointInspectError
from jointinspect.models.timezones import CHINA

#: Rows per executemany batch of the grade upsert.
WRITE_CHUNK = 50_000
#: Rows read from the driver at a time (see ``_columns``).
FETCH_ROWS = 100_000

Columns = dict[str, Any]  # name → list, or numpy array for dates


class UnsupportedGradeDatabase(JointInspectError):
    """Grades can be written to SQLite and PostgreSQL only."""


class UngradableEnterpriseError(JointInspectError):
    """A grade names an enterprise the register does not have (nothing was written)."""


@dataclass(frozen=True)
class GradingTables:
    """Plain columns keyed by name, ready for ``risk.inputs`` (``CreditEventColumns(**…)``)."""

    enterprises: Columns
    credit_events: Columns
    industry_records: Columns
    inspections: Columns
    triggers: Columns
    relations: Columns


@dataclass(frozen=True)
class StoredGrade:
    uscc: str
    credit: float
    risk: float
    grade: str
    #: In words: ``{"code", "zh", "en", "weight", "adverse"}`` each (``adverse`` absent
    #: from grades stored before it was).
    reasons: list[dict[str, Any]]
    as_of: dt.date


#: A reason's words: ``(code, zh, en)``.
Wording = tuple[str, str, str]
#: A row of ``enterprise_grade`` as written: ``(uscc, credit, risk, grade, reasons)``, the
#: reasons as JSON text ``[[wording id, weight, adverse 1/0], …]``.
GradeRow = tuple[str, float, float, str, str]


@dataclass(frozen=True)
class GradeRows:
    """Grades to store (:func:`write_grades`): the wordings their reasons use, and the rows,
    made once the wordings' stored ids are known: ``rows(ids)``, where ``ids[j]`` is the
    id of ``wordings[j]``. ``rows`` may make them as they are read (see ``write_grades``)."""

    wordings: Sequence[Wording]
    rows: Callable[[Sequence[int]], Iterable[GradeRow]]
    #: The rows are the grades of every enterprise of the register, one each (a grading
    #: of the whole district): they replace the table's (see :func:`write_grades`).
    whole: bool = False


def grade_rows_in_words(
    grades: Iterable[tuple[str, float, float, str, Sequence[Mapping[str, Any]]]],
) -> GradeRows:
    """:class:`GradeRows` of grades whose reasons are in words, each a mapping with
    ``code``, ``zh``, ``en``, ``weight`` and ``adverse`` (may be absent: null)."""
    rows = list(grades)
    wordings = list(
        dict.fromkeys((r["code"], r["zh"], r["en"]) for *_, reasons in rows for r in reasons)
    )
    number = {w: j for j, w in enumerate(wordings)}

    def made(ids: Sequence[int]) -> Iterator[GradeRow]:
        for uscc, credit, risk, grade, reasons in rows:
            entries = [
                [ids[number[r["code"], r["zh"], r["en"]]], r["weight"], _side(r.get("adverse"))]
                for r in reasons
            ]
            yield uscc, credit, risk, grade, json.dumps(entries, separators=(",", ":"))

    return GradeRows(wordings, made)


def _side(adverse: object) -> int | None:
    return None if adverse is None else int(bool(adverse))


def _fetch(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """The rows of ``query`` as the driver's own tuples.

    SQLAlchemy binds the parameters; the rows are read from the DB-API cursor directly,
    since making a ``Row`` per row cost more than the query at district scale (650,000
    enterprises, millions of events). Only plain text and numbers are selected this way.
    """
    result = conn.execute(query)
    try:
        rows = list(result.cursor.fetchall())
    finally:
        result.close()
    return rows


def _columns(
    conn: Connection,
    query: Any,
    names: Sequence[str],
    *,
    shared: Mapping[str, dict[Any, Any]] | None = None,
    days: Collection[str] = ("date",),
    reals: bool = False,
    sent: "Future[Sequence[str] | None] | None" = None,
) -> Columns:
    """The rows of ``query`` as columns keyed by ``names``; the ``days`` columns (ISO text
    or None) as numpy days (NaT for None). ``reals``: the query selects floating-point
    columns; ``sent``: its JSON, read ahead (see :func:`_batches`).

    A column named in ``shared`` keeps one string object per distinct value, taken from
    (or added to) its table: a district's events name the same enterprises, kinds and
    results millions of times, and as shared objects they take a pointer a row (not a
    string each: hundreds of megabytes of fresh memory, which costs more than reading
    them) and are hashed once when grading looks them up.
    """
    tables = shared or {}
    columns: dict[str, list[Any]] = {name: [] for name in names if name not in days}
    dated: dict[str, list[NDArray[np.datetime64]]] = {name: [] for name in names if name in days}
    for batch in _batches(conn, query, len(names), reals=reals, sent=sent):
        for name, values in zip(names, batch, strict=True):
            if name in dated:
                dated[name].append(np.array(values, dtype="datetime64[D]"))
            elif name in tables:
                table = tables[name]
                columns[name] += map(table.setdefault, values, values)
            else:
                columns[name] += values
    out: Columns = dict(columns)
    for name, parts in dated.items():
        out[name] = np.concatenate(parts) if parts else np.zeros(0, dtype="datetime64[D]")
    return out


def _batches(
    conn: Connection,
    query: Any,
    width: int,
    *,
    reals: bool,
    sent: "Future[Sequence[str] | None] | None" = None,
) -> Iterator[list[list[Any]]]:
    """The values of ``query``'s rows column by column, a batch of rows at a time.

    SQLite sends each column as one JSON array (``data.reading.columnar``; ``sent``: already
    asked for, see ``columnar.read_ahead``): the driver makes a tuple and an object per row
    and value, which took twice as long as SQLite writing the JSON and ``json.loads``
    reading it. JSON keeps text and integers exactly but not every double (SQLite writes
    15 digits), so a query with ``reals``, and other databases, are read from the DB-API
    cursor instead, a batch at a time, each turned into columns before the next is read.
    """
    if conn.dialect.name == "sqlite" and not reals:
        texts = sent.result() if sent is not None else json_columns(conn, query)
        if texts is not None:
            yield [json.loads(text) for text in texts]
            return
    result = conn.execute(query)
    try:
        while rows := result.cursor.fetchmany(FETCH_ROWS):
            # One comprehension per column: several times faster than zip(*rows).
            yield [[row[k] for row in rows] for k in range(width)]
    finally:
        result.close()


def _up_to(columns: Columns, as_of: dt.date) -> Columns:
    """The rows dated up to ``as_of``, cut in numpy.

    Cheaper than a ``WHERE date <= …`` that SQLite answers through the date index when
    nearly every row qualifies (a random read per row instead of one scan).
    """
    keep = columns["date"] <= np.datetime64(as_of, "D")
    if keep.all():
        return columns
    index = np.flatnonzero(keep).tolist()
    return {
        name: values[keep] if name == "date" else [values[i] for i in index]
        for name, values in columns.items()
    }


def _day(column: Any) -> Any:
    # Dates as ISO text, parsed by numpy in one go: several times faster than letting the
    # driver make a datetime.date for each of millions of rows.
    return cast(column, String).label("date")


def load_grading_tables(
    *,
    engine: Engine,
    as_of: dt.date,
    only: Collection[str] | None = None,
    credit_events: bool = True,
) -> GradingTables:
    """Enterprises, relations and everything dated up to ``as_of`` that grading uses.

    With ``only``, just the rows of those enterprises (relations: both ends among them),
    read through a temporary table of their USCCs and the tables' ``uscc`` indexes.
    Without ``credit_events``, no credit events (empty columns): they are read elsewhere
    (:func:`load_credit_events`).
    """
    with (
        engine.connect() as conn,
        uscc_scope(conn, only) as keep,
        read_ahead(engine, whole=only is None) as ahead,
    ):
        e, r = (table_of(t).c for t in (Enterprise, Relation))
        queries = {
            "enterprises": keep(
                select(e.uscc, e.industry, e.status, cast(e.opened_on, String)), e.uscc
            ),
            **({"credit_events": _credit_query(keep)} if credit_events else {}),
            "industry_records": _industry_query(conn, keep),
            "inspections": _inspections_query(after=None, until=None, keep=keep),
            # One end through the scope; the other is kept below. With both ends in the
            # query, SQLite probed the relation's key for every pair of the scope's
            # enterprises: 12 million probes and 2 s for a replan's 3,500.
            "relations": keep(select(r.uscc_a, r.uscc_b, r.kind), r.uscc_a),
        }
        # In the order they are read.
        sent = {name: ahead(query) for name, query in queries.items()}
        enterprises = _columns(
            conn,
            queries["enterprises"],
            ("uscc", "industry", "status", "opened_on"),
            shared={"industry": {}, "status": {}},
            days=("opened_on",),
            sent=sent["enterprises"],
        )
        active = EnterpriseStatus.ACTIVE.value
        enterprises["active"] = np.array([s == active for s in enterprises.pop("status")], bool)
        # Every USCC an event names becomes the enterprise's own string (see _columns).
        usccs = dict(zip(enterprises["uscc"], enterprises["uscc"], strict=True))
        credits = (
            _credit_columns(conn, queries["credit_events"], sent["credit_events"], usccs, as_of)
            if credit_events
            else {}
        )
        industry_records = _up_to(
            _industry_records(conn, keep, usccs, sent["industry_records"]), as_of
        )
        inspections = _up_to(
            _inspection_columns(conn, queries["inspections"], usccs, sent["inspections"]), as_of
        )
        relations = _columns(
            conn,
            queries["relations"],
            ("uscc_a", "uscc_b", "kind"),
            shared={"uscc_a": usccs, "uscc_b": usccs, "kind": {}},
            sent=sent["relations"],
        )
        if only is not None:
            relations = _both_ends_in(relations, set(only))
        triggers = _triggers(conn, as_of, keep)
    return GradingTables(
        enterprises=enterprises,
        credit_events=credits,
        industry_records=industry_records,
        inspections=inspections,
        triggers=triggers,
        relations=relations,
    )


def load_credit_events(*, engine: Engine, as_of: dt.date) -> tuple[list[str], Columns]:
    """The register's USCCs, and the whole district's credit events up to ``as_of`` (as
    :func:`load_grading_tables` reads them), read on their own: by a second process while
    the first reads the rest (``jointinspect.grade_apart``)."""
    e = table_of(Enterprise).c
    with engine.connect() as conn, read_ahead(engine, whole=True) as ahead:
        query = _credit_query(every_row)
        sent = ahead(query)
        usccs = _columns(conn, select(e.uscc), ("uscc",), days=())["uscc"]
        shared = dict(zip(usccs, usccs, strict=True))
        return usccs, _credit_columns(conn, query, sent, shared, as_of)


def _credit_query(keep: Keep) -> Any:
    ce = table_of(CreditEvent).c
    return keep(select(ce.uscc, ce.kind, _day(ce.date), ce.severity), ce.uscc)


def _credit_columns(
    conn: Connection,
    query: Any,
    sent: "Future[Sequence[str] | None] | None",
    usccs: dict[Any, Any],
    as_of: dt.date,
) -> Columns:
    """The credit events of :func:`_credit_query` up to ``as_of``, naming their
    enterprises by the strings of ``usccs``."""
    columns = _columns(
        conn,
        query,
        ("uscc", "kind", "date", "severity"),
        shared={"uscc": usccs, "kind": {}},
        sent=sent,
    )
    return _up_to(columns, as_of)


def _both_ends_in(relations: Columns, scope: set[str]) -> Columns:
    """The relations (read with ``uscc_a`` in ``scope``) whose ``uscc_b`` is in it too,
    in the order read."""
    kept = [k for k, b in enumerate(relations["uscc_b"]) if b in scope]
    return {name: [values[k] for k in kept] for name, values in relations.items()}


#: An industry record's place in its SQLite table: the order both of its reads follow.
_RECORD_ROW: ColumnClause[Any] = literal_column("industry_record.rowid")
_RECORD_NAMES = ("uscc", "department", "indicator", "value", "date")


def _industry_query(conn: Connection, keep: Keep, *, whole: bool = False) -> Any:
    """The industry records' columns: on SQLite (unless ``whole``) all but the value,
    after the row's place, in row order (see :func:`_industry_records`)."""
    ir = table_of(IndustryRecord).c
    if whole or conn.dialect.name != "sqlite":
        return keep(select(ir.uscc, ir.department, ir.indicator, ir.value, _day(ir.date)), ir.uscc)
    return keep(
        select(_RECORD_ROW.label("row"), ir.uscc, ir.department, ir.indicator, _day(ir.date)),
        ir.uscc,
    ).order_by(_RECORD_ROW)


def _industry_records(
    conn: Connection,
    keep: Keep,
    usccs: dict[Any, Any],
    sent: "Future[Sequence[str] | None] | None",
) -> Columns:
    """The industry records, their values exactly as stored.

    SQLite's JSON writes a double with 15 significant digits, which does not give back
    every double. So on SQLite the values come from the cursor, one float a row in row
    order, and the text columns as JSON (:func:`_batches`) in the same order, checked by
    the rows' places: the cursor alone took twice as long, on this thread, as the JSON
    made ahead on another.
    """
    shared = {"uscc": usccs, "department": {}, "indicator": {}}
    if conn.dialect.name == "sqlite":
        names = ("row", "uscc", "department", "indicator", "date")
        columns = _columns(conn, _industry_query(conn, keep), names, shared=shared, sent=sent)
        ir = table_of(IndustryRecord).c
        rows = _fetch(conn, keep(select(_RECORD_ROW, ir.value), ir.uscc).order_by(_RECORD_ROW))
        if [row for row, _ in rows] == columns.pop("row"):
            columns["value"] = [value for _, value in rows]
            return {name: columns[name] for name in _RECORD_NAMES}
    # Elsewhere, and should SQLite ever not keep both reads in row order: all from the
    # cursor, in one read.
    query = _industry_query(conn, keep, whole=True)
    return _columns(conn, query, _RECORD_NAMES, shared=shared, reals=True)


def load_trade_history(*, engine: Engine, as_of: dt.date) -> Columns:
    """Every inspection up to ``as_of`` by the inspected enterprise's trade: what the trades'
    violation rates are learned from when only some enterprises are graded."""
    e = table_of(Enterprise).c
    with engine.connect() as conn:
        industry = dict(_fetch(conn, select(e.uscc, e.industry)))
        inspections = _up_to(_inspections(conn, after=None, until=None, keep=every_row), as_of)
    return {
        "industry": [industry[u] for u in inspections["uscc"]],
        "date": inspections["date"],
        "violation": [r == InspectionResult.VIOLATION.value for r in inspections["result"]],
    }


def enterprise_count(*, engine: Engine) -> int:
    """How many enterprises the register holds."""
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(table_of(Enterprise))).scalar_one()
        )


def related_enterprises(conn: Connection, usccs: Collection[str]) -> set[str]:
    """Every enterprise related (any kind, either end) to one of ``usccs``: looked up by
    the relation's key and its index on the other end, for ``contagion.neighbourhood``."""
    r = table_of(Relation).c
    if not usccs:
        return set()
    with scope_members(conn, usccs) as members:
        rows = _fetch(
            conn,
            union_all(
                select(r.uscc_b).where(r.uscc_a.in_(members)),
                select(r.uscc_a).where(r.uscc_b.in_(members)),
            ),
        )
    return {uscc for (uscc,) in rows}


def load_inspections(*, engine: Engine, after: dt.date, until: dt.date | None = None) -> Columns:
    """Inspections dated after ``after`` (and up to ``until``): what an evaluation scores."""
    with engine.connect() as conn:
        return _inspections(conn, after=after, until=until, keep=every_row)


def last_inspection_date(*, engine: Engine) -> dt.date | None:
    """The latest date in ``history`` and ``outcome``."""
    with engine.connect() as conn:
        latest = [
            conn.execute(select(func.max(table_of(History).c.date))).scalar_one_or_none(),
            conn.execute(select(func.max(table_of(Outcome).c.date))).scalar_one_or_none(),
        ]
    dates = [d for d in latest if d is not None]
    return max(dates) if dates else None


def _inspections(
    conn: Connection, *, after: dt.date | None, until: dt.date | None, keep: Keep
) -> Columns:
    return _inspection_columns(conn, _inspections_query(after=after, until=until, keep=keep))


def _inspections_query(*, after: dt.date | None, until: dt.date | None, keep: Keep) -> Any:
    h, o = table_of(History).c, table_of(Outcome).c
    code, visit, offsite = table_of(InspectionCode).c, table_of(Visit).c, table_of(OffsiteCheck).c
    history = keep(select(h.uscc, _day(h.date), h.result), h.uscc)
    # An outcome names its inspection code; the code belongs to a visit or an off-site check.
    inspected = func.coalesce(visit.uscc, offsite.uscc)
    outcomes = keep(
        select(inspected.label("uscc"), _day(o.date), o.result)
        .select_from(
            table_of(Outcome)
            .join(table_of(InspectionCode), code.code == o.code)
            .outerjoin(table_of(Visit), visit.id == code.visit_id)
            .outerjoin(table_of(OffsiteCheck), offsite.id == code.offsite_id)
        )
        .where(o.result != InspectionResult.NOT_DONE.value),
        inspected,
    )
    if after is not None:
        history = history.where(h.date > after)
        outcomes = outcomes.where(o.date > after)
    if until is not None:
        history = history.where(h.date <= until)
        outcomes = outcomes.where(o.date <= until)
    return union_all(history, outcomes)


def _inspection_columns(
    conn: Connection,
    query: Any,
    usccs: dict[Any, Any] | None = None,
    sent: "Future[Sequence[str] | None] | None" = None,
) -> Columns:
    columns = _columns(
        conn,
        query,
        ("uscc", "date", "result"),
        shared={"uscc": usccs or {}, "result": {}},
        sent=sent,
    )
    present = [u is not None for u in columns["uscc"]]  # an outcome whose code has no visit
    if all(present):
        return columns
    return {
        "uscc": [u for u, k in zip(columns["uscc"], present, strict=True) if k],
        "date": columns["date"][np.array(present, dtype=bool)],
        "result": [r for r, k in zip(columns["result"], present, strict=True) if k],
    }


def _china_date(stamp: dt.datetime) -> dt.date:
    # Naive timestamps come back from SQLite and are stored in UTC.
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).date()


def _triggers(conn: Connection, as_of: dt.date, keep: Keep) -> Columns:
    t = table_of(Trigger).c
    # A day's margin in SQL; the exact cut is on the received date in China time below.
    margin = dt.datetime.combine(as_of + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    rows = conn.execute(
        keep(select(t.uscc, t.kind, t.received_at, t.severity), t.uscc).where(
            t.received_at < margin
        )
    ).all()
    out: Columns = {"uscc": [], "kind": [], "date": [], "severity": []}
    for uscc, kind, received_at, severity in rows:
        day = _china_date(received_at)
        if day <= as_of:
            out["uscc"].append(uscc)
            out["kind"].append(kind)
            out["date"].append(day)
            out["severity"].append(severity)
    return out


#: The upsert of one grade. A row that would not change is left alone (the ``WHERE``): a
#: regrade of the same day rewrites nothing, and an unchanged row costs a lookup only. The
#: day is the same for every row, and written into the statement (``{day}``: ISO text, as
#: SQLAlchemy's Date type writes it): added to each of 650,000 rows it cost 0.26 s.
_UPSERT = (
    "INSERT INTO enterprise_grade (uscc, credit, risk, grade, reasons, as_of) "
    "VALUES (?, ?, ?, ?, ?, '{day}') ON CONFLICT (uscc) DO UPDATE SET "
    "credit = excluded.credit, risk = excluded.risk, grade = excluded.grade, "
    "reasons = excluded.reasons, as_of = excluded.as_of WHERE (credit, risk, grade, reasons, "
    "as_of) IS NOT (excluded.credit, excluded.risk, excluded.grade, excluded.reasons, "
    "excluded.as_of)"
)
#: SQLite, a whole district's grades into the emptied table.
_INSERT = (
    "INSERT INTO enterprise_grade (uscc, credit, risk, grade, reasons, as_of) "
    "VALUES (?, ?, ?, ?, ?, '{day}')"
)
_DIALECTS = ("sqlite", "postgresql")


class PartialGradesError(RuntimeError):
    """Grades said to be the whole register's are not: the table would lose grades."""


def _refuse_part(conn: Connection, written: int) -> None:
    """Stop (the transaction is rolled back) unless ``written`` grades, each of a
    different enterprise of the register (refused otherwise), are the register's."""
    register = conn.exec_driver_sql("SELECT count(*) FROM enterprise").scalar_one()
    if written != register:
        raise PartialGradesError(
            f"{written:,} grade(s) were given as the whole register's, which holds "
            f"{register:,} enterprises"
        )


def write_grades(
    *,
    engine: Engine,
    as_of: dt.date,
    grades: GradeRows,
    news_only: bool = False,
    then: Callable[[Connection, int], object] | None = None,
) -> int:
    """Upsert ``grades`` into ``enterprise_grade`` (their wordings into ``reason_wording``,
    where new), in one transaction, recorded as a change to the planning inputs
    (``data.plans.basis``) unless ``news_only``: a replan's regrade of the enterprises it
    replans anyway. ``then(conn, written)`` runs last in the same transaction (recording
    the grading run: with the grades or not at all).

    The statement goes to the driver's executemany as it is: at 650,000 rows, building
    SQLAlchemy parameter dicts and serialising JSON row by row took longer than grading.
    The rows are read a batch at a time, so a generator's rows need never be held at once.
    A batch naming an enterprise that is not in the register is refused, in one query a
    batch (the table has no foreign key, see ``EnterpriseGrade``): nothing is written.

    The grades of the whole register (``GradeRows.whole``) replace the table's rows: it
    is emptied and they are inserted, which is faster than upserting every row, and
    leaves what upserting them would but for grades of enterprises the register no longer
    holds (none: no command removes an enterprise), which go. Fewer grades than the
    register has enterprises are refused then.
    """
    dialect = engine.dialect.name
    if dialect not in _DIALECTS:
        raise UnsupportedGradeDatabase(f"cannot write grades to a {dialect} database")
    written = 0
    with engine.begin() as conn, large_page_cache(conn):
        if dialect == "postgresql":
            # No grades can be added by others from here on: between finding the table
            # empty and filling it (``_copy_upsert``), and while wordings are added.
            conn.exec_driver_sql(_HOLD_WRITERS)
        rows = iter(grades.rows(_wording_ids(conn, grades.wordings)))
        if dialect == "postgresql":
            if grades.whole:  # every row replaced: copied straight into the emptied table
                conn.exec_driver_sql("DELETE FROM enterprise_grade")
            # Each row gets the day appended in C (map over tuple.__add__).
            written = _copy_upsert(conn, map(tuple.__add__, rows, itertools.repeat((as_of,))))
            if grades.whole:
                _refuse_part(conn, written)
        else:
            statement = (_INSERT if grades.whole else _UPSERT).format(day=as_of.isoformat())
            if grades.whole:
                # Every row is replaced: inserting the grades, in USCC order, into an empty
                # table took 60 % of the time of upserting them over the old ones.
                conn.exec_driver_sql("DELETE FROM enterprise_grade")
            while batch := list(itertools.islice(rows, WRITE_CHUNK)):
                usccs = json.dumps([row[0] for row in batch])
                _refuse_unknown(conn.exec_driver_sql(_UNKNOWN_IN_BATCH, (usccs,)).first())
                conn.exec_driver_sql(statement, batch)
                written += len(batch)
            if grades.whole:
                _refuse_part(conn, written)
        if written and not news_only:
            record_input_change(conn, f"grades as of {as_of}: {written:,} enterprises")
        if then is not None:
            then(conn, written)
    return written


_ADD_WORDING = text(
    "INSERT INTO reason_wording (code, zh, en) VALUES (:code, :zh, :en) "
    "ON CONFLICT (code, zh, en) DO NOTHING"
)


def _wording_ids(conn: Connection, wordings: Sequence[Wording]) -> list[int]:
    """The stored id of each of ``wordings``, adding those not stored yet (in the order
    given, so the same grading of the same database gives the same ids)."""
    if not wordings:
        return []
    w = table_of(ReasonWording).c
    stored: dict[Wording, int] = {}

    def read() -> None:
        for i, code, zh, en in _fetch(conn, select(w.id, w.code, w.zh, w.en)):
            stored[code, zh, en] = i

    read()
    new = [x for x in dict.fromkeys(wordings) if x not in stored]
    if new:
        conn.execute(_ADD_WORDING, [{"code": c, "zh": zh, "en": en} for c, zh, en in new])
        read()
    return [stored[x] for x in wordings]


#: SQLite: the first of a batch's enterprises (a JSON array) that the register lacks.
_UNKNOWN_IN_BATCH = (
    "SELECT value FROM json_each(?) WHERE NOT EXISTS "
    "(SELECT 1 FROM enterprise e WHERE e.uscc = json_each.value) LIMIT 1"
)
#: The least enterprise of table ``{}`` (the rows just copied) that the register lacks,
#: NULL when none does. Not ``LIMIT 1``: PostgreSQL then probes the register's key row by
#: row hoping to stop early, which took 1.4 s for 650,000 grades that all have their
#: enterprise, against 0.5 s for the one hash anti-join it makes for the whole table.
_UNKNOWN_IN_TABLE = (
    "SELECT min(s.uscc) FROM {} s WHERE NOT EXISTS "
    "(SELECT 1 FROM enterprise e WHERE e.uscc = s.uscc)"
)


def _refuse_unknown(unknown: Sequence[Any] | None) -> None:
    """Raise :class:`UngradableEnterpriseError` for ``unknown``, the row an ``_UNKNOWN_…``
    query found (None, or a row holding NULL: none); the caller's transaction then rolls
    back what it wrote."""
    if unknown is not None and unknown[0] is not None:
        raise UngradableEnterpriseError(
            f"a grade names enterprise {unknown[0]}, which is not in the register; "
            "no grade was written",
            hint="grade the enterprises of the register (import the enterprise first)",
        )


#: PostgreSQL: the rows arrive by COPY into a temporary table, then one upsert takes them
#: (the same as ``_UPSERT``'s, from that table). A row per INSERT cost the server as much
#: as grading cost the client, and on a city's machines the server shares the cores with
#: the workers grading its districts.
_COPY_TABLE = (
    "CREATE TEMPORARY TABLE ji_grade_in (uscc text, credit float8, risk float8, "
    "grade text, reasons text, as_of date) ON COMMIT DROP"
)
_COPY_UPSERT = (
    "INSERT INTO enterprise_grade (uscc, credit, risk, grade, reasons, as_of) "
    "SELECT uscc, credit, risk, grade, reasons::json, as_of FROM ji_grade_in "
    "ON CONFLICT (uscc) DO UPDATE SET "
    "credit = excluded.credit, risk = excluded.risk, grade = excluded.grade, "
    "reasons = excluded.reasons, as_of = excluded.as_of WHERE (enterprise_grade.credit, "
    "enterprise_grade.risk, enterprise_grade.grade, enterprise_grade.reasons::text, "
    "enterprise_grade.as_of) IS DISTINCT FROM (excluded.credit, excluded.risk, "
    "excluded.grade, excluded.reasons::text, excluded.as_of)"
)


#: No grades can be added by others while a writer holds it (the mode conflicts with every
#: writer's, not with readers).
_HOLD_WRITERS = "LOCK TABLE enterprise_grade IN SHARE ROW EXCLUSIVE MODE"
_ANY_GRADE = "SELECT EXISTS (SELECT 1 FROM enterprise_grade)"
_GRADE_COLUMNS = "(uscc, credit, risk, grade, reasons, as_of)"


def _copy_upsert(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """Upsert ``rows`` (with their day) on PostgreSQL through COPY; how many were sent.
    The caller holds ``_HOLD_WRITERS``.

    A district's first grades (an empty table) are copied straight into it: with no row
    to conflict with, the upsert is an insert, and the server was spending a fifth of its
    work on the temporary table and the conflict checks."""
    raw: Any = conn.connection.driver_connection
    written = 0
    with raw.cursor() as cursor:
        cursor.execute(_ANY_GRADE)
        target = "ji_grade_in" if cursor.fetchone()[0] else None
        if target is not None:
            cursor.execute(_COPY_TABLE)
        with cursor.copy(
            f"COPY {target or 'enterprise_grade'} {_GRADE_COLUMNS} FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        # Before the upsert, the copied rows alone are checked (with an empty table,
        # the table's rows are the copied ones).
        cursor.execute(_UNKNOWN_IN_TABLE.format(target or "enterprise_grade"))
        _refuse_unknown(cursor.fetchone())
        if target is not None:
            cursor.execute(_COPY_UPSERT)
            cursor.execute("DROP TABLE ji_grade_in")
    return written


def load_grade(*, engine: Engine, uscc: str) -> StoredGrade | None:
    """The stored grade of one enterprise, if it has been graded, its reasons in words."""
    g, w = table_of(EnterpriseGrade).c, table_of(ReasonWording).c
    with engine.connect() as conn:
        row = conn.execute(
            select(g.uscc, g.credit, g.risk, g.grade, g.reasons, g.as_of).where(g.uscc == uscc)
        ).first()
        if row is None:
            return None
        reasons: list[list[Any]] = list(row[4] or [])
        words = {
            i: (code, zh, en)
            for i, code, zh, en in conn.execute(
                select(w.id, w.code, w.zh, w.en).where(w.id.in_({r[0] for r in reasons}))
            )
        }
    in_words = []
    for wording, weight, adverse in reasons:
        code, zh, en = words[wording]
        reason: dict[str, Any] = {"code": code, "zh": zh, "en": en, "weight": weight}
        if adverse is not None:
            reason["adverse"] = bool(adverse)
        in_words.append(reason)
    return StoredGrade(row[0], row[1], row[2], row[3], in_words, row[5])


def enterprise_name(*, engine: Engine, uscc: str) -> str | None:
    """The enterprise's name, or None when the register does not hold it."""
    e = table_of(Enterprise).c
    with engine.connect() as conn:
        name: str | None = conn.execute(select(e.name).where(e.uscc == uscc)).scalar_one_or_none()
    return name
