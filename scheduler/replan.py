"""Replanning: the next revision of a filed plan, changing as little as it can.

``replan(problem, previous, as_of, pin_working_days, params, costs) -> ReplanOutcome``

1. Visits before ``as_of`` are history: copied as they were.
2. Per enterprise, the filed visits stay as filed when nothing about the enterprise's
   on-site demands changed (no new demand, none withdrawn, windows, caps and the
   no-disturb list still hold). Otherwise the enterprise is re-consolidated
   (综合查一次, the planner's :func:`consolidate_enterprise`) over the demands not held by
   its history and pinned visits, windows cut to start at ``as_of``; each new visit is
   matched to the filed visit it shares most demands with and keeps that visit's day and
   officers when the windows allow — a new complaint joins (撮合) the filed visit of its
   enterprise instead of making a second one.
3. Pinned visits (the next ``pin_working_days`` working days) and kept visits lose only
   officers who can no longer go (unavailable, certificate expired, 回避): each is
   replaced by a colleague of the same department free that day, preferring one already
   working in that town. A visit with no replacement is placed afresh.
4. Visits that could not keep their filed place, and new visits, are placed by the
   planner's greedy :class:`Construction` on what the officers have left.
5. CP-SAT (:mod:`change_cost`) re-solves each town × week chunk holding a changed visit,
   with a price on every change and the current plan as the hint.
6. Slots: unchanged visits keep theirs; a changed visit takes the next free slot of its
   officers that day (routes are not re-optimised, so officers' days stay as announced).

Cost: a night's change is a few hundred enterprises of a district's tens of thousands, so
what every filed visit goes through is kept to lookups: its demand ids, day status and
triggered flag are worked out once, and a visit that stays as filed is the filed
:class:`VisitResult` itself (and its off-site checks the filed ones), not a rebuilt copy.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from jointinspect.models.enums import TRIGGERED_SOURCES
from jointinspect.models.plan_problem import EnterpriseInfo, PlanningProblem
from jointinspect.models.plan_result import (
    OfficerRef,
    PlanResult,
    ReplanFigures,
    UnscheduledResult,
    VisitResult,
)
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler import dayset, officer_draw
from jointinspect.scheduler.assignment import Construction, Placed, Roster, across_towns
from jointinspect.scheduler.change_cost import ChangeCosts, FiledPlacement, rebalance
from jointinspect.scheduler.consolidation import VisitDraft, consolidate_enterprise
from jointinspect.scheduler.errors import UnknownReference, UnplaceableDemand
from jointinspect.scheduler.modes import ModeDecision, Placement, decide_all
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.pinning import DayStatus, PinWindow, pin_window
from jointinspect.scheduler.plan_diff import Provenance, plan_diff
from jointinspect.scheduler.replan_scope import (
    Background,
    BackgroundRefused,
    RoomNeeded,
    ScopeTooNarrow,
)
from jointinspect.scheduler.result_assembly import (
    SOURCE_VALUES,
    by_department,
    offsite_results,
    plan_figures,
    task_refs,
    unscheduled_result,
)
from jointinspect.scheduler.routing import Point, day_travel_um
from jointinspect.scheduler.solve import cap_detail, no_disturb_days

#: Unscheduled reasons that hold until the enterprise's demands change (carried over).
_CARRIED_REASONS = frozenset(
    {"visit_cap", "capacity", "no_eligible_inspector", "no_disturb_enterprise", "infeasible"}
)


@dataclass(frozen=True)
class ReplanOutcome:
    result: PlanResult
    diff: dict[str, Any]
    pins: PinWindow


@dataclass(slots=True)
class _Meta:
    origin: int | None
    fixed: bool = False
    reasons: list[str] = field(default_factory=list)
    #: The origin's filed day and officers (:func:`_filed_of`), once worked out.
    filed: FiledPlacement | None = None


class _Replan:
    def __init__(
        self,
        problem: PlanningProblem,
        previous: PlanResult,
        pins: PinWindow,
        params: SchedulerParams,
        background: Background | None = None,
    ) -> None:
        self.problem = problem
        self.background = background
        self.previous = previous
        self.pins = pins
        self.params = params
        self.day_of = problem.day_index()
        self.roster = Roster(problem, params.officers_per_department)
        self.officer_index = {o.id: i for i, o in enumerate(self.roster.officers)}
        if background is not None:
            self._take(background)
        last = Quarter.parse(problem.quarter).last_day
        self.decisions = {
            d.demand.id: d
            for d in decide_all(
                sorted(problem.demands, key=attrgetter("id")),
                problem.items,
                problem.workdays,
                last,
            )
        }
        # Per filed visit, worked out once: most are looked at several times (touched,
        # kept, counted against the cap) and a district files tens of thousands.
        visits = previous.visits
        self.ids_of = [frozenset([t.demand_id for t in v.tasks]) for v in visits]
        status_on = {d: self._status(d) for d in {v.date for v in visits}}
        self.status_of = [status_on[v.date] for v in visits]
        self.triggered_of = [self.triggered(ids) for ids in self.ids_of]
        self.placed: list[Placed] = []
        self.meta: list[_Meta] = []
        self.history: list[VisitResult] = []
        #: The index in ``previous.visits`` of each of ``history``.
        self.history_origin: list[int] = []
        self.unscheduled: list[UnscheduledResult] = []
        self.fresh: list[VisitDraft] = []
        self.fresh_meta: dict[str, _Meta] = {}
        self.cancelled: dict[int, list[str]] = defaultdict(list)
        #: Per enterprise, the visits this replan has formed so far (:meth:`key`).
        self.visit_numbers: dict[str, int] = defaultdict(int)
        #: The draft keys of the filed visits that made way (:meth:`make_room`).
        self.made_way: list[str] = []

    def _take(self, background: Background) -> None:
        """The officer-days the rest of the plan keeps, on the roster before anything else
        (its counts and sets are the same whatever the order visits are taken in)."""
        roster = self.roster
        index, day_of, as_of = self.officer_index, self.day_of, self.pins.as_of
        can_work, officers = roster.can_work, roster.officers
        refused = []
        for (oid, date), (count, town, _) in background.days.items():
            o, day = index.get(oid), day_of.get(date)
            # What would change a visit of the rest belongs in the scope, not here.
            if (
                o is None
                or day is None
                or date < as_of
                or not can_work[o][day]
                or count > officers[o].max_visits_per_day
            ):
                refused.append((oid, date, count))
            else:
                roster.assign(o, day, town, count)
        if refused:  # the first by officer and date, whatever order the days came in
            oid, date, count = min(refused)
            raise BackgroundRefused(
                f"officer {oid} cannot keep {count} visit(s) on {date}: replan the "
                "enterprises of those visits too"
            )

    # ------------------------------------------------------------------ per enterprise

    def _status(self, date: dt.date) -> DayStatus:
        if date < self.pins.as_of:
            return DayStatus.HISTORY
        day = self.day_of.get(date)
        return DayStatus.FREE if day is None else self.pins.status(day)

    def status(self, i: int) -> DayStatus:
        return self.status_of[i]

    def run(self) -> None:
        onsite: dict[str, list[ModeDecision]] = defaultdict(list)
        for dec in self.decisions.values():
            if dec.placement == Placement.ONSITE:
                onsite[dec.demand.uscc].append(dec)
        filed: dict[str, list[int]] = defaultdict(list)
        for i, v in enumerate(self.previous.visits):
            filed[v.uscc].append(i)
        carried = {u.demand_id: u for u in self.previous.unscheduled}
        none: list[ModeDecision] = []
        nothing: list[int] = []
        for uscc in sorted(onsite.keys() | filed.keys()):
            decs = onsite.get(uscc, none)
            visits = filed.get(uscc, nothing)
            for i in visits:
                if self.status_of[i] == DayStatus.HISTORY:
                    self.history.append(self.previous.visits[i])
                    self.history_origin.append(i)
            why = self.touched(uscc, decs, visits, carried)
            if why is None:
                self.keep(uscc, decs, visits, carried)
            else:
                self.reconsolidate(uscc, decs, visits, why)

    def task_ids(self, i: int) -> frozenset[str]:
        return self.ids_of[i]

    def triggered(self, ids: Iterable[str]) -> bool:
        decisions = self.decisions
        for d in ids:
            dec = decisions.get(d)
            # demand.triggered, without its two property calls (asked of every filed visit)
            if dec is not None and dec.demand.source in TRIGGERED_SOURCES:
                return True
        return False

    def touched(
        self,
        uscc: str,
        decs: Sequence[ModeDecision],
        visits: Sequence[int],
        carried: Mapping[str, UnscheduledResult],
    ) -> str | None:
        """Why the enterprise's filed visits cannot simply stay (None: they can)."""
        ids = {d.demand.id for d in decs}
        if len(visits) == 1:
            held = self.ids_of[visits[0]]
        else:
            held = frozenset().union(*(self.ids_of[i] for i in visits))
        if not ids <= held:
            new = sorted(
                d
                for d in ids - held
                if d not in carried or carried[d].reason not in _CARRIED_REASONS
            )
            if new:
                return f"new demand {', '.join(new)}"
        ent = self.problem.enterprises.get(uscc)
        decisions = self.decisions
        routine_visits = 0
        for i in visits:
            routine = not self.triggered_of[i]
            routine_visits += routine
            if self.status_of[i] == DayStatus.HISTORY:
                continue
            task_ids = self.ids_of[i]
            if not task_ids <= ids:
                gone = sorted(task_ids - ids)
                return f"demand {', '.join(gone)} no longer needs this visit"
            date = self.previous.visits[i].date
            day = self.day_of.get(date)
            if day is None or not all(decisions[d].lo <= day <= decisions[d].hi for d in task_ids):
                return "a task's window no longer holds the visit's day"
            if ent is not None and routine and ent.no_disturb and ent.no_disturb_on(date):
                return "the enterprise is now on the 无感监管 list"
        if ent is not None and routine_visits:  # a cap is never below 0
            used = self.problem.routine_visits_this_year.get(uscc, 0)
            if routine_visits > self.params.cap_for(ent.grade, used):
                return f"its grade {ent.grade} now allows fewer routine visits"
        return None

    def keep(
        self,
        uscc: str,
        decs: Sequence[ModeDecision],
        visits: Sequence[int],
        carried: Mapping[str, UnscheduledResult],
    ) -> None:
        held: set[str] = set()
        for i in visits:
            task_ids = self.ids_of[i]
            held |= task_ids
            status = self.status_of[i]
            if status == DayStatus.HISTORY:
                continue
            v = self.previous.visits[i]
            tasks = [self.decisions[d] for d in sorted(task_ids)]
            day = self.day_of[v.date]
            draft = VisitDraft(self.key(uscc), uscc, tasks, _window(tasks), self.triggered_of[i])
            self.add_filed(draft, day, v, _Meta(i, fixed=status == DayStatus.PINNED))
        for d in decs:
            if d.demand.id not in held:
                self.unscheduled.append(carried[d.demand.id])

    def reconsolidate(
        self, uscc: str, decs: Sequence[ModeDecision], visits: Sequence[int], why: str
    ) -> None:
        ent = self.problem.enterprises.get(uscc)
        if ent is None:  # none of its demands is left: its coming visits go
            for i in visits:
                if self.status(i) != DayStatus.HISTORY:
                    self.cancelled[i].append(why)
            return
        ids = {d.demand.id for d in decs}
        used: set[str] = set()
        routine_fixed = 0
        free: list[int] = []
        for i in visits:
            status = self.status_of[i]
            if status == DayStatus.FREE:
                free.append(i)
                continue
            used |= self.task_ids(i)
            if not self.triggered_of[i]:
                routine_fixed += 1
            if status == DayStatus.PINNED:
                v = self.previous.visits[i]
                kept = sorted(self.task_ids(i) & ids)
                if not kept:
                    self.cancelled[i].append(why)
                    continue
                tasks = [self.decisions[d] for d in kept]
                draft = VisitDraft(
                    self.key(uscc), uscc, tasks, _window(tasks), self.triggered(set(kept))
                )
                meta = _Meta(i, fixed=True)
                if len(kept) < len(self.task_ids(i)):
                    meta.reasons.append(why)
                self.add_filed(draft, self.day_of[v.date], v, meta)
        remaining: list[ModeDecision] = []
        for d in decs:
            if d.demand.id in used:
                continue
            lo = max(d.lo, self.pins.first_open)
            if lo > d.hi:
                self.window_passed(d)
                continue
            remaining.append(_clipped(d, lo))
        cap_used = self.problem.routine_visits_this_year.get(uscc, 0)
        cap = max(0, self.params.cap_for(ent.grade, cap_used) - routine_fixed)
        drafts, dropped = consolidate_enterprise(
            uscc,
            remaining,
            no_disturb_days(ent, self.problem.workdays),
            cap,
            cap_detail(ent, self.params, cap_used),
        )
        self.unscheduled += [
            unscheduled_result(x.decision, x.reason.value, x.detail) for x in dropped
        ]
        matched = self.match(drafts, free)
        for k, draft in enumerate(drafts):
            draft.key = self.key(uscc)
            origin = matched.get(k)
            meta = _Meta(origin)
            if origin is None:
                meta.reasons.append(why)
                self.fresh.append(draft)
                self.fresh_meta[draft.key] = meta
                continue
            v = self.previous.visits[origin]
            day = self.day_of.get(v.date, -1)
            added = sorted({t.demand.id for t in draft.tasks} - self.task_ids(origin))
            if added:
                meta.reasons.append(f"撮合: {', '.join(added)} joined this visit")
            if dayset.contains(draft.days, day):
                self.add_filed(draft, day, v, meta)
            else:
                meta.reasons.append(f"moved into the window of {', '.join(added) or 'its demands'}")
                self.fresh.append(draft)
                self.fresh_meta[draft.key] = meta
        for i in free:
            if i not in matched.values():
                self.cancelled[i].append(f"{why}: its demands are served by another visit")

    def match(self, drafts: Sequence[VisitDraft], free: Sequence[int]) -> dict[int, int]:
        """Each new visit (by its place in ``drafts``) → the filed visit sharing most
        demands with it (one to one). Ties go to the earlier filed visit, then to the
        earlier new one: never to where the objects happen to lie in memory, which
        differed from one run to the next and with it the revision's account of what
        moved and what was re-staffed."""
        pairs = []
        for k, draft in enumerate(drafts):
            ids = {t.demand.id for t in draft.tasks}
            for i in free:
                shared = len(ids & self.task_ids(i))
                if shared:
                    pairs.append((-shared, self.previous.visits[i].date, i, k))
        out: dict[int, int] = {}
        taken: set[int] = set()
        for _, _, i, k in sorted(pairs):
            if k not in out and i not in taken:
                out[k] = i
                taken.add(i)
        return out

    def window_passed(self, d: ModeDecision) -> None:
        detail = f"its window closed before the replan date {self.pins.as_of}"
        if d.demand.source.never_dropped:
            raise UnplaceableDemand(d.demand.id, detail)
        self.unscheduled.append(unscheduled_result(d, "infeasible", detail))

    def key(self, uscc: str) -> str:
        """The key of the next visit formed for ``uscc``: ``{uscc}/r{k}``, the enterprise's
        k-th. Counted per enterprise, so that the officers drawn for one enterprise's visits
        (the key seeds the draw) do not depend on how many visits other enterprises got,
        and an auditor redoes a draw from the enterprise's own visits."""
        self.visit_numbers[uscc] += 1
        return f"{uscc}/r{self.visit_numbers[uscc]}"

    # ------------------------------------------------------------------ officers

    def add_filed(self, draft: VisitDraft, day: int, v: VisitResult, meta: _Meta) -> None:
        """Place ``draft`` on its filed day with those filed officers who can still go."""
        officers = []
        on_roster = []
        roster = self.roster
        for ref in v.inspectors:
            o = self.officer_index.get(ref.id)
            if o is None:
                meta.reasons.append(f"officer {ref.id} is no longer on the roster")
                continue
            on_roster.append(o)
            if ref.department not in draft.departments:
                continue
            officer = roster.officers[o]
            if (
                roster.can_work[o][day]  # certificate and availability, as cannot_go has them
                and draft.uscc not in officer.conflicts
                and roster.load[o][day] < officer.max_visits_per_day
            ):
                officers.append(o)  # nearly every filed officer: cannot_go would say None
                continue
            problem = self.cannot_go(o, day, draft.uscc)
            if problem is not None:
                meta.reasons.append(problem)
                continue
            officers.append(o)
        if meta.origin is not None and meta.filed is None:
            # The filed placement the change costs are counted against (_filed_of),
            # from the officer lookups just made.
            meta.filed = FiledPlacement(self.day_of.get(v.date, -1), frozenset(on_roster))
        town = self.town(draft.uscc)
        for o in officers:
            self.roster.assign(o, day, town)
        self.placed.append(Placed(draft, day, tuple(sorted(officers))))
        self.meta.append(meta)

    def cannot_go(self, o: int, day: int, uscc: str) -> str | None:
        officer = self.roster.officers[o]
        date = self.problem.workdays[day]
        if date > officer.cert_valid_until:
            return f"officer {officer.id}'s certificate expires before {date}"
        if date in officer.unavailable:
            return f"officer {officer.id} is unavailable on {date}"
        if uscc in officer.conflicts:
            return f"officer {officer.id} has a conflict of interest (回避) with {uscc}"
        if self.roster.load[o][day] >= officer.max_visits_per_day:
            return f"officer {officer.id} has no room left on {date}"
        return None

    def town(self, uscc: str) -> str:
        return self.problem.enterprises[uscc].town

    def fill(self) -> None:
        """Complete every placed visit's teams; a visit that cannot be completed moves."""
        keep_placed: list[Placed] = []
        keep_meta: list[_Meta] = []
        department = [o.department for o in self.roster.officers]
        need = self.roster.need
        for p, meta in zip(self.placed, self.meta, strict=True):
            officers = list(p.officers)
            ok = True
            for dept in p.draft.departments:
                have = sum(1 for o in officers if department[o] == dept)
                missing = need - have
                if missing <= 0:
                    continue
                picked = self.pick(p, dept, missing, officers)
                if picked is None:
                    ok = False
                    break
                for o in picked:
                    self.roster.assign(o, p.day, self.town(p.draft.uscc))
                officers += picked
            if ok:
                # A complete team as filed (nearly every visit) stays the same Placed.
                full = len(officers) == len(p.officers)
                keep_placed.append(p if full else Placed(p.draft, p.day, tuple(sorted(officers))))
                keep_meta.append(meta)
                continue
            for o in officers:
                self.roster.release(o, p.day)
            date = self.problem.workdays[p.day]
            meta.reasons.append(f"no replacement officer free on {date}")
            meta.fixed = False
            draft = p.draft
            if meta.origin is not None:
                lo = self.pins.first_open
                hi = len(self.problem.workdays) - 1
                draft.days = dayset.intersect(draft.days, dayset.interval(lo, hi))
            self.fresh.append(draft)
            self.fresh_meta[draft.key] = meta
        self.placed, self.meta = keep_placed, keep_meta

    def pick(self, p: Placed, dept: str, k: int, have: Sequence[int]) -> list[int] | None:
        """``k`` more officers of ``dept`` for ``p``: free that day and not working in
        another town; those already in the town first (no new officer-day), then those
        living there, then the least loaded; the seed draws among equals."""
        r = self.roster
        town = self.town(p.draft.uscc)
        cands = [
            o
            for o in r.by_dept.get(dept, [])
            if o not in have
            and r.eligible(o, p.day, p.draft.uscc)
            and r.load[o][p.day] < r.officers[o].max_visits_per_day
            and (r.load[o][p.day] == 0 or r.town_on[o][p.day] == town)
        ]
        if len(cands) < k:
            return None

        def merit(o: int) -> tuple[int, int, int]:
            return (
                0 if r.load[o][p.day] else 1,
                0 if r.officers[o].home_town == town else 1,
                r.total[o],
            )

        scored = sorted((merit(o), o) for o in cands)
        cut = scored[k - 1][0]
        sure = [o for m, o in scored if m < cut]
        tied = {r.officers[o].id: o for m, o in scored if m == cut}
        drawn = officer_draw.draw(self.problem.seed, p.draft.key, dept, sorted(tied), k - len(sure))
        return sure + [tied[i] for i in drawn]

    def make_room(self, draft: VisitDraft) -> list[VisitDraft]:
        """Take filed visits off the roster so that ``draft`` (one that must not be
        dropped, with no officers left with room) has its officers; return them, to be
        placed again. A complaint outranks a routine visit and an alert's, as in a plan,
        where complaints are placed first: a replan that kept every filed visit where it
        was stopped instead (rule 8). The day of the draft's window that needs the fewest
        visits moved, the earliest among equals; on it, the full officers' visits, routine
        ones first (:meth:`_rank`), until enough have room. Pinned visits stay, and so
        does one that must not be dropped unless another day of its window has room for
        it. Part of a district cannot weigh the rest's visits: it asks for the whole
        (:class:`RoomNeeded`)."""
        first = next(t for t in draft.tasks if t.demand.source.never_dropped).demand.id
        if self.background is not None:
            raise RoomNeeded(
                f"demand {first} must not be dropped and finds no officer with room in the "
                "replanned part: visits of the rest may have to make way"
            )
        r = self.roster
        on_day: dict[int, list[int]] = defaultdict(list)
        for i, (p, meta) in enumerate(zip(self.placed, self.meta, strict=True)):
            if not meta.fixed and p.day >= self.pins.first_free:
                on_day[p.day].append(i)
        best: list[int] | None = None
        for day in dayset.days(draft.days):
            candidates = [
                i
                for i in sorted(on_day.get(day, ()), key=self._rank)
                if not self.placed[i].draft.never_dropped or self._elsewhere(i, day)
            ]
            chosen = self._making_way(draft, day, candidates)
            if chosen is not None and (best is None or len(chosen) < len(best)):
                best = chosen
        if not best:
            return []
        moved = []
        for i in sorted(best, reverse=True):
            p, meta = self.placed.pop(i), self.meta.pop(i)
            for o in p.officers:
                r.release(o, p.day)
            meta.reasons.append(
                f"made way for {first} on {self.problem.workdays[p.day]}, which must not be dropped"
            )
            moved_draft = p.draft
            lo = self.pins.first_free
            moved_draft.days = dayset.intersect(
                moved_draft.days, dayset.interval(lo, len(self.problem.workdays) - 1)
            )
            self.fresh_meta[moved_draft.key] = meta
            self.made_way.append(moved_draft.key)
            moved.append(moved_draft)
        return moved

    def _rank(self, i: int) -> tuple[bool, bool, str]:
        """Routine visits make way first, then an alert's, then one that must not be
        dropped itself; by key among equals."""
        draft = self.placed[i].draft
        return draft.never_dropped, draft.triggered, draft.key

    def _elsewhere(self, i: int, day: int) -> bool:
        """Whether the filed visit ``i`` (on ``day``) has another free day in its window
        on which each of its departments has enough officers with room, wherever they
        work: one that must not be dropped makes way only so."""
        r = self.roster
        p = self.placed[i]
        for other in dayset.days(p.draft.days):
            if other == day or other < self.pins.first_free:
                continue
            if all(
                len(r.with_room(dept, other, p.draft.uscc)) >= r.need
                for dept in p.draft.departments
            ):
                return True
        return False

    def _making_way(self, draft: VisitDraft, day: int, candidates: list[int]) -> list[int] | None:
        """The visits (indices into :attr:`placed`, among ``candidates``, in their order)
        to move off ``day`` so that every department of ``draft`` has ``need`` officers
        with room there; None when moving all of them would not do."""
        r = self.roster
        chosen: list[int] = []
        freed: set[int] = set()
        for dept in draft.departments:
            eligible = {o for o in r.by_dept.get(dept, ()) if r.eligible(o, day, draft.uscc)}
            full = eligible - freed - set(r.with_room(dept, day, draft.uscc))
            room = len(eligible) - len(full)
            for i in candidates:
                if room >= r.need:
                    break
                if i in chosen:
                    continue
                frees = full.intersection(self.placed[i].officers)
                if not frees:
                    continue
                chosen.append(i)
                freed.update(self.placed[i].officers)
                full -= frees
                room += len(frees)
            if room < r.need:
                return None
        return chosen

    def construct(self) -> None:
        construction = Construction(self.problem, self.roster, self.make_room)
        construction.run(self.fresh)
        for x in construction.dropped:
            self.unscheduled.append(unscheduled_result(x.decision, x.reason.value, x.detail))
        for p in construction.placed:
            self.placed.append(p)
            self.meta.append(self.fresh_meta[p.draft.key])
        # A visit that made way and found no other day is cancelled, saying for what.
        placed = {p.draft.key for p in construction.placed}
        for key in self.made_way:
            meta = self.fresh_meta[key]
            if key not in placed and meta.origin is not None:
                self.cancelled[meta.origin].extend(meta.reasons)


