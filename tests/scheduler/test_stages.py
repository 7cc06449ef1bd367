"""Direct unit tests of the scheduler's stages on tiny, named, hand-made instances.

Each instance is a small function named for what it is; each test checks an exact answer
worked out by hand (the comment says how). Stages are called directly, not through
``scheduler.solve``. Working-day indices refer to ``WORKDAYS`` of 2025Q4: index 0 is
Thu 2025-10-09 (after the National Day holiday), 2 is the make-up Saturday 2025-10-11,
3..7 are Mon..Fri of ISO week 42 (2025-10-13..17), the last, 60, is 2025-12-31 (61 working days).
"""

import datetime as dt
import random
from collections.abc import Sequence

import pytest
from helpers.planning_builders import (
    LAST,
    WORKDAYS,
    demand,
    enterprise,
    item,
    officer,
    problem,
    team,
)
from ortools.sat.python import cp_model

from jointinspect.models.enums import UnscheduledReason
from jointinspect.models.plan_problem import InspectorInfo, PlanningProblem
from jointinspect.scheduler import consolidation, dayset, routing
from jointinspect.scheduler.assignment import Construction, Placed, Roster
from jointinspect.scheduler.chunk_model import (
    apply_assignment,
    build_chunk_model,
    freeable_officer_days,
    paid_officer_days_bound,
    solved_assignment,
)
from jointinspect.scheduler.consolidation import (
    VisitDraft,
    consolidate_enterprise,
    minimum_visits,
    stab,
)
from jointinspect.scheduler.errors import UnplaceableDemand
from jointinspect.scheduler.modes import ModeDecision, Placement, decide, window_indices
from jointinspect.scheduler.officer_draw import draw, draw_positions
from jointinspect.scheduler.routing import great_circle_km, route
from jointinspect.scheduler.solve import no_disturb_days

D = dt.date
TOWN = "南桥镇"  # the builders' default town, for enterprises and officers alike


# --- building blocks ---------------------------------------------------------------------


def onsite(
    did: str,
    lo: int,
    hi: int,
    *,
    source: str = "plan",
    department: str = "SCJ",
    priority: int = 3,
    uscc: str = "E1",
) -> ModeDecision:
    """An on-site decision whose window is working days ``lo..hi``."""
    d = demand(
        did, department, f"{department}-1", uscc, source, WORKDAYS[lo], WORKDAYS[hi], priority
    )
    return ModeDecision(d, Placement.ONSITE, lo, hi, None, "on-site")


def draft(key: str, tasks: list[ModeDecision]) -> VisitDraft:
    """A visit of ``tasks`` on the working days all their windows share."""
    days = dayset.interval(max(t.lo for t in tasks), min(t.hi for t in tasks))
    triggered = any(t.demand.triggered for t in tasks)
    return VisitDraft(key, tasks[0].demand.uscc, tasks, days, triggered)


def small_problem(usccs: Sequence[str], officers: Sequence[InspectorInfo]) -> PlanningProblem:
    depts = sorted({o.department for o in officers} | {"SCJ", "WJ"})
    return problem([enterprise(u) for u in usccs], [item(f"{d}-1", d) for d in depts], officers, [])


def ids(roster: Roster, officers: Sequence[int]) -> list[str]:
    return [roster.officers[o].id for o in officers]


def placed_with(roster: Roster, town: str, visits: Sequence[Placed]) -> list[Placed]:
    """Book hand-placed visits on the roster as the construction would."""
    for p in visits:
        for o in p.officers:
            roster.assign(o, p.day, town)
    return list(visits)


# --- named instances ---------------------------------------------------------------------


def three_windows_two_overlapping() -> list[ModeDecision]:
    return [onsite("a", 0, 2), onsite("b", 1, 3), onsite("c", 5, 6)]


def nested_windows() -> list[ModeDecision]:
    return [onsite("wide", 0, 9), onsite("narrow", 3, 4)]


def grade_a_two_routine_disjoint() -> list[ModeDecision]:
    return [onsite("low", 0, 2, priority=2), onsite("high", 5, 6, priority=5)]


def complaint_with_routine_riders() -> list[ModeDecision]:
    return [
        onsite("complaint", 0, 3, source="complaint"),
        onsite("rider", 2, 5, department="WJ"),
        onsite("late", 8, 9),
    ]


def joint_visit_scj_wj() -> VisitDraft:
    return draft("E1/1", [onsite("scj", 2, 3), onsite("wj", 2, 3, department="WJ")])


# --- consolidation -----------------------------------------------------------------------


def test_stab_three_windows_two_overlapping_needs_two_visits() -> None:
    # Sorted by last day: stab a at day 2 (hits a=[0,2], b=[1,3]; common [1,2]), then c at 6.
    groups = stab(three_windows_two_overlapping())
    assert [(g.days, [m.demand.id for m in g.members]) for g in groups] == [
        (((1, 2),), ["a", "b"]),
        (((5, 6),), ["c"]),
    ]
    assert minimum_visits(three_windows_two_overlapping()) == 2


def test_stab_nested_windows_make_one_visit_on_the_inner_window() -> None:
    # The narrow window [3,4] ends first; day 4 is inside [0,9] too, so one visit on [3,4].
    groups = stab(nested_windows())
    assert len(groups) == 1
    assert groups[0].days == ((3, 4),)
    assert minimum_visits(nested_windows()) == 1


