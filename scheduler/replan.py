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
"""

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanMetrics,
    PlanResult,
    ReplanFigures,
    UnscheduledResult,
    VisitResult,
)
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler import dayset, officer_draw
from jointinspect.scheduler.assignment import Construction, Placed, Roster
from jointinspect.scheduler.change_cost import ChangeCosts, FiledPlacement, rebalance
from jointinspect.scheduler.consolidation import VisitDraft, consolidate_enterprise
from jointinspect.scheduler.errors import UnknownReference, UnplaceableDemand
from jointinspect.scheduler.modes import ModeDecision, Placement, decide_all
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.pinning import DayStatus, PinWindow, pin_window
from jointinspect.scheduler.plan_diff import Provenance, plan_diff
from jointinspect.scheduler.result_assembly import (
    by_department,
    offsite_results,
    plan_metrics,
    task_refs,
    unscheduled_result,
)
from jointinspect.scheduler.routing import great_circle_km
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


class _Replan:
    def __init__(
        self,
        problem: PlanningProblem,
        previous: PlanResult,
        pins: PinWindow,
        params: SchedulerParams,
    ) -> None:
        self.problem = problem
        self.previous = previous
        self.pins = pins
        self.params = params
        self.day_of = problem.day_index()
        self.roster = Roster(problem, params.officers_per_department)
        self.officer_index = {o.id: i for i, o in enumerate(self.roster.officers)}
        last = Quarter.parse(problem.quarter).last_day
        self.decisions = {
            d.demand.id: d
            for d in decide_all(
                sorted(problem.demands, key=lambda d: d.id), problem.items, problem.workdays, last
            )
        }
        self.placed: list[Placed] = []
        self.meta: list[_Meta] = []
        self.history: list[VisitResult] = []
        self.unscheduled: list[UnscheduledResult] = []
        self.fresh: list[VisitDraft] = []
        self.fresh_meta: dict[str, _Meta] = {}
        self.cancelled: dict[int, list[str]] = defaultdict(list)
        self.visit_numbers = itertools.count(1)

    # ------------------------------------------------------------------ per enterprise

    def status(self, i: int) -> DayStatus:
        v = self.previous.visits[i]
        if v.date < self.pins.as_of:
            return DayStatus.HISTORY
        day = self.day_of.get(v.date)
        return DayStatus.FREE if day is None else self.pins.status(day)

    def run(self) -> None:
        onsite: dict[str, list[ModeDecision]] = defaultdict(list)
        for dec in self.decisions.values():
            if dec.placement == Placement.ONSITE:
                onsite[dec.demand.uscc].append(dec)
        filed: dict[str, list[int]] = defaultdict(list)
        for i, v in enumerate(self.previous.visits):
            filed[v.uscc].append(i)
        carried = {u.demand_id: u for u in self.previous.unscheduled}
        for uscc in sorted(set(onsite) | set(filed)):
            for i in filed[uscc]:
                if self.status(i) == DayStatus.HISTORY:
                    self.history.append(self.previous.visits[i])
            why = self.touched(uscc, onsite[uscc], filed[uscc], carried)
            if why is None:
                self.keep(uscc, onsite[uscc], filed[uscc], carried)
            else:
                self.reconsolidate(uscc, onsite[uscc], filed[uscc], why)

    def task_ids(self, i: int) -> set[str]:
        return {t.demand_id for t in self.previous.visits[i].tasks}

    def triggered(self, ids: set[str]) -> bool:
        return any(d in self.decisions and self.decisions[d].demand.triggered for d in ids)

    def touched(
        self,
        uscc: str,
        decs: Sequence[ModeDecision],
        visits: Sequence[int],
        carried: Mapping[str, UnscheduledResult],
    ) -> str | None:
        """Why the enterprise's filed visits cannot simply stay (None: they can)."""
        ids = {d.demand.id for d in decs}
        held = set().union(*(self.task_ids(i) for i in visits)) if visits else set()
        new = sorted(
            d for d in ids - held if d not in carried or carried[d].reason not in _CARRIED_REASONS
        )
        if new:
            return f"new demand {', '.join(new)}"
        ent = self.problem.enterprises.get(uscc)
        live = [i for i in visits if self.status(i) != DayStatus.HISTORY]
        for i in live:
            gone = sorted(self.task_ids(i) - ids)
            if gone:
                return f"demand {', '.join(gone)} no longer needs this visit"
            day = self.day_of.get(self.previous.visits[i].date)
            if day is None or not all(
                self.decisions[d].lo <= day <= self.decisions[d].hi for d in self.task_ids(i)
            ):
                return "a task's window no longer holds the visit's day"
            routine = not self.triggered(self.task_ids(i))
            if ent is not None and routine and ent.no_disturb_on(self.previous.visits[i].date):
                return "the enterprise is now on the 无感监管 list"
        if ent is not None:
            used = self.problem.routine_visits_this_year.get(uscc, 0)
            routine_visits = sum(1 for i in visits if not self.triggered(self.task_ids(i)))
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
            if self.status(i) == DayStatus.HISTORY:
                held |= self.task_ids(i)
                continue
            v = self.previous.visits[i]
            tasks = [self.decisions[d] for d in sorted(self.task_ids(i))]
            day = self.day_of[v.date]
            draft = VisitDraft(
                self.key(uscc), uscc, tasks, _window(tasks), self.triggered(self.task_ids(i))
            )
            self.add_filed(draft, day, v, _Meta(i, fixed=self.status(i) == DayStatus.PINNED))
            held |= self.task_ids(i)
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
            status = self.status(i)
            if status == DayStatus.FREE:
                free.append(i)
                continue
            used |= self.task_ids(i)
            if not self.triggered(self.task_ids(i)):
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
        for draft in drafts:
            draft.key = self.key(uscc)
            origin = matched.get(id(draft))
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
        """Each new visit → the filed visit sharing most demands with it (one to one)."""
        pairs = []
        for draft in drafts:
            ids = {t.demand.id for t in draft.tasks}
            for i in free:
                shared = len(ids & self.task_ids(i))
                if shared:
                    pairs.append((-shared, self.previous.visits[i].date, i, id(draft)))
        out: dict[int, int] = {}
        taken: set[int] = set()
        for _, _, i, d in sorted(pairs):
            if d not in out and i not in taken:
                out[d] = i
                taken.add(i)
        return out

    def window_passed(self, d: ModeDecision) -> None:
        detail = f"its window closed before the replan date {self.pins.as_of}"
        if d.demand.source.never_dropped:
            raise UnplaceableDemand(d.demand.id, detail)
        self.unscheduled.append(unscheduled_result(d, "infeasible", detail))

    def key(self, uscc: str) -> str:
        return f"{uscc}/r{next(self.visit_numbers)}"

    # ------------------------------------------------------------------ officers

    def add_filed(self, draft: VisitDraft, day: int, v: VisitResult, meta: _Meta) -> None:
        """Place ``draft`` on its filed day with those filed officers who can still go."""
        officers = []
        for ref in v.inspectors:
            o = self.officer_index.get(ref.id)
            if o is None or ref.department not in draft.departments:
                if o is None:
                    meta.reasons.append(f"officer {ref.id} is no longer on the roster")
                continue
            problem = self.cannot_go(o, day, draft.uscc)
            if problem is not None:
                meta.reasons.append(problem)
                continue
            officers.append(o)
        for o in officers:
            self.roster.assign(o, day, self.town(draft.uscc))
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
        for p, meta in zip(self.placed, self.meta, strict=True):
            officers = list(p.officers)
            ok = True
            for dept in p.draft.departments:
                have = sum(1 for o in officers if self.roster.officers[o].department == dept)
                missing = self.roster.need - have
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
                keep_placed.append(Placed(p.draft, p.day, tuple(sorted(officers))))
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

    def construct(self) -> None:
        construction = Construction(self.problem, self.roster)
        construction.run(self.fresh)
        for x in construction.dropped:
            self.unscheduled.append(unscheduled_result(x.decision, x.reason.value, x.detail))
        for p in construction.placed:
            self.placed.append(p)
            self.meta.append(self.fresh_meta[p.draft.key])


