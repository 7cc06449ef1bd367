"""The hard-rule check of a replanned revision: the planner's checker, knowing history.

Rule 7 asks for as few visits per enterprise as the windows allow. A replan cannot merge
a new complaint into a visit that already happened or is pinned (it stays as filed), so
an enterprise may then have one visit more than a plan made from scratch would. Those
findings — and only those — are excused: the visits after the fixed ones must still be as
few as their own tasks allow, and routine visits after them must fit what the caps leave.
Every other rule is checked exactly as for a fresh plan.

A nightly replan changes a few hundred of a district's visits, so it asks for the check
where it changed (:class:`CheckScope`): every rule on the enterprises whose visits, checks,
unscheduled demands, demands or grade changed, and the rules of an officer's day on the
days its changed visits put officers to work. The rest of the revision is the filed
revision's, which passed the full check when it was filed, and the replan kept each of
its visits only after finding it still sound against today's inputs (its officers can
still go, its windows, the 无感监管 list and the caps still hold: ``scheduler.replan``).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import PlanResult, VisitResult
from jointinspect.scheduler.checker import check, check_officer_days
from jointinspect.scheduler.consolidation import minimum_visits
from jointinspect.scheduler.modes import ModeDecision, Placement, window_indices
from jointinspect.scheduler.params import SchedulerParams


@dataclass(frozen=True)
class CheckScope:
    """Where a replanned revision differs from the filed one it replans."""

    #: Every rule is checked on these enterprises' visits, checks and demands.
    enterprises: Collection[str]
    #: (officer id, date): the rules of an officer's day are checked on these days.
    officer_days: Collection[tuple[str, dt.date]]


def check_replanned(
    problem: PlanningProblem,
    plan: PlanResult,
    params: SchedulerParams | None,
    fixed_until: dt.date | None,
    scope: CheckScope | None = None,
) -> list[str]:
    """Every violation, less the rule-7 ones explained by visits dated ≤ ``fixed_until``;
    with ``scope``, every violation within it (the same findings there, none elsewhere)."""
    params = params or SchedulerParams.default()
    if scope is None:
        found = check(problem, plan, params)
    else:
        days = check_officer_days(problem, plan, scope.officer_days, params)
        problem, plan = _within(problem, scope.enterprises), _part(plan, scope)
        found = check(problem, plan, params)
        seen = set(found)
        for extra in days:
            if extra not in seen:
                seen.add(extra)
                found.append(extra)
    if fixed_until is None:
        return found
    # str.startswith takes every excused prefix at once (in C): a district has tens of
    # thousands of findings and of excuses.
    excused = tuple(sorted(_excused(problem, plan, params, fixed_until)))
    return [f for f in found if not f.startswith(excused)]


def _within(problem: PlanningProblem, usccs: Collection[str]) -> PlanningProblem:
    """``problem`` cut down to the enterprises ``usccs`` (and their demands)."""
    keep = set(usccs)
    return replace(
        problem,
        enterprises={u: e for u, e in problem.enterprises.items() if u in keep},
        demands=[d for d in problem.demands if d.uscc in keep],
    )


def _part(plan: PlanResult, scope: CheckScope) -> PlanResult:
    """``plan`` cut down to the enterprises of ``scope``."""
    keep = set(scope.enterprises)
    return replace(
        plan,
        visits=tuple(v for v in plan.visits if v.uscc in keep),
        offsite=tuple(o for o in plan.offsite if o.uscc in keep),
        unscheduled=tuple(u for u in plan.unscheduled if u.uscc in keep),
    )


def _name(v: VisitResult) -> str:
    return f"visit {v.key} ({v.uscc} on {v.date})"


def _excused(
    problem: PlanningProblem, plan: PlanResult, params: SchedulerParams, fixed_until: dt.date
) -> set[str]:
    demands = {d.id: d for d in problem.demands}
    by_ent: dict[str, list[VisitResult]] = defaultdict(list)
    for v in plan.visits:
        by_ent[v.uscc].append(v)
    out: set[str] = set()
    for uscc, visits in by_ent.items():
        fixed = [v for v in visits if v.date <= fixed_until]
        if not fixed:
            continue
        later = [v for v in visits if v.date > fixed_until]
        tasks = [
            ModeDecision(
                demands[t.demand_id],
                Placement.ONSITE,
                *window_indices(demands[t.demand_id], problem.workdays),
                None,
                "",
            )
            for v in later
            for t in v.tasks
            if t.demand_id in demands
        ]
        if len(later) <= minimum_visits(tasks):
            out.add(f"rule 7: {uscc} gets ")
            out.update(
                f"rule 7: {_name(a)} and {_name(b)} could be one visit"
                for i, a in enumerate(visits)
                for b in visits[i + 1 :]
                if a in fixed or b in fixed
            )
        ent = problem.enterprises.get(uscc)
        if ent is None:
            continue
        used = problem.routine_visits_this_year.get(uscc, 0)

        def routine(v: VisitResult) -> bool:
            return not any(
                t.demand_id in demands and demands[t.demand_id].triggered for t in v.tasks
            )

        left = max(0, params.cap_for(ent.grade, used) - sum(1 for v in fixed if routine(v)))
        if sum(1 for v in later if routine(v)) <= left:
            out.add(f"rule 7: {uscc} has ")
    return out
