"""The parts of a :class:`PlanResult` the planner (:mod:`solve`) and the replan
(:mod:`replan`) make the same way: a visit's tasks and officers, off-site checks,
unscheduled demands and the metrics figures.

Each caller decides where its demands went; these functions only shape the answer, so
that a fresh plan and a replanned revision report the same figures under the same keys.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from jointinspect.models.enums import DemandSource
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanMetrics,
    TaskRef,
    UnscheduledResult,
)
from jointinspect.scheduler.consolidation import VisitDraft, minimum_visits
from jointinspect.scheduler.modes import ModeDecision, Placement

#: Where a demand went, as the metrics count it.
MODES = ("onsite", "offsite", "unscheduled")


def task_refs(draft: VisitDraft) -> tuple[TaskRef, ...]:
    """The visit's tasks as the result lists them."""
    return tuple(
        TaskRef(t.demand.id, t.demand.department, t.demand.item, t.demand.source.value)
        for t in draft.tasks
    )


def by_department(ref: OfficerRef) -> tuple[str, str]:
    """The order of a visit's officers: by department, then id."""
    return (ref.department, ref.id)


def unscheduled_result(d: ModeDecision, reason: str, detail: str) -> UnscheduledResult:
    dem = d.demand
    return UnscheduledResult(
        dem.id, dem.uscc, dem.department, dem.item, dem.source.value, reason, detail
    )


def offsite_results(
    decisions: Iterable[ModeDecision], quarter_last: dt.date
) -> tuple[OffsiteResult, ...]:
    """An off-site check per decision placed off-site, due by its window or quarter end."""
    return tuple(
        OffsiteResult(
            d.demand.id,
            d.demand.uscc,
            d.demand.department,
            d.demand.item,
            d.demand.source.value,
            d.due or quarter_last,
        )
        for d in decisions
        if d.placement == Placement.OFFSITE
    )


def plan_metrics(
    demand_modes: Sequence[tuple[str, str]],
    per_enterprise: Mapping[str, Sequence[ModeDecision]],
    onsite_visits: int,
    offsite_checks: int,
    unscheduled: Sequence[UnscheduledResult],
    officer_days: int,
) -> PlanMetrics:
    """The plan's figures.

    ``demand_modes`` holds (source, mode) per demand; ``per_enterprise`` the decisions
    visited on-site per USCC, for the consolidation bound and the visits the departments
    would have made alone.
    """
    by_source: dict[str, Counter[str]] = {s.value: Counter() for s in DemandSource}
    for source, mode in demand_modes:
        by_source[source][mode] += 1
    lower_bound = sum(minimum_visits(ts) for ts in per_enterprise.values())
    alone = 0
    for ts in per_enterprise.values():
        by_dept: dict[str, list[ModeDecision]] = defaultdict(list)
        for t in ts:
            by_dept[t.demand.department].append(t)
        alone += sum(minimum_visits(group) for group in by_dept.values())
    reasons = Counter(u.reason for u in unscheduled)
    return {
        "demands": len(demand_modes),
        "onsite_visits": onsite_visits,
        "offsite_checks": offsite_checks,
        "unscheduled": len(unscheduled),
        "demands_by_source": {s: {m: c[m] for m in MODES} for s, c in by_source.items() if c},
        "unscheduled_by_reason": dict(sorted(reasons.items())),
        "consolidation_lower_bound": lower_bound,
        "visits_if_departments_alone": alone,
        "visits_saved": alone - onsite_visits,
        "officer_days": officer_days,
    }
