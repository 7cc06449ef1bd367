"""The checker catches a broken plan for each rule, and passes the plans the solver makes."""

import dataclasses
import datetime as dt
import json
import random

import pytest
from helpers.planning_builders import (
    WORKDAYS,
    demand,
    enterprise,
    item,
    officer,
    problem,
    random_problem,
    solved,
    team,
)

from jointinspect.models.plan_result import OfficerRef, PlanResult, UnscheduledResult
from jointinspect.scheduler.checker import check
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.solve import solve

D = dt.date


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    p = problem(
        [
            enterprise("E1"),
            enterprise("E2", grade="A"),
            enterprise("Q", no_disturb=[(D(2025, 1, 1), None)]),
        ],
        [
            item("SCJ-1", "SCJ"),
            item("SCJ-ND", "SCJ", no_disturb=True),
            item("SCJ-EI", "SCJ", "either"),
        ],
        [*team("SCJ", 3), officer("SCJ-09", "SCJ", conflicts=["E1"], cert=D(2025, 10, 31))],
        [
            demand("d1", "SCJ", "SCJ-1", "E1", earliest=D(2025, 10, 9), latest=D(2025, 10, 20)),
            demand("d2", "SCJ", "SCJ-1", "E1", earliest=D(2025, 11, 3), latest=D(2025, 11, 20)),
            demand("d3", "SCJ", "SCJ-1", "E2"),
            demand("d4", "SCJ", "SCJ-EI", "E2"),
            demand("d5", "SCJ", "SCJ-ND", "E1"),
            demand("d6", "SCJ", "SCJ-1", "Q", "complaint", D(2025, 10, 9), D(2025, 10, 23)),
        ],
    )
    return p, solved(p)


def _visit(plan: PlanResult, demand_id: str) -> int:
    return next(
        i for i, v in enumerate(plan.visits) if any(t.demand_id == demand_id for t in v.tasks)
    )


