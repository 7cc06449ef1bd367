"""Properties of the grading on small random districts (hypothesis)."""

import datetime as dt
import random
from dataclasses import replace

import numpy as np
from helpers.grading_world import AS_OF, World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jointinspect.models.enums import (
    CreditEventKind,
    InspectionResult,
    RelationKind,
    TriggerKind,
)
from jointinspect.risk.grade import GradingResult
from jointinspect.risk.reasons import render_all

FIRMS = [f"91310120MA1H{k:05d}X" for k in range(6)]
INDUSTRIES = ["6511", "8911", "6210", "1491", "0111"]
ADVERSE_KINDS = sorted(
    k.value
    for k in CreditEventKind
    if k not in {CreditEventKind.TAX_GRADE_A, CreditEventKind.COMMENDATION}
)
DAYS = 6 * 365

firm_index = st.integers(0, len(FIRMS) - 1)
past = st.integers(0, DAYS).map(lambda d: AS_OF - dt.timedelta(days=d))
severity = st.none() | st.integers(1, 3)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n = draw(st.integers(2, len(FIRMS)))
    world = World()
    for k in range(n):
        world = world.firm(FIRMS[k], draw(st.sampled_from(INDUSTRIES)), draw(st.booleans()))
    mine = st.integers(0, n - 1).map(lambda k: FIRMS[k])
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from([k.value for k in CreditEventKind]))
        world = world.event(draw(mine), kind, draw(past), draw(severity))
    for _ in range(draw(st.integers(0, 4))):
        value = draw(st.floats(0, 100))
        indicator = draw(st.sampled_from(["food", "fire"]))
        world = world.record(draw(mine), "SCJ", indicator, value, draw(past))
    for _ in range(draw(st.integers(0, 10))):
        result = draw(st.sampled_from([r.value for r in InspectionResult]))
        world = world.inspected(draw(mine), draw(past), result)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from([k.value for k in TriggerKind]))
        world = world.trigger(draw(mine), kind, draw(past), draw(severity))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from([k.value for k in RelationKind]))
        world = world.related(draw(mine), draw(mine), kind)
    return world


def _summary(result: GradingResult) -> tuple[list[float], list[float], list[int], object]:
    return (
        result.credit.tolist(),
        result.risk.tolist(),
        result.grade.tolist(),
        render_all(result),
    )


fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(worlds())
def test_scores_stay_in_range(world: World) -> None:
    result = world.grade()
    assert np.all((result.credit >= 0) & (result.credit <= 100))
    assert np.all((result.risk >= 0) & (result.risk <= 100))
    assert set(result.grade.tolist()) <= {0, 1, 2, 3}
    for reasons in render_all(result):
        assert len(reasons) <= result.config.reasons.count


@fast
@given(worlds(), st.integers(0, 2**32 - 1))
def test_grading_does_not_depend_on_row_order(world: World, seed: int) -> None:
    rng = random.Random(seed)

    def shuffled(rows: tuple[object, ...]) -> tuple[object, ...]:
        out = list(rows)
        rng.shuffle(out)
        return tuple(out)

    mixed = replace(
        world,
        enterprises=shuffled(world.enterprises),
        credit=shuffled(world.credit),
        records=shuffled(world.records),
        inspections=shuffled(world.inspections),
        triggers=shuffled(world.triggers),
        relations=shuffled(world.relations),
    )
    assert _summary(mixed.grade()) == _summary(world.grade())


@fast
@given(worlds(), firm_index, past)
def test_a_violation_never_improves_a_grade(world: World, k: int, when: dt.date) -> None:
    uscc = world.enterprises[k % len(world.enterprises)][0]
    before = world.grade()
    after = world.inspected(uscc, when, "violation").grade()
    assert np.all(after.grade >= before.grade)
    assert np.all(after.risk >= before.risk)


@fast
@given(worlds(), firm_index, past, st.sampled_from(ADVERSE_KINDS), st.integers(2, 3))
def test_a_serious_credit_event_never_improves_a_grade(
    world: World, k: int, when: dt.date, kind: str, level: int
) -> None:
    uscc = world.enterprises[k % len(world.enterprises)][0]
    before = world.grade()
    after = world.event(uscc, kind, when, level).grade()
    assert np.all(after.grade >= before.grade)
    assert np.all(after.credit <= before.credit)
    assert np.all(after.risk >= before.risk)
