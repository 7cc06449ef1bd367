"""The replanner on three-to-five-item instances: one test per behaviour it promises."""

import datetime as dt
from dataclasses import replace

import pytest
from helpers.planning_builders import WORKDAYS, demand, enterprise, item, problem, solved, team

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import PlanResult, VisitResult
from jointinspect.scheduler.checker import check
from jointinspect.scheduler.errors import UnplaceableDemand
from jointinspect.scheduler.pinning import pin_window
from jointinspect.scheduler.replan import ReplanOutcome, replan
from jointinspect.scheduler.replan_check import check_replanned

E1, E2 = "91310120MA1H000001", "91310120MA1H000002"
DECEMBER = (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
AS_OF = dt.date(2025, 11, 3)


def _world(*extra_officers: object) -> PlanningProblem:
    return problem(
        [enterprise(E1), enterprise(E2)],
        [item("SCJ-1", "SCJ"), item("WJ-1", "WJ")],
        [*team("SCJ", 4), *team("WJ", 3)],
        [
            demand("D1", "SCJ", "SCJ-1", E1, earliest=DECEMBER[0], latest=DECEMBER[1]),
            demand("D2", "SCJ", "SCJ-1", E2, earliest=AS_OF, latest=AS_OF),
        ],
    )


def _with(p: PlanningProblem, *demands: object, inspectors: object = None) -> PlanningProblem:
    return replace(
        p,
        demands=[*p.demands, *demands],  # type: ignore[list-item]
        inspectors=list(inspectors) if inspectors is not None else p.inspectors,  # type: ignore[call-overload]
    )


def _replanned(p: PlanningProblem, filed: PlanResult, as_of: dt.date = AS_OF) -> ReplanOutcome:
    out = replan(p, filed, as_of, 2)
    fixed_until = pin_window(p.workdays, as_of, 2).pinned_until
    assert check_replanned(p, out.result, None, fixed_until) == []
    return out


def _filed_on(p: PlanningProblem, day: dt.date) -> PlanResult:
    """The plan as solved, with E1's visit filed on ``day`` (not where a fresh plan puts it),
    so that keeping the filed day is visible."""
    filed = solved(p)
    visits = tuple(replace(v, date=day) if v.uscc == E1 else v for v in filed.visits)
    return replace(filed, visits=visits)


MID_DECEMBER = dt.date(2025, 12, 16)


def _visit(result: PlanResult, uscc: str) -> VisitResult:
    (v,) = [v for v in result.visits if v.uscc == uscc]
    return v


def test_nothing_new_changes_nothing() -> None:
    p = _world()
    filed = _filed_on(p, MID_DECEMBER)
    out = _replanned(p, filed)
    assert out.result.visits == filed.visits
    assert out.diff["counts"]["changed_visits"] == 0 and out.diff["departments"] == []


def test_new_complaint_joins_the_filed_visit_of_its_enterprise() -> None:
    """撮合: the complaint's window holds the filed visit's day, so it rides along."""
    p = _world()
    filed = _filed_on(p, MID_DECEMBER)
    day = _visit(filed, E1).date
    complaint = demand("C1", "WJ", "WJ-1", E1, source="complaint", earliest=AS_OF, latest=day)
    out = _replanned(_with(p, complaint), filed)
    after = _visit(out.result, E1)
    before = _visit(filed, E1)
    assert after.date == day and {t.demand_id for t in after.tasks} == {"D1", "C1"}
    scj = [o for o in after.inspectors if o.department == "SCJ"]
    assert scj == [o for o in before.inspectors if o.department == "SCJ"]
    assert out.diff["counts"]["retasked"] == 1 and out.diff["counts"]["changed_visits"] == 1
    assert out.diff["departments"] == ["SCJ", "WJ"]


def test_complaint_outside_the_filed_day_moves_the_visit_into_its_window() -> None:
    """Rule 7: one visit serves both; it moves into the complaint's window."""
    p = _world()
    filed = solved(p)
    day = _visit(filed, E1).date
    window = [d for d in WORKDAYS if d != day and d >= DECEMBER[0]][:3]
    complaint = demand(
        "C1", "SCJ", "SCJ-1", E1, source="complaint", earliest=window[0], latest=window[-1]
    )
    out = _replanned(_with(p, complaint), filed)
    after = _visit(out.result, E1)
    assert window[0] <= after.date <= window[-1]
    assert out.diff["counts"]["moved"] == 1 and out.diff["counts"]["added"] == 0


def test_pinned_visit_stays_and_the_complaint_gets_a_visit_of_its_own() -> None:
    p = _world()
    filed = solved(p)
    pinned = _visit(filed, E2)
    assert pinned.date == AS_OF
    complaint = demand(
        "C2", "SCJ", "SCJ-1", E2, source="complaint", earliest=AS_OF, latest=DECEMBER[1]
    )
    q = _with(p, complaint)
    out = _replanned(q, filed)
    assert pinned in out.result.visits
    assert out.diff["counts"]["added"] == 1 and out.diff["counts"]["pinned_changed"] == 0
    # The plain checker would want the two merged: only the replan check knows why not.
    assert any(f.startswith(f"rule 7: {E2} gets 2 visits") for f in check(q, out.result))


def test_unavailable_officer_on_a_pinned_visit_is_replaced_that_day() -> None:
    p = _world()
    filed = solved(p)
    pinned = _visit(filed, E2)
    sick = pinned.inspectors[0].id
    inspectors = [
        replace(o, unavailable=frozenset({AS_OF})) if o.id == sick else o for o in p.inspectors
    ]
    out = _replanned(_with(p, inspectors=inspectors), filed)
    after = _visit(out.result, E2)
    assert after.date == AS_OF
    assert sick not in {o.id for o in after.inspectors}
    assert {o.id for o in after.inspectors} - {o.id for o in pinned.inspectors} != set()
    assert out.diff["counts"]["restaffed"] == 1 and out.diff["counts"]["changed_visits"] == 1
    assert any("unavailable" in r for r in out.diff["restaffed"][0]["reasons"])


def test_history_is_copied_as_it_was() -> None:
    p = _world()
    filed = solved(p)
    later = WORKDAYS[WORKDAYS.index(AS_OF) + 5]
    out = _replanned(p, filed, as_of=later)
    assert _visit(out.result, E2) == _visit(filed, E2)
    assert out.diff["counts"]["changed_visits"] == 0


def test_same_inputs_same_replan() -> None:
    p = _world()
    filed = _filed_on(p, MID_DECEMBER)
    complaint = demand("C1", "WJ", "WJ-1", E1, source="complaint", earliest=AS_OF, latest=AS_OF)
    q = _with(p, complaint)
    first, second = replan(q, filed, AS_OF, 2), replan(q, filed, AS_OF, 2)
    assert first.result.canonical() == second.result.canonical()
    assert first.diff == second.diff


def test_a_tie_between_new_visits_goes_to_the_first_not_to_where_it_lies_in_memory() -> None:
    """A filed visit whose two demands now make two new visits (each shares one with it)
    is matched to the first of them, whatever order the objects have in memory: the
    revision's account of what moved and what was re-staffed depended on it."""
    from types import SimpleNamespace

    from jointinspect.scheduler.replan import _Replan

    filed = {7: {"D1", "D2"}}
    state = SimpleNamespace(
        task_ids=filed.__getitem__,
        previous=SimpleNamespace(visits={7: SimpleNamespace(date=MID_DECEMBER)}),
    )

    def draft(demand_id: str) -> SimpleNamespace:
        return SimpleNamespace(tasks=[SimpleNamespace(demand=SimpleNamespace(id=demand_id))])

    one, two = draft("D1"), draft("D2")
    for drafts in ([one, two], [two, one]):
        assert _Replan.match(state, drafts, [7]) == {0: 7}  # type: ignore[arg-type]


def test_an_enterprises_officer_draw_does_not_depend_on_other_enterprises_news() -> None:
    """The draw among equally suited officers is seeded by the visit's key, which a replan
    counts per enterprise: a complaint at another enterprise (sorting before) must not
    change who is drawn for this one's new visit. Ten WJ officers are equally suited, so
    a key counted over the district would draw another pair but once in 45."""
    late, early = "91310120MA1H000009", "91310120MA1H000005"
    base = problem(
        [enterprise(E1), enterprise(early), enterprise(late)],
        [item("SCJ-1", "SCJ"), item("WJ-1", "WJ")],
        [*team("SCJ", 4), *team("WJ", 10)],
        [demand("D1", "SCJ", "SCJ-1", E1, earliest=DECEMBER[0], latest=DECEMBER[1])],
    )
    filed = _filed_on(base, MID_DECEMBER)
    window = {"earliest": AS_OF, "latest": dt.date(2025, 11, 14)}
    mine = demand("C9", "WJ", "WJ-1", late, source="complaint", **window)
    theirs = demand("C5", "SCJ", "SCJ-1", early, source="complaint", **window)
    alone = _visit(_replanned(_with(base, mine), filed).result, late)
    beside = _visit(_replanned(_with(base, theirs, mine), filed).result, late)
    assert (alone.date, alone.inspectors) == (beside.date, beside.inspectors)


def test_a_plan_with_officers_in_two_towns_a_day_replans_within_the_rules() -> None:
    """Complaints due one day in more towns than the department has pairs of officers:
    the plan sends officers on to a second town, and the replan reads such a plan and
    places one complaint more the same way."""
    day = WORKDAYS[30]
    towns = ["南桥镇", "奉城镇", "庄行镇", "金汇镇"]
    ents = [enterprise(f"91310120MA1H00010{k}", town=t) for k, t in enumerate(towns)]
    complaints = [
        demand(f"C{k}", "SCJ", "SCJ-1", e.uscc, "complaint", day, day) for k, e in enumerate(ents)
    ]
    p = problem(ents, [item("SCJ-1", "SCJ")], team("SCJ", 3), complaints[:3])
    filed = solved(p)
    out = _replanned(_with(p, complaints[3]), filed, as_of=WORKDAYS[20])
    assert sorted(v.uscc for v in out.result.visits) == [e.uscc for e in ents]
    assert {v.date for v in out.result.visits} == {day}


def test_a_complaint_with_no_officer_free_moves_a_routine_visit_aside() -> None:
    """The complaint's one day is taken by a filed routine visit of the only two officers,
    who do one visit a day: the routine visit makes way (to another day of its window),
    as a plan would have placed the complaint first. The replan had stopped (rule 8)."""
    p = problem(
        [enterprise(E1), enterprise(E2)],
        [item("SCJ-1", "SCJ")],
        team("SCJ", 2, per_day=1),
        [demand("D1", "SCJ", "SCJ-1", E1, earliest=DECEMBER[0], latest=DECEMBER[1])],
    )
    filed = _filed_on(p, MID_DECEMBER)
    complaint = demand(
        "C1", "SCJ", "SCJ-1", E2, source="complaint", earliest=MID_DECEMBER, latest=MID_DECEMBER
    )
    out = _replanned(_with(p, complaint), filed)
    assert _visit(out.result, E2).date == MID_DECEMBER
    moved = _visit(out.result, E1)
    assert moved.date != MID_DECEMBER and DECEMBER[0] <= moved.date <= DECEMBER[1]
    assert out.diff["counts"]["moved"] == 1


def test_a_filed_complaint_with_room_elsewhere_makes_way_for_one_due_that_day() -> None:
    """Two officers who do one visit a day, a filed complaint on the day the new one is
    due, whose window goes on: the filed complaint moves to another day of its window.
    A complaint makes way only so; with no other day for it, the replan stops."""
    later = dt.date(2025, 12, 19)
    p = problem(
        [enterprise(E1), enterprise(E2)],
        [item("SCJ-1", "SCJ")],
        team("SCJ", 2, per_day=1),
        [demand("C1", "SCJ", "SCJ-1", E1, "complaint", MID_DECEMBER, later)],
    )
    filed = _filed_on(p, MID_DECEMBER)
    due = demand("C2", "SCJ", "SCJ-1", E2, "complaint", MID_DECEMBER, MID_DECEMBER)
    out = _replanned(_with(p, due), filed)
    assert _visit(out.result, E2).date == MID_DECEMBER
    assert MID_DECEMBER < _visit(out.result, E1).date <= later
    stuck = replace(p, demands=[replace(p.demands[0], latest=MID_DECEMBER)])
    with pytest.raises(UnplaceableDemand, match="C2"):
        replan(_with(stuck, due), _filed_on(stuck, MID_DECEMBER), AS_OF, 2)


def test_a_routine_visit_with_no_other_day_makes_way_and_is_cancelled_saying_why() -> None:
    p = problem(
        [enterprise(E1), enterprise(E2)],
        [item("SCJ-1", "SCJ")],
        team("SCJ", 2, per_day=1),
        [demand("D1", "SCJ", "SCJ-1", E1, earliest=MID_DECEMBER, latest=MID_DECEMBER)],
    )
    filed = _filed_on(p, MID_DECEMBER)
    complaint = demand(
        "C1", "SCJ", "SCJ-1", E2, source="complaint", earliest=MID_DECEMBER, latest=MID_DECEMBER
    )
    out = _replanned(_with(p, complaint), filed)
    assert [v.uscc for v in out.result.visits] == [E2]
    (cancelled,) = out.diff["cancelled"]
    assert cancelled["uscc"] == E1
    assert cancelled["reasons"] == [f"made way for C1 on {MID_DECEMBER}, which must not be dropped"]
    assert [(u.demand_id, u.reason) for u in out.result.unscheduled] == [("D1", "capacity")]
