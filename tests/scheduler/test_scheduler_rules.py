"""One test per hard rule of spec §5 on a three-to-five-item instance where the rule bites.

Every plan goes through the independent checker (``planning_builders.solved``).
"""

import datetime as dt

import pytest
from helpers.planning_builders import (
    WORKDAYS,
    demand,
    enterprise,
    item,
    officer,
    problem,
    solved,
    team,
)

from jointinspect.scheduler.errors import UnplaceableDemand
from jointinspect.scheduler.solve import solve

D = dt.date


def _where(result, demand_id):  # type: ignore[no-untyped-def]
    for v in result.visits:
        if any(t.demand_id == demand_id for t in v.tasks):
            return v
    for o in result.offsite:
        if o.demand_id == demand_id:
            return o
    return next(u for u in result.unscheduled if u.demand_id == demand_id)


def test_rule1_visits_on_working_days_inside_windows() -> None:
    # 2025-10-01..08 is the National Day holiday; Saturday 2025-10-11 is a make-up working day.
    p = problem(
        [enterprise("E1"), enterprise("E2")],
        [item("SCJ-1", "SCJ")],
        team("SCJ"),
        [
            demand("holiday", "SCJ", "SCJ-1", "E1", earliest=D(2025, 10, 1), latest=D(2025, 10, 8)),
            demand(
                "makeup", "SCJ", "SCJ-1", "E2", earliest=D(2025, 10, 11), latest=D(2025, 10, 12)
            ),
        ],
    )
    result = solved(p)
    assert _where(result, "holiday").reason == "window"
    assert _where(result, "makeup").date == D(2025, 10, 11)
    assert D(2025, 10, 11) in WORKDAYS


def test_rule2_two_certified_available_officers_without_conflict() -> None:
    officers = [
        officer("SCJ-01", "SCJ", cert=D(2025, 9, 30)),  # expired before the quarter
        officer("SCJ-02", "SCJ", conflicts=["E1"]),  # 回避
        officer("SCJ-03", "SCJ", unavailable=WORKDAYS[:10]),  # away the first two weeks
        officer("SCJ-04", "SCJ"),
        officer("SCJ-05", "SCJ"),
    ]
    p = problem(
        [enterprise("E1")],
        [item("SCJ-1", "SCJ")],
        officers,
        [demand("d1", "SCJ", "SCJ-1", "E1", latest=WORKDAYS[4])],
    )
    visit = _where(solved(p), "d1")
    assert {o.id for o in visit.inspectors} == {"SCJ-04", "SCJ-05"}


def test_rule2_no_eligible_inspector_and_capacity() -> None:
    p = problem(
        [enterprise("E1"), enterprise("E2"), enterprise("E3")],
        [item("WJ-1", "WJ")],
        [officer("WJ-01", "WJ", per_day=1), officer("WJ-02", "WJ", per_day=1, conflicts=["E3"])],
        [
            demand(f"d{k}", "WJ", "WJ-1", f"E{k}", earliest=WORKDAYS[3], latest=WORKDAYS[3])
            for k in (1, 2, 3)
        ],
    )
    result = solved(p)
    reasons = sorted(u.reason for u in result.unscheduled)
    assert len(result.visits) == 1
    assert reasons == ["capacity", "no_eligible_inspector"]
    assert _where(result, "d3").reason == "no_eligible_inspector"


def test_rule3_an_officers_visits_on_a_day_have_distinct_slots_in_route_order() -> None:
    ents = [enterprise(f"E{k}", lat=30.90 + 0.01 * k) for k in range(4)]
    p = problem(
        ents,
        [item("XF-1", "XF")],
        team("XF"),
        [
            demand(f"d{k}", "XF", "XF-1", f"E{k}", earliest=WORKDAYS[2], latest=WORKDAYS[2])
            for k in range(4)
        ],
    )
    result = solved(p)
    orders = sorted(v.order for v in result.visits)
    assert orders == [1, 2, 3, 4]
    # The officers start at home (30.92): E2 (30.92) first, then outwards without backtracking.
    by_order = {v.order: v.uscc for v in result.visits}
    assert by_order[1] == "E2"