def replan(
    problem: PlanningProblem,
    previous: PlanResult,
    as_of: dt.date,
    pin_working_days: int,
    params: SchedulerParams | None = None,
    costs: ChangeCosts | None = None,
    background: Background | None = None,
) -> ReplanOutcome:
    """The next revision of ``previous`` as of ``as_of``.

    ``background``: replan only the enterprises of ``problem`` and ``previous``, against
    the officer-days the rest of the district's coming visits keep (:mod:`replan_scope`);
    the result then holds those enterprises' visits, checks and unscheduled demands, and
    its metrics count them alone.
    """
    params = params or SchedulerParams.default()
    costs = costs or ChangeCosts.default()
    # Checked in bulk (a district has hundreds of thousands of demands); the first demand
    # at fault is looked for only when there is one.
    if not (
        problem.items.keys() >= set(map(attrgetter("item"), problem.demands))
        and problem.enterprises.keys() >= set(map(attrgetter("uscc"), problem.demands))
    ):
        for d in problem.demands:
            if d.item not in problem.items or d.uscc not in problem.enterprises:
                raise UnknownReference(f"demand {d.id} names an unknown item or enterprise")
    pins = pin_window(problem.workdays, as_of, pin_working_days)
    state = _Replan(problem, previous, pins, params, background)
    state.run()
    state.fill()
    state.construct()
    filed = [_filed_of(state, m) for m in state.meta]
    changed = [
        i for i, (p, f) in enumerate(zip(state.placed, filed, strict=True)) if _differs(p, f)
    ]
    chunks = _chunks(state, changed, costs)
    # rebalance looks up the town of the chunks' visits only.
    towns = {
        uscc: state.town(uscc) for uscc in {state.placed[i].draft.uscc for c in chunks for i in c}
    }
    stats = rebalance(
        state.roster,
        state.placed,
        filed,
        chunks,
        towns,
        pins.first_free,
        costs,
        problem.seed,
        ahead=params.cpus >= 2,
    )
    for i in sorted(stats.changed):
        if state.meta[i].origin is not None:
            state.meta[i].reasons.append("rebalanced: the change frees officer-days")
    # What differs from the filed plan now: rebalance moved only the visits it reports.
    differs = {i for i in changed if i not in stats.changed}
    differs.update(i for i in stats.changed if _differs(state.placed[i], filed[i]))
    visits, provenance = _visits(state, differs)
    result = _result(state, visits)
    result.metrics["replan"] = ReplanFigures(
        as_of=as_of.isoformat(),
        pinned_until=pins.pinned_until.isoformat() if pins.pinned_until else None,
        cp_sat_chunks=stats.solved,
        cp_sat_improved=stats.improved,
        cp_sat_deterministic_time=round(stats.deterministic_time, 3),
    )
    diff = plan_diff(previous, result, provenance, state.cancelled, pins)
    return ReplanOutcome(result, diff, pins)


