"""综合查一次: per enterprise, on-site demands with overlapping windows become one visit.

The fewest visits that serve a set of windows is a minimum stabbing of intervals: sort by
the last day, put a visit on the first unserved window's last day, let it serve every
window containing that day, repeat (exact for intervals). Rule 7 caps routine visits; a
visit holding a triggered task is a triggered visit and is not capped, so routine tasks
that fit a triggered visit ride along for free. Rule 4: on a no-disturb day an enterprise
may only be visited by a triggered visit — routine tasks may ride along on that visit
(the rule restricts visits, not tasks; the enterprise is disturbed once either way and
综合查一次 asks for the merge), but a routine-only visit must fall outside the period.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from jointinspect.models.enums import UnscheduledReason
from jointinspect.scheduler import dayset
from jointinspect.scheduler.dayset import DaySet
from jointinspect.scheduler.modes import ModeDecision

_demand_id = attrgetter("demand.id")


@dataclass(slots=True)
class VisitDraft:
    """A visit to place: its tasks and the working days all their windows allow."""

    key: str
    uscc: str
    tasks: list[ModeDecision]
    days: DaySet
    triggered: bool
    departments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.tasks) == 1:  # most visits (a replan remakes a draft per filed visit)
            self.departments = (self.tasks[0].demand.department,)
            return
        self.tasks.sort(key=_demand_id)
        self.departments = tuple(sorted({t.demand.department for t in self.tasks}))

    @property
    def never_dropped(self) -> bool:
        return any(t.demand.source.never_dropped for t in self.tasks)


@dataclass(frozen=True, slots=True)
class Dropped:
    decision: ModeDecision
    reason: UnscheduledReason
    detail: str


@dataclass(slots=True)
class _Group:
    days: DaySet
    members: list[ModeDecision]

    @property
    def triggered(self) -> bool:
        return any(m.demand.triggered for m in self.members)


Window = Callable[[ModeDecision], DaySet]


def plain_window(d: ModeDecision) -> DaySet:
    return dayset.interval(d.lo, d.hi)


def stab(decisions: Sequence[ModeDecision], window: Window = plain_window) -> list[_Group]:
    """Greedy minimum stabbing: exact for intervals, a good heuristic for unions of them."""
    if window is plain_window:
        return _stab_intervals(decisions)
    pending = sorted(
        ((window(d), d) for d in decisions),
        key=lambda p: (dayset.last(p[0]), dayset.first(p[0]), p[1].demand.id),
    )
    groups: list[_Group] = []
    while pending:
        point = dayset.last(pending[0][0])
        hit = [p for p in pending if dayset.contains(p[0], point)]
        pending = [p for p in pending if not dayset.contains(p[0], point)]
        common = hit[0][0]
        for w, _ in hit[1:]:
            common = dayset.intersect(common, w)
        groups.append(_Group(common, [d for _, d in hit]))
    return groups


def _stab_intervals(decisions: Sequence[ModeDecision]) -> list[_Group]:
    """The same greedy on plain intervals, with integers only (the common, hot case)."""
    pending = sorted(decisions, key=lambda d: (d.hi, d.lo, d.demand.id))
    groups: list[_Group] = []
    while pending:
        point = pending[0].hi
        hit = [d for d in pending if d.lo <= point]
        pending = [d for d in pending if d.lo > point]
        lo = max(d.lo for d in hit)
        groups.append(_Group(((lo, point),), hit))
    return groups


def minimum_visits(decisions: Sequence[ModeDecision]) -> int:
    """The consolidation lower bound for one enterprise's on-site tasks.

    The number of groups :func:`stab` makes, counted without making them (the metrics
    count every enterprise of a district): in order of the last day, a window starts a
    new visit when it opens after the day of the visit before.
    """
    visits = 0
    point = 0
    for d in sorted(decisions, key=_last_day):
        if d.lo > d.hi:  # an empty window: stab's answer, which is to fail on it
            return len(stab(decisions))
        if not visits or d.lo > point:
            visits += 1
            point = d.hi
    return visits


def _last_day(d: ModeDecision) -> int:
    return d.hi


def _routine_only(groups: Sequence[_Group]) -> int:
    return sum(1 for g in groups if not g.triggered)


def _within_cap(
    triggered: Sequence[ModeDecision],
    routine: Sequence[ModeDecision],
    cap: int,
    window: Window,
) -> tuple[list[_Group], list[ModeDecision]]:
    """Stab, keeping the highest-priority routine demands the cap allows (rule 7)."""
    groups = stab([*triggered, *routine], window)
    if _routine_only(groups) <= cap:
        return groups, []
    kept: list[ModeDecision] = []
    capped: list[ModeDecision] = []
    for r in sorted(routine, key=lambda d: (-d.demand.priority, d.hi, d.demand.id)):
        if _routine_only(stab([*triggered, *kept, r], window)) <= cap:
            kept.append(r)
        else:
            capped.append(r)
    return stab([*triggered, *kept], window), capped


def consolidate_enterprise(
    uscc: str,
    onsite: Sequence[ModeDecision],
    no_disturb_days: DaySet,
    cap: int,
    cap_detail: str,
) -> tuple[list[VisitDraft], list[Dropped]]:
    """The visits of one enterprise and the demands rules 4 and 7 keep out."""
    alone = _one_visit(uscc, onsite, no_disturb_days, cap)
    if alone is not None:
        return [alone], []
    triggered = [d for d in onsite if d.demand.triggered]
    routine = [d for d in onsite if not d.demand.triggered]
    dropped: list[Dropped] = []
    if not dayset.intersect(no_disturb_days, _span(onsite)):
        groups, capped = _within_cap(triggered, routine, cap, plain_window)
    else:
        groups, capped = _with_no_disturb(triggered, routine, no_disturb_days, cap, dropped)
    dropped.extend(Dropped(d, UnscheduledReason.VISIT_CAP, cap_detail) for d in capped)
    groups.sort(key=lambda g: (dayset.first(g.days), dayset.last(g.days)))
    visits = [
        VisitDraft(f"{uscc}/{n}", uscc, g.members, g.days, g.triggered)
        for n, g in enumerate(groups, start=1)
    ]
    return visits, dropped


def _one_visit(
    uscc: str, onsite: Sequence[ModeDecision], no_disturb_days: DaySet, cap: int
) -> VisitDraft | None:
    """Most enterprises' case: one demand on-site, one visit on its window; None where
    rule 4 or 7 has a say or there is more than one demand. What the general
    consolidation makes of it, at a fifth of the cost."""
    if len(onsite) != 1:
        return None
    d = onsite[0]
    window = ((d.lo, d.hi),)
    triggered = d.demand.triggered
    if (
        d.lo > d.hi
        or not (triggered or cap >= 1)
        or (no_disturb_days and dayset.intersect(no_disturb_days, window))
    ):
        return None
    return VisitDraft(f"{uscc}/1", uscc, [d], window, triggered)


def _with_no_disturb(
    triggered: Sequence[ModeDecision],
    routine: Sequence[ModeDecision],
    no_disturb_days: DaySet,
    cap: int,
    dropped: list[Dropped],
) -> tuple[list[_Group], list[ModeDecision]]:
    """Rule 4: triggered visits first; routine tasks ride along where their windows meet
    one, the rest may only be visited outside the no-disturb period."""
    groups = stab(triggered)
    alone: list[ModeDecision] = []
    for r in sorted(routine, key=lambda d: (-d.demand.priority, d.demand.id)):
        for g in groups:
            common = dayset.intersect(g.days, plain_window(r))
            if common:
                g.days = common
                g.members.append(r)
                break
        else:
            alone.append(r)

    def outside(d: ModeDecision) -> DaySet:
        return dayset.subtract(plain_window(d), no_disturb_days)

    free = [r for r in alone if outside(r)]
    for r in alone:
        if not outside(r):
            dropped.append(
                Dropped(
                    r,
                    UnscheduledReason.NO_DISTURB_ENTERPRISE,
                    "the enterprise is on the 无感监管 list for the whole window and no "
                    "triggered visit is planned there that this routine check could join",
                )
            )
    routine_groups, capped = _within_cap([], free, cap, outside)
    return groups + routine_groups, capped


def _span(decisions: Sequence[ModeDecision]) -> DaySet:
    return dayset.normalise((d.lo, d.hi) for d in decisions)
