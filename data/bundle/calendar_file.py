"""The working-day override file (setting ``calendar_file``): holidays and make-up days.

The State Council publishes each year's holidays late in the year before; until the
``chinese_calendar`` package knows a year, or when the district adds a day of its own,
a coordinator writes them in a TOML file, one table per year::

    # 2027 as published by the State Council (国务院办公厅关于2027年部分节假日安排的通知)
    [2027]
    holidays = ["2027-01-01", "2027-02-05..2027-02-11", 2027-10-01]
    workdays = ["2027-02-14"]          # 调休: a Saturday or Sunday that is worked
    # complete = false                 # only some days: keep the weekday fallback's warning

A day is a TOML date or ``YYYY-MM-DD`` text; ``FIRST..LAST`` is an inclusive range. A
year's table counts as that year's complete calendar unless it says ``complete = false``.
"""

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from jointinspect.data.bundle.errors import CalendarFileInvalid
from jointinspect.models.workdays import WorkingCalendar

_YEAR = re.compile(r"[0-9]{4}")
_KEYS = frozenset({"holidays", "workdays", "complete"})
_RANGE = ".."


def load_calendar(path: Path, base: WorkingCalendar | None = None) -> WorkingCalendar:
    """``base`` (default: the official calendar) with the overrides in ``path``."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise CalendarFileInvalid(
            f"calendar file {path} does not exist",
            hint="check the calendar_file setting (JOINTINSPECT_CALENDAR_FILE)",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarFileInvalid(f"calendar file {path} is not valid TOML: {exc}") from None
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    years: set[int] = set()
    for key, table in sorted(document.items()):
        year = _year(path, key, table)
        days_off = set(_days(path, year, "holidays", table.get("holidays", [])))
        days_on = set(_days(path, year, "workdays", table.get("workdays", [])))
        both = sorted(days_off & days_on)
        if both:
            raise CalendarFileInvalid(
                f"calendar file {path}: [{year}] lists {both[0].isoformat()} both as a"
                " holiday and as a working day; keep it in one list"
            )
        complete = table.get("complete", True)
        if not isinstance(complete, bool):
            raise CalendarFileInvalid(
                f"calendar file {path}: [{year}] complete must be true or false"
            )
        holidays |= days_off
        workdays |= days_on
        if complete:
            years.add(year)
    calendar = base if base is not None else WorkingCalendar()
    return calendar.with_overrides(holidays, workdays, years)


def _year(path: Path, key: str, table: object) -> int:
    if not _YEAR.fullmatch(key) or not isinstance(table, dict):
        raise CalendarFileInvalid(
            f"calendar file {path}: {key!r} is not a year table; write [2027] and the"
            " holidays / workdays lists below it"
        )
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise CalendarFileInvalid(
            f"calendar file {path}: [{key}] has unknown key {unknown[0]!r};"
            " use holidays, workdays and complete"
        )
    return int(key)


def _days(path: Path, year: int, name: str, entries: object) -> Iterator[dt.date]:
    if not isinstance(entries, list):
        raise CalendarFileInvalid(f"calendar file {path}: [{year}] {name} must be a list of dates")
    for entry in entries:
        first, last = _span(path, year, name, entry)
        for day in (first, last):
            if day.year != year:
                raise CalendarFileInvalid(
                    f"calendar file {path}: [{year}] {name} has {day.isoformat()}, which is"
                    f" not in {year}; put it under [{day.year}]"
                )
        if first > last:
            raise CalendarFileInvalid(
                f"calendar file {path}: [{year}] {name} range {entry!r} ends before it starts"
            )
        day = first
        while day <= last:
            yield day
            day += dt.timedelta(days=1)


def _span(path: Path, year: int, name: str, entry: object) -> tuple[dt.date, dt.date]:
    if isinstance(entry, dt.date) and not isinstance(entry, dt.datetime):
        return entry, entry
    if isinstance(entry, str):
        first, _, last = entry.partition(_RANGE)
        try:
            start = dt.date.fromisoformat(first.strip())
            return start, dt.date.fromisoformat(last.strip()) if last else start
        except ValueError:
            pass
    raise CalendarFileInvalid(
        f"calendar file {path}: [{year}] {name} has {entry!r}, which is not a date;"
        ' write "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD"'
    )