def _window(tasks: Sequence[ModeDecision]) -> dayset.DaySet:
    if len(tasks) == 1:  # most visits
        return dayset.interval(tasks[0].lo, tasks[0].hi)
    return dayset.interval(max(t.lo for t in tasks), min(t.hi for t in tasks))


def _clipped(d: ModeDecision, lo: int) -> ModeDecision:
    if lo == d.lo:
        return d
    return ModeDecision(d.demand, d.placement, lo, d.hi, d.reason, d.detail, d.due)


def _filed_of(state: _Replan, meta: _Meta) -> FiledPlacement | None:
    """The filed day and officers (those still on the roster) of the visit's origin."""
    if meta.origin is None:
        return None
    if meta.filed is None:  # add_filed works it out for the visits it places
        v = state.previous.visits[meta.origin]
        day = state.day_of.get(v.date, -1)
        officers = frozenset(
            state.officer_index[o.id] for o in v.inspectors if o.id in state.officer_index
        )
        meta.filed = FiledPlacement(day, officers)
    return meta.filed


def _differs(p: Placed, f: FiledPlacement | None) -> bool:
    return f is None or f.day != p.day or f.officers != frozenset(p.officers)


def _chunks(state: _Replan, changed: Sequence[int], costs: ChangeCosts) -> list[list[int]]:
    """Town × ISO-week chunks of the movable visits that hold a changed visit.

    A group is cut into chunks in (day, key) order with all its movable visits, the
    background's too (:attr:`Background.movable`): a chunk holding a changed visit and a
    visit of the rest cannot be re-solved here, and :class:`ScopeTooNarrow` names the
    rest's enterprises to replan with the scope."""
    weeks = [(w[0], w[1]) for w in (d.isocalendar() for d in state.problem.workdays)]

    def group_of(p: Placed) -> tuple[str, tuple[int, int]]:
        return (state.town(p.draft.uscc), weeks[p.day])

    # Only the groups holding a changed visit can make a chunk: the rest are not gathered.
    hot_groups = {group_of(state.placed[i]) for i in changed if not state.meta[i].fixed}
    #: Per group, its members as (day, key, index in placed; -1 for the background's).
    groups: dict[tuple[str, tuple[int, int]], list[tuple[int, str, int]]] = defaultdict(list)
    for i, (p, meta) in enumerate(zip(state.placed, state.meta, strict=True)):
        if meta.fixed:
            continue
        key = group_of(p)
        if key in hot_groups and not across_towns(state.roster, p, key[0]):
            groups[key].append((p.day, p.draft.key, i))
    if state.background is not None:
        for town, date, draft_key in state.background.movable:
            day = state.day_of[date]
            if (town, weeks[day]) in hot_groups:
                groups[(town, weeks[day])].append((day, draft_key, -1))
    hot = set(changed)
    out = []
    outside: set[str] = set()
    size = costs.subproblem_max_visits
    for key in sorted(groups):
        members = sorted(groups[key])
        for start in range(0, len(members), size):
            chunk = [i for _, _, i in members[start : start + size]]
            if not hot.intersection(chunk):
                continue
            if -1 in chunk:
                rest = members[start : start + size]
                outside.update(k.rsplit("/", 1)[0] for _, k, i in rest if i < 0)
            out.append(chunk)
    if outside:
        raise ScopeTooNarrow(frozenset(outside))
    return out


