"""What grading reads, as plain columns: enterprises, credit events, industry records,
inspections, triggers and relations.

Callers hand in columns keyed by USCC (lists or numpy arrays, from a database, a file or a
test). :func:`build_inputs` turns them into numpy arrays indexed by enterprise number —
enterprises sorted by USCC, events sorted canonically — and drops everything dated after
``as_of``, so that the scores depend neither on input row order nor on the future.
"""

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jointinspect.models.enums import (
    CreditEventKind,
    InspectionResult,
    RelationKind,
    TriggerKind,
)
from jointinspect.models.errors import JointInspectError

#: Code order of the vocabularies in the arrays below.
CREDIT_KINDS: tuple[CreditEventKind, ...] = tuple(CreditEventKind)
TRIGGER_KINDS: tuple[TriggerKind, ...] = tuple(TriggerKind)
RELATION_KINDS: tuple[RelationKind, ...] = tuple(RelationKind)
#: Inspection results that say something about compliance (``not_done`` says nothing).
INSPECTION_RESULTS: tuple[InspectionResult, ...] = (
    InspectionResult.COMPLIANT,
    InspectionResult.MINOR,
    InspectionResult.VIOLATION,
)
DEFAULT_SEVERITY = 1
SEVERITIES = (1, 2, 3)

Column = Sequence[Any] | NDArray[Any]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
DayArray = NDArray[np.datetime64]


class GradingInputError(JointInspectError):
    """Grading input refers to an unknown enterprise or holds an unknown value."""


@dataclass(frozen=True)
class EnterpriseColumns:
    uscc: Column
    industry: Column
    active: Column
    opened_on: Column = ()  # dates or None; empty: not known for anyone


@dataclass(frozen=True)
class CreditEventColumns:
    uscc: Column = ()
    kind: Column = ()
    date: Column = ()
    severity: Column = ()  # 1–3; None means the default 1


@dataclass(frozen=True)
class IndustryRecordColumns:
    uscc: Column = ()
    department: Column = ()
    indicator: Column = ()
    value: Column = ()
    date: Column = ()


@dataclass(frozen=True)
class InspectionColumns:
    """Inspections from ``history.csv`` and from outcomes joined to their visits."""

    uscc: Column = ()
    date: Column = ()
    result: Column = ()  # compliant / minor / violation; not_done rows are dropped


@dataclass(frozen=True)
class TriggerColumns:
    uscc: Column = ()
    kind: Column = ()
    date: Column = ()  # the received date in China time
    severity: Column = ()  # 1–3; None means the default 1


@dataclass(frozen=True)
class RelationColumns:
    uscc_a: Column = ()
    uscc_b: Column = ()
    kind: Column = ()


@dataclass(frozen=True)
class Events:
    """One kind of dated event per enterprise, as arrays of equal length."""

    ent: IntArray
    day: DayArray
    code: IntArray  # the kind / result code
    severity: IntArray
    value: FloatArray = field(default_factory=lambda: np.zeros(0))
    group: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True)
class Relations:
    a: IntArray
    b: IntArray
    kind: IntArray


@dataclass(frozen=True)
class TradeHistory:
    """Inspections by trade: what the trade's violation rate is learned from. Grading a
    few enterprises (a neighbourhood) still needs every enterprise's inspections here."""

    industry: NDArray[np.str_]  # the inspected enterprise's GB/T 4754 class
    day: DayArray
    violation: NDArray[np.bool_]

    def until(self, limit: np.datetime64) -> "TradeHistory":
        keep = self.day <= limit
        return TradeHistory(self.industry[keep], self.day[keep], self.violation[keep])