def test_stab_disjoint_windows_one_visit_each() -> None:
    # Three pairwise disjoint windows: no day serves two of them.
    decisions = [onsite("x", 0, 0), onsite("y", 1, 1), onsite("z", 2, 2)]
    assert minimum_visits(decisions) == 3


def test_minimum_visits_counts_the_groups_stab_makes() -> None:
    # minimum_visits counts without making the groups; on any windows, ties included, it
    # must say what len(stab(...)) says (the metrics' lower bound rests on it).
    rng = random.Random(17)
    for case in range(400):
        decisions = []
        for k in range(rng.randrange(0, 9)):
            lo = rng.randrange(0, 12)
            decisions.append(onsite(f"d{k}", lo, lo + rng.randrange(0, 6)))
        assert minimum_visits(decisions) == len(stab(decisions)), case
    # A window with no day in it (lo > hi) is refused by stab; the count refuses it alike.
    refused = [onsite("a", 0, 3), onsite("b", 6, 5)]
    with pytest.raises(ValueError):
        stab(refused)
    with pytest.raises(ValueError):
        minimum_visits(refused)


def test_consolidate_orders_and_keys_visits_by_first_day() -> None:
    # No no-disturb days, cap 2: the two stabbing groups become E1/1 on [1,2], E1/2 on [5,6].
    visits, dropped = consolidate_enterprise("E1", three_windows_two_overlapping(), (), 2, "cap")
    assert [(v.key, v.days, [t.demand.id for t in v.tasks]) for v in visits] == [
        ("E1/1", ((1, 2),), ["a", "b"]),
        ("E1/2", ((5, 6),), ["c"]),
    ]
    assert [v.triggered for v in visits] == [False, False]
    assert dropped == []


def test_consolidate_cap_keeps_the_higher_priority_routine_demand() -> None:
    # Grade-A cap 1 and two disjoint routine windows: priority 5 keeps its visit, 2 is capped.
    visits, dropped = consolidate_enterprise("E1", grade_a_two_routine_disjoint(), (), 1, "cap 1")
    assert [(v.key, v.days, [t.demand.id for t in v.tasks]) for v in visits] == [
        ("E1/1", ((5, 6),), ["high"])
    ]
    assert [(x.decision.demand.id, x.reason, x.detail) for x in dropped] == [
        ("low", UnscheduledReason.VISIT_CAP, "cap 1")
    ]


def test_consolidate_triggered_visit_is_uncapped_and_carries_a_rider() -> None:
    # Cap 0: the complaint [0,3] still gets a visit; the WJ rider [2,5] joins it on [2,3];
    # the routine "late" [8,9] would need a routine-only visit, which cap 0 forbids.
    visits, dropped = consolidate_enterprise("E1", complaint_with_routine_riders(), (), 0, "cap 0")
    assert len(visits) == 1
    v = visits[0]
    assert (v.key, v.days, v.triggered, v.departments) == ("E1/1", ((2, 3),), True, ("SCJ", "WJ"))
    assert [t.demand.id for t in v.tasks] == ["complaint", "rider"]
    assert v.never_dropped  # a complaint is never dropped (rule 8)
    assert [(x.decision.demand.id, x.reason) for x in dropped] == [
        ("late", UnscheduledReason.VISIT_CAP)
    ]


def test_consolidate_no_disturb_routine_visit_moves_outside_the_period() -> None:
    # On the list for days 0..9: a routine demand over [0,20] may only be visited on [10,20].
    visits, dropped = consolidate_enterprise("E1", [onsite("r", 0, 20)], ((0, 9),), 2, "cap")
    assert [(v.days, v.triggered) for v in visits] == [(((10, 20),), False)]
    assert dropped == []


def test_consolidate_no_disturb_routine_inside_the_period_is_dropped() -> None:
    # Window [0,5] lies wholly inside the no-disturb days 0..9 and no triggered visit exists.
    visits, dropped = consolidate_enterprise("E1", [onsite("r", 0, 5)], ((0, 9),), 2, "cap")
    assert visits == []
    assert [(x.decision.demand.id, x.reason) for x in dropped] == [
        ("r", UnscheduledReason.NO_DISTURB_ENTERPRISE)
    ]


def test_consolidate_no_disturb_routine_rides_along_a_triggered_visit() -> None:
    # The alert [2,4] may visit inside the period; the routine [0,20] meets it on [2,4].
    decisions = [onsite("alert", 2, 4, source="alert"), onsite("r", 0, 20, department="WJ")]
    visits, dropped = consolidate_enterprise("E1", decisions, ((0, 9),), 0, "cap")
    assert [(v.days, v.triggered, [t.demand.id for t in v.tasks]) for v in visits] == [
        (((2, 4),), True, ["alert", "r"])
    ]
    assert dropped == []


