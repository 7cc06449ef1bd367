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

from jointinspect.models.plan_result import VisitResult


class ScopeTooNarrow(ValueError):
    """A chunk CP-SAT re-solves holds visits of enterprises outside the scope."""

    def __init__(self, usccs: frozenset[str]) -> None:
        self.usccs = usccs
        super().__init__(
            f"{len(usccs)} enterprise(s) outside the scope have visits in a chunk the "
            "replan re-solves: replan them with the scope"
        )


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
