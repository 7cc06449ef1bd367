"""Load what one quarter's plan is made from, fast: plain rows, no ORM objects.

Everything the planner needs comes out of a handful of column selects (a district of
650,000 enterprises loads in seconds): the register is kept as columns, one tuple each
straight from the driver, because a Python object per enterprise cost more than the
query. Windows are resolved here as contract §2 says: a ``demands.csv`` demand without
``earliest``/``latest`` spans the quarter; a trigger's demand opens on its received date
in China time and closes on the ``trigger_response_days``-th working day after it (the
date itself not counted). Clipping to the quarter and to its working days is the
planner's job.

``data`` may not import ``scheduler`` or ``risk``: these are plain rows, and the cli turns
them into a ``PlanningProblem`` and into the draw's candidates.
"""

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.plans.document import stored_date, stored_dates
from jointinspect.data.reading.columnar import cursor_columns as _cursor_columns
from jointinspect.data.reading.columnar import json_columns, read_ahead
from jointinspect.data.uscc_scope import Keep, every_row, uscc_scope
from jointinspect.models import (
    Availability,
    Conflict,
    Demand,
    Enterprise,
    EnterpriseGrade,
    Inspector,
    Item,
    NoDisturb,
    Plan,
    PlanRevision,
    RevisionVisit,
    SamplingRule,
    Trigger,
    Visit,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import DemandSource
from jointinspect.models.errors import JointInspectError
from jointinspect.models.plan_problem import DemandInfo
from jointinspect.models.quarter import Quarter
from jointinspect.models.timezones import CHINA
from jointinspect.models.workdays import WorkingCalendar

#: Spec §3: a drawn demand's priority.
RANDOM_PRIORITY = 2
#: Spec §1: a demand's default priority.
DEFAULT_PRIORITY = 3


class RegisterChangedError(JointInspectError):
    """The register changed between the reads that load it (another command wrote)."""


@dataclass(frozen=True, slots=True)
class EnterpriseRow:
    uscc: str
    town: str
    industry: str
    lat: float | None
    lon: float | None
    active: bool
    grade: str | None


@dataclass(frozen=True)
class EnterpriseColumns:
    """The register as parallel columns in USCC order; :meth:`row` is one enterprise."""

    uscc: tuple[str, ...] = ()
    town: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    lat: tuple[float | None, ...] = ()
    lon: tuple[float | None, ...] = ()
    status: tuple[str, ...] = ()
    grade: tuple[str | None, ...] = ()
    #: USCC → position, made on the first look-up (the draw reads columns only).
    _position: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.uscc)

    def __contains__(self, uscc: object) -> bool:
        return uscc in self.position()

    def position(self) -> dict[str, int]:
        if not self._position and self.uscc:
            self._position.update(zip(self.uscc, range(len(self.uscc)), strict=True))
        return self._position

    def row(self, uscc: str) -> EnterpriseRow:
        k = self.position()[uscc]
        return EnterpriseRow(
            uscc,
            self.town[k],
            self.industry[k],
            self.lat[k],
            self.lon[k],
            self.status[k] == "active",
            self.grade[k],
        )

    def active(self) -> list[bool]:
        return [s == "active" for s in self.status]

    def graded(self) -> int:
        return len(self.grade) - self.grade.count(None)


@dataclass(frozen=True, slots=True)
class ItemRow:
    code: str
    department: str
    mode: str
    no_disturb: bool
    minutes: int
    industries: str


@dataclass(frozen=True, slots=True)
class InspectorRow:
    id: str
    department: str
    cert_valid_until: dt.date
    max_visits_per_day: int
    home_town: str | None
    unavailable: frozenset[dt.date]
    conflicts: frozenset[str]


@dataclass(frozen=True, slots=True)
class SamplingRuleRow:
    department: str
    item: str
    grade: str
    ratio: str


@dataclass
class PlanningInputs:
    quarter: Quarter
    enterprises: EnterpriseColumns
    #: 无感监管 entries per USCC, ``(since, until)`` inclusive.
    no_disturb: dict[str, list[tuple[dt.date, dt.date | None]]]
    items: dict[str, ItemRow]
    inspectors: list[InspectorRow]
    #: ``demands.csv`` rows and triggers, windows resolved (§2).
    demands: list[DemandInfo]
    sampling_rules: list[SamplingRuleRow]
    #: Routine visits of earlier filed plans this calendar year, per USCC.
    routine_visits_this_year: dict[str, int]
    #: Mean coordinates of each town's enterprises (officers' home towns).
    town_centres: dict[str, tuple[float, float]] = field(default_factory=dict)
    graded: int = 0

    def no_disturb_on(self, uscc: str, day: dt.date) -> bool:
        return any(
            since <= day and (until is None or day <= until)
            for since, until in self.no_disturb.get(uscc, ())
        )

    def no_disturb_listed_on(self, day: dt.date) -> set[str]:
        """The USCCs on the no-disturb list on ``day``."""
        return {uscc for uscc in self.no_disturb if self.no_disturb_on(uscc, day)}