@pytest.mark.parametrize("source", ["plan", "complaint"])
@pytest.mark.parametrize("cap", [0, 1, 2])
@pytest.mark.parametrize("no_disturb", [(), ((0, 9),), ((3, 4),), ((12, 15),), ((0, 30),)])
@pytest.mark.parametrize("window", [(0, 20), (2, 5), (10, 11), (16, 16)])
def test_one_demand_s_visit_is_what_the_general_consolidation_makes(
    source: str,
    cap: int,
    no_disturb: dayset.DaySet,
    window: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # consolidate_enterprise takes a shortcut for an enterprise with one on-site demand.
    d = onsite("d", *window, source=source)
    fast = consolidate_enterprise("E1", [d], no_disturb, cap, "cap")
    monkeypatch.setattr(consolidation, "_one_visit", lambda *_args: None)
    general = consolidate_enterprise("E1", [d], no_disturb, cap, "cap")
    assert fast == general


def test_onsite_required_demand_is_consolidated_the_offsite_one_is_not() -> None:
    # Item "either": the routine demand goes off-site, the onsite_required one and the
    # on-site-only item stay; their windows [1,3] and [5,6] are disjoint: 2 visits, not 3.
    items = {"EI": item("EI", "SCJ", "either"), "ON": item("ON", "SCJ", "onsite")}
    demands = [
        demand("d-off", "SCJ", "EI", "E1", earliest=WORKDAYS[8], latest=WORKDAYS[9]),
        demand("d-on", "SCJ", "EI", "E1", "plan", WORKDAYS[1], WORKDAYS[3], onsite_required=True),
        demand("d-late", "SCJ", "ON", "E1", earliest=WORKDAYS[5], latest=WORKDAYS[6]),
    ]
    decisions = [decide(d, items[d.item], WORKDAYS, LAST) for d in demands]
    assert [x.placement for x in decisions] == [
        Placement.OFFSITE,
        Placement.ONSITE,
        Placement.ONSITE,
    ]
    on = [x for x in decisions if x.placement == Placement.ONSITE]
    visits, _ = consolidate_enterprise("E1", on, (), 2, "cap")
    assert [(v.days, [t.demand.id for t in v.tasks]) for v in visits] == [
        (((1, 3),), ["d-on"]),
        (((5, 6),), ["d-late"]),
    ]


# --- mode decision -----------------------------------------------------------------------


def test_window_indices_map_dates_to_working_day_indices() -> None:
    # 10-10 is index 1, 10-14 index 4; the holiday 10-01..08 holds no working day (lo > hi);
    # Sat 10-11 is a make-up working day (index 2), Sun 10-12 is not.
    def window(lo: dt.date, hi: dt.date) -> tuple[int, int]:
        return window_indices(demand("d", "SCJ", "SCJ-1", "E1", "plan", lo, hi), WORKDAYS)

    assert window(D(2025, 10, 10), D(2025, 10, 14)) == (1, 4)
    assert window(D(2025, 10, 1), D(2025, 10, 8)) == (0, -1)
    assert window(D(2025, 10, 11), D(2025, 10, 12)) == (2, 2)
    assert window(D(2025, 12, 29), D(2026, 1, 9)) == (58, 60)


def test_decide_offsite_first_for_routine_either_items() -> None:
    # Rule 6: "either" + routine + not onsite_required → off-site, due the window's last day.
    d = demand("d", "WL", "WL-EI", "E1", latest=D(2025, 11, 14))
    x = decide(d, item("WL-EI", "WL", "either"), WORKDAYS, LAST)
    assert (x.placement, x.reason, x.due) == (Placement.OFFSITE, None, D(2025, 11, 14))
    assert x.detail == "off-site: a routine demand for an item that may be checked off-site"


def test_decide_offsite_item_due_is_clipped_to_the_quarter() -> None:
    # An off-site-only item, even triggered, is checked off-site; due min(2026-01-09, 12-31).
    d = demand("d", "WL", "WL-OFF", "E1", "alert", D(2025, 12, 29), D(2026, 1, 9))
    x = decide(d, item("WL-OFF", "WL", "offsite"), WORKDAYS, LAST)
    assert (x.placement, x.due, x.lo, x.hi) == (Placement.OFFSITE, D(2025, 12, 31), 58, 60)
    assert x.detail == "off-site: the item is checked off-site"


def test_decide_onsite_when_required_triggered_or_onsite_only() -> None:
    # "either" stays on-site when onsite_required or triggered; "onsite" items always do.
    either = item("EI", "SCJ", "either")
    required = demand("req", "SCJ", "EI", "E1", onsite_required=True)
    complaint = demand("cmp", "SCJ", "EI", "E1", "complaint", D(2025, 10, 9), D(2025, 10, 23))
    plain = demand("plain", "SCJ", "ON", "E1")
    got = [
        decide(required, either, WORKDAYS, LAST),
        decide(complaint, either, WORKDAYS, LAST),
        decide(plain, item("ON", "SCJ"), WORKDAYS, LAST),
    ]
    assert [(x.placement, x.lo, x.hi, x.due) for x in got] == [
        (Placement.ONSITE, 0, 60, None),
        (Placement.ONSITE, 0, 11, None),  # 10-09..10-23 is indices 0..11
        (Placement.ONSITE, 0, 60, None),
    ]
    assert [x.detail for x in got] == [
        "on-site: on-site required",
        "on-site: triggered",
        "on-site: item ON is on-site only",
    ]


def test_decide_no_disturb_item_routine_never_onsite_triggered_may_be() -> None:
    # Rule 5: a routine demand for a 无事不扰 item is unscheduled; an alert still goes on-site.
    nd = item("HB-ND", "HB", no_disturb=True)
    routine = decide(demand("r", "HB", "HB-ND", "E1"), nd, WORKDAYS, LAST)
    forced = decide(demand("f", "HB", "HB-ND", "E1", onsite_required=True), nd, WORKDAYS, LAST)
    alert = decide(
        demand("a", "HB", "HB-ND", "E1", "alert", D(2025, 10, 9), D(2025, 10, 23)),
        nd,
        WORKDAYS,
        LAST,
    )
    assert (routine.placement, routine.reason) == (
        Placement.UNSCHEDULED,
        UnscheduledReason.NO_DISTURB_ITEM,
    )
    assert (forced.placement, forced.reason) == (
        Placement.UNSCHEDULED,
        UnscheduledReason.NO_DISTURB_ITEM,
    )
    assert (alert.placement, alert.reason) == (Placement.ONSITE, None)


def test_decide_no_disturb_either_item_goes_offsite_before_rule5() -> None:
    # Off-site is checked before rule 5: a routine 无事不扰 "either" demand is checked off-site.
    x = decide(
        demand("r", "HB", "HB-NDE", "E1"), item("HB-NDE", "HB", "either", True), WORKDAYS, LAST
    )
    assert (x.placement, x.due) == (Placement.OFFSITE, D(2025, 12, 31))


def test_decide_window_rule_comes_first() -> None:
    # A window with no working day (the holiday) is "window", even for an off-site item.
    d = demand("h", "WL", "WL-OFF", "E1", "plan", D(2025, 10, 1), D(2025, 10, 8))
    x = decide(d, item("WL-OFF", "WL", "offsite"), WORKDAYS, LAST)
    assert (x.placement, x.reason, x.lo, x.hi) == (
        Placement.UNSCHEDULED,
        UnscheduledReason.WINDOW,
        0,
        -1,
    )


def test_no_disturb_days_of_an_enterprise() -> None:
    # 10-01..10-14 covers working days 0..4; "since 12-29, open-ended" covers 58..60;
    # a period wholly before the quarter covers none.
    ent = enterprise(
        "Q",
        no_disturb=[
            (D(2025, 10, 1), D(2025, 10, 14)),
            (D(2025, 12, 29), None),
            (D(2025, 1, 1), D(2025, 6, 30)),
        ],
    )
    assert no_disturb_days(ent, WORKDAYS) == ((0, 4), (58, 60))
    assert ent.no_disturb_on(D(2025, 10, 14)) and not ent.no_disturb_on(D(2025, 10, 15))


# --- day sets ----------------------------------------------------------------------------


def test_dayset_interval_and_normalise() -> None:
    # Empty intervals vanish; adjacent (0,2),(3,5) and overlapping (4,8) merge; order sorts.
    assert dayset.interval(3, 2) == ()
    assert dayset.interval(2, 3) == ((2, 3),)
    assert dayset.normalise([(10, 12), (4, 8), (3, 2), (0, 2), (3, 5)]) == ((0, 8), (10, 12))


def test_dayset_intersect_and_subtract() -> None:
    # [0,5]∪[8,10] ∩ [4,9] = [4,5]∪[8,9]; [0,10] − {3,4,7} = [0,2]∪[5,6]∪[8,10].
    assert dayset.intersect(((0, 5), (8, 10)), ((4, 9),)) == ((4, 5), (8, 9))
    assert dayset.intersect(((0, 2),), ((3, 4),)) == ()
    assert dayset.subtract(((0, 10),), ((3, 4), (7, 7))) == ((0, 2), (5, 6), (8, 10))
    assert dayset.subtract(((5, 10),), ((0, 6),)) == ((7, 10),)
    assert dayset.subtract(((5, 10),), ((0, 20),)) == ()


def test_dayset_queries() -> None:
    # [1,2]∪[5,5] holds days 1, 2, 5: three days, first 1, last 5.
    s = ((1, 2), (5, 5))
    assert list(dayset.days(s)) == [1, 2, 5]
    # One interval (most windows) and none: every day of it, twice over, and no day.
    one = dayset.interval(3, 6)
    assert list(dayset.days(one)) == list(dayset.days(one)) == [3, 4, 5, 6]
    assert list(dayset.days(dayset.interval(4, 3))) == []
    assert (dayset.size(s), dayset.first(s), dayset.last(s)) == (3, 1, 5)
    assert [dayset.contains(s, d) for d in (0, 1, 3, 5)] == [False, True, False, True]


# --- officer assignment ------------------------------------------------------------------


def test_assignment_joint_visit_gets_two_officers_per_department() -> None:
    # Two SCJ + two WJ officers, window [2,3], both days equally free: the earliest, day 2,
    # and all four officers (two per department).
    p = small_problem(["E1"], team("SCJ") + team("WJ"))
    roster = Roster(p, 2)
    c = Construction(p, roster)
    c.run([joint_visit_scj_wj()])
    assert c.dropped == []
    [placed] = c.placed
    assert placed.day == 2
    assert ids(roster, placed.officers) == ["SCJ-01", "SCJ-02", "WJ-01", "WJ-02"]


def test_assignment_respects_conflict_cert_and_unavailability() -> None:
    # Window [2,3]. SCJ-01 has a 回避 conflict with E1, SCJ-02's certificate ran out on 10-10
    # (day 1), SCJ-03 is away on days 2 and 3: only SCJ-04 and SCJ-05 remain, on day 2.
    officers = [
        officer("SCJ-01", "SCJ", conflicts=["E1"]),
        officer("SCJ-02", "SCJ", cert=D(2025, 10, 10)),
        officer("SCJ-03", "SCJ", unavailable=WORKDAYS[2:4]),
        officer("SCJ-04", "SCJ"),
        officer("SCJ-05", "SCJ"),
    ]
    p = small_problem(["E1"], officers)
    roster = Roster(p, 2)
    assert [roster.eligible(o, 2, "E1") for o in range(5)] == [False, False, False, True, True]
    assert roster.eligible(1, 1, "E1")  # the certificate is still valid on day 1
    c = Construction(p, roster)
    c.run([draft("E1/1", [onsite("d", 2, 3)])])
    [placed] = c.placed
    assert (placed.day, ids(roster, placed.officers)) == (2, ["SCJ-04", "SCJ-05"])


def test_assignment_prefers_officers_living_in_the_town() -> None:
    # Three SCJ officers, one living in 奉城镇: the two living in 南桥镇 go, no draw needed.
    officers = [
        officer("SCJ-01", "SCJ", town="奉城镇"),
        officer("SCJ-02", "SCJ"),
        officer("SCJ-03", "SCJ"),
    ]
    p = small_problem(["E1"], officers)
    roster = Roster(p, 2)
    c = Construction(p, roster)
    c.run([draft("E1/1", [onsite("d", 0, 0)])])
    assert ids(roster, c.placed[0].officers) == ["SCJ-02", "SCJ-03"]


def test_assignment_takes_the_least_worked_officers_from_elsewhere() -> None:
    # One SCJ officer lives in 南桥镇, three in 奉城镇. SCJ-02 has two visits on day 5 and
    # SCJ-03 one: the visit on day 0 takes SCJ-01 from the town and SCJ-04, the least
    # worked of the others (no draw: nobody is tied with it).
    officers = [officer("SCJ-01", "SCJ")] + [
        officer(f"SCJ-0{k}", "SCJ", town="奉城镇") for k in (2, 3, 4)
    ]
    p = small_problem(["E1"], officers)
    roster = Roster(p, 2)
    for o in (1, 1, 2):
        roster.assign(o, 5, "奉城镇")
    c = Construction(p, roster)
    c.run([draft("E1/1", [onsite("d", 0, 0)])])
    assert ids(roster, c.placed[0].officers) == ["SCJ-01", "SCJ-04"]


def test_least_worked_is_the_ranking_of_the_idle_officers_by_their_work() -> None:
    # The roster keeps each department's officers by their work so far; after any run of
    # assignments and releases, the least worked idle officers it finds are those a ranking
    # of every idle officer finds: the ones under the cut, and the ones tied at it.
    officers = [
        officer(f"SCJ-{k:02d}", "SCJ", per_day=3, town="奉城镇" if k % 3 else "南桥镇")
        for k in range(1, 13)
    ]
    p = small_problem(["E1"], officers)
    roster = Roster(p, 2)
    rng = random.Random(7)
    booked: list[tuple[int, int]] = []
    for _ in range(400):
        if booked and rng.random() < 0.3:
            o, day = booked.pop(rng.randrange(len(booked)))
            roster.release(o, day)
        else:
            o, day = rng.randrange(12), rng.randrange(6)
            if roster.load[o][day] < 3:
                roster.assign(o, day, TOWN)
                booked.append((o, day))
        for n, bucket in enumerate(roster.by_total["SCJ"]):
            assert bucket == {o for o in range(12) if roster.total[o] == n}
        day = rng.randrange(6)
        passed_over = {o for o in range(12) if rng.random() < 0.25}
        idle = sorted(roster.idle["SCJ"][day] - passed_over, key=lambda o: (roster.total[o], o))
        if not idle:
            continue
        k = rng.randint(1, len(idle))
        cut = roster.total[idle[k - 1]]
        sure = sorted(o for o in idle if roster.total[o] < cut)
        tied = [o for o in idle if roster.total[o] == cut]
        assert roster.least_worked("SCJ", day, passed_over, k) == (sure, tied)


def test_assignment_draws_among_tied_officers_and_reuses_their_day() -> None:
    # Four equally good SCJ officers: the seed's draw for (E1/1, SCJ) picks the pair; the
    # second visit in the same town on the same day joins that pair (no new officer-days).
    p = small_problem(["E1", "E2"], team("SCJ", 4))
    roster = Roster(p, 2)
    c = Construction(p, roster)
    c.run([draft("E1/1", [onsite("d1", 0, 0)]), draft("E2/1", [onsite("d2", 0, 0, uscc="E2")])])
    pair = draw(p.seed, "E1/1", "SCJ", ["SCJ-01", "SCJ-02", "SCJ-03", "SCJ-04"], 2)
    assert [(q.draft.key, q.day, ids(roster, q.officers)) for q in c.placed] == [
        ("E1/1", 0, pair),
        ("E2/1", 0, pair),
    ]
    assert [roster.total[o] for o in range(4)] == [
        2 if f"SCJ-0{o + 1}" in pair else 0 for o in range(4)
    ]


def test_assignment_drops_a_routine_visit_without_two_eligible_officers() -> None:
    # Only SCJ-02 may visit E1 (SCJ-01 回避): fewer than two eligible on every day.
    p = small_problem(
        ["E1"], [officer("SCJ-01", "SCJ", conflicts=["E1"]), officer("SCJ-02", "SCJ")]
    )
    c = Construction(p, Roster(p, 2))
    c.run([draft("E1/1", [onsite("d", 0, 4)])])
    assert c.placed == []
    assert [(x.decision.demand.id, x.reason) for x in c.dropped] == [
        ("d", UnscheduledReason.NO_ELIGIBLE_INSPECTOR)
    ]


def test_assignment_unplaceable_complaint_raises_naming_it() -> None:
    # Same officers, but a complaint must be placed (rule 8): planning fails naming it.
    p = small_problem(
        ["E1"], [officer("SCJ-01", "SCJ", conflicts=["E1"]), officer("SCJ-02", "SCJ")]
    )
    c = Construction(p, Roster(p, 2))
    with pytest.raises(UnplaceableDemand) as caught:
        c.run([draft("E1/1", [onsite("C-1", 0, 4, source="complaint")])])
    assert "C-1" in str(caught.value)


def test_assignment_keeps_the_complaint_and_drops_the_routine_rider() -> None:
    # No WJ officers at all: the joint visit cannot be placed; the routine WJ rider is
    # dropped, and the complaint alone is placed with the two SCJ officers on day 0.
    p = small_problem(["E1"], team("SCJ"))
    roster = Roster(p, 2)
    c = Construction(p, roster)
    tasks = [onsite("cmp", 0, 3, source="complaint"), onsite("wj", 0, 3, department="WJ")]
    c.run([draft("E1/1", tasks)])
    assert [(x.decision.demand.id, x.reason) for x in c.dropped] == [
        ("wj", UnscheduledReason.NO_ELIGIBLE_INSPECTOR)
    ]
    [placed] = c.placed
    assert [t.demand.id for t in placed.draft.tasks] == ["cmp"]
    assert (placed.day, ids(roster, placed.officers)) == (0, ["SCJ-01", "SCJ-02"])


def test_assignment_conflicted_officer_does_not_steer_the_day() -> None:
    # Window [0,1]. SCJ-A (回避 E1) is away on day 1, SCJ-C is away on day 0, SCJ-B works both.
    # Day 0 has one eligible officer (B), day 1 has two (B, C): the visit belongs on day 1.
    officers = [
        officer("SCJ-A", "SCJ", conflicts=["E1"], unavailable=[WORKDAYS[1]]),
        officer("SCJ-B", "SCJ"),
        officer("SCJ-C", "SCJ", unavailable=[WORKDAYS[0]]),
    ]
    p = small_problem(["E1"], officers)
    roster = Roster(p, 2)
    c = Construction(p, roster)
    c.run([draft("E1/1", [onsite("d", 0, 1)])])
    assert c.dropped == []
    assert [(q.day, ids(roster, q.officers)) for q in c.placed] == [(1, ["SCJ-B", "SCJ-C"])]


# --- CP-SAT chunk model ------------------------------------------------------------------


def two_visits_a_day_apart_with_a_conflict() -> tuple[Roster, list[Placed]]:
    """E1 only on day 3 with SCJ-01+02; E2 on day 3 or 4, placed on day 4 with SCJ-02+03;
    SCJ-01 has a 回避 conflict with E2. Days 3 and 4 are Mon/Tue of ISO week 42."""
    officers = [
        officer("SCJ-01", "SCJ", conflicts=["E2"]),
        officer("SCJ-02", "SCJ"),
        officer("SCJ-03", "SCJ"),
    ]
    roster = Roster(small_problem(["E1", "E2"], officers), 2)
    e1 = Placed(draft("E1/1", [onsite("d1", 3, 3)]), 3, (0, 1))
    e2 = Placed(draft("E2/1", [onsite("d2", 3, 4, uscc="E2")]), 4, (1, 2))
    return roster, placed_with(roster, TOWN, [e1, e2])


def test_chunk_model_variables_follow_windows_and_conflicts() -> None:
    # Visit 0 may only be on day 3, visit 1 on 3 or 4; SCJ-01 (index 0) may not join visit 1;
    # every (officer, day) the chunk can use costs an officer-day variable.
    roster, placed = two_visits_a_day_apart_with_a_conflict()
    chunk = build_chunk_model(roster, placed, [0, 1], TOWN)
    assert sorted(chunk.x) == [(0, 3), (1, 3), (1, 4)]
    assert sorted(chunk.a) == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]
    assert sorted(chunk.w) == [(0, 3), (1, 3), (1, 4), (2, 3), (2, 4)]
    assert chunk.penalties == []
    assert freeable_officer_days(roster, placed, [0, 1]) == 4  # (01,3) (02,3) (02,4) (03,4)


