"""The Chinese working-day calendar: official holidays and make-up working days (调休).

The official calendar comes from ``chinese_calendar``, which knows each year once the
State Council has published it. An override (holidays and make-up days given by the
district, e.g. for a year the library does not know yet) takes precedence. For a year
neither knows, Monday–Friday less the statutory holidays that the law fixes
(全国年节及纪念日放假办法, as revised in 2024: New Year's Day, Spring Festival's eve and
first three days, Qingming, 1–2 May, Dragon Boat, Mid-Autumn, 1–3 October) are working
days; the State Council's yearly bridging days and make-up working days cannot be known
before they are published, so the calendar says so in ``uncovered_years`` and the caller
warns the coordinator.
"""

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import chinese_calendar

_KNOWN_YEARS = frozenset(d.year for d in chinese_calendar.holidays)


@functools.cache
def _official_workday(day: dt.date) -> bool:
    # Cached: the library validates its argument on every call, and planning asks about
    # the same few hundred days tens of thousands of times.
    return bool(chinese_calendar.is_workday(day))


@functools.cache
def statutory_holidays(year: int) -> frozenset[dt.date]:
    """The days off that 全国年节及纪念日放假办法 (2024 revision, from 2025) fixes by law.

    Lunar festivals are converted with ``lunar_python``; Qingming is the day of the solar
    term 清明. These are the statutory days only, without the State Council's bridging.
    """

    # Imported here: only years the official calendar does not know yet need it, and it
    # took a tenth of a second of every command's start.
    from lunar_python import Lunar

    def lunar(month: int, day: int) -> dt.date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())

    spring = lunar(1, 1)
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    days = {
        dt.date(year, 1, 1),
        spring - dt.timedelta(days=1),  # 除夕, the last day of the lunar year
        spring,
        spring + dt.timedelta(days=1),
        spring + dt.timedelta(days=2),
        dt.date(qingming.getYear(), qingming.getMonth(), qingming.getDay()),
        dt.date(year, 5, 1),
        dt.date(year, 5, 2),
        lunar(5, 5),
        lunar(8, 15),
        dt.date(year, 10, 1),
        dt.date(year, 10, 2),
        dt.date(year, 10, 3),
    }
    return frozenset(days)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days. ``extra_*`` override the official calendar."""

    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)
    #: Years for which the override is complete, so the weekday fallback is not used.
    override_years: frozenset[int] = field(default_factory=frozenset)
    #: ``add_workdays``' answers so far: planning asks it for each trigger's window, tens
    #: of thousands a district, about the same few hundred days.
    _added: dict[tuple[dt.date, int], dt.date] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        if day.year in _KNOWN_YEARS:
            return _official_workday(day)
        return day.weekday() < 5 and day not in statutory_holidays(day.year)

    def covers(self, year: int) -> bool:
        """True when the official holidays of ``year`` are known (library or override)."""
        return year in _KNOWN_YEARS or year in self.override_years

    def uncovered_years(self, start: dt.date, end: dt.date) -> list[int]:
        return [y for y in range(start.year, end.year + 1) if not self.covers(y)]

    def workdays(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Working days from ``start`` to ``end``, both included."""
        return [d for d in _days(start, end) if self.is_workday(d)]

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
        known = self._added.get((day, n))
        if known is not None:
            return known
        if n < 1:
            raise ValueError("n must be at least 1")
        current, left = day, n
        while left:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                left -= 1
        self._added[day, n] = current
        return current

    def with_overrides(
        self, holidays: Iterable[dt.date], workdays: Iterable[dt.date], years: Iterable[int] = ()
    ) -> "WorkingCalendar":
        return WorkingCalendar(
            self.extra_holidays | frozenset(holidays),
            self.extra_workdays | frozenset(workdays),
            self.override_years | frozenset(years),
        )


def _days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)