def _visits(state: _Replan, differs: Set[int]) -> tuple[list[VisitResult], list[Provenance]]:
    """Visits with slots: unchanged ones keep theirs, changed ones follow their officers'.

    A visit that keeps its filed day, officers, tasks, town and (after renumbering) key is
    the filed :class:`VisitResult` itself: equal to a rebuilt one, and nearly all of them.
    """
    problem = state.problem
    previous = state.previous.visits
    workdays = problem.workdays
    officer_ids = [o.id for o in state.roster.officers]
    entries: list[tuple[Placed, _Meta, int | None, str]] = []
    for i, (p, meta) in enumerate(zip(state.placed, state.meta, strict=True)):
        order = None
        if i not in differs and meta.origin is not None:
            order = previous[meta.origin].order
        entries.append((p, meta, order, state.town(p.draft.uscc)))
    # The highest slot each officer already has that day, from the visits that keep theirs;
    # only the officer-days of changed visits are looked up, so only those are gathered.
    wanted: dict[dt.date, set[str]] = defaultdict(set)
    for p, _, order, _ in entries:
        if order is None:
            wanted[workdays[p.day]].update(officer_ids[k] for k in p.officers)
    top: dict[tuple[str, dt.date], int] = {}

    def occupied(date: dt.date, officers: Iterable[str], order: int) -> None:
        for oid in officers:
            if oid in wanted[date] and top.get((oid, date), 0) < order:
                top[(oid, date)] = order

    for h in state.history:
        if h.date in wanted:
            occupied(h.date, [ref.id for ref in h.inspectors], h.order)
    if state.background is not None:
        for (oid, date), (_, _, order) in state.background.days.items():
            if date in wanted:
                occupied(date, [oid], order)
    for p, _, order, _ in entries:
        if order is not None and workdays[p.day] in wanted:
            occupied(workdays[p.day], [officer_ids[k] for k in p.officers], order)
    visits: list[VisitResult] = list(state.history)
    origins: list[int | None] = list(state.history_origin)
    reasons: list[tuple[str, ...]] = [()] * len(visits)
    entries.sort(key=lambda e: (e[0].day, e[3], e[0].draft.key))
    refs = [OfficerRef(o.id, o.department) for o in state.roster.officers]
    teams: dict[tuple[int, ...], tuple[OfficerRef, ...]] = {}
    for p, meta, order, town in entries:
        date = workdays[p.day]
        inspectors = teams.get(p.officers)
        if inspectors is None:
            inspectors = tuple(sorted((refs[o] for o in p.officers), key=by_department))
            teams[p.officers] = inspectors
        made: VisitResult | None = None
        if order is None:
            ids = [officer_ids[k] for k in p.officers]
            order = 1 + max((top.get((oid, date), 0) for oid in ids), default=0)
            for oid in ids:
                top[(oid, date)] = order
        elif meta.origin is not None:
            before = previous[meta.origin]
            if _as_filed(before, p.draft, date, town, inspectors, order):
                made = before
        if made is None:
            made = VisitResult(
                key=p.draft.key,
                uscc=p.draft.uscc,
                date=date,
                town=town,
                triggered=p.draft.triggered,
                tasks=task_refs(p.draft),
                inspectors=inspectors,
                order=order,
            )
        visits.append(made)
        origins.append(meta.origin)
        reasons.append(tuple(meta.reasons))
    # Keys as the planner makes them: the n-th visit of the enterprise, by date (a stable
    # sort by date and slot of each enterprise's visits; most have one).
    of_enterprise: dict[str, list[int]] = defaultdict(list)
    for k, v in enumerate(visits):
        of_enterprise[v.uscc].append(k)
    renamed: list[VisitResult] = list(visits)
    for uscc, ks in of_enterprise.items():
        if len(ks) > 1:
            ks.sort(key=lambda k: (visits[k].date, visits[k].order))
        for n, k in enumerate(ks, start=1):
            name = f"{uscc}/{n}"
            if visits[k].key != name or visits[k].mode != "onsite":
                renamed[k] = _with_key(visits[k], name)
    provenance = [
        Provenance(v, origin, why) for v, origin, why in zip(renamed, origins, reasons, strict=True)
    ]
    out = sorted(renamed, key=attrgetter("date", "town", "uscc", "key"))
    return out, provenance