def load_planning_inputs(
    quarter: Quarter,
    *,
    engine: Engine,
    calendar: WorkingCalendar,
    trigger_response_days: int,
    only_enterprises_with_demands: Collection[str] | None = None,
    routing: bool = True,
    town_centres: Mapping[str, tuple[float, float]] | None = None,
    only_usccs: Collection[str] | None = None,
) -> PlanningInputs:
    """Everything ``plan`` needs for ``quarter``, in one read transaction — but for a
    whole district's register on SQLite, which a connection of its own reads meanwhile
    (``columnar.read_ahead``; SQLite's reads here are each their own transaction anyway).

    ``only_enterprises_with_demands``: load just the enterprises the demands name and
    these (a replan's drawn ones), not the district's register — all that a problem is
    built from when nothing is drawn anew (``graded`` then counts those only).
    ``routing=False`` leaves out what only routing reads: the enterprises' coordinates
    and the officers' home coordinates (a scan of the register). ``town_centres``, when
    given (a replan's: its filed revision's), are the centres used; else they are worked
    out from the register. ``only_usccs``: the demands, triggers and enterprises of these
    enterprises alone (a replan of part of the district, :mod:`replan_part`).
    """
    whole = only_usccs is None and only_enterprises_with_demands is None
    with engine.connect() as conn, read_ahead(engine, whole) as ahead:
        # A whole district's register (the bulk of what is read) is asked for first: on
        # SQLite its JSON is made on the other core while everything else is read here.
        register = ahead(_enterprise_query(every_row)) if whole else None
        demands: list[DemandInfo] | None = None
        if only_usccs is not None:
            wanted: set[str] | None = set(only_usccs)
        else:
            demands = _demands(conn, quarter) + _triggers(conn, calendar, trigger_response_days)
            wanted = (
                None
                if only_enterprises_with_demands is None
                else {d.uscc for d in demands} | set(only_enterprises_with_demands)
            )
        with uscc_scope(conn, wanted) as keep:
            if demands is None:  # the scope's own, through the same table
                demands = _demands(conn, quarter, keep) + _triggers(
                    conn, calendar, trigger_response_days, keep
                )
            no_disturb = _no_disturb(conn, keep)
            items = _items(conn)
            inspectors = _inspectors(conn, quarter)
            sampling_rules = _sampling_rules(conn)
            routine = routine_visits_this_year(conn, quarter)
            enterprises = _enterprises(conn, keep, coordinates=routing, sent=register)
            return PlanningInputs(
                quarter=quarter,
                enterprises=enterprises,
                no_disturb=no_disturb,
                items=items,
                inspectors=inspectors,
                demands=demands,
                sampling_rules=sampling_rules,
                routine_visits_this_year=routine,
                town_centres=_town_centres(
                    conn, enterprises, whole=wanted is None, given=town_centres
                )
                if routing
                else {},
                graded=enterprises.graded(),
            )


def _enterprise_query(keep: Keep) -> Any:
    """The register's columns ``_enterprises`` reads as text, with each grade."""
    e, g = table_of(Enterprise).c, table_of(EnterpriseGrade).c
    return keep(
        select(e.uscc, e.town, e.industry, e.status, g.grade)
        .select_from(table_of(Enterprise).outerjoin(table_of(EnterpriseGrade), e.uscc == g.uscc))
        .order_by(e.uscc),
        e.uscc,
    )