def replan(
    problem: PlanningProblem,
    previous: PlanResult,
    as_of: dt.date,
    pin_working_days: int,
    params: SchedulerParams | None = None,
    costs: ChangeCosts | None = None,
) -> ReplanOutcome:
    params = params or SchedulerParams.default()
    costs = costs or ChangeCosts.default()
    for d in problem.demands:
        if d.item not in problem.items or d.uscc not in problem.enterprises:
            raise UnknownReference(f"demand {d.id} names an unknown item or enterprise")
    pins = pin_window(problem.workdays, as_of, pin_working_days)
    state = _Replan(problem, previous, pins, params)
    state.run()
    state.fill()
    state.construct()
    filed = [_filed_of(state, m) for m in state.meta]
    changed = [
        i for i, (p, f) in enumerate(zip(state.placed, filed, strict=True)) if _differs(p, f)
    ]
    towns = {uscc: e.town for uscc, e in problem.enterprises.items()}
    chunks = _chunks(state, changed, costs)
    stats = rebalance(
        state.roster, state.placed, filed, chunks, towns, pins.first_free, costs, problem.seed
    )
    for i in sorted(stats.changed):
        if state.meta[i].origin is not None:
            state.meta[i].reasons.append("rebalanced: the change frees officer-days")
    visits, provenance = _visits(state, filed)
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
    days = dayset.interval(max(t.lo for t in tasks), min(t.hi for t in tasks))
    return days


