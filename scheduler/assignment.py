"""Days and officers: a fast greedy construction that clusters work by town.

Visits are taken most-constrained first (never-dropped, then triggered, then the narrowest
windows), and within equal windows town by town, so that an officer-day opened for one
visit in a town is filled by the next visits of that town. For each visit the day chosen
needs the fewest new officer-days (officers already working in that town that day come
free); ties go to the day with the most free officers (work spreads over the quarter and
narrow windows keep room), then to the earliest. New officers prefer those living in the
town, then those with the least work so far (fairness); among equally good ones the seed
draws (:mod:`officer_draw`). CP-SAT then improves the result on small subproblems
(:mod:`improve`).
"""

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jointinspect.models.enums import UnscheduledReason
from jointinspect.models.plan_problem import EnterpriseInfo, InspectorInfo, PlanningProblem
from jointinspect.scheduler import dayset, officer_draw
from jointinspect.scheduler.consolidation import Dropped, VisitDraft
from jointinspect.scheduler.errors import UnplaceableDemand
from jointinspect.scheduler.modes import ModeDecision


@dataclass(slots=True)
class Placed:
    draft: VisitDraft
    day: int
    #: Officer indices (into :attr:`Roster.officers`), sorted.
    officers: tuple[int, ...]


class Roster:
    """Officers as indices, what each may do on each day, and what each does."""

    def __init__(self, problem: PlanningProblem, need: int) -> None:
        # In id order: the officers' numbers sort as their ids, which the draw relies on.
        self.officers: list[InspectorInfo] = sorted(problem.inspectors, key=lambda o: o.id)
        self.need = need
        self.days = problem.workdays
        n_days = len(self.days)
        self.can_work = [
            bytearray(1 if o.can_work(day) else 0 for day in self.days) for o in self.officers
        ]
        self.load = [bytearray(n_days) for _ in self.officers]
        self.town_on: list[list[str | None]] = [[None] * n_days for _ in self.officers]
        self.total = [0] * len(self.officers)
        self.by_dept: dict[str, list[int]] = defaultdict(list)
        #: Each department's officers by their work so far: ``by_total[dept][n]`` holds
        #: those with ``total`` n. A visit's new officers are the least worked of the
        #: idle ones; walking up from the least worked finds them among a few, where
        #: ranking every idle officer of the department did not (:meth:`Construction._pick`).
        self.by_total: dict[str, list[set[int]]] = {}
        self.conflicts: dict[str, set[int]] = defaultdict(set)
        for i, o in enumerate(self.officers):
            self.by_dept[o.department].append(i)
            for uscc in o.conflicts:
                self.conflicts[uscc].add(i)
        for dept, members in self.by_dept.items():
            self.by_total[dept] = [set(members)]
        # Officers with no visit yet that day who may work it: (dept) → per day a set.
        self.idle: dict[str, list[set[int]]] = {
            dept: [{o for o in members if self.can_work[o][d]} for d in range(n_days)]
            for dept, members in self.by_dept.items()
        }
        #: ``len(idle[dept][day])``, kept beside the sets: a visit's freshest day is the
        #: largest of these over its window, found at C speed (:meth:`Construction._fresh`).
        self.idle_count: dict[str, list[int]] = {
            dept: [len(officers) for officers in per_day] for dept, per_day in self.idle.items()
        }
        # Officers working in a town on a day with room for more: (dept, town, day) → ids.
        self.open: dict[tuple[str, str, int], list[int]] = defaultdict(list)
        self.open_days: dict[tuple[str, str], set[int]] = defaultdict(set)
        # Of those, the officers who may work the day, counted; and the days on which a
        # department has ``need`` of them in a town, on which a visit there without a
        # 回避 conflict costs no new officer-day (the construction's fast path).
        self._ready: dict[tuple[str, str, int], int] = defaultdict(int)
        self.ready_days: dict[tuple[str, str], set[int]] = defaultdict(set)
        self._week_spans: list[tuple[int, int]] = []

    def week_span(self, day: int) -> tuple[int, int]:
        """The first and last day (indices) of the ISO week ``day`` is in."""
        if not self._week_spans:
            weeks = [d.isocalendar()[:2] for d in self.days]
            first: dict[tuple[int, int], int] = {}
            for i, week in enumerate(weeks):
                first.setdefault(week, i)
            last = {week: i for i, week in enumerate(weeks)}
            self._week_spans = [(first[w], last[w]) for w in weeks]
        return self._week_spans[day]

    def eligible(self, o: int, day: int, uscc: str) -> bool:
        """Certificate, availability, 回避 (rule 2) — load is checked separately."""
        return bool(self.can_work[o][day]) and o not in self.conflicts.get(uscc, ())

    def with_room(self, dept: str, day: int, uscc: str) -> list[int]:
        """The officers of ``dept`` who may inspect ``uscc`` on ``day`` (:meth:`eligible`)
        and have room for one more visit that day, wherever they work; in id order."""
        load, officers = self.load, self.officers
        return [
            o
            for o in self.by_dept.get(dept, ())
            if self.eligible(o, day, uscc) and load[o][day] < officers[o].max_visits_per_day
        ]

    def assign(self, o: int, day: int, town: str, count: int = 1) -> None:
        """Give officer ``o`` ``count`` visits in ``town`` on ``day`` (as many calls of
        one each: a replan loads the rest of a district's officer-days at once)."""
        officer = self.officers[o]
        dept, cap = officer.department, officer.max_visits_per_day
        load = self.load[o]
        before = load[day]
        after = load[day] = before + count
        self._count_work(o, dept, count)
        if before == 0:
            self.town_on[o][day] = town
            idle = self.idle[dept][day]
            if o in idle:
                idle.remove(o)
                self.idle_count[dept][day] -= 1
            # Open with room left; a day filled at once (the rest of a district's, in a
            # replan) would be opened and closed again, which leaves every set as it was.
            if after < cap:
                key = (dept, town, day)
                self.open[key].append(o)
                self.open_days[(dept, town)].add(day)
                self._count_ready(key, o, 1)
        elif before < cap <= after:
            key = (dept, self.town_on[o][day] or town, day)
            members = self.open[key]
            members.remove(o)
            self._count_ready(key, o, -1)
            if not members:
                self.open_days[(dept, key[1])].discard(day)

    def release(self, o: int, day: int) -> None:
        """Undo one :meth:`assign` (used by the improvement step)."""
        dept = self.officers[o].department
        cap = self.officers[o].max_visits_per_day
        town = self.town_on[o][day]
        assert town is not None
        was_full = self.load[o][day] >= cap
        self.load[o][day] -= 1
        self._count_work(o, dept, -1)
        key = (dept, town, day)
        if self.load[o][day] == 0:
            self.town_on[o][day] = None
            if self.can_work[o][day] and o not in self.idle[dept][day]:
                self.idle[dept][day].add(o)
                self.idle_count[dept][day] += 1
            if o in self.open[key]:
                self.open[key].remove(o)
                self._count_ready(key, o, -1)
        elif was_full and cap > 1:
            self.open[key].append(o)
            self._count_ready(key, o, 1)
        if self.open[key]:
            self.open_days[(dept, town)].add(day)
        else:
            self.open_days[(dept, town)].discard(day)

    def _count_work(self, o: int, dept: str, change: int) -> None:
        """Officer ``o`` (of ``dept``) has ``change`` more visits in all."""
        before = self.total[o]
        after = self.total[o] = before + change
        buckets = self.by_total[dept]
        buckets[before].discard(o)
        while len(buckets) <= after:
            buckets.append(set())
        buckets[after].add(o)

    def least_worked(
        self, dept: str, day: int, passed_over: set[int] | frozenset[int], k: int
    ) -> tuple[list[int], list[int]]:
        """The ``k`` idle officers of ``dept`` on ``day`` with the least work so far, but
        for ``passed_over``: those with less work than the ``k``-th (sorted), and those
        tied with it (sorted), from whom the rest are to be drawn. There must be ``k``."""
        idle = self.idle[dept][day]
        sure: list[int] = []
        for bucket in self.by_total[dept]:
            if not bucket:
                continue
            here = bucket & idle
            if passed_over:
                here -= passed_over
            if len(sure) + len(here) >= k:
                sure.sort()
                return sure, sorted(here)
            sure.extend(here)
        raise ValueError(f"fewer than {k} idle {dept} officers on day {day}")

    def _count_ready(self, key: tuple[str, str, int], o: int, change: int) -> None:
        """Officer ``o`` joined (``change`` 1) or left (-1) ``open[key]``."""
        dept, town, day = key
        if not self.can_work[o][day]:
            return
        ready = self._ready[key] = self._ready[key] + change
        if ready >= self.need:
            self.ready_days[(dept, town)].add(day)
        else:
            self.ready_days[(dept, town)].discard(day)