def test_rule4_no_disturb_enterprise_only_triggered_visits_with_ride_along() -> None:
    quiet = enterprise("Q", no_disturb=[(D(2025, 1, 1), None)])
    half = enterprise("H", no_disturb=[(D(2025, 10, 1), D(2025, 11, 30))])
    p = problem(
        [quiet, half, enterprise("Z", no_disturb=[(D(2025, 1, 1), None)])],
        [item("SCJ-1", "SCJ"), item("WJ-1", "WJ")],
        team("SCJ") + team("WJ"),
        [
            demand(
                "q-complaint", "SCJ", "SCJ-1", "Q", "complaint", D(2025, 11, 3), D(2025, 11, 17)
            ),
            demand("q-routine", "WJ", "WJ-1", "Q"),
            demand("h-routine", "SCJ", "SCJ-1", "H"),
            demand("z-routine", "SCJ", "SCJ-1", "Z"),
        ],
    )
    result = solved(p)
    joint = _where(result, "q-complaint")
    assert joint is _where(result, "q-routine") and joint.triggered
    assert _where(result, "h-routine").date > D(2025, 11, 30)
    assert _where(result, "z-routine").reason == "no_disturb_enterprise"


def test_rule5_routine_no_disturb_item_never_onsite() -> None:
    p = problem(
        [enterprise("E1"), enterprise("Q", no_disturb=[(D(2025, 1, 1), None)])],
        [item("HB-ND", "HB", no_disturb=True), item("HB-NDE", "HB", "either", no_disturb=True)],
        team("HB"),
        [
            demand("routine", "HB", "HB-ND", "E1"),
            demand("quiet", "HB", "HB-ND", "Q"),
            demand("remote", "HB", "HB-NDE", "E1"),
            demand("forced", "HB", "HB-NDE", "E1", onsite_required=True),
            demand("alert", "HB", "HB-ND", "E1", "alert", D(2025, 10, 9), D(2025, 10, 23)),
        ],
    )
    result = solved(p)
    assert _where(result, "routine").reason == "no_disturb_item"
    assert _where(result, "quiet").reason == "no_disturb_item"  # precedence over the enterprise
    assert _where(result, "forced").reason == "no_disturb_item"
    assert _where(result, "remote").due == D(2025, 12, 31)
    assert _where(result, "alert").date <= D(2025, 10, 23)


def test_rule6_offsite_exactly_when_mode_allows() -> None:
    p = problem(
        [enterprise("E1"), enterprise("E2")],
        [item("WL-EI", "WL", "either"), item("WL-OFF", "WL", "offsite")],
        team("WL"),
        [
            demand("either-routine", "WL", "WL-EI", "E1", latest=D(2025, 11, 15)),
            demand("either-required", "WL", "WL-EI", "E1", onsite_required=True),
            demand(
                "either-complaint",
                "WL",
                "WL-EI",
                "E2",
                "complaint",
                D(2025, 10, 9),
                D(2025, 10, 23),
            ),
            demand("offsite-alert", "WL", "WL-OFF", "E2", "alert", D(2025, 10, 9), D(2025, 10, 23)),
            demand(
                "offsite-late", "WL", "WL-OFF", "E2", earliest=D(2026, 1, 5), latest=D(2026, 1, 9)
            ),
        ],
    )
    result = solved(p)
    assert _where(result, "either-routine").due == D(2025, 11, 15)
    assert hasattr(_where(result, "either-required"), "date")
    assert hasattr(_where(result, "either-complaint"), "date")
    assert _where(result, "offsite-alert").due == D(2025, 10, 23)
    assert _where(result, "offsite-late").reason == "window"


def test_rule7_merge_overlapping_windows_and_respect_caps() -> None:
    a = enterprise("A", grade="A")
    c = enterprise("C", grade="C")
    p = problem(
        [a, c, enterprise("Y", grade="D")],
        [item("SCJ-1", "SCJ"), item("WJ-1", "WJ"), item("XF-1", "XF")],
        team("SCJ") + team("WJ") + team("XF"),
        [
            # Three departments, overlapping windows at C: one joint visit.
            demand("c-scj", "SCJ", "SCJ-1", "C", earliest=D(2025, 10, 9), latest=D(2025, 11, 5)),
            demand("c-wj", "WJ", "WJ-1", "C", earliest=D(2025, 10, 20), latest=D(2025, 12, 5)),
            demand("c-xf", "XF", "XF-1", "C", earliest=D(2025, 11, 1), latest=D(2025, 11, 20)),
            # Grade A allows one routine visit a quarter: the higher priority one is kept.
            demand("a-low", "SCJ", "SCJ-1", "A", latest=D(2025, 10, 31), priority=2),
            demand("a-high", "WJ", "WJ-1", "A", earliest=D(2025, 12, 1), priority=5),
            # Triggered demands are not capped and do not use the cap.
            demand("a-complaint", "XF", "XF-1", "A", "complaint", D(2025, 11, 3), D(2025, 11, 17)),
            # Grade D: 8 a year, 7 used by earlier filed plans → 1 left this quarter.
            demand("y-1", "SCJ", "SCJ-1", "Y", latest=D(2025, 10, 31), priority=4),
            demand("y-2", "SCJ", "SCJ-1", "Y", earliest=D(2025, 12, 1), priority=3),
        ],
        used={"Y": 7},
    )
    result = solved(p)
    assert _where(result, "c-scj") is _where(result, "c-wj") is _where(result, "c-xf")
    assert _where(result, "a-low").reason == "visit_cap"
    assert hasattr(_where(result, "a-high"), "date")
    assert _where(result, "a-complaint").triggered
    assert _where(result, "y-2").reason == "visit_cap"
    assert hasattr(_where(result, "y-1"), "date")
    assert result.metrics["onsite_visits"] == result.metrics["consolidation_lower_bound"] == 4
    assert result.metrics["visits_if_departments_alone"] == 6