@dataclass(frozen=True)
class GradingInputs:
    as_of: dt.date
    uscc: NDArray[np.str_]
    industry: NDArray[np.str_]
    active: NDArray[np.bool_]
    opened: DayArray  # the opening day; NaT where not known
    credit_events: Events
    industry_records: Events  # code unused; group = (department, indicator); value 0–100
    inspections: Events  # code = index into INSPECTION_RESULTS
    triggers: Events
    relations: Relations
    #: The district's inspections by trade, when ``inspections`` holds only some
    #: enterprises'; None: the trades' rates come from ``inspections``.
    trade_history: TradeHistory | None = None

    @property
    def size(self) -> int:
        return len(self.uscc)

    @property
    def as_of_day(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    @cached_property
    def industry_classes(self) -> tuple[NDArray[np.str_], IntArray]:
        """``np.unique(industry, return_inverse=True)``, made once: credit, risk and the
        reasons all group the district by trade."""
        return sorted_classes(self.industry)

    def cut(self, as_of: dt.date) -> "GradingInputs":
        """The same district as it stood at the end of ``as_of`` (later events dropped)."""
        limit = np.datetime64(as_of, "D")

        def until(ev: Events) -> Events:
            keep = ev.day <= limit
            return Events(
                ent=ev.ent[keep],
                day=ev.day[keep],
                code=ev.code[keep],
                severity=ev.severity[keep],
                value=ev.value[keep],
                group=ev.group[keep],
            )

        return replace(
            self,
            as_of=as_of,
            credit_events=until(self.credit_events),
            industry_records=until(self.industry_records),
            inspections=until(self.inspections),
            triggers=until(self.triggers),
            trade_history=self.trade_history.until(limit) if self.trade_history else None,
        )

    def index_of(self, uscc: str) -> int:
        """The enterprise number of ``uscc``."""
        i = int(np.searchsorted(self.uscc, uscc))
        if i >= self.size or self.uscc[i] != uscc:
            raise GradingInputError(f"enterprise {uscc} is not in the grading input")
        return i


def build_inputs(
    *,
    as_of: dt.date,
    enterprises: EnterpriseColumns,
    credit_events: CreditEventColumns | None = None,
    industry_records: IndustryRecordColumns | None = None,
    inspections: InspectionColumns | None = None,
    triggers: TriggerColumns | None = None,
    relations: RelationColumns | None = None,
    trade_history: TradeHistory | None = None,
) -> GradingInputs:
    """Columns keyed by USCC → arrays keyed by enterprise number, nothing after ``as_of``."""
    uscc, order, number = numbered_usccs(_as_list(enterprises.uscc))
    industry = np.asarray(enterprises.industry, dtype=str)[order] if len(uscc) else uscc.copy()
    active = np.asarray(enterprises.active, dtype=bool)[order] if len(uscc) else np.zeros(0, bool)
    opened = (
        np.asarray(enterprises.opened_on, dtype="datetime64[D]")[order]
        if len(enterprises.opened_on)
        else np.full(len(uscc), np.datetime64("NaT"), dtype="datetime64[D]")
    )
    limit = np.datetime64(as_of, "D")
    credit = credit_event_arrays(number, limit, credit_events or CreditEventColumns())
    records = industry_record_arrays(number, limit, industry_records or IndustryRecordColumns())
    ins = inspections or InspectionColumns()
    results = _as_list(ins.result)
    not_done = InspectionResult.NOT_DONE.value
    done = np.array([r != not_done for r in results], dtype=bool)
    inspected = _events(
        number,
        limit,
        "inspection",
        _take(ins.uscc, done),
        _take(ins.date, done),
        _codes(_take(results, done), INSPECTION_RESULTS, "result"),
        np.full(int(done.sum()), DEFAULT_SEVERITY, np.int64),
    )
    tr = triggers or TriggerColumns()
    trig = _kinded(number, limit, "trigger", tr.uscc, tr.date, tr.kind, TRIGGER_KINDS, tr.severity)
    rel = relations or RelationColumns()
    a = _enterprise_numbers(number, rel.uscc_a, "relation")
    b = _enterprise_numbers(number, rel.uscc_b, "relation")
    kind = _codes(rel.kind, RELATION_KINDS, "relation kind")
    rel_order = np.lexsort((kind, np.maximum(a, b), np.minimum(a, b)))
    return GradingInputs(
        as_of=as_of,
        uscc=uscc,
        industry=industry,
        active=active,
        opened=opened,
        credit_events=credit,
        industry_records=records,
        inspections=inspected,
        triggers=trig,
        relations=Relations(a=a[rel_order], b=b[rel_order], kind=kind[rel_order]),
        trade_history=trade_history.until(limit) if trade_history else None,
    )


def numbered_usccs(
    given: Sequence[str],
) -> tuple[NDArray[np.str_], IntArray, dict[str, int]]:
    """The USCCs sorted, the order that sorts ``given``, and each enterprise's number (its
    place in the sorted USCCs) keyed by ``given``'s own strings: events that name an
    enterprise by the same object (as ``data.grading`` reads them) are found without
    comparing text. An enterprise given twice is refused."""
    uscc = np.asarray(given, dtype=str)
    order = np.argsort(uscc, kind="stable")
    uscc = uscc[order]
    # Sorted: a repeated USCC sits beside its twin.
    if len(uscc) > 1 and bool((uscc[1:] == uscc[:-1]).any()):
        raise GradingInputError("an enterprise appears twice in the grading input")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return uscc, order, dict(zip(given, rank.tolist(), strict=True))


def credit_event_arrays(
    number: dict[str, int], limit: np.datetime64, ce: CreditEventColumns
) -> Events:
    """The credit events up to ``limit``, by enterprise ``number``, in canonical order."""
    return _kinded(
        number, limit, "credit event", ce.uscc, ce.date, ce.kind, CREDIT_KINDS, ce.severity
    )


def _kinded(
    number: dict[str, int],
    limit: np.datetime64,
    what: str,
    who: Column,
    when: Column,
    kind: Column,
    kinds: Sequence[str],
    severity: Column,
) -> Events:
    """Events of a kind from ``kinds`` and a severity (None: the default)."""
    return _events(
        number, limit, what, who, when, _codes(kind, kinds, "kind"), _severity(severity, len(who))
    )


def industry_record_arrays(
    number: dict[str, int], limit: np.datetime64, ir: IndustryRecordColumns
) -> Events:
    """The industry records up to ``limit``, by enterprise ``number``, in canonical
    order; ``group`` numbers (department, indicator) (see :func:`_groups`)."""
    return _events(
        number,
        limit,
        "industry record",
        ir.uscc,
        ir.date,
        np.zeros(len(ir.uscc), np.int64),
        np.full(len(ir.uscc), DEFAULT_SEVERITY, np.int64),
        value=np.asarray(ir.value, dtype=np.float64),
        group=_groups(ir.department, ir.indicator),
    )


def sorted_classes(values: Column) -> tuple[NDArray[Any], IntArray]:
    """``np.unique(values, return_inverse=True)`` for a few hundred distinct strings among
    hundreds of thousands: only the distinct ones are sorted, and each value is numbered
    by a dict (one hash a value), instead of sorting every value."""
    items = _as_list(values)
    distinct = sorted(set(items))
    rank = dict(zip(distinct, range(len(distinct)), strict=True))
    dtype = values.dtype if isinstance(values, np.ndarray) else str
    return np.array(distinct, dtype=dtype), _looked_up(rank, items)


def _as_list(column: Column) -> Sequence[Any]:
    """The column as Python values (an array's are made once, for many dict lookups)."""
    if isinstance(column, np.ndarray):
        values: list[Any] = column.tolist()
        return values
    return column


def _looked_up(table: dict[Any, int], keys: Sequence[Any]) -> IntArray:
    """``table[k]`` for every key, as an array (a KeyError names the first unknown key).

    ``map`` over the dict's own lookup: no Python code runs per key. At district scale
    (millions of events) that is several times faster than a generator, or than numpy's
    search in arrays of strings.
    """
    return np.fromiter(map(table.__getitem__, keys), dtype=np.int64, count=len(keys))


def _take(column: Column, mask: NDArray[np.bool_]) -> Column:
    """The values of ``column`` where ``mask`` holds (a list stays a list of the same
    objects)."""
    if mask.all():
        return column
    if isinstance(column, np.ndarray):
        return column[mask]
    return list(itertools.compress(column, mask.tolist()))


def _enterprise_numbers(number: dict[str, int], column: Column, what: str) -> IntArray:
    try:
        return _looked_up(number, _as_list(column))
    except KeyError as unknown:
        raise GradingInputError(
            f"a {what} refers to enterprise {unknown.args[0]}, which is not in the grading input"
        ) from None


def _codes(column: Column, vocabulary: Sequence[str], what: str) -> IntArray:
    words = [str(v) for v in vocabulary]
    try:
        return _looked_up(dict(zip(words, range(len(words)), strict=True)), _as_list(column))
    except KeyError as unknown:
        raise GradingInputError(
            f"unknown {what} {str(unknown.args[0])!r}; known: {', '.join(words)}"
        ) from None


def _severity(column: Column, n: int) -> IntArray:
    if not len(column):
        return np.full(n, DEFAULT_SEVERITY, np.int64)
    values = np.asarray(column)
    if values.dtype.kind in "iu":
        filled = values.astype(np.int64)
    else:
        filled = np.fromiter(
            (DEFAULT_SEVERITY if v is None else int(v) for v in values.tolist()),
            dtype=np.int64,
            count=len(values),
        )
    if len(filled) and (filled.min() < SEVERITIES[0] or filled.max() > SEVERITIES[-1]):
        raise GradingInputError("a severity is outside 1–3")
    return filled


def _groups(department: Column, indicator: Column) -> IntArray:
    """A number per (department, indicator), in the order of ``department␟indicator``
    (the order the per-indicator means are summed in)."""
    pairs = list(zip(_as_list(department), _as_list(indicator), strict=True))
    distinct = sorted(set(pairs), key=lambda pair: f"{pair[0]}\x1f{pair[1]}")
    return _looked_up(dict(zip(distinct, range(len(distinct)), strict=True)), pairs)


def _events(
    number: dict[str, int],
    limit: np.datetime64,
    what: str,
    who: Column,
    when: Column,
    code: IntArray,
    severity: IntArray,
    *,
    value: FloatArray | None = None,
    group: IntArray | None = None,
) -> Events:
    ent = _enterprise_numbers(number, who, what)
    day = np.asarray(when, dtype="datetime64[D]") if len(when) else np.zeros(0, "datetime64[D]")
    val = value if value is not None else np.zeros(len(ent))
    grp = group if group is not None else np.zeros(len(ent), dtype=np.int64)
    keep = day <= limit
    # A canonical order makes every sum below independent of the input's row order.
    kept = day[keep].astype(np.int64)
    order = np.flatnonzero(keep)[
        canonical_order((ent[keep], kept, code[keep], severity[keep], grp[keep]), val[keep])
    ]
    return Events(
        ent=ent[order],
        day=day[order],
        code=code[order],
        severity=severity[order],
        value=val[order],
        group=grp[order],
    )


#: Bits of one int64 that packed keys may fill (the sign bit stays clear).
_PACKED_BITS = 63


def canonical_order(keys: Sequence[IntArray], last: FloatArray) -> IntArray:
    """``np.lexsort((last, *reversed(keys)))``: rows sorted by ``keys`` (the first is the
    primary), then ``last``, ties kept in input order.

    lexsort makes one stable pass per key; the integer keys (an enterprise, a day, a
    code …: a few bits each) are packed into one int64 first, in the same order, so a
    district's million events take one pass, or two with ``last``. Keys too wide to pack
    together are sorted by lexsort itself.
    """
    size = len(last)
    packed = np.zeros(size, dtype=np.int64)
    used = 0
    for key in keys:
        low = int(key.min()) if size else 0
        shifted = key.astype(np.int64) - low
        width = int(shifted.max()).bit_length() if size else 0
        used += width
        if used > _PACKED_BITS:
            return np.asarray(np.lexsort((last, *reversed(keys))), dtype=np.int64)
        packed = (packed << width) | shifted
    if not last.any():  # nothing left to break ties with (-0.0 ties with 0.0 too)
        return np.argsort(packed, kind="stable").astype(np.int64)
    return np.asarray(np.lexsort((last, packed)), dtype=np.int64)