def _enterprises(
    conn: Connection,
    keep: Keep,
    *,
    coordinates: bool,
    sent: "Future[Sequence[str] | None] | None" = None,
) -> EnterpriseColumns:
    """The register (or the scope's part of it) in USCC order, with each enterprise's
    grade; ``coordinates``: with its latitude and longitude (else None: only routing
    reads them). ``sent``: the JSON of the whole register's text, asked for already
    (``columnar.read_ahead``)."""
    e = table_of(Enterprise).c
    text = _enterprise_query(keep)
    if sent is not None:
        columns = sent.result()
    else:
        columns = json_columns(conn, text) if conn.dialect.name == "sqlite" else None
    if columns is not None:
        uscc, town, industry, status, grade = (tuple(json.loads(c)) for c in columns)
    else:
        uscc, town, industry, status, grade = _cursor_columns(conn, text, 5)
    if not uscc:
        return EnterpriseColumns()
    lat: tuple[float | None, ...] = (None,) * len(uscc)
    lon = lat
    if coordinates:
        # Doubles from the cursor (JSON would round them), matched to the text by USCC.
        placed, lat, lon = _cursor_columns(
            conn, keep(select(e.uscc, e.lat, e.lon).order_by(e.uscc), e.uscc), 3
        )
        if placed != uscc:
            raise RegisterChangedError(
                "the register changed while it was being read", hint="run the command again"
            )
    return EnterpriseColumns(uscc, town, industry, lat, lon, status, grade)


def _no_disturb(
    conn: Connection, keep: Keep = every_row
) -> dict[str, list[tuple[dt.date, dt.date | None]]]:
    """The 无感监管 list's entries of the enterprises ``keep`` keeps: what the problem's
    enterprises are built with (a replan of part of the district asks for its scope's
    few, not the district's 20,000)."""
    c = table_of(NoDisturb).c
    # The driver's tuples, each distinct day parsed once (``stored_dates``).
    usccs, since, until = _cursor_columns(
        conn, keep(select(c.uscc, c.since, c.until), c.uscc).order_by(c.uscc), 3
    )
    out: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    for uscc, start, end in zip(usccs, stored_dates(since), _open_dates(until), strict=True):
        out[uscc].append((start, end))
    return dict(out)


def _open_dates(values: Sequence[dt.date | str | None]) -> list[dt.date | None]:
    """``stored_dates`` of values that may be NULL (an open end)."""
    parsed = {value: None if value is None else stored_date(value) for value in set(values)}
    return list(map(parsed.__getitem__, values))