def test_chunk_model_variables_are_what_new_bool_var_makes() -> None:
    # build_chunk_model makes its 0-1 variables itself, sharing one domain; they must stay
    # exactly CpModel.new_bool_var's, or the model CP-SAT solves would drift.
    roster, placed = two_visits_a_day_apart_with_a_conflict()
    chunk = build_chunk_model(roster, placed, [0, 1], TOWN)  # held: the proto is its model's
    made = [str(var) for var in chunk.model.proto.variables]
    reference = cp_model.CpModel()
    for var in chunk.model.proto.variables:
        reference.new_bool_var(var.name)
    assert made == [str(var) for var in reference.proto.variables]


def test_chunk_model_solves_to_one_shared_officer_day_pair() -> None:
    # Visit 1 can only be staffed by SCJ-02+03; putting both visits on day 3 with that pair
    # uses 2 officer-days instead of 4, and that is the only way to reach 2.
    roster, placed = two_visits_a_day_apart_with_a_conflict()
    chunk = build_chunk_model(roster, placed, [0, 1], TOWN)
    chunk.model.minimize(sum(chunk.w.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    assert solver.solve(chunk.model) == cp_model.OPTIMAL
    assert round(solver.objective_value) == 2
    assignment = solved_assignment(solver, chunk, [0, 1])
    assert assignment == {0: (3, (1, 2)), 1: (3, (1, 2))}

    applied = apply_assignment(roster, placed, [0, 1], assignment, TOWN)
    # Visit 0 changed team, visit 1 changed day; the roster follows the move, and the
    # officer-days the two left and took are the roster's that changed.
    assert applied.changed == {0, 1}
    assert sorted(applied.officer_days) == [(0, 3), (1, 3), (1, 4), (2, 3), (2, 4)]
    assert [(q.day, q.officers) for q in placed] == [(3, (1, 2)), (3, (1, 2))]
    assert [roster.load[o][3] for o in range(3)] == [0, 2, 2]
    assert [roster.load[o][4] for o in range(3)] == [0, 0, 0]
    assert roster.total == [0, 2, 2]
    assert freeable_officer_days(roster, placed, [0, 1]) == 2


def test_the_officer_day_bound_counts_each_visit_s_own_officers() -> None:
    roster, placed = two_visits_a_day_apart_with_a_conflict()
    # Nothing outside the chunk: four officer slots fit in one officer-day's visits, but
    # each visit has two officers of its own that day, and the model's best is 2.
    assert paid_officer_days_bound(roster, placed, [0, 1], TOWN) == 2
    # Visit 1 alone: SCJ-02 works in the town on day 3 with room to spare (visit 0), so
    # on day 3 only SCJ-03 is paid for ...
    assert paid_officer_days_bound(roster, placed, [1], TOWN) == 1
    # ... and with day 3 closed to it, both its officers are, on day 4.
    assert paid_officer_days_bound(roster, placed, [1], TOWN, movable_from=4) == 2


def test_chunk_model_movable_from_pins_earlier_days() -> None:
    # With movable_from=4, day 3 is closed to visit 1 (placed on day 4); visit 0 keeps its
    # own day 3. The best left is the current plan: 4 officer-days, nothing changes.
    roster, placed = two_visits_a_day_apart_with_a_conflict()
    chunk = build_chunk_model(roster, placed, [0, 1], TOWN, movable_from=4)
    assert sorted(chunk.x) == [(0, 3), (1, 4)]
    chunk.model.minimize(sum(chunk.w.values()))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(chunk.model) == cp_model.OPTIMAL
    assert round(solver.objective_value) == 4
    assert solved_assignment(solver, chunk, [0, 1])[1] == (4, (1, 2))


# --- routing -----------------------------------------------------------------------------


def test_great_circle_known_distances() -> None:
    # One degree of arc is R·π/180 = 111.195 km (R = 6371.0088); half the globe is π·R.
    assert great_circle_km((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111.195, abs=1e-3)
    assert great_circle_km((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111.195, abs=1e-3)
    assert great_circle_km((0.0, 0.0), (0.0, 180.0)) == pytest.approx(20015.114, abs=1e-3)
    assert great_circle_km((0.0, 0.0), (90.0, 0.0)) == pytest.approx(10007.557, abs=1e-3)
    assert great_circle_km((30.92, 121.47), (30.92, 121.47)) == 0.0
    assert great_circle_km(None, (30.92, 121.47)) == 0.0


def three_collinear_enterprises_north_of_home() -> tuple[list[Placed], Roster, PlanningProblem]:
    """E1, E2, E3 at latitudes 31.01, 30.98, 30.95 on the officers' meridian (121.47); the
    officers live at 30.92: E3 is nearest, E1 farthest. All three on day 0, SCJ-01+02."""
    ents = [
        enterprise("E1", lat=31.01, lon=121.47),
        enterprise("E2", lat=30.98, lon=121.47),
        enterprise("E3", lat=30.95, lon=121.47),
    ]
    p = problem(ents, [item("SCJ-1", "SCJ")], team("SCJ"), [])
    roster = Roster(p, 2)
    placed = [
        Placed(draft(f"{u}/1", [onsite(f"d{u}", 0, 0, uscc=u)]), 0, (0, 1))
        for u in ("E1", "E2", "E3")
    ]
    return placed, roster, p


def test_route_orders_collinear_points_outwards_from_home() -> None:
    # Nearest first from home: E3, E2, E1 (slots 1, 2, 3). Each officer travels
    # 0.09° out and 0.09° back along the meridian: 4 × 0.09 × 111.195 = 40.030 km.
    placed, roster, p = three_collinear_enterprises_north_of_home()
    routes = route(placed, roster, p.enterprises, two_opt_max=16)
    assert routes.order == [3, 2, 1]
    assert routes.officer_days == 2
    assert routes.km == pytest.approx(40.030, abs=1e-3)


def test_route_sweep_above_two_opt_max_gives_the_same_order() -> None:
    # two_opt_max=0 takes the vectorised nearest-neighbour sweep: same order on a line.
    placed, roster, p = three_collinear_enterprises_north_of_home()
    assert route(placed, roster, p.enterprises, two_opt_max=0).order == [3, 2, 1]


def test_route_sweep_is_nearest_neighbour_first_of_equals() -> None:
    # The vectorised sweep against a plain nearest-neighbour walk: the nearest point by
    # squared distance, the first of equals among ties (points on a coarse grid tie often).
    rng = random.Random(7)
    for n in (2, 17, 120, 400):
        xy = [(121.3 + rng.randint(0, 12) / 100, 30.9 + rng.randint(0, 12) / 100) for _ in range(n)]
        origin = (121.36, 30.96)
        assert routing._sweep(xy, origin) == _nearest_walk(xy, origin)


def _nearest_walk(xy: Sequence[tuple[float, float]], origin: tuple[float, float]) -> list[int]:
    walk: list[int] = []
    here, left = origin, list(range(len(xy)))
    while left:
        gaps = [(xy[k][0] - here[0], xy[k][1] - here[1]) for k in left]
        squared = [dx * dx + dy * dy for dx, dy in gaps]
        nearest = left[squared.index(min(squared))]  # the first of equals
        walk.append(nearest)
        left.remove(nearest)
        here = xy[nearest]
    return walk


def test_route_separate_teams_number_their_slots_separately() -> None:
    # E1 by SCJ-01+02 and E2 by SCJ-03+04 on day 0 share no officer: each is slot 1.
    p = problem(
        [enterprise("E1"), enterprise("E2", lat=30.95)], [item("SCJ-1", "SCJ")], team("SCJ", 4), []
    )
    roster = Roster(p, 2)
    placed = [
        Placed(draft("E1/1", [onsite("d1", 0, 0)]), 0, (0, 1)),
        Placed(draft("E2/1", [onsite("d2", 0, 0, uscc="E2")]), 0, (2, 3)),
    ]
    routes = route(placed, roster, p.enterprises, two_opt_max=16)
    assert (routes.order, routes.officer_days) == ([1, 1], 4)


# --- officer draw ------------------------------------------------------------------------

TIED = ["SCJ-01", "SCJ-02", "SCJ-03", "SCJ-04"]


def test_draw_is_deterministic_for_a_seed_and_ignores_input_order() -> None:
    # The same (seed, visit, department) redraws the same pair, whatever order ties come in.
    first = draw("2025Q4-test", "E1/1", "SCJ", TIED, 2)
    assert draw("2025Q4-test", "E1/1", "SCJ", TIED, 2) == first
    assert draw("2025Q4-test", "E1/1", "SCJ", list(reversed(TIED)), 2) == first


def test_draw_returns_k_distinct_sorted_officers_from_the_tied() -> None:
    for k in range(5):
        got = draw("s", "E1/1", "SCJ", TIED, k)
        assert len(got) == len(set(got)) == k
        assert set(got) <= set(TIED)
        assert got == sorted(got)


def test_draw_takes_all_when_k_covers_the_tie() -> None:
    # k ≥ number tied: nothing to draw, all of them in id order.
    assert draw("any", "E1/1", "SCJ", ["b", "a"], 2) == ["a", "b"]
    assert draw("any", "E1/1", "SCJ", ["b", "a"], 5) == ["a", "b"]


@pytest.mark.parametrize("n", [1, 2, 5, 21, 22, 60, 300])
def test_the_draw_is_random_sample_of_the_ids_as_published(n: int) -> None:
    """``draw`` samples positions (what the planner uses, its officers numbered in id
    order); ``random.sample`` picks positions whatever the list holds, in both of its ways
    (a pool for small lists, a set of positions for large ones), so the officers are those
    of sampling the sorted ids themselves, as the module says an auditor redoes it."""
    ids = [f"SCJ-{i:03d}" for i in reversed(range(n))]
    for k in {0, 1, 2, n // 2, n - 1, n, n + 1}:
        for visit in ("E1/1", "E7/2"):
            rng = random.Random(f"2025Q4-test|{visit}|SCJ")
            published = sorted(rng.sample(sorted(ids), k)) if k < n else sorted(ids)
            assert draw("2025Q4-test", visit, "SCJ", ids, k) == published
            positions = draw_positions("2025Q4-test", visit, "SCJ", n, k)
            assert [sorted(ids)[p] for p in positions] == published


def test_draw_golden_values_an_auditor_can_redo() -> None:
    # Pinned outputs of random.Random("{seed}|{visit}|{department}").sample (SHA-512 string
    # seeding, the same on every machine): different seeds, visits and departments differ.
    assert draw("2025Q4-test", "E1/1", "SCJ", TIED, 2) == ["SCJ-02", "SCJ-04"]
    assert draw("a", "E1/1", "SCJ", TIED, 2) == ["SCJ-01", "SCJ-03"]
    assert draw("2025Q4-test", "E1/2", "SCJ", TIED, 2) == ["SCJ-03", "SCJ-04"]
    assert draw("2025Q4-test", "E1/1", "WJ", TIED, 2) == ["SCJ-01", "SCJ-03"]


def test_draw_different_seeds_can_differ() -> None:
    # Over ten seeds a two-of-four draw does not always land on the same pair.
    outcomes = {tuple(draw(f"seed-{n}", "E1/1", "SCJ", TIED, 2)) for n in range(10)}
    assert len(outcomes) > 1