def _as_filed(
    v: VisitResult,
    draft: VisitDraft,
    date: dt.date,
    town: str,
    inspectors: tuple[OfficerRef, ...],
    order: int,
) -> bool:
    """True when the filed visit ``v`` is what :func:`_visits` would build for ``draft``
    (but for the key, which is settled after)."""
    if not (
        v.mode == "onsite"
        and v.uscc == draft.uscc
        and v.date == date
        and v.town == town
        and v.triggered == draft.triggered
        and v.order == order
        and len(v.tasks) == len(draft.tasks)
        and v.inspectors == inspectors
    ):
        return False
    for ref, t in zip(v.tasks, draft.tasks, strict=True):
        d = t.demand
        if (
            ref.demand_id != d.id
            or ref.department != d.department
            or ref.item != d.item
            or ref.source != SOURCE_VALUES[d.source]
        ):
            return False
    return True


def _with_key(v: VisitResult, key: str) -> VisitResult:
    return VisitResult(key, v.uscc, v.date, v.town, v.triggered, v.tasks, v.inspectors, v.order)


def _result(state: _Replan, visits: list[VisitResult]) -> PlanResult:
    problem = state.problem
    offsite = offsite_results(
        state.decisions.values(),
        Quarter.parse(problem.quarter).last_day,
        previous=state.previous.offsite,
    )
    rows = list(state.unscheduled)
    rows += [
        unscheduled_result(d, d.reason.value, d.detail)
        for d in state.decisions.values()
        if d.placement == Placement.UNSCHEDULED and d.reason is not None
    ]
    unscheduled = tuple(sorted(rows, key=lambda u: u.demand_id))
    # The planner's figures (``solve``'s metrics) for the replanned revision.
    days = _travel(state, visits)
    um = sum(days.values())
    figures = plan_figures(state.decisions, visits, offsite, unscheduled, len(days))
    return PlanResult(
        problem.quarter,
        problem.seed,
        tuple(visits),
        offsite,
        unscheduled,
        {**figures, "km": travel_km(um)},
        travel_um=um,
    )


