"""Domain values shared by every package: USCC, quarters, the working-day calendar."""

import datetime as dt

import pytest

from jointinspect.models import uscc
from jointinspect.models.quarter import Quarter, QuarterFormatError
from jointinspect.models.workdays import WorkingCalendar


def test_uscc_check_character_matches_the_standard_example() -> None:
    # The worked example used in GB 32100-2015 explanations.
    assert uscc.complete("91350100M000100Y4") == "91350100M000100Y43"
    assert uscc.validate("91350100M000100Y43") is None


@pytest.mark.parametrize(
    ("code", "fatal"),
    [
        ("91350100M000100Y4", True),  # 17 characters
        ("91350100M000100Y43X", True),  # 19 characters
        ("91350100M000100I43", True),  # I is not in the set
        ("91350100m000100Y43", True),  # lower case
        ("91350100M000100Y44", False),  # wrong check character: a warning only
    ],
)
def test_uscc_problems(code: str, fatal: bool) -> None:
    problem = uscc.validate(code)
    assert problem is not None
    assert problem.fatal is fatal


def test_quarter_bounds() -> None:
    q = Quarter.parse("2025Q3")
    assert (q.first_day, q.last_day) == (dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    assert Quarter.parse("2025q4").next() == Quarter(2026, 1)
    assert str(Quarter.containing(dt.date(2026, 11, 27))) == "2026Q4"
    with pytest.raises(QuarterFormatError):
        Quarter.parse("2025-3")


def test_calendar_knows_national_day_and_make_up_days() -> None:
    cal = WorkingCalendar()
    assert not cal.is_workday(dt.date(2025, 10, 1))
    assert cal.is_workday(dt.date(2025, 9, 28))  # Sunday, a make-up working day
    # Spec §2: a trigger received 2025-09-28 closes on the 10th working day after it.
    assert cal.add_workdays(dt.date(2025, 9, 28), 10) == dt.date(2025, 10, 17)


def test_calendar_remembers_its_answers_not_another_calendars() -> None:
    """``add_workdays`` keeps what it worked out, per calendar: asked again it gives the
    same day, a calendar with overrides works its own out, and the memory is not part of
    a calendar's value."""
    cal = WorkingCalendar()
    day = dt.date(2025, 9, 26)  # a Friday; the 28th is a make-up Sunday
    assert cal.add_workdays(day, 1) == dt.date(2025, 9, 28)
    assert cal.add_workdays(day, 1) == dt.date(2025, 9, 28)
    assert cal.add_workdays(day, 2) == dt.date(2025, 9, 29)
    changed = cal.with_overrides([dt.date(2025, 9, 28)], [])
    assert changed.add_workdays(day, 1) == dt.date(2025, 9, 29)
    assert cal == WorkingCalendar() and hash(cal) == hash(WorkingCalendar())
    with pytest.raises(ValueError, match="at least 1"):
        cal.add_workdays(day, 0)


def test_calendar_override_and_uncovered_years() -> None:
    cal = WorkingCalendar()
    assert not cal.covers(2099)
    assert cal.is_workday(dt.date(2099, 1, 2))  # weekday fallback (a Friday)
    cal = cal.with_overrides([dt.date(2099, 1, 2)], [dt.date(2099, 1, 3)], [2099])
    assert cal.covers(2099)
    assert not cal.is_workday(dt.date(2099, 1, 2))
    assert cal.is_workday(dt.date(2099, 1, 3))  # a Saturday made a working day


def test_fallback_keeps_the_statutory_holidays_of_an_unpublished_year() -> None:
    cal = WorkingCalendar()
    assert not cal.covers(2027)
    # Fixed by 全国年节及纪念日放假办法: 元旦; 除夕 and 春节 (初一 2027-02-06);
    # 清明 (2027-04-05); 劳动节 1–2 May; 端午 (2027-06-09); 中秋 (2027-09-15); 国庆 1–3 Oct.
    for day in (
        "2027-01-01",
        "2027-02-05",
        "2027-02-08",
        "2027-04-05",
        "2027-06-09",
        "2027-09-15",
        "2027-10-01",
    ):
        assert not cal.is_workday(dt.date.fromisoformat(day)), day
    assert cal.is_workday(dt.date(2027, 2, 9))  # a Tuesday after the statutory days
    assert not cal.is_workday(dt.date(2027, 1, 2))  # a Saturday
    # Where the library knows the year, its official calendar (bridging and 调休) rules.
    assert cal.is_workday(dt.date(2026, 1, 4))  # Sunday, a make-up working day
