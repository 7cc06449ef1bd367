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
    VisitResult,
)
from jointinspect.scheduler.consolidation import VisitDraft, minimum_visits
from jointinspect.scheduler.modes import ModeDecision, Placement

#: Where a demand went, as the metrics count it.
MODES = ("onsite", "offsite", "unscheduled")

#: Each source's ``value``, looked up: the enum property costs a Python call per access,
#: and results name a source for every one of a district's demands.
SOURCE_VALUES: Mapping[DemandSource, str] = {s: s.value for s in DemandSource}


def task_refs(draft: VisitDraft) -> tuple[TaskRef, ...]:
    """The visit's tasks as the result lists them."""
    return tuple(
        TaskRef(t.demand.id, t.demand.department, t.demand.item, SOURCE_VALUES[t.demand.source])
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
    decisions: Iterable[ModeDecision],
    quarter_last: dt.date,
    previous: Iterable[OffsiteResult] = (),
) -> tuple[OffsiteResult, ...]:
    """An off-site check per decision placed off-site, due by its window or quarter end.

    A check of ``previous`` (an earlier revision's) equal to the one made for its demand
    is given instead: a replan keeps nearly all of them, and looking costs less than making.
    """
    known = {o.demand_id: o for o in previous}
    out = []
    for d in decisions:
        if d.placement != Placement.OFFSITE:
            continue
        dem = d.demand
        due = d.due or quarter_last
        source = SOURCE_VALUES[dem.source]
        o = known.get(dem.id)
        if (
            o is None
            or o.uscc != dem.uscc
            or o.department != dem.department
            or o.item != dem.item
            or o.source != source
            or o.due != due
        ):
            o = OffsiteResult(dem.id, dem.uscc, dem.department, dem.item, source, due)
        out.append(o)
    return tuple(out)


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
    # Counted as pairs first (in C): a district has hundreds of thousands of demands.
    for (source, mode), n in Counter(demand_modes).items():
        by_source[source][mode] += n
    lower_bound = 0
    alone = 0
    for ts in per_enterprise.values():
        if len(ts) == 1 and ts[0].lo <= ts[0].hi:  # most: one visit however it is counted
            lower_bound += 1
            alone += 1
            continue
        lower_bound += minimum_visits(ts)
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


def plan_figures(
    decisions: Mapping[str, ModeDecision],
    visits: Sequence[VisitResult],
    offsite: Sequence[OffsiteResult],
    unscheduled: Sequence[UnscheduledResult],
    officer_days: int,
) -> PlanMetrics:
    """:func:`plan_metrics` of a plan whose demands are ``decisions`` (by id): each is
    on-site when a visit holds it, off-site when a check does, else unscheduled."""
    per_enterprise: dict[str, list[ModeDecision]] = defaultdict(list)
    onsite_ids = set()
    for v in visits:
        for t in v.tasks:
            onsite_ids.add(t.demand_id)
            d = decisions.get(t.demand_id)
            if d is not None:
                per_enterprise[v.uscc].append(d)
    off = {o.demand_id for o in offsite}
    modes = [
        (
            SOURCE_VALUES[d.demand.source],
            "onsite" if did in onsite_ids else "offsite" if did in off else "unscheduled",
        )
        for did, d in decisions.items()
    ]
    return plan_metrics(modes, per_enterprise, len(visits), len(offsite), unscheduled, officer_days)
