"""The shape of an input bundle (spec §1): its files, their keys, columns and cell parsers.

Everything here is data: which columns a file has, which are required, how a cell is read,
what a blank optional cell stands for, and which other file a column refers to. The rules
that look at more than one cell live in ``validation``. Parsers take a stripped, non-blank
cell and return the typed value or raise ``CellError`` with a message that says what is
wrong and how to fix it.
"""

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import numpy as np
from sqlalchemy import Table

from jointinspect.models import (
    Availability,
    Conflict,
    CreditEvent,
    Demand,
    Department,
    Enterprise,
    Feedback,
    History,
    IndustryRecord,
    Inspector,
    Item,
    NoDisturb,
    Outcome,
    Relation,
    SamplingRule,
    Trigger,
)
from jointinspect.models.codes import MalformedCodeError, parse_code
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import (
    CreditEventKind,
    DemandSource,
    EnterpriseStatus,
    Grade,
    InspectionResult,
    ItemMode,
    RelationKind,
    TriggerKind,
)


class CellError(ValueError):
    """A cell that cannot be read; the message says what is wrong and how to fix it."""


Parser = Callable[[str], object]


class Ref(StrEnum):
    """What another column refers to (checked against the bundle and the database)."""

    DEPARTMENT = "department"
    ENTERPRISE = "enterprise"
    ITEM = "item"
    INSPECTOR = "inspector"
    CODE = "inspection code"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[0-9]+")
_INDUSTRY = re.compile(r"[0-9]{4}")
_INDUSTRY_PREFIX = re.compile(r"[0-9]{1,4}")
_DECIMAL = re.compile(r"[0-9]*\.?[0-9]+|[0-9]+\.")


def parse_date(raw: str) -> dt.date:
    """``YYYY-MM-DD`` (only that form: ISO week dates and basic format are refused)."""
    if _DATE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    raise CellError(f"{raw!r} is not a date; write YYYY-MM-DD, e.g. 2025-07-03")


