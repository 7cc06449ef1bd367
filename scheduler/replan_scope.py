"""A replan of part of a district: the enterprises a night's change reaches, replanned
against the officer-days the rest of the filed plan keeps.

A night's change touches a few hundred enterprises of a district's tens of thousands, and
all the replanner does to the others is keep their visits as filed: their officers' days
count against what the changed visits may use, and CP-SAT may re-solve a chunk of their
town and week beside a changed visit. So the replanner can be given only the changed
enterprises, with the rest as :class:`Background` — per officer and day, how many coming
visits the rest keeps there, in which town, and the highest slot they take; and the
rest's movable visits as the replanner sorts them in their town-weeks — and make, for
those enterprises, exactly the revision a replan of the whole district makes:

- an enterprise whose demands, grade and no-disturb days did not change, and whose coming
  visits' officers can all still go, keeps its visits as filed: only its officer-days
  matter, and the roster's counts and sets do not depend on the order they are taken in;
- CP-SAT re-solves the chunks of 12 (in day and key order) of a touched town-week that
  hold a changed visit, cut from all the town-week's movable visits: the background's
  take their places in the cut, and when one falls in a re-solved chunk the replan stops
  with :class:`ScopeTooNarrow`, naming the enterprises to add to the scope (at most once:
  the visits the added enterprises bring are the ones they had in the cut, and none of
  them changes before CP-SAT);
- draft keys, which seed the officers' draws and order the cut, are counted per
  enterprise.

What the scope must hold, the caller decides from what changed: the enterprises with a
new, withdrawn or changed demand, a new grade or no-disturb period, or a coming visit
whose officer can no longer go (or whose officer-day is over the officer's daily limit;
the background refuses such days). Metrics are the caller's too: officer-days and km are
the whole revision's.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import PlanMetrics, PlanResult, VisitResult
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler.modes import decide_all
from jointinspect.scheduler.result_assembly import MODES, SOURCE_VALUES, plan_figures


class ScopeTooNarrow(ValueError):
    """A chunk CP-SAT re-solves holds visits of enterprises outside the scope."""

    def __init__(self, usccs: frozenset[str]) -> None:
        self.usccs = usccs
        super().__init__(
            f"{len(usccs)} enterprise(s) outside the scope have visits in a chunk the "
            "replan re-solves: replan them with the scope"
        )


class BackgroundRefused(ValueError):
    """An officer-day of the background is one its officer can no longer keep: the
    visits there would change in a replan of the whole district."""


class RoomNeeded(ValueError):
    """A visit that must not be dropped finds no officers with room in the part: visits
    of the rest may have to make way for it, which only a replan of the whole district
    can weigh."""


@dataclass(frozen=True)
class Background:
    """The coming visits a replan of part of the district leaves as filed."""

    #: (officer id, date) → (visits, town, highest slot): the officer-days they take.
    days: Mapping[tuple[str, dt.date], tuple[int, str, int]]
    #: (town, date, draft key) of those CP-SAT could move (after the pinned days), the key
    #: as the replan makes it (``{uscc}/r{k}``, k counting the enterprise's coming visits).
    movable: Sequence[tuple[str, dt.date, str]] = ()

    @classmethod
    def of(cls, visits: Iterable[VisitResult], movable_from: dt.date | None) -> "Background":
        """From the rest's coming visits in the filed revision's order; those on or after
        ``movable_from`` (the first day after the pinned ones; None: none) are movable."""
        days: dict[tuple[str, dt.date], tuple[int, str, int]] = {}
        listed = []
        for v in visits:
            listed.append((v.uscc, v.date, v.town))
            for ref in v.inspectors:
                key = (ref.id, v.date)
                count, town, top = days.get(key, (0, v.town, 0))
                if town != v.town:
                    raise ValueError(
                        f"officer {ref.id} has visits in {town} and {v.town} on {v.date}"
                    )
                days[key] = (count + 1, town, max(top, v.order))
        return cls.of_rows(days, listed, movable_from)

    @classmethod
    def of_rows(
        cls,
        days: Mapping[tuple[str, dt.date], tuple[int, str, int]],
        visits: Iterable[tuple[str, dt.date, str]],
        movable_from: dt.date | None,
    ) -> "Background":
        """From the officer-days and the (uscc, date, town) of the rest's coming visits in
        the filed revision's order, as the database gives them (``data.plans.replan_part``)."""
        movable: list[tuple[str, dt.date, str]] = []
        formed: dict[str, int] = defaultdict(int)
        for uscc, date, town in visits:
            formed[uscc] += 1
            if movable_from is not None and date >= movable_from:
                movable.append((town, date, f"{uscc}/r{formed[uscc]}"))
        return cls(dict(days), movable)


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


def filed_figures(problem: PlanningProblem, filed: PlanResult) -> PlanMetrics:
    """What the part ``filed`` (the scope's rows of the filed revision) counted in the
    filed revision's figures, its demands decided as ``problem`` (the scope's, today)
    decides them — as they were when it was filed, the inputs being unchanged
    (``data.plans.basis``). Officer-days are not counted (0): they are the whole
    revision's."""
    held = {t.demand_id for v in filed.visits for t in v.tasks}
    held.update(o.demand_id for o in filed.offsite)
    held.update(u.demand_id for u in filed.unscheduled)
    decisions = {
        d.demand.id: d
        for d in decide_all(
            sorted((d for d in problem.demands if d.id in held), key=lambda d: d.id),
            problem.items,
            problem.workdays,
            Quarter.parse(problem.quarter).last_day,
        )
    }
    if len(decisions) != len(held):
        gone = sorted(held - decisions.keys())[:3]
        raise ValueError(f"demands of the filed revision are gone: {', '.join(gone)}")
    return plan_figures(decisions, filed.visits, filed.offsite, filed.unscheduled, 0)


def whole_figures(
    filed: Mapping[str, Any],
    left: Mapping[str, Any],
    taken: Mapping[str, Any],
    officer_days: int,
    km: float,
) -> PlanMetrics:
    """The whole revision's figures: the filed revision's (``filed``) less what the
    scope's filed part counted (``left``) plus what its replan counts (``taken``); every
    figure but officer-days and km is a sum over enterprises or demands."""

    def count(key: str) -> int:
        return int(filed[key]) - int(left[key]) + int(taken[key])

    by_source: dict[str, dict[str, int]] = {}
    for source in SOURCE_VALUES.values():  # in the order plan_metrics gives them
        modes = {
            m: sum(
                sign * int(part["demands_by_source"].get(source, {}).get(m, 0))
                for sign, part in ((1, filed), (-1, left), (1, taken))
            )
            for m in MODES
        }
        if any(modes.values()):
            by_source[source] = modes
    reasons: dict[str, int] = {}
    for reason in sorted({*filed["unscheduled_by_reason"], *taken["unscheduled_by_reason"]}):
        n = sum(
            sign * int(part["unscheduled_by_reason"].get(reason, 0))
            for sign, part in ((1, filed), (-1, left), (1, taken))
        )
        if n:
            reasons[reason] = n
    onsite = count("onsite_visits")
    alone = count("visits_if_departments_alone")
    return {
        "demands": count("demands"),
        "onsite_visits": onsite,
        "offsite_checks": count("offsite_checks"),
        "unscheduled": count("unscheduled"),
        "demands_by_source": by_source,
        "unscheduled_by_reason": reasons,
        "consolidation_lower_bound": count("consolidation_lower_bound"),
        "visits_if_departments_alone": alone,
        "visits_saved": alone - onsite,
        "officer_days": officer_days,
        "km": round(km, 3),
    }