def _clipped(d: ModeDecision, lo: int) -> ModeDecision:
    if lo == d.lo:
        return d
    return ModeDecision(d.demand, d.placement, lo, d.hi, d.reason, d.detail, d.due)


def _filed_of(state: _Replan, meta: _Meta) -> FiledPlacement | None:
    if meta.origin is None:
        return None
    v = state.previous.visits[meta.origin]
    day = state.day_of.get(v.date, -1)
    officers = frozenset(
        state.officer_index[o.id] for o in v.inspectors if o.id in state.officer_index
    )
    return FiledPlacement(day, officers)


def _differs(p: Placed, f: FiledPlacement | None) -> bool:
    return f is None or f.day != p.day or f.officers != frozenset(p.officers)


def _chunks(state: _Replan, changed: Sequence[int], costs: ChangeCosts) -> list[list[int]]:
    """Town × ISO-week chunks of the movable visits that hold a changed visit."""
    groups: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    for i, (p, meta) in enumerate(zip(state.placed, state.meta, strict=True)):
        if meta.fixed:
            continue
        week = state.problem.workdays[p.day].isocalendar()[:2]
        groups[(state.town(p.draft.uscc), (week[0], week[1]))].append(i)
    hot = set(changed)
    out = []
    for key in sorted(groups):
        members = sorted(
            groups[key], key=lambda i: (state.placed[i].day, state.placed[i].draft.key)
        )
        size = costs.subproblem_max_visits
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            if hot.intersection(chunk):
                out.append(chunk)
    return out


