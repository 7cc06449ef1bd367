"""Credit (综合 + 行业): every credit-event kind moves it the right way, events fade and
expire, industry records blend in by recency, and later events do not count."""

import pytest
from helpers.grading_world import AS_OF, World, days_before

from jointinspect.models.enums import CreditEventKind

FIRM = "91310120MA1H00001A"
FAVOURABLE = {CreditEventKind.TAX_GRADE_A, CreditEventKind.COMMENDATION}


def _credit(world: World) -> float:
    return world.scores(FIRM)[0]


@pytest.mark.parametrize("kind", list(CreditEventKind))
def test_each_kind_moves_credit_the_right_way(kind: CreditEventKind) -> None:
    plain = World().firm(FIRM)
    with_event = plain.event(FIRM, kind.value, days_before(30))
    if kind in FAVOURABLE:
        assert _credit(with_event) > _credit(plain)
    else:
        assert _credit(with_event) < _credit(plain)


def test_a_serious_penalty_weighs_more_than_a_minor_one() -> None:
    world = World().firm(FIRM)
    minor = _credit(world.event(FIRM, "penalty", days_before(30), 1))
    serious = _credit(world.event(FIRM, "penalty", days_before(30), 2))
    grave = _credit(world.event(FIRM, "penalty", days_before(30), 3))
    assert grave < serious < minor


def test_a_penalty_weighs_less_as_it_ages() -> None:
    world = World().firm(FIRM)
    fresh = _credit(world.event(FIRM, "penalty", days_before(10), 2))
    older = _credit(world.event(FIRM, "penalty", days_before(500), 2))
    assert fresh < older < _credit(world)


def test_a_penalty_past_its_publicity_period_no_longer_counts() -> None:
    world = World().firm(FIRM)
    publicity = world.config.credit.kinds[CreditEventKind.PENALTY].publicity_days
    inside = _credit(world.event(FIRM, "penalty", days_before(publicity), 3))
    outside = _credit(world.event(FIRM, "penalty", days_before(publicity + 1), 3))
    assert inside < _credit(world)
    assert outside == _credit(world)


def test_credit_stays_within_0_and_100() -> None:
    bad = World().firm(FIRM)
    good = World().firm(FIRM)
    for k in range(12):
        bad = bad.event(FIRM, "serious_dishonest", days_before(k + 1))
        good = good.event(FIRM, "commendation", days_before(k + 1))
    assert _credit(bad) == 0.0
    assert _credit(good) == 100.0


def test_industry_records_blend_in() -> None:
    world = World().firm(FIRM)
    low = world.record(FIRM, "SCJ", "food", 20.0, days_before(30))
    high = world.record(FIRM, "SCJ", "food", 100.0, days_before(30))
    blend = world.config.credit.industry_blend
    base = world.config.credit.base
    assert _credit(low) == pytest.approx((1 - blend) * base + blend * 20.0, abs=0.05)
    assert _credit(low) < _credit(world) < _credit(high)


def test_recent_industry_records_weigh_more() -> None:
    world = World().firm(FIRM)
    improving = world.record(FIRM, "SCJ", "food", 20.0, days_before(700)).record(
        FIRM, "SCJ", "food", 100.0, days_before(10)
    )
    worsening = world.record(FIRM, "SCJ", "food", 100.0, days_before(700)).record(
        FIRM, "SCJ", "food", 20.0, days_before(10)
    )
    assert _credit(improving) > _credit(worsening)


def test_indicators_count_equally_however_many_records_each_has() -> None:
    world = World().firm(FIRM).record(FIRM, "WJ", "hygiene", 40.0, days_before(5))
    for k in range(5):
        world = world.record(FIRM, "SCJ", "food", 100.0, days_before(5 + k))
    result = world.grade()
    assert result.credit_scores.industry[0] == pytest.approx(70.0)


def test_industry_records_older_than_the_limit_are_ignored() -> None:
    world = World().firm(FIRM)
    limit = world.config.credit.industry_max_age_days
    assert _credit(world.record(FIRM, "SCJ", "food", 0.0, days_before(limit + 1))) == _credit(world)


def test_events_after_as_of_do_not_count() -> None:
    later = AS_OF.replace(year=AS_OF.year + 1)
    world = World().firm(FIRM)
    future = (
        world.event(FIRM, "serious_dishonest", later)
        .record(FIRM, "SCJ", "food", 0.0, later)
        .inspected(FIRM, later, "violation")
        .trigger(FIRM, "accident", later, 3)
    )
    assert future.scores(FIRM) == world.scores(FIRM)
    # … and they count once the grading date has passed them.
    assert future.scores(FIRM, as_of=later) != world.scores(FIRM, as_of=later)
