"""The day-and-team CP-SAT model of one chunk of placed visits (one town × ISO week).

One model serves the planner's improvement step (:mod:`improve`, officer-days only) and
the replan's minimal-change step (:mod:`change_cost`, which adds a price on every change
through the optional ``penalties`` term). A chunk keeps its visits, officers and week;
everything else the officers do is fixed, and an officer-day already spent in another
town is not available.

Variables are made in a fixed order (visits in ``members`` order, then officer-days
sorted), so the same chunk gives the same model and, with a fixed seed, the same answer.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from jointinspect.scheduler import dayset
from jointinspect.scheduler.assignment import Placed, Roster

#: Visit index → (day index, officer indices), the solved chunk.
Assignment = dict[int, tuple[int, tuple[int, ...]]]

#: (model, visit index, day vars, officer vars) → objective terms for that visit.
PenaltyTerms = Callable[
    [
        cp_model.CpModel,
        int,
        dict[tuple[int, int], cp_model.IntVar],
        dict[tuple[int, int], cp_model.IntVar],
    ],
    list[Any],
]


@dataclass(slots=True)
class ChunkModel:
    model: cp_model.CpModel
    #: (visit, day) → the visit is on that day.
    x: dict[tuple[int, int], cp_model.IntVar]
    #: (officer, visit) → the officer is on the visit's team.
    a: dict[tuple[int, int], cp_model.IntVar]
    #: (officer, day) → the officer-day is spent on the chunk alone (the cost).
    w: dict[tuple[int, int], cp_model.IntVar]
    #: Terms ``penalties`` added, in visit order.
    penalties: list[Any]
    #: The (officer, day) pairs of the roster the model was made from: the chunk's
    #: officers over its week's days. A change elsewhere leaves the model as it is.
    reads: frozenset[tuple[int, int]]


#: The domain of every 0-1 variable, made once (see :func:`build_chunk_model`).
_BOOLEAN = cp_model.Domain(0, 1)


def cp_sat_seed(seed: str) -> int:
    """CP-SAT's random seed from the plan seed (sha256, never Python's ``hash``)."""
    return int(hashlib.sha256(seed.encode()).hexdigest()[:7], 16)


def inside_load(placed: Sequence[Placed], members: Sequence[int]) -> dict[tuple[int, int], int]:
    """Visits of the chunk per (officer, day) as it stands."""
    inside: dict[tuple[int, int], int] = defaultdict(int)
    for i in members:
        for o in placed[i].officers:
            inside[(o, placed[i].day)] += 1
    return inside


def freeable_officer_days(roster: Roster, placed: Sequence[Placed], members: Sequence[int]) -> int:
    """Officer-days the chunk uses alone (no visit outside it): what it can free."""
    inside = inside_load(placed, members)
    return sum(1 for (o, d), n in inside.items() if roster.load[o][d] == n)


def week_days(roster: Roster, p: Placed) -> list[int]:
    """The days of the visit's window in the ISO week of its day, ascending."""
    lo, hi = roster.week_span(p.day)
    return list(dayset.days(dayset.intersect(p.draft.days, ((lo, hi),))))


def paid_officer_days_bound(
    roster: Roster,
    placed: Sequence[Placed],
    members: Sequence[int],
    town: str | None,
    movable_from: int = 0,
) -> int:
    """A lower bound on the model's objective: the officer-days the chunk must pay for.

    Officer-days its officers already spend in ``town`` on the chunk's days (outside
    it) have room left at no cost; every other officer on a visit takes an officer-day
    that the chunk pays for. Per department, the larger of two bounds on those:

    - by slots: the chunk's visits need ``need`` officer slots each, the free room takes
      what it can, and every other slot needs a paid officer-day, which holds at most
      the department's largest ``max_visits_per_day``;
    - by visit: a visit's officers are ``need`` different officers on one day, so it
      pays for as many officer-days as it has officers more than the day with the most
      free officers (not barred from it) offers, among its model's days.

    Looser than the model (room shared, any day of the week for the first) and therefore
    a bound: when it is not below :func:`freeable_officer_days`, no solution of the model
    saves an officer-day.
    """
    inside = inside_load(placed, members)
    need = roster.need
    days: set[int] = set()
    slots: dict[str, int] = defaultdict(int)
    for i in members:
        p = placed[i]
        days.update(week_days(roster, p))
        for dept in p.draft.departments:
            slots[dept] += need
    pool = sorted({o for i in members for o in placed[i].officers})
    by_dept: dict[str, list[int]] = defaultdict(list)
    #: Per officer-day, the room its work outside the chunk leaves free (officers with
    #: some only).
    room: dict[tuple[int, int], int] = {}
    for o in pool:
        by_dept[roster.officers[o].department].append(o)
        cap = roster.officers[o].max_visits_per_day
        load, town_on, can_work = roster.load[o], roster.town_on[o], roster.can_work[o]
        for d in days:
            outside = load[d] - inside.get((o, d), 0)
            if outside and town_on[d] == town and can_work[d]:
                room[(o, d)] = cap - outside
    #: Per department and day, the officers with room left.
    roomy: dict[tuple[str, int], set[int]] = defaultdict(set)
    for (o, d), left in room.items():
        if left > 0:
            roomy[(roster.officers[o].department, d)].add(o)
    by_visit: dict[str, int] = defaultdict(int)
    for i in members:
        p = placed[i]
        own = [d for d in week_days(roster, p) if d >= movable_from or d == p.day]
        barred = roster.conflicts.get(p.draft.uscc, ())
        for dept in p.draft.departments:
            most = max((len(roomy[(dept, d)].difference(barred)) for d in own), default=0)
            by_visit[dept] = max(by_visit[dept], need - most)
    bound = 0
    for dept, needed in sorted(slots.items()):
        officers = by_dept[dept]
        free = sum(room.get((o, d), 0) for o in officers for d in days)
        per_day = max(roster.officers[o].max_visits_per_day for o in officers)
        bound += days_to_pay(needed, free, per_day, by_visit[dept])
    return bound