def _travel(state: _Replan, visits: Sequence[VisitResult]) -> dict[tuple[str, dt.date], int]:
    """The travel of each officer-day of ``visits`` (:func:`officer_day_travel`)."""
    return officer_day_travel(
        officer_homes(state.problem), visit_stops(visits, state.problem.enterprises)
    )


#: An officer's stop: (officer id, date, slot, place).
Stop = tuple[str, dt.date, int, Point]


def officer_homes(problem: PlanningProblem) -> dict[str, Point]:
    """Each officer's home, where their days start and end (None: not known)."""
    return {
        o.id: (o.home_lat, o.home_lon)
        if o.home_lat is not None and o.home_lon is not None
        else None
        for o in problem.inspectors
    }


def visit_stops(
    visits: Iterable[VisitResult], enterprises: Mapping[str, EnterpriseInfo]
) -> Iterator[Stop]:
    """Each officer's stop at each of ``visits``, in their order; each visit's place is
    looked up once (not once per officer)."""
    where: dict[str, Point] = {}
    for v in visits:
        if v.uscc not in where:
            ent = enterprises.get(v.uscc)
            where[v.uscc] = (
                (ent.lat, ent.lon)
                if ent is not None and ent.lat is not None and ent.lon is not None
                else None
            )
        point = where[v.uscc]
        for ref in v.inspectors:
            yield ref.id, v.date, v.order, point


