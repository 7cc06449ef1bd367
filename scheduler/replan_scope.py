"""A replan of part of a district: the enterprises a night's change can reach, replanned
against the officer-days the rest of the filed plan keeps.

A night's change touches a few hundred enterprises of a district's tens of thousands, and
everything the replanner does to the others is to keep their visits as filed: their
officers' days count against what the changed visits may use, and nothing more. So the
replanner can be given only the changed enterprises and those it could move beside them,
with the rest as :class:`Background` — per officer and day, how many coming visits the rest
keeps there, in which town, and the highest slot they take — and make, for those
enterprises, exactly the revision a replan of the whole district makes.

Exactly, because of what the replanner does and where (:mod:`replan`):

- an enterprise whose demands, grade and no-disturb days did not change, and whose coming
  visits' officers can all still go, keeps its visits as filed: only its officer-days
  matter, and the roster's counts and sets do not depend on the order they are taken in;
- a new or moved visit goes on a day of its tasks' windows, in its enterprise's town, and
  CP-SAT re-solves only the town × ISO-week groups that hold a changed visit, each cut into
  chunks from all its movable visits: so every enterprise with a movable visit in a town
  and week the changed enterprises can reach (:func:`reach`) is replanned with them
  (:func:`widen`), and no chunk is cut differently;
- draft keys, which seed the officers' draws, are counted per enterprise.

What the scope must hold beyond that, the caller decides from what changed: the
enterprises with a new, withdrawn or changed demand, a new grade or no-disturb period, or
a coming visit whose officer can no longer go (or whose officer-day is over the officer's
daily limit). Metrics are the caller's too: officer-days and km are the whole revision's.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import VisitResult
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler.modes import Placement, decide_all
from jointinspect.scheduler.pinning import PinWindow

#: A town and an ISO (year, week).
Group = tuple[str, tuple[int, int]]


@dataclass(frozen=True)
class Background:
    """The coming visits a replan of part of the district leaves as filed, as the
    officer-days they take: (officer id, date) → (visits, town, highest slot)."""

    days: Mapping[tuple[str, dt.date], tuple[int, str, int]]

    @classmethod
    def of(cls, visits: Iterable[VisitResult]) -> "Background":
        days: dict[tuple[str, dt.date], tuple[int, str, int]] = {}
        for v in visits:
            for ref in v.inspectors:
                key = (ref.id, v.date)
                count, _, top = days.get(key, (0, v.town, 0))
                days[key] = (count + 1, v.town, max(top, v.order))
        return cls(days)


def _week(date: dt.date) -> tuple[int, int]:
    year, week, _ = date.isocalendar()
    return (year, week)


def reach(
    problem: PlanningProblem,
    visits: Iterable[VisitResult],
    changed: Collection[str],
    pins: PinWindow,
) -> frozenset[Group]:
    """The town × ISO weeks in which replanning the ``changed`` enterprises can place,
    move or re-staff a visit: their on-site demands' windows from the first open day on,
    and the weeks of their coming filed ``visits``, each in the enterprise's town."""
    workdays = problem.workdays
    out: set[Group] = set()
    last = Quarter.parse(problem.quarter).last_day
    mine = sorted((d for d in problem.demands if d.uscc in changed), key=lambda d: d.id)
    for dec in decide_all(mine, problem.items, workdays, last):
        if dec.placement != Placement.ONSITE:
            continue
        town = problem.enterprises[dec.demand.uscc].town
        for day in range(max(dec.lo, pins.first_open), dec.hi + 1):
            out.add((town, _week(workdays[day])))
    for v in visits:
        if v.uscc in changed and v.date >= pins.as_of:
            out.add((v.town, _week(v.date)))
    return frozenset(out)


def widen(
    visits: Iterable[VisitResult],
    changed: Collection[str],
    groups: Collection[Group],
    pins: PinWindow,
    workdays: Mapping[dt.date, int],
) -> set[str]:
    """``changed`` and every enterprise with a movable coming visit (after the pinned
    days) in one of ``groups``: the replanner re-solves a group with all its movable
    visits, so they are replanned together."""
    scope = set(changed)
    for v in visits:
        day = workdays.get(v.date)
        if day is not None and day >= pins.first_free and (v.town, _week(v.date)) in groups:
            scope.add(v.uscc)
    return scope


def split_visits(
    visits: Iterable[VisitResult], scope: Collection[str], as_of: dt.date
) -> tuple[list[VisitResult], list[VisitResult]]:
    """The scope's visits, and the coming visits of the rest (the background's)."""
    inside: list[VisitResult] = []
    rest: dict[bool, list[VisitResult]] = defaultdict(list)
    for v in visits:
        if v.uscc in scope:
            inside.append(v)
        else:
            rest[v.date >= as_of].append(v)
    return inside, rest[True]