def parse_timestamp(raw: str) -> dt.datetime:
    """ISO 8601 with a UTC offset, returned in UTC (SQLite keeps no offset, so UTC it is)."""
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise CellError(
            f"{raw!r} is not an ISO 8601 timestamp; write e.g. 2025-07-03T09:30:00+08:00"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise CellError(
            f"{raw!r} has no UTC offset; add one, e.g. 2025-07-03T09:30:00+08:00 for China time"
        )
    return value.astimezone(dt.UTC)


def int_between(low: int, high: int | None, what: str) -> Parser:
    """A whole number in ``low``..``high`` (``high`` None: no upper bound)."""
    span = f"{low} or more" if high is None else f"{low} to {high}"

    def parse(raw: str) -> int:
        if _INT.fullmatch(raw):
            value = int(raw)
            if value >= low and (high is None or value <= high):
                return value
        raise CellError(f"{raw!r} is not a valid {what}; write a whole number {span}")

    return parse


class NumberBetween:
    """A finite decimal number in ``low``..``high``; ``batch`` reads a whole column at once."""

    def __init__(self, low: float, high: float, what: str) -> None:
        self.low, self.high, self.what = low, high, what

    def __call__(self, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and self.low <= value <= self.high:
            return value
        raise CellError(
            f"{raw!r} is not a valid {self.what}; write a number from {self.low:g} to {self.high:g}"
        )

    def batch(self, raws: list[str]) -> list[float] | None:
        """All values, or None when any is bad (the caller then finds which one by one)."""
        try:
            values = list(map(float, raws))
        except ValueError:
            return None
        if not values:
            return values
        array = np.asarray(values)
        if not np.isfinite(array).all() or array.min() < self.low or array.max() > self.high:
            return None
        return values


def number_between(low: float, high: float, what: str) -> Parser:
    """A finite decimal number in ``low``..``high``."""
    return NumberBetween(low, high, what)


class OneOf:
    """One of a closed vocabulary, spelled exactly (lower case); returns the text itself."""

    keeps_text = True

    def __init__(self, values: Iterable[str], what: str) -> None:
        self.allowed = frozenset(values)
        self.what = what

    def __call__(self, raw: str) -> str:
        if raw in self.allowed:
            return raw
        shown = ", ".join(sorted(self.allowed))
        raise CellError(f"{raw!r} is not a {self.what}; use one of: {shown}")


def one_of(values: Iterable[str], what: str) -> Parser:
    """One of a closed vocabulary, spelled exactly (lower case)."""
    return OneOf(values, what)


class KeepsText:
    """A check that returns the cell's text unchanged when it passes (``keeps_text``
    lets validation skip mapping values back onto the rows)."""

    keeps_text = True

    def __init__(self, check: Callable[[str], str]) -> None:
        self.check = check
        self.__doc__ = check.__doc__

    def __call__(self, raw: str) -> str:
        return self.check(raw)


def parse_flag(raw: str) -> bool:
    """``0`` or ``1``."""
    if raw == "1":
        return True
    if raw == "0":
        return False
    raise CellError(f"{raw!r} is not a flag; write 1 (yes) or 0 (no)")


def _ratio(raw: str) -> str:
    """A decimal 0–1, kept as its exact text (spec §3 reads it as an exact decimal)."""
    if _DECIMAL.fullmatch(raw):
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = Decimal(-1)
        if Decimal(0) <= value <= Decimal(1):
            return raw
    raise CellError(f"{raw!r} is not a ratio from 0 to 1; write a decimal such as 0.05")


def _industry(raw: str) -> str:
    """A GB/T 4754-2017 class: 4 digits."""
    if _INDUSTRY.fullmatch(raw):
        return raw
    raise CellError(f"{raw!r} is not a GB/T 4754-2017 class; write its 4 digits, e.g. 6210")


parse_ratio = KeepsText(_ratio)
parse_industry = KeepsText(_industry)


def parse_industries(raw: str) -> str:
    """``;``-separated classes or prefixes of 1–4 digits, or ``*`` for every industry."""
    parts = [part.strip() for part in raw.split(";")]
    if raw.strip() == "*" or (
        parts and all(_INDUSTRY_PREFIX.fullmatch(part) or part == "*" for part in parts)
    ):
        return ";".join(parts)
    raise CellError(
        f"{raw!r} is not an industries list; write ';'-separated GB/T 4754 classes or"
        " prefixes of 1-4 digits (e.g. 1411;5222;62) or * for every industry"
    )


def parse_inspection_code(raw: str) -> str:
    """An inspection code in any spelling ``verify`` accepts (lower case, with or without
    separators), returned in the grouped form the codes table stores."""
    try:
        return parse_code(raw).display
    except MalformedCodeError as exc:
        raise CellError(
            f"{raw!r} is not an inspection code: {exc}; copy it from the plan"
        ) from None


def text(raw: str) -> str:
    """Any text (the cell is already stripped of surrounding blanks)."""
    return raw


_latitude = number_between(-90, 90, "latitude (WGS84)")
_longitude = number_between(-180, 180, "longitude (WGS84)")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a bundle file.

    ``default`` is what a blank optional cell (or an absent optional column) stands for
    on insert; ``ref`` names what the column refers to; ``uscc_key`` marks the one column
    whose USCCs are checked for form and GB 32100 check character.
    """

    name: str
    required: bool = False
    parse: Parser | None = None
    default: object = None
    ref: Ref | None = None
    uscc_key: bool = False


def _req(name: str, parse: Parser | None = None, ref: Ref | None = None) -> Column:
    return Column(name, required=True, parse=parse, ref=ref)


def _opt(
    name: str, parse: Parser | None = None, default: object = None, ref: Ref | None = None
) -> Column:
    return Column(name, required=False, parse=parse, default=default, ref=ref)


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One file of the bundle: its name, table, key and columns."""

    name: str
    table: Table
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    #: One of the four files the first import into an empty database must hold.
    required: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)


_severity = int_between(1, 3, "severity (1 minor, 2 serious, 3 grave)")
_status = one_of(EnterpriseStatus, "status")
_grade = one_of(Grade, "grade")
_history_result = one_of(set(InspectionResult) - {InspectionResult.NOT_DONE}, "history result")

#: Every file, in foreign-key order: a file only refers to files above it.
FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "departments.csv",
        table_of(Department),
        ("code",),
        (_req("code"), _req("name")),
        required=True,
    ),
    FileSpec(
        "enterprises.csv",
        table_of(Enterprise),
        ("uscc",),
        (
            Column("uscc", required=True, uscc_key=True),
            _req("name"),
            _req("industry", parse_industry),
            _req("town"),
            _opt("address"),
            _opt("lat", _latitude),
            _opt("lon", _longitude),
            _opt("opened_on", parse_date),
            _opt("status", _status, default=EnterpriseStatus.ACTIVE.value),
            _opt("legal_rep"),
        ),
        required=True,
    ),
    FileSpec(
        "items.csv",
        table_of(Item),
        ("code",),
        (
            _req("code"),
            _req("department", ref=Ref.DEPARTMENT),
            _req("name"),
            _req("industries", parse_industries),
            _req("minutes", int_between(1, None, "duration in minutes")),
            _req("mode", one_of(ItemMode, "item mode")),
            _opt("no_disturb", parse_flag, default=False),
        ),
        required=True,
    ),
    FileSpec(
        "inspectors.csv",
        table_of(Inspector),
        ("id",),
        (
            _req("id"),
            _req("department", ref=Ref.DEPARTMENT),
            _req("name"),
            _req("cert_no"),
            _req("cert_valid_until", parse_date),
            _opt("home_town"),
            _opt("max_visits_per_day", int_between(1, None, "visits per day"), default=4),
        ),
        required=True,
    ),
    FileSpec(
        "relations.csv",
        table_of(Relation),
        ("uscc_a", "uscc_b", "kind"),
        (
            _req("uscc_a", ref=Ref.ENTERPRISE),
            _req("uscc_b", ref=Ref.ENTERPRISE),
            _req("kind", one_of(RelationKind, "relation kind")),
        ),
    ),
    FileSpec(
        "credit_events.csv",
        table_of(CreditEvent),
        ("id",),
        (
            _req("id"),
            _req("uscc", ref=Ref.ENTERPRISE),
            _req("kind", one_of(CreditEventKind, "credit event kind")),
            _req("date", parse_date),
            _opt("severity", _severity, default=1),
            # The issuing authority: often outside the district's departments (courts,
            # tax), so an unknown one is only a warning (see validation).
            _opt("department"),
            _opt("detail"),
        ),
    ),
    FileSpec(
        "industry_records.csv",
        table_of(IndustryRecord),
        ("id",),
        (
            _req("id"),
            _req("uscc", ref=Ref.ENTERPRISE),
            _req("department", ref=Ref.DEPARTMENT),
            _req("indicator"),
            _req("value", number_between(0, 100, "indicator value")),
            _req("date", parse_date),
        ),
    ),
    FileSpec(
        "availability.csv",
        table_of(Availability),
        ("inspector_id", "date"),
        (
            _req("inspector_id", ref=Ref.INSPECTOR),
            _req("date", parse_date),
            _req("available", parse_flag),
        ),
    ),
    FileSpec(
        "conflicts.csv",
        table_of(Conflict),
        ("inspector_id", "uscc"),
        (
            _req("inspector_id", ref=Ref.INSPECTOR),
            _req("uscc", ref=Ref.ENTERPRISE),
            _opt("reason"),
        ),
    ),
    FileSpec(
        "no_disturb.csv",
        table_of(NoDisturb),
        ("uscc",),
        (
            _req("uscc", ref=Ref.ENTERPRISE),
            _req("since", parse_date),
            _opt("until", parse_date),
            _opt("reason"),
        ),
    ),
    FileSpec(
        "sampling_rules.csv",
        table_of(SamplingRule),
        ("department", "item", "grade"),
        (
            _req("department", ref=Ref.DEPARTMENT),
            _req("item", ref=Ref.ITEM),
            _req("grade", _grade),
            _req("ratio", parse_ratio),
        ),
    ),
    FileSpec(
        "demands.csv",
        table_of(Demand),
        ("id",),
        (
            _req("id"),
            _req("department", ref=Ref.DEPARTMENT),
            _req("item", ref=Ref.ITEM),
            _req("uscc", ref=Ref.ENTERPRISE),
            # ``random`` is refused by a rule of its own, with a message that says why.
            _req("source", one_of(DemandSource, "demand source")),
            _opt("earliest", parse_date),
            _opt("latest", parse_date),
            _opt("priority", int_between(1, 5, "priority (1 lowest, 5 highest)"), default=3),
            _opt("onsite_required", parse_flag, default=False),
            _opt("note"),
        ),
    ),
    FileSpec(
        "triggers.csv",
        table_of(Trigger),
        ("id",),
        (
            _req("id"),
            _req("uscc", ref=Ref.ENTERPRISE),
            _req("kind", one_of(TriggerKind, "trigger kind")),
            _req("received_at", parse_timestamp),
            _req("department", ref=Ref.DEPARTMENT),
            _req("item", ref=Ref.ITEM),
            _opt("severity", _severity),
            _opt("detail"),
        ),
    ),
    FileSpec(
        "history.csv",
        table_of(History),
        ("id",),
        (
            _req("id"),
            _req("uscc", ref=Ref.ENTERPRISE),
            _req("department", ref=Ref.DEPARTMENT),
            _req("date", parse_date),
            _req("result", _history_result),
            _opt("item", ref=Ref.ITEM),
            _opt("detail"),
        ),
    ),
    FileSpec(
        "outcomes.csv",
        table_of(Outcome),
        ("code", "item"),
        (
            _req("code", parse_inspection_code, ref=Ref.CODE),
            _req("item", ref=Ref.ITEM),
            _req("result", one_of(InspectionResult, "outcome result")),
            _req("date", parse_date),
            _opt("detail"),
        ),
    ),
    FileSpec(
        "feedback.csv",
        table_of(Feedback),
        ("code",),
        (
            _req("code", parse_inspection_code, ref=Ref.CODE),
            _req("rating", int_between(1, 5, "rating")),
            _req("date", parse_date),
            _opt("comment"),
        ),
    ),
)

FILES_BY_NAME = {spec.name: spec for spec in FILES}
REQUIRED_FILES = tuple(spec.name for spec in FILES if spec.required)
#: The file whose keys a reference of each kind points at (codes live in the database only).
REF_FILES = {
    Ref.DEPARTMENT: "departments.csv",
    Ref.ENTERPRISE: "enterprises.csv",
    Ref.ITEM: "items.csv",
    Ref.INSPECTOR: "inspectors.csv",
}
#: The prefix of drawn demands' ids (spec §2), reserved for the draw.
DRAWN_ID_PREFIX = "R:"