class Construction:
    """The greedy placement of all visits; failures are reduced or reported."""

    def __init__(
        self,
        problem: PlanningProblem,
        roster: Roster,
        make_room: Callable[[VisitDraft], list[VisitDraft]] | None = None,
    ) -> None:
        """``make_room``: asked, for a visit that must not be dropped and finds no officers
        with room, to take visits placed before this construction off the roster (a
        replan's filed visits) and return them, to be placed again: those that must not
        be dropped at once, the others after the rest; an empty list when it frees
        nothing."""
        self.problem = problem
        self.roster = roster
        self.make_room = make_room
        self.placed: list[Placed] = []
        self.dropped: list[Dropped] = []
        self._made_way: list[VisitDraft] = []
        # Each department's officers living in each town.
        self._home: dict[tuple[str, str | None], frozenset[int]] = {}
        for o, officer in enumerate(roster.officers):
            key = (officer.department, officer.home_town)
            self._home[key] = self._home.get(key, frozenset()) | {o}

    def run(self, drafts: Sequence[VisitDraft]) -> None:
        enterprises = self.problem.enterprises
        for draft in sorted(drafts, key=lambda v: _order(v, enterprises[v.uscc])):
            self._place_or_reduce(draft)
        # The visits that made way, placed again after the rest (none in a plan).
        while self._made_way:
            moved = sorted(self._made_way, key=lambda v: _order(v, enterprises[v.uscc]))
            self._made_way = []
            for draft in moved:
                self._place_or_reduce(draft)

    def _place_or_reduce(self, draft: VisitDraft) -> None:
        ent = self.problem.enterprises[draft.uscc]
        if self._place(draft, ent):
            return
        # Keep what must be kept: first the triggered tasks, then only never-dropped ones.
        keeps: tuple[Callable[[ModeDecision], bool], ...] = (_is_triggered, _never_dropped)
        for keep in keeps:
            kept = [t for t in draft.tasks if keep(t)]
            if not kept or len(kept) == len(draft.tasks):
                continue
            self._drop([t for t in draft.tasks if not keep(t)], draft)
            draft = VisitDraft(
                draft.key,
                draft.uscc,
                kept,
                _common(kept),
                any(t.demand.triggered for t in kept),
            )
            if self._place(draft, ent):
                return
        if draft.never_dropped:
            if self._place_across_towns(draft, ent):
                return
            if self.make_room is not None:
                made_way = self.make_room(draft)
                if made_way:
                    placed = self._place(draft, ent) or self._place_across_towns(draft, ent)
                    self._made_way.extend(v for v in made_way if not v.never_dropped)
                    # Those that must not be dropped either go elsewhere at once, while
                    # the room they were chosen for is there; a visit makes way once.
                    for moved in made_way:
                        if moved.never_dropped:
                            self._place_or_reduce(moved)
                    if placed:
                        return
            first = next(t for t in draft.tasks if t.demand.source.never_dropped)
            raise UnplaceableDemand(first.demand.id, self.why(draft)[1])
        self._drop(draft.tasks, draft)

    def _place_across_towns(self, draft: VisitDraft, ent: EnterpriseInfo) -> bool:
        """Place a visit that must not be dropped with officers working in another town
        that day, when no day has enough of them idle or in its own town.

        The construction keeps each officer's day in one town (its routes), which the
        rules do not ask: a small department with complaints in more towns than it has
        pairs of officers on a day found no day for one of them, and the whole plan
        stopped (rule 8) where the officers had room. Only such a visit is placed so, and
        only when the one-town placement has failed: every other plan is as before. The
        day: the one that sends the fewest officers to a second town, the earliest among
        equals; the officers: idle ones first, then the least loaded that day, then the
        least worked, the seed drawing among equals (:mod:`officer_draw`).
        """
        r = self.roster
        town = ent.town
        best: tuple[int, int, list[int]] | None = None
        for day in dayset.days(draft.days):
            chosen: list[int] = []
            for dept in draft.departments:
                picked = self._pick_anywhere(draft, dept, day, town)
                if picked is None:
                    break
                chosen.extend(picked)
            else:
                crossing = sum(1 for o in chosen if r.load[o][day] and r.town_on[o][day] != town)
                if best is None or crossing < best[0]:
                    best = (crossing, day, chosen)
        if best is None:
            return False
        _, day, chosen = best
        for o in chosen:
            r.assign(o, day, town)
        self.placed.append(Placed(draft, day, tuple(sorted(chosen))))
        return True

    def _pick_anywhere(self, draft: VisitDraft, dept: str, day: int, town: str) -> list[int] | None:
        """``need`` officers of ``dept`` with room on ``day``, wherever they work that day
        (:meth:`_place_across_towns`); None when there are fewer."""
        r = self.roster
        members = r.with_room(dept, day, draft.uscc)
        if len(members) < r.need:
            return None

        def merit(o: int) -> tuple[int, int, int]:
            away = r.load[o][day] > 0 and r.town_on[o][day] != town
            return (int(away), r.load[o][day], r.total[o])

        scored = sorted((merit(o), o) for o in members)
        cut = scored[r.need - 1][0]
        sure = [o for m, o in scored if m < cut]
        tied = [o for m, o in scored if m == cut]  # in id order, as the draw lists them
        drawn = officer_draw.draw_positions(
            self.problem.seed, draft.key, dept, len(tied), r.need - len(sure)
        )
        return sure + [tied[p] for p in drawn]

    def _drop(self, tasks: Sequence[ModeDecision], draft: VisitDraft) -> None:
        reason, detail = self.why(draft)
        for t in draft.tasks:
            if t in tasks:
                self.dropped.append(Dropped(t, reason, detail))

    def why(self, draft: VisitDraft) -> tuple[UnscheduledReason, str]:
        """Which department lacks officers, in words a coordinator can act on."""
        r = self.roster
        span = f"between {r.days[dayset.first(draft.days)]} and {r.days[dayset.last(draft.days)]}"
        for dept in draft.departments:
            members = r.by_dept.get(dept, [])
            eligible_days = [
                d
                for d in dayset.days(draft.days)
                if sum(1 for o in members if r.eligible(o, d, draft.uscc)) >= r.need
            ]
            if not eligible_days:
                return (
                    UnscheduledReason.NO_ELIGIBLE_INSPECTOR,
                    f"fewer than {r.need} {dept} officers with a valid certificate, available "
                    f"and without a conflict (回避) with {draft.uscc} on any working day {span}",
                )
        for dept in draft.departments:
            members = r.by_dept.get(dept, [])
            if not any(
                sum(
                    1
                    for o in members
                    if r.eligible(o, d, draft.uscc)
                    and r.load[o][d] < r.officers[o].max_visits_per_day
                )
                >= r.need
                for d in dayset.days(draft.days)
            ):
                return (
                    UnscheduledReason.CAPACITY,
                    f"no {r.need} {dept} officers without a conflict are free {span}: "
                    "all eligible officers are fully booked on those days",
                )
        return (
            UnscheduledReason.CAPACITY,
            f"no working day {span} on which every department of the visit "
            f"({', '.join(draft.departments)}) has {r.need} free officers at once",
        )

    def _place(self, draft: VisitDraft, ent: EnterpriseInfo) -> bool:
        day = self._best_day(draft, ent)
        if day is None:
            return False
        chosen: list[int] = []
        for dept in draft.departments:
            picked = self._pick(draft, ent, dept, day)
            if picked is None:
                return False
            chosen.extend(picked)
        for o in chosen:
            self.roster.assign(o, day, ent.town)
        self.placed.append(Placed(draft, day, tuple(sorted(chosen))))
        return True

    def _open_eligible(self, dept: str, town: str, day: int, uscc: str) -> list[int]:
        """Officers working in ``town`` on ``day`` with room left who may inspect ``uscc``
        (:meth:`Roster.eligible`)."""
        r = self.roster
        opened = r.open.get((dept, town, day))
        if not opened:
            return []
        can_work, barred = r.can_work, r.conflicts.get(uscc)
        if barred:
            return [o for o in opened if can_work[o][day] and o not in barred]
        return [o for o in opened if can_work[o][day]]

    def _open_count(self, dept: str, town: str, day: int, uscc: str, enough: int) -> int:
        """``min(enough, len(self._open_eligible(...)))``, without the list: a day is costed
        for every department of every visit on every day of its window."""
        opened = self.roster.open.get((dept, town, day))
        if not opened:
            return 0
        can_work, barred = self.roster.can_work, self.roster.conflicts.get(uscc) or _NO_OFFICERS
        count = 0
        for o in opened:
            if count >= enough:
                break
            if can_work[o][day] and o not in barred:
                count += 1
        return min(count, enough)

    def _free(self, dept: str, day: int, uscc: str) -> int:
        """Idle officers of ``dept`` on ``day`` who may inspect ``uscc``: an officer with a
        回避 conflict is idle but no help, and counting them would steer the visit to a day
        it cannot be staffed on."""
        r = self.roster
        idle = r.idle.get(dept)
        if idle is None:
            return 0
        barred = r.conflicts.get(uscc)
        if not barred:
            return len(idle[day])
        return len(idle[day]) - len(idle[day] & barred)

    def _day_cost(self, draft: VisitDraft, town: str, day: int) -> tuple[int, int] | None:
        """(new officer-days needed, −free officers) on ``day``; None when impossible."""
        r = self.roster
        cost = 0
        slack = 1 << 30
        for dept in draft.departments:
            have = self._open_count(dept, town, day, draft.uscc, r.need)
            missing = r.need - have
            free = self._free(dept, day, draft.uscc)
            if free < missing:
                return None
            cost += missing
            slack = min(slack, free - missing)
        return cost, -slack

    def _best_day(self, draft: VisitDraft, ent: EnterpriseInfo) -> int | None:
        r = self.roster
        open_days = [r.open_days.get((dept, ent.town), _NO_DAYS) for dept in draft.departments]
        # The window's days among a set of days: the set looks each day of the window up
        # (at C speed), where asking the window about each day of the set did not.
        window = dayset.days(draft.days)
        # Fast path: the first day on which every department already has enough officers
        # in the town with room, who may inspect the enterprise (no new officer-day).
        if r.conflicts.get(draft.uscc):
            everyone = open_days[0].intersection(*open_days[1:])
            for day in sorted(everyone.intersection(window)):
                cost = self._day_cost(draft, ent.town, day)
                if cost is not None and cost[0] == 0:
                    return day
        else:  # every officer with room who may work the day will do
            ready = [r.ready_days.get((dept, ent.town), _NO_DAYS) for dept in draft.departments]
            free_of_cost = ready[0].intersection(*ready[1:]).intersection(window)
            if free_of_cost:
                return min(free_of_cost)
        # Days with some officer already in the town are costed in full; on the others
        # every department needs fresh officers, so only the idle counts matter.
        partly = open_days[0].union(*open_days[1:])
        best: tuple[int, int, int] | None = None
        costed = sorted(partly.intersection(dayset.days(draft.days)))
        for day in costed:
            cost = self._day_cost(draft, ent.town, day)
            if cost is not None and (best is None or (*cost, day) < best):
                best = (*cost, day)
        fresh_free, fresh_day = self._fresh(draft, costed)
        if fresh_day >= 0:
            fresh = (r.need * len(draft.departments), r.need - fresh_free, fresh_day)
            best = fresh if best is None or fresh < best else best
        return None if best is None else best[2]

    def _fresh(self, draft: VisitDraft, costed: list[int]) -> tuple[int, int]:
        """The day of the visit's window, but for the ``costed`` ones (ascending), with the
        most free officers (the fewest over its departments), the earliest among equals,
        and that number; ``(need - 1, -1)`` when no day has ``need`` free."""
        r = self.roster
        fresh_free, fresh_day = r.need - 1, -1
        counts = [r.idle_count[dept] for dept in draft.departments if dept in r.idle_count]
        barred = r.conflicts.get(draft.uscc)
        if barred or len(counts) < len(draft.departments):
            # Rare (a 回避 conflict, a department without officers): counted day by day.
            idle = [r.idle.get(dept) for dept in draft.departments]
            skip = set(costed)
            for day in dayset.days(draft.days):
                if day not in skip:
                    free = _fewest_free(idle, day, barred)
                    if free > fresh_free:
                        fresh_free, fresh_day = free, day
            return fresh_free, fresh_day
        for lo, hi in draft.days:
            if len(counts) == 1:
                free_on, offset = counts[0], 0
            else:  # the fewest over the departments, for this stretch of days
                free_on = list(map(min, *(c[lo : hi + 1] for c in counts)))
                offset = lo
            # The stretches between costed days; ``max`` keeps the first of equals, and a
            # later stretch wins only with more: the earliest day among equals, as a walk
            # through the days would choose.
            start = lo
            for stop in [*(d for d in costed if lo <= d <= hi), hi + 1]:
                if start < stop:
                    day = max(range(start - offset, stop - offset), key=free_on.__getitem__)
                    free = free_on[day]
                    if free > fresh_free:
                        fresh_free, fresh_day = free, day + offset
                start = stop + 1
        return fresh_free, fresh_day

    def _pick(
        self, draft: VisitDraft, ent: EnterpriseInfo, dept: str, day: int
    ) -> list[int] | None:
        r = self.roster
        opened = self._open_eligible(dept, ent.town, day, draft.uscc)
        # Fill the fullest officer-days first so that pairs stay together.
        load = r.load
        fullest = [-load[o][day] for o in opened]
        chosen = self._draw_tied(draft, dept, opened, fullest, min(r.need, len(opened)))
        missing = r.need - len(chosen)
        if missing:
            idle = r.idle.get(dept)
            barred = r.conflicts.get(draft.uscc) or _NO_OFFICERS
            pool: set[int] = idle[day] if idle else set()
            # Officers living in the town first, then the least work so far. Every one of
            # them comes before every officer from elsewhere, so those are looked at only
            # when the town's own are too few.
            lives_here = self._home.get((dept, ent.town), _NO_OFFICERS)
            home = (pool & lives_here) - barred
            work_done = r.total.__getitem__
            if len(home) >= missing:
                near = list(home)
                chosen += self._draw_tied(draft, dept, near, list(map(work_done, near)), missing)
                return chosen
            # The rest from elsewhere: the least worked of the idle officers living in
            # other towns, without a conflict.
            passed_over = lives_here | barred if barred else lives_here
            away = len(pool) - len(pool & passed_over)
            wanted = missing - len(home)
            if away < wanted:
                return None
            sure, tied = r.least_worked(dept, day, passed_over, wanted)
            drawn = officer_draw.draw_positions(
                self.problem.seed, draft.key, dept, len(tied), wanted - len(sure)
            )
            chosen += sorted([*home, *sure]) + [tied[p] for p in drawn]
        return chosen

    def _draw_tied(
        self,
        draft: VisitDraft,
        dept: str,
        pool: list[int],
        merit: list[int],
        k: int,
    ) -> list[int]:
        """The ``k`` of ``pool`` with the least merit (``merit[j]`` is ``pool[j]``'s),
        sorted; the seed draws among officers tied at the cut."""
        if k <= 0:
            return []
        # Comprehensions over the pool, not one loop sorting officers into two lists: the
        # pool is drawn from for nearly every visit.
        if k == 1:
            cut = min(merit)
            sure = []  # none of the pool is under its least
        else:
            cut = heapq.nsmallest(k, merit)[-1]
            sure = [o for o, m in zip(pool, merit, strict=True) if m < cut]
        tied = [o for o, m in zip(pool, merit, strict=True) if m == cut]
        wanted = k - len(sure)
        # The roster numbers its officers in id order, so the tied officers sorted are
        # the tied ids sorted, as the draw lists them.
        tied.sort()
        drawn = officer_draw.draw_positions(self.problem.seed, draft.key, dept, len(tied), wanted)
        return sorted(sure) + [tied[p] for p in drawn]


