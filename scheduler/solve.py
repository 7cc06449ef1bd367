"""The pipeline: ``solve(problem, params) -> PlanResult`` (PyVRP style).

modes (rules 5, 6, windows) → consolidation per enterprise (rules 4, 7) → greedy days and
officers → CP-SAT improvement on town-week subproblems → routes → result and metrics.
"""

import bisect
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from jointinspect.models.plan_problem import EnterpriseInfo, PlanningProblem
from jointinspect.models.plan_result import (
    Improvement,
    OfficerRef,
    OffsiteResult,
    PlanMetrics,
    PlanResult,
    PlanTiming,
    TaskRef,
    UnscheduledResult,
    VisitResult,
)
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler import dayset
from jointinspect.scheduler.assignment import Construction, Placed, Roster
from jointinspect.scheduler.consolidation import (
    Dropped,
    VisitDraft,
    consolidate_enterprise,
)
from jointinspect.scheduler.errors import UnknownReference
from jointinspect.scheduler.modes import ModeDecision, Placement, decide_all
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.result_assembly import (
    by_department,
    offsite_results,
    plan_metrics,
    task_refs,
    unscheduled_result,
)
from jointinspect.scheduler.routing import Routing, routed_here, stops_of


def solve(
    problem: PlanningProblem,
    params: SchedulerParams | None = None,
    routing: Routing | None = None,
    checks_ready: Callable[[Sequence[OffsiteResult]], None] | None = None,
    visits_ready: Callable[[Sequence[VisitResult]], None] | None = None,
) -> PlanResult:
    """The plan of ``problem``. ``routing`` routes the placed visits (default: here, when
    the routes are needed); the plan's other figures and its visits but for their slots
    are made meanwhile, so a routing that works elsewhere (another process) costs the
    longer of the two instead of their sum. ``checks_ready`` is given the plan's off-site
    checks as soon as they are known, before any visit is placed (the caller may write
    them elsewhere meanwhile); they are the result's ``offsite``. ``visits_ready`` is given
    the result's ``visits`` as soon as they have their slots."""
    params = params or SchedulerParams.default()
    started = time.monotonic()
    deadline = None if params.time_limit is None else started + params.time_limit
    _check_references(problem)
    quarter_last = Quarter.parse(problem.quarter).last_day
    decisions = decide_all(
        sorted(problem.demands, key=lambda d: d.id), problem.items, problem.workdays, quarter_last
    )
    # The checks depend on the modes alone: made now, for ``checks_ready``.
    offsite = offsite_results(decisions, quarter_last)
    if checks_ready is not None:
        checks_ready(offsite)
    onsite: dict[str, list[ModeDecision]] = defaultdict(list)
    for dec in decisions:
        if dec.placement == Placement.ONSITE:
            onsite[dec.demand.uscc].append(dec)
    drafts: list[VisitDraft] = []
    dropped: list[Dropped] = []
    for uscc in sorted(onsite):
        ent = problem.enterprises[uscc]
        used = problem.routine_visits_this_year.get(uscc, 0)
        visits, out = consolidate_enterprise(
            uscc,
            onsite[uscc],
            no_disturb_days(ent, problem.workdays),
            params.cap_for(ent.grade, used),
            cap_detail(ent, params, used),
        )
        drafts.extend(visits)
        dropped.extend(out)
    t_consolidated = time.monotonic()
    roster = Roster(problem, params.officers_per_department)
    construction = Construction(problem, roster)
    construction.run(drafts)
    dropped.extend(construction.dropped)
    placed = construction.placed
    t_constructed = time.monotonic()
    # Imported here, not at the top: OR-Tools (and the pandas it loads) takes most of a
    # second to import, and the hard-rule check, which builds problems with this
    # package's help, never improves a plan.
    from jointinspect.scheduler.improve import ImproveStats, improve

    stats = (
        improve(problem, roster, placed, params, deadline)
        if params.deterministic_budget > 0
        else ImproveStats()
    )
    t_improved = time.monotonic()
    routed = (routing or routed_here)(
        stops_of(placed, roster, problem.enterprises, params.two_opt_max_visits)
    )
    visit_parts = _visit_parts(problem, roster, placed)
    unscheduled = _unscheduled(decisions, dropped)
    # Officer-days are counted by routing (its last figure: the key keeps its place).
    metrics = _metrics(problem, decisions, placed, offsite, unscheduled, officer_days=0)
    routes = routed()
    visit_results = _visits(visit_parts, routes.order)
    if visits_ready is not None:
        visits_ready(visit_results)
    metrics["officer_days"] = routes.officer_days
    metrics["km"] = routes.km
    metrics["improvement"] = Improvement(
        subproblems_with_slack=stats.subproblems,
        subproblems_solved=stats.solved,
        subproblems_improved=stats.improved,
        officer_days_saved=stats.officer_days_saved,
    )
    finished = time.monotonic()
    timing = PlanTiming(
        solve_seconds=round(finished - started, 3),
        consolidation_seconds=round(t_consolidated - started, 3),
        construction_seconds=round(t_constructed - t_consolidated, 3),
        improvement_seconds=round(t_improved - t_constructed, 3),
        routing_seconds=round(finished - t_improved, 3),
        cp_sat_deterministic_time=round(stats.deterministic_time, 3),
        safety_cap_hit=stats.safety_cap_hit,
    )
    return PlanResult(
        problem.quarter,
        problem.seed,
        visit_results,
        offsite,
        unscheduled,
        metrics,
        timing,
        routes.travel_um,
    )