def _visits(
    state: _Replan, filed: Sequence[FiledPlacement | None]
) -> tuple[list[VisitResult], list[Provenance]]:
    """Visits with slots: unchanged ones keep theirs, changed ones follow their officers'."""
    problem = state.problem
    top: dict[tuple[str, dt.date], int] = defaultdict(int)
    for v in state.history:
        for o in v.inspectors:
            top[(o.id, v.date)] = max(top[(o.id, v.date)], v.order)
    entries: list[tuple[Placed, _Meta, int | None]] = []
    for p, meta, f in zip(state.placed, state.meta, filed, strict=True):
        same = f is not None and not _differs(p, f) and meta.origin is not None
        order = (
            state.previous.visits[meta.origin].order if same and meta.origin is not None else None
        )
        entries.append((p, meta, order))
        if order is not None:
            for k in p.officers:
                key = (state.roster.officers[k].id, problem.workdays[p.day])
                top[key] = max(top[key], order)
    visits = list(state.history)
    provenance = []
    history_origin = {id(v): i for i, v in enumerate(state.previous.visits)}
    for v in state.history:
        provenance.append(Provenance(v, history_origin[id(v)], ()))
    entries.sort(key=lambda e: (e[0].day, state.town(e[0].draft.uscc), e[0].draft.key))
    refs = [OfficerRef(o.id, o.department) for o in state.roster.officers]
    for p, meta, order in entries:
        date = problem.workdays[p.day]
        ids = [state.roster.officers[k].id for k in p.officers]
        if order is None:
            order = 1 + max((top[(oid, date)] for oid in ids), default=0)
            for oid in ids:
                top[(oid, date)] = order
        v = VisitResult(
            key=p.draft.key,
            uscc=p.draft.uscc,
            date=date,
            town=state.town(p.draft.uscc),
            triggered=p.draft.triggered,
            tasks=task_refs(p.draft),
            inspectors=tuple(sorted((refs[o] for o in p.officers), key=by_department)),
            order=order,
        )
        visits.append(v)
        provenance.append(Provenance(v, meta.origin, tuple(meta.reasons)))
    # Keys as the planner makes them: the n-th visit of the enterprise, by date.
    visits.sort(key=lambda v: (v.uscc, v.date, v.order))
    renamed: dict[int, VisitResult] = {}
    for uscc, group in itertools.groupby(visits, key=lambda v: v.uscc):
        for n, v in enumerate(group, start=1):
            renamed[id(v)] = _with_key(v, f"{uscc}/{n}")
    provenance = [Provenance(renamed[id(p.visit)], p.origin, p.reasons) for p in provenance]
    out = sorted(renamed.values(), key=lambda v: (v.date, v.town, v.uscc, v.key))
    return out, provenance


def _with_key(v: VisitResult, key: str) -> VisitResult:
    return VisitResult(key, v.uscc, v.date, v.town, v.triggered, v.tasks, v.inspectors, v.order)


def _result(state: _Replan, visits: list[VisitResult]) -> PlanResult:
    problem = state.problem
    offsite = offsite_results(state.decisions.values(), Quarter.parse(problem.quarter).last_day)
    rows = list(state.unscheduled)
    rows += [
        unscheduled_result(d, d.reason.value, d.detail)
        for d in state.decisions.values()
        if d.placement == Placement.UNSCHEDULED and d.reason is not None
    ]
    unscheduled = tuple(sorted(rows, key=lambda u: u.demand_id))
    return PlanResult(
        problem.quarter,
        problem.seed,
        tuple(visits),
        offsite,
        unscheduled,
        _metrics(state, visits, offsite, unscheduled),
    )


def _metrics(
    state: _Replan,
    visits: Sequence[VisitResult],
    offsite: Sequence[OffsiteResult],
    unscheduled: Sequence[UnscheduledResult],
) -> PlanMetrics:
    """The planner's figures (``solve``'s metrics) for the replanned revision."""
    per_enterprise: dict[str, list[ModeDecision]] = defaultdict(list)
    onsite_ids = set()
    for v in visits:
        for t in v.tasks:
            onsite_ids.add(t.demand_id)
            if t.demand_id in state.decisions:
                per_enterprise[v.uscc].append(state.decisions[t.demand_id])
    off = {o.demand_id for o in offsite}
    modes = [
        (
            d.demand.source.value,
            "onsite"
            if d.demand.id in onsite_ids
            else "offsite"
            if d.demand.id in off
            else "unscheduled",
        )
        for d in state.decisions.values()
    ]
    stops: dict[tuple[str, dt.date], list[VisitResult]] = defaultdict(list)
    for v in visits:
        for o in v.inspectors:
            stops[(o.id, v.date)].append(v)
    homes = {o.id: o for o in state.roster.officers}
    km = 0.0
    for (oid, _), seq in sorted(stops.items()):
        info = homes.get(oid)
        home = (
            (info.home_lat, info.home_lon)
            if info and info.home_lat is not None and info.home_lon is not None
            else None
        )
        points = [home] if home else []
        for v in sorted(seq, key=lambda v: v.order):
            ent = state.problem.enterprises.get(v.uscc)
            if ent is not None and ent.lat is not None and ent.lon is not None:
                points.append((ent.lat, ent.lon))
        if home:
            points.append(home)
        km += sum(great_circle_km(a, b) for a, b in itertools.pairwise(points))
    return {
        **plan_metrics(modes, per_enterprise, len(visits), len(offsite), unscheduled, len(stops)),
        "km": round(km, 3),
    }