_NO_DAYS: frozenset[int] = frozenset()
_NO_OFFICERS: frozenset[int] = frozenset()


def _fewest_free(idle: list[list[set[int]] | None], day: int, barred: set[int] | None) -> int:
    """The fewest idle officers on ``day`` over the visit's departments (``idle`` per
    department), those with a 回避 conflict (``barred``) not counted."""
    fewest = 1 << 30
    for per_day in idle:
        if per_day is None:
            return 0
        officers = per_day[day]
        # The intersection walks the smaller set, the few barred: counting the idle one by
        # one was a sixth of a plan's construction where enterprises have many departments.
        free = len(officers) - len(officers & barred) if barred else len(officers)
        fewest = min(fewest, free)
    return fewest


def across_towns(roster: Roster, p: Placed, town: str) -> bool:
    """Whether a visit in ``town`` has an officer whose day is in another town
    (:meth:`Construction._place_across_towns`). The improvement and the replan's
    rebalance leave such a visit as it is: their models give each officer-day one town."""
    town_on = roster.town_on
    return any(town_on[o][p.day] != town for o in p.officers)


def _is_triggered(t: ModeDecision) -> bool:
    return t.demand.triggered


def _never_dropped(t: ModeDecision) -> bool:
    return t.demand.source.never_dropped


def _common(tasks: Sequence[ModeDecision]) -> dayset.DaySet:
    days: dayset.DaySet | None = None
    for t in tasks:
        w = dayset.interval(t.lo, t.hi)
        days = w if days is None else dayset.intersect(days, w)
    return days or ()


def _order(v: VisitDraft, ent: EnterpriseInfo) -> tuple[object, ...]:
    return (
        not v.never_dropped,
        not v.triggered,
        dayset.size(v.days),
        dayset.last(v.days),
        ent.town,
        round(ent.lat or 0.0, 3),
        round(ent.lon or 0.0, 3),
        v.key,
    )