def _items(conn: Connection) -> dict[str, ItemRow]:
    c = table_of(Item).c
    rows = conn.execute(
        select(c.code, c.department, c.mode, c.no_disturb, c.minutes, c.industries).order_by(c.code)
    )
    return {r[0]: ItemRow(r[0], r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows}


def _inspectors(conn: Connection, quarter: Quarter) -> list[InspectorRow]:
    i = table_of(Inspector).c
    a = table_of(Availability).c
    k = table_of(Conflict).c
    away: dict[str, set[dt.date]] = defaultdict(set)
    for oid, day in conn.execute(
        select(a.inspector_id, a.date).where(
            and_(
                a.available.is_(False),
                a.date >= quarter.first_day,
                a.date <= quarter.last_day,
            )
        )
    ):
        away[oid].add(day)
    conflicts: dict[str, set[str]] = defaultdict(set)
    for oid, uscc in conn.execute(select(k.inspector_id, k.uscc)):
        conflicts[oid].add(uscc)
    rows = conn.execute(
        select(i.id, i.department, i.cert_valid_until, i.max_visits_per_day, i.home_town).order_by(
            i.id
        )
    )
    return [
        InspectorRow(
            oid,
            dept,
            cert,
            per_day,
            home,
            frozenset(away.get(oid, ())),
            frozenset(conflicts.get(oid, ())),
        )
        for oid, dept, cert, per_day, home in rows
    ]


def _demands(conn: Connection, quarter: Quarter, keep: Keep = every_row) -> list[DemandInfo]:
    c = table_of(Demand).c
    rows = conn.execute(keep(demand_select(), c.uscc).order_by(c.id))
    return [demand_row(row, quarter) for row in rows]


def demand_select() -> Select[Any]:
    """The ``demands`` columns a :class:`DemandInfo` is made of (see :func:`demand_row`)."""
    c = table_of(Demand).c
    return select(
        c.id,
        c.department,
        c.item,
        c.uscc,
        c.source,
        c.earliest,
        c.latest,
        c.priority,
        c.onsite_required,
    )


def demand_row(row: Sequence[Any], quarter: Quarter) -> DemandInfo:
    """A row of :func:`demand_select`; no window means the whole quarter (§2)."""
    did, dept, item, uscc, source, earliest, latest, priority, required = row
    return DemandInfo(
        did,
        dept,
        item,
        uscc,
        DemandSource(source),
        earliest or quarter.first_day,
        latest or quarter.last_day,
        priority or DEFAULT_PRIORITY,
        bool(required),
    )


def trigger_window(
    received_at: dt.datetime, calendar: WorkingCalendar, response_days: int
) -> tuple[dt.date, dt.date]:
    """§2: the received date in China time to the n-th working day after it."""
    aware = received_at if received_at.tzinfo is not None else received_at.replace(tzinfo=dt.UTC)
    opened = aware.astimezone(CHINA).date()
    return opened, calendar.add_workdays(opened, response_days)


def _triggers(
    conn: Connection, calendar: WorkingCalendar, response_days: int, keep: Keep = every_row
) -> list[DemandInfo]:
    c = table_of(Trigger).c
    rows = conn.execute(keep(trigger_select(), c.uscc).order_by(c.id))
    return [trigger_row(row, calendar, response_days) for row in rows]


def trigger_select() -> Select[Any]:
    """The ``triggers`` columns a trigger's :class:`DemandInfo` is made of."""
    c = table_of(Trigger).c
    return select(c.id, c.department, c.item, c.uscc, c.kind, c.received_at)


def trigger_row(row: Sequence[Any], calendar: WorkingCalendar, response_days: int) -> DemandInfo:
    """A row of :func:`trigger_select`, its window from :func:`trigger_window`."""
    tid, dept, item, uscc, kind, received = row
    opened, closes = trigger_window(received, calendar, response_days)
    # A trigger's urgency is its source; its priority only orders it among equals.
    return DemandInfo(
        tid, dept, item, uscc, DemandSource(kind), opened, closes, DEFAULT_PRIORITY, False
    )


def _sampling_rules(conn: Connection) -> list[SamplingRuleRow]:
    c = table_of(SamplingRule).c
    rows = conn.execute(
        select(c.department, c.item, c.grade, c.ratio).order_by(c.department, c.item, c.grade)
    )
    return [SamplingRuleRow(*r) for r in rows]


def routine_visits_this_year(conn: Connection, quarter: Quarter) -> dict[str, int]:
    """Routine visits per USCC in the filed revisions of this year's earlier quarters."""
    earlier = [str(Quarter(quarter.year, n)) for n in range(1, quarter.number)]
    if not earlier:
        return {}
    v, m, r, p = (
        table_of(Visit).c,
        table_of(RevisionVisit).c,
        table_of(PlanRevision).c,
        table_of(Plan).c,
    )
    rows = conn.execute(
        select(v.uscc, func.count())
        .select_from(
            table_of(Visit)
            .join(table_of(RevisionVisit), m.visit_id == v.id)
            .join(table_of(PlanRevision), m.revision_id == r.id)
            .join(
                table_of(Plan),
                r.plan_id == p.id,
            )
        )
        .where(and_(p.quarter.in_(earlier), r.status == "filed", v.triggered.is_(False)))
        .group_by(v.uscc)
    )
    return {uscc: int(n) for uscc, n in rows}


def _town_centres(
    conn: Connection,
    register: EnterpriseColumns,
    *,
    whole: bool,
    given: Mapping[str, tuple[float, float]] | None,
) -> dict[str, tuple[float, float]]:
    """Each town's centre (where its officers are taken to live): ``given`` when there
    are (a replan's), else the mean of the coordinates of its enterprises that have both.
    ``whole``: ``register`` is the whole register, with coordinates, and the centres are
    taken from it; else the register's towns and coordinates are read for them."""
    if given is not None:
        return dict(given)
    if whole:
        return town_centres(register.town, register.lat, register.lon)
    c = table_of(Enterprise).c
    town, lat, lon = _cursor_columns(
        conn, select(c.town, c.lat, c.lon).where(and_(c.lat.is_not(None), c.lon.is_not(None))), 3
    )
    return town_centres(town, lat, lon)


def town_centres(
    town: Sequence[str], lat: Sequence[float | None], lon: Sequence[float | None]
) -> dict[str, tuple[float, float]]:
    """The mean latitude and longitude per town of the rows with both, in town order.

    Summed with ``math.fsum``, the correctly rounded sum, so a centre has the same bits
    whatever order the rows come in and whichever database gives them: SQL's AVG does not
    promise that (SQLite's summation changed in 3.43; PostgreSQL adds in scan order), and
    a centre's last bit can decide a route, so the plan's bytes.
    """
    lats: dict[str, list[float]] = defaultdict(list)
    lons: dict[str, list[float]] = defaultdict(list)
    for t, a, o in zip(town, lat, lon, strict=True):
        if a is not None and o is not None:
            lats[t].append(a)
            lons[t].append(o)
    return {
        t: (math.fsum(lats[t]) / len(lats[t]), math.fsum(lons[t]) / len(lons[t]))
        for t in sorted(lats)
    }