def no_disturb_days(ent: EnterpriseInfo, workdays: Sequence[Any]) -> dayset.DaySet:
    """The quarter's working days on which the enterprise is on the no-disturb list."""
    if not ent.no_disturb:  # nearly every enterprise
        return ()
    parts = []
    for since, until in ent.no_disturb:
        lo = bisect.bisect_left(workdays, since)
        hi = len(workdays) - 1 if until is None else bisect.bisect_right(workdays, until) - 1
        parts.append((lo, hi))
    return dayset.normalise(parts)


def cap_detail(ent: EnterpriseInfo, params: SchedulerParams, used: int) -> str:
    grade = ent.grade if ent.grade in params.quarter_caps else params.ungraded_grade
    allowed = params.cap_for(ent.grade, used)
    return (
        f"routine visits to this grade-{grade} enterprise are capped at "
        f"{params.quarter_caps[grade]} per quarter and {params.year_caps[grade]} per year "
        f"({used} already made this year by earlier filed plans); the {allowed} allowed "
        "visit(s) go to its higher-priority demands"
    )


def _check_references(problem: PlanningProblem) -> None:
    for d in problem.demands:
        if d.item not in problem.items:
            raise UnknownReference(f"demand {d.id} names unknown item {d.item}")
        if d.uscc not in problem.enterprises:
            raise UnknownReference(f"demand {d.id} names unknown enterprise {d.uscc}")


#: A visit's result but for its slot: ``VisitResult``'s fields before ``order``.
_VisitPart = tuple[str, str, dt.date, str, bool, tuple[TaskRef, ...], tuple[OfficerRef, ...]]
#: Where a visit's result goes among the results (date, town, enterprise, key), its index
#: among the placed visits, and its fields.
_Ordered = tuple[tuple[dt.date, str, str, str], int, _VisitPart]


def _visit_parts(
    problem: PlanningProblem, roster: Roster, placed: Sequence[Placed]
) -> list[_Ordered]:
    """Each visit's result but for its slot, in the results' order."""
    out = []
    # One reference per officer, shared by the visits, and each officer's place in the
    # order a visit lists them (by department, then id): a district's visits name a
    # quarter of a million officers.
    refs = [OfficerRef(o.id, o.department) for o in roster.officers]
    rank = [0] * len(refs)
    for place, o in enumerate(sorted(range(len(refs)), key=lambda o: by_department(refs[o]))):
        rank[o] = place
    for i, p in enumerate(placed):
        ent = problem.enterprises[p.draft.uscc]
        officers = tuple(refs[o] for o in sorted(p.officers, key=rank.__getitem__))
        date = problem.workdays[p.day]
        part: _VisitPart = (
            p.draft.key,
            ent.uscc,
            date,
            ent.town,
            p.draft.triggered,
            task_refs(p.draft),
            officers,
        )
        out.append(((date, ent.town, ent.uscc, p.draft.key), i, part))
    out.sort(key=lambda row: row[0])
    return out


def _visits(parts: Sequence[_Ordered], order: Sequence[int]) -> tuple[VisitResult, ...]:
    """The visits' results from :func:`_visit_parts` and each visit's slot."""
    return tuple(VisitResult(*part, order[i]) for _, i, part in parts)


def _unscheduled(
    decisions: Sequence[ModeDecision], dropped: Sequence[Dropped]
) -> tuple[UnscheduledResult, ...]:
    rows = [
        (d, d.reason.value, d.detail)
        for d in decisions
        if d.placement == Placement.UNSCHEDULED and d.reason is not None
    ]
    rows += [(x.decision, x.reason.value, x.detail) for x in dropped]
    return tuple(
        unscheduled_result(d, reason, detail)
        for d, reason, detail in sorted(rows, key=lambda row: row[0].demand.id)
    )


def _metrics(
    problem: PlanningProblem,
    decisions: Sequence[ModeDecision],
    placed: Sequence[Placed],
    offsite: Sequence[OffsiteResult],
    unscheduled: Sequence[UnscheduledResult],
    officer_days: int,
) -> PlanMetrics:
    onsite_ids = set()
    per_enterprise: dict[str, list[ModeDecision]] = defaultdict(list)
    for p in placed:
        for t in p.draft.tasks:
            onsite_ids.add(t.demand.id)
            per_enterprise[p.draft.uscc].append(t)
    modes = []
    for d in decisions:
        if d.demand.id in onsite_ids:
            mode = "onsite"
        else:
            mode = "offsite" if d.placement == Placement.OFFSITE else "unscheduled"
        modes.append((d.demand.source.value, mode))
    return plan_metrics(modes, per_enterprise, len(placed), len(offsite), unscheduled, officer_days)