def officer_day_travel(
    homes: Mapping[str, Point], stops: Iterable[Stop]
) -> dict[tuple[str, dt.date], int]:
    """Each officer-day's travel in micrometres (:func:`routing.day_travel_um`: home →
    its stops in slot order → home). The officer-days are gathered per officer, so that
    only a few dates per officer are sorted, not every (officer, date)."""
    days_of: dict[str, dict[dt.date, list[tuple[int, Point]]]] = defaultdict(dict)
    for oid, date, order, point in stops:
        days = days_of[oid]
        stop = (order, point)
        found = days.get(date)
        if found is None:
            days[date] = [stop]
        else:
            found.append(stop)
    out: dict[tuple[str, dt.date], int] = {}
    for oid, days in days_of.items():
        home = homes.get(oid)
        for date, day_stops in days.items():
            # A stable sort by slot alone (ties, which a sound plan has none of, keep
            # their order).
            ordered = day_stops if len(day_stops) == 1 else sorted(day_stops, key=_slot)
            out[(oid, date)] = day_travel_um(home, [point for _, point in ordered])
    return out


def travel_km(um: int) -> float:
    """A revision's km figure from its travel in micrometres."""
    return round(um / 1e9, 3)


def _slot(stop: tuple[int, Point]) -> int:
    return stop[0]
