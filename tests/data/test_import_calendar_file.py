"""The working-day override file: holidays and make-up days per year, ranges, mistakes."""

import datetime as dt
from pathlib import Path

import pytest

from jointinspect.data.bundle.calendar_file import load_calendar
from jointinspect.data.bundle.errors import CalendarFileInvalid

D = dt.date


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_year_the_library_does_not_know(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[2031]
holidays = ["2031-01-01", "2031-01-22..2031-01-28", 2031-10-01]
workdays = ["2031-01-19"]
""",
    )
    calendar = load_calendar(path)
    assert not calendar.is_workday(D(2031, 1, 1))  # Wednesday, a holiday
    assert not calendar.is_workday(D(2031, 1, 24))  # Friday inside the range
    assert not calendar.is_workday(D(2031, 10, 1))  # TOML date
    assert calendar.is_workday(D(2031, 1, 19))  # Sunday, a make-up working day
    assert calendar.is_workday(D(2031, 1, 29))  # an ordinary Wednesday
    assert calendar.covers(2031)
    assert calendar.uncovered_years(D(2031, 1, 1), D(2032, 1, 1)) == [2032]


def test_an_incomplete_year_keeps_the_fallback_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, '[2032]\nholidays = ["2032-01-01"]\ncomplete = false\n')
    calendar = load_calendar(path)
    assert not calendar.is_workday(D(2032, 1, 1))
    assert not calendar.covers(2032)


def test_a_district_day_off_in_a_known_year(tmp_path: Path) -> None:
    path = _write(tmp_path, '[2025]\nholidays = ["2025-07-08"]\n')
    calendar = load_calendar(path)
    assert not calendar.is_workday(D(2025, 7, 8))
    assert calendar.is_workday(D(2025, 7, 9))
    assert not calendar.is_workday(D(2025, 10, 1))  # the official calendar still applies


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[2031]\nholidays = ["2031-02-30"]\n', "'2031-02-30', which is not a date"),
        ('[2031]\nholidays = ["2030-12-31"]\n', "not in 2031; put it under [2030]"),
        ('[2031]\nholidays = ["2031-01-05..2031-01-01"]\n', "ends before it starts"),
        ('[2031]\nholidays = ["2031-01-01"]\nworkdays = ["2031-01-01"]\n', "both as a holiday"),
        ('[2031]\nholiday = ["2031-01-01"]\n', "unknown key 'holiday'"),
        ('[2031]\nholidays = "2031-01-01"\n', "must be a list of dates"),
        ("[next]\nholidays = []\n", "'next' is not a year table"),
        ("[2031\n", "is not valid TOML"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CalendarFileInvalid, match="calendar file") as failed:
        load_calendar(_write(tmp_path, text))
    assert message in str(failed.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileInvalid, match="does not exist"):
        load_calendar(tmp_path / "none.toml")