def _replace_visit(plan: PlanResult, i: int, **changes: object) -> PlanResult:
    visits = list(plan.visits)
    visits[i] = dataclasses.replace(visits[i], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(plan, visits=tuple(visits))


def test_solver_plan_is_clean(base) -> None:  # type: ignore[no-untyped-def]
    p, plan = base
    assert check(p, plan) == []


def test_checker_flags_each_rule(base) -> None:  # type: ignore[no-untyped-def]
    p, plan = base
    i1 = _visit(plan, "d1")
    v1 = plan.visits[i1]
    sunday = D(2025, 10, 12)
    cases = {
        "rule 1": _replace_visit(plan, i1, date=sunday),
        "rule 2": _replace_visit(plan, i1, inspectors=v1.inspectors[:1]),
        "conflict": _replace_visit(
            plan, i1, inspectors=(*v1.inspectors[:1], OfficerRef("SCJ-09", "SCJ"))
        ),
        "rule 4": _replace_visit(
            plan, _visit(plan, "d6"), tasks=plan.visits[_visit(plan, "d6")].tasks, triggered=True
        ),
        "appears": dataclasses.replace(plan, offsite=(*plan.offsite, plan.offsite[0])),
        "rule 8": dataclasses.replace(
            plan,
            visits=tuple(v for k, v in enumerate(plan.visits) if k != _visit(plan, "d6")),
            unscheduled=(
                *plan.unscheduled,
                UnscheduledResult("d6", "Q", "SCJ", "SCJ-1", "complaint", "capacity", "x"),
            ),
        ),
        "rule 6": dataclasses.replace(
            plan,
            offsite=(),
            unscheduled=(
                *plan.unscheduled,
                UnscheduledResult("d4", "E2", "SCJ", "SCJ-EI", "plan", "capacity", "x"),
            ),
        ),
    }
    # Rule 4 needs a routine visit at Q: turn the complaint's task into a routine demand.
    p4 = dataclasses.replace(
        p,
        demands=[
            dataclasses.replace(d, source=type(d.source)("plan")) if d.id == "d6" else d
            for d in p.demands
        ],
    )
    # Rule 3: two visits of one officer on one day in the same slot.
    i3 = _visit(plan, "d3")
    clash = _replace_visit(
        _replace_visit(plan, i3, date=v1.date, order=v1.order, inspectors=v1.inspectors),
        i1,
        date=v1.date,
    )
    # Rule 7: both of E1's windows… moved into one visit would be fine; split d3 off E2
    # into a second routine visit at grade A (cap 1).
    extra = dataclasses.replace(plan.visits[i3], key="E2/2", tasks=(), date=plan.visits[i3].date)
    over_cap = dataclasses.replace(plan, visits=(*plan.visits, extra))
    found = {name: check(p, broken) for name, broken in cases.items()}
    found["rule 4"] = check(p4, cases["rule 4"])
    found["rule 3"] = check(p, clash)
    found["rule 7"] = check(p, over_cap)
    for name, violations in found.items():
        assert any(name in v for v in violations), (name, violations)


def test_determinism_same_seed_same_bytes() -> None:
    p = random_problem(2500, seed=3)
    first = json.dumps(solve(p).canonical(), ensure_ascii=False, default=str)
    shuffled = list(p.demands)
    random.Random(1).shuffle(shuffled)
    again = json.dumps(
        solve(dataclasses.replace(p, demands=shuffled)).canonical(), ensure_ascii=False, default=str
    )
    assert first == again


def test_determinism_when_the_deterministic_budget_cuts_the_search_short() -> None:
    p = random_problem(4000, seed=5)
    tight = dataclasses.replace(
        SchedulerParams.default(), deterministic_budget=0.004, subproblem_deterministic_time=0.002
    )
    runs = [json.dumps(solved(p, tight).canonical(), default=str) for _ in range(2)]
    assert runs[0] == runs[1]
    other = dataclasses.replace(p, seed="another-seed")
    assert json.dumps(solve(other, tight).canonical(), default=str) != runs[0]


def test_consolidation_within_one_percent_of_lower_bound_when_capacity_allows() -> None:
    p = random_problem(6000, seed=11, officers_per_1000=8.0, rate=0.3)
    result = solved(p)
    m = result.metrics
    assert m["unscheduled_by_reason"].get("capacity", 0) == 0
    assert m["onsite_visits"] <= 1.01 * m["consolidation_lower_bound"]
    assert m["visits_saved"] > 0
    assert m["officer_days"] > 0 and m["km"] > 0


def test_officer_draw_depends_on_seed_only() -> None:
    p = problem(
        [enterprise("E1")],
        [item("SCJ-1", "SCJ")],
        team("SCJ", 8),
        [demand("d1", "SCJ", "SCJ-1", "E1", earliest=WORKDAYS[0], latest=WORKDAYS[0])],
    )
    drawn = {
        tuple(o.id for o in solved(dataclasses.replace(p, seed=f"s{k}")).visits[0].inspectors)
        for k in range(12)
    }
    assert len(drawn) > 1
    again = solved(dataclasses.replace(p, seed="s3")).visits[0].inspectors
    assert again == solved(dataclasses.replace(p, seed="s3")).visits[0].inspectors


def test_a_tampered_plan_is_reported_not_crashed_on(base) -> None:  # type: ignore[no-untyped-def]
    """Filing runs the checker on stored plans: foreign rows must be findings, not errors."""
    problem, plan = base
    stranger = _replace_visit(plan, 0, uscc="91310120MA00000000")
    assert any("is not an enterprise of the problem" in v for v in check(problem, stranger))
    task = dataclasses.replace(plan.visits[0].tasks[0], demand_id="NO-SUCH-DEMAND")
    unknown = _replace_visit(plan, 0, tasks=(task, *plan.visits[0].tasks[1:]))
    assert any("NO-SUCH-DEMAND is not a demand" in v for v in check(problem, unknown))


def test_a_slot_taken_twice_is_named_per_officer_and_day_in_order(base) -> None:  # type: ignore[no-untyped-def]
    """Rule 3 names each officer-day whose slot is taken twice, with that day's slots in
    visit order, sorted by officer and day; other officer-days are not named."""
    p, plan = base
    i1, i3 = _visit(plan, "d1"), _visit(plan, "d3")
    v1 = plan.visits[i1]
    clash = _replace_visit(plan, i3, date=v1.date, order=v1.order, inspectors=v1.inspectors)
    found = [v for v in check(p, clash) if v.startswith("rule 3")]
    orders = [v.order for v in clash.visits if v.date == v1.date and v.inspectors == v1.inspectors]
    assert found == [
        f"rule 3: officer {oid} has two visits in one slot on {v1.date}: {orders}"
        for oid in sorted(o.id for o in v1.inspectors)
    ]


@pytest.fixture(scope="module")
def two_tasks():  # type: ignore[no-untyped-def]
    """E's two routine tasks and Q's two complaints (Q on the 无感监管 list) share their
    windows: each enterprise is one visit."""
    p = problem(
        [enterprise("E"), enterprise("Q", no_disturb=[(D(2025, 1, 1), None)])],
        [item("SCJ-1", "SCJ"), item("SCJ-2", "SCJ")],
        team("SCJ", 4),
        [
            demand("a", "SCJ", "SCJ-1", "E"),
            demand("b", "SCJ", "SCJ-2", "E"),
            demand("q1", "SCJ", "SCJ-1", "Q", "complaint", D(2025, 10, 9), D(2025, 10, 23)),
            demand("q2", "SCJ", "SCJ-2", "Q", "complaint", D(2025, 10, 9), D(2025, 10, 23)),
        ],
    )
    plan = solved(p)
    assert len(plan.visits) == 2 and check(p, plan) == []
    return p, plan


def _split(plan: PlanResult, uscc: str) -> PlanResult:
    """``uscc``'s one visit of two tasks as two visits of one task each, a day apart."""
    i = next(k for k, v in enumerate(plan.visits) if v.uscc == uscc)
    v = plan.visits[i]
    first = dataclasses.replace(v, tasks=v.tasks[:1])
    second = dataclasses.replace(v, key=f"{uscc}/2", tasks=v.tasks[1:], order=v.order + 1)
    visits = (*plan.visits[:i], first, second, *plan.visits[i + 1 :])
    return dataclasses.replace(plan, visits=visits)


def test_rule7_two_visits_where_the_windows_allow_one_are_caught(two_tasks) -> None:  # type: ignore[no-untyped-def]
    p, plan = two_tasks
    found = check(p, _split(plan, "E"))
    assert "rule 7: E gets 2 visits; its tasks' windows allow 1" in found


def test_rule7_two_visits_of_a_no_disturb_enterprise_that_could_be_one_are_caught(
    two_tasks,  # type: ignore[no-untyped-def]
) -> None:
    p, plan = two_tasks
    split = _split(plan, "Q")
    first, second = (v for v in split.visits if v.uscc == "Q")
    found = check(p, split)
    assert any(
        v.startswith("rule 7:") and v.endswith("could be one visit") and second.key in v
        for v in found
    ), found
    assert first.key in next(v for v in found if v.endswith("could be one visit"))


def test_rule7_a_lone_visit_without_tasks_is_caught(two_tasks) -> None:  # type: ignore[no-untyped-def]
    """One visit is the bound for any tasks; with none it is one too many."""
    p, plan = two_tasks
    i = next(k for k, v in enumerate(plan.visits) if v.uscc == "E")
    found = check(p, _replace_visit(plan, i, tasks=()))
    assert "rule 7: E gets 1 visits; its tasks' windows allow 0" in found
