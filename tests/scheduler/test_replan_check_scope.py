"""A replan's hard-rule check within its scope (``CheckScope``) finds what the full check
finds, when what is broken is what the replan changed."""

from dataclasses import replace

import pytest
from helpers.planning_builders import random_problem, solved

from jointinspect.models.plan_result import OfficerRef, PlanResult, VisitResult
from jointinspect.scheduler.checker import check
from jointinspect.scheduler.replan_check import CheckScope, check_replanned


@pytest.fixture(scope="module")
def planned() -> tuple[object, PlanResult]:
    problem = random_problem(600, seed=11)
    plan = solved(problem)
    assert check(problem, plan) == []
    return problem, plan


def _scope_of(changed: list[VisitResult]) -> CheckScope:
    return CheckScope(
        frozenset(v.uscc for v in changed),
        frozenset((o.id, v.date) for v in changed for o in v.inspectors),
    )


def _broken(plan: PlanResult) -> tuple[PlanResult, list[VisitResult]]:
    """The plan with three visits changed so that they break rules 1, 2 and 3."""
    visits = list(plan.visits)
    multi = [i for i, v in enumerate(visits) if len(v.inspectors) >= 2]
    a, b, c = multi[0], multi[len(multi) // 2], multi[-1]
    # Rule 2: one officer short.
    visits[a] = replace(visits[a], inspectors=visits[a].inspectors[1:])
    # Rule 3 (and the daily limit): b's first officer also on c's day and slot.
    first = visits[b].inspectors[0]
    visits[c] = replace(
        visits[c],
        date=visits[b].date,
        order=visits[b].order,
        inspectors=(*visits[c].inspectors, OfficerRef(first.id, first.department)),
    )
    changed = [visits[a], visits[c]]
    return replace(plan, visits=tuple(visits)), changed


def test_the_scoped_check_finds_every_violation_of_the_changed_visits(
    planned: tuple[object, PlanResult],
) -> None:
    problem, plan = planned
    broken, changed = _broken(plan)
    full = check_replanned(problem, broken, None, None)  # type: ignore[arg-type]
    scoped = check_replanned(problem, broken, None, None, _scope_of(changed))  # type: ignore[arg-type]
    assert full, "the broken plan must break rules for this test to mean something"
    assert any(f.startswith("rule 3:") for f in full)
    assert sorted(scoped) == sorted(full)


def test_the_scoped_check_does_not_look_outside_its_scope(
    planned: tuple[object, PlanResult],
) -> None:
    problem, plan = planned
    broken, changed = _broken(plan)
    elsewhere = [v for v in plan.visits if v.uscc not in {c.uscc for c in changed}][:1]
    assert check_replanned(problem, broken, None, None, _scope_of(elsewhere)) == []  # type: ignore[arg-type]
    assert check_replanned(problem, plan, None, None, _scope_of(changed)) == []  # type: ignore[arg-type]