def days_to_pay(needed: int, free: int, per_day: int, short: int) -> int:
    """The officer-days a department pays for at least: ``needed`` officer slots, of
    which the room of days already spent takes ``free``, and the rest ``per_day`` to a
    new day; and ``short``, the most officers one visit lacks on its day."""
    left = needed - free
    return max(-(-left // per_day) if left > 0 else 0, short)


def build_chunk_model(
    roster: Roster,
    placed: Sequence[Placed],
    members: Sequence[int],
    town: str | None,
    *,
    movable_from: int = 0,
    penalties: PenaltyTerms | None = None,
) -> ChunkModel:
    """The chunk's model with its hard constraints; the caller sets objective and hints.

    Each visit may take any day of its current week that its windows allow and that is
    at or after ``movable_from`` (its own day always stays allowed).
    """
    need = roster.need
    pool = sorted({o for i in members for o in placed[i].officers})
    inside = inside_load(placed, members)
    load, can_work, town_on = roster.load, roster.can_work, roster.town_on

    def outside(o: int, d: int) -> int:
        return load[o][d] - inside.get((o, d), 0)

    # Worked out once per chunk, not per visit: the pool by department (in pool order)
    # and the days each officer is usable on — free that day, or already working in this
    # town (then at no extra cost); a chunk is one week, so these are few.
    pool_of: dict[str, list[int]] = defaultdict(list)
    for o in pool:
        pool_of[roster.officers[o].department].append(o)
    week = sorted({d for i in members for d in week_days(roster, placed[i])})
    usable_days = {
        o: {d for d in week if can_work[o][d] and (outside(o, d) == 0 or town_on[o][d] == town)}
        for o in pool
    }

    m = cp_model.CpModel()
    proto = m.model_proto

    def new_bool(name: str) -> cp_model.IntVar:
        """``m.new_bool_var(name)`` — the same variable, made as that method makes it, but
        with one shared 0-1 domain instead of a new one per variable (a replan makes some
        hundred thousand; test_stages checks the two stay the same)."""
        return cp_model.IntVar(proto).with_name(name).with_domain(_BOOLEAN)

    x: dict[tuple[int, int], cp_model.IntVar] = {}
    a: dict[tuple[int, int], cp_model.IntVar] = {}
    per_od: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    terms: list[Any] = []
    for i in members:
        p = placed[i]
        days = [d for d in week_days(roster, p) if d >= movable_from or d == p.day]
        on_day = [new_bool(f"x{i}_{d}") for d in days]
        x.update(((i, d), var) for d, var in zip(days, on_day, strict=True))
        m.add_exactly_one(on_day)
        barred = roster.conflicts.get(p.draft.uscc, ())
        for dept in p.draft.departments:
            cands = [o for o in pool_of.get(dept, ()) if o not in barred]
            on_team = [new_bool(f"a{o}_{i}") for o in cands]
            a.update(((o, i), var) for o, var in zip(cands, on_team, strict=True))
            m.add(sum(on_team) == need)
            for o, ao in zip(cands, on_team, strict=True):
                usable = usable_days[o]
                for d, xd in zip(days, on_day, strict=True):
                    if d in usable:
                        v = new_bool(f"z{o}_{i}_{d}")
                        m.add(v >= ao + xd - 1)
                        per_od[(o, d)].append(v)
                    else:
                        m.add(ao + xd <= 1)
        if penalties is not None:
            terms.extend(penalties(m, i, x, a))
    w: dict[tuple[int, int], cp_model.IntVar] = {}
    for (o, d), vs in sorted(per_od.items()):
        out = outside(o, d)
        room = roster.officers[o].max_visits_per_day - out
        if out:
            m.add(sum(vs) <= room)  # an officer-day spent anyway: no cost
            continue
        w[(o, d)] = m.new_bool_var(f"w{o}_{d}")
        m.add(sum(vs) <= room * w[(o, d)])
    return ChunkModel(m, x, a, w, terms, frozenset((o, d) for o in pool for d in week))


def solved_assignment(
    solver: cp_model.CpSolver, chunk: ChunkModel, members: Sequence[int]
) -> Assignment:
    """Each visit's day and (sorted) officers in the solver's solution."""
    assignment: Assignment = {}
    for i in members:
        day = next(d for (j, d), var in chunk.x.items() if j == i and solver.boolean_value(var))
        officers = tuple(
            sorted(o for (o, j), var in chunk.a.items() if j == i and solver.boolean_value(var))
        )
        assignment[i] = (day, officers)
    return assignment


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a chunk's answer changed."""

    #: The visits whose day or team changed.
    changed: set[int]
    #: The officer-days those visits left or took: the roster changed there alone.
    officer_days: frozenset[tuple[int, int]]


def apply_assignment(
    roster: Roster,
    placed: list[Placed],
    members: Sequence[int],
    assignment: Assignment,
    town: str,
) -> Applied:
    """Move the chunk's visits (all in ``town``) to their solved day and team."""
    for i in members:
        for o in placed[i].officers:
            roster.release(o, placed[i].day)
    changed: set[int] = set()
    touched: set[tuple[int, int]] = set()
    for i in members:
        day, officers = assignment[i]
        before = placed[i]
        if (day, officers) != (before.day, before.officers):
            changed.add(i)
            touched.update((o, before.day) for o in before.officers)
            touched.update((o, day) for o in officers)
        placed[i] = Placed(before.draft, day, officers)
        for o in officers:
            roster.assign(o, day, town)
    return Applied(changed, frozenset(touched))