def test_rule8_complaint_never_dropped_planning_fails_naming_it() -> None:
    p = problem(
        [enterprise("E1")],
        [item("WJ-1", "WJ")],
        [officer("WJ-01", "WJ", conflicts=["E1"]), officer("WJ-02", "WJ")],
        [demand("C-17", "WJ", "WJ-1", "E1", "complaint", D(2025, 10, 9), D(2025, 10, 23))],
    )
    with pytest.raises(UnplaceableDemand) as caught:
        solve(p)
    message = str(caught.value)
    assert "C-17" in message and "WJ" in message and "2025-10-09" in message
    assert "conflict" in message


def _three_towns_one_day(extra: int = 0) -> tuple[dt.date, list[str]]:
    return WORKDAYS[10], ["南桥镇", "奉城镇", "庄行镇", "金汇镇"][: 3 + extra]


def test_rule8_complaints_in_more_towns_than_pairs_share_officers_across_towns() -> None:
    """Three complaints due the same day in three towns, and three officers: officer-days
    of one town each make at most one pair and one officer left over, and the planner
    stopped on the second complaint. The rules do not bind an officer to one town a day,
    so officers go on to a second town; every rule still holds (``solved``)."""
    day, towns = _three_towns_one_day()
    p = problem(
        [enterprise(f"E{k}", town=t) for k, t in enumerate(towns)],
        [item("SCJ-1", "SCJ")],
        team("SCJ", 3),
        [demand(f"C{k}", "SCJ", "SCJ-1", f"E{k}", "complaint", day, day) for k in range(3)],
    )
    result = solved(p)
    assert sorted(v.uscc for v in result.visits) == ["E0", "E1", "E2"]
    assert {v.date for v in result.visits} == {day}
    towns_of: dict[str, set[str]] = {}
    for v in result.visits:
        for o in v.inspectors:
            towns_of.setdefault(o.id, set()).add(v.town)
    assert max(len(t) for t in towns_of.values()) == 2


def test_rule8_a_complaint_still_stops_the_plan_when_no_officer_has_room() -> None:
    """Officers who may do two visits a day, three complaints due that day in three towns:
    six places for the three visits' six, then a fourth finds none, in any town."""
    day, towns = _three_towns_one_day(extra=1)
    p = problem(
        [enterprise(f"E{k}", town=t) for k, t in enumerate(towns)],
        [item("SCJ-1", "SCJ")],
        team("SCJ", 3, per_day=2),
        [demand(f"C{k}", "SCJ", "SCJ-1", f"E{k}", "complaint", day, day) for k in range(4)],
    )
    with pytest.raises(UnplaceableDemand, match="C3"):
        solve(p)


def test_rule8_alert_may_be_unscheduled_but_complaint_keeps_its_visit() -> None:
    p = problem(
        [enterprise("E1")],
        [item("WJ-1", "WJ"), item("SCJ-1", "SCJ")],
        team("WJ"),  # no SCJ officers at all
        [
            demand("C-1", "WJ", "WJ-1", "E1", "complaint", D(2025, 10, 9), D(2025, 10, 23)),
            demand("A-1", "SCJ", "SCJ-1", "E1", "alert", D(2025, 10, 9), D(2025, 10, 23)),
        ],
    )
    result = solved(p)
    assert hasattr(_where(result, "C-1"), "date")
    assert _where(result, "A-1").reason == "no_eligible_inspector"
