"""Validate ANY plan against every hard rule of spec §5 and "every demand exactly once".

Independent of how the plan was made: it reads the problem and the result only, so the
test suite runs it on every plan it makes and ``file`` can refuse a plan that breaks a
rule. Each violation is a sentence naming the rule, the visit or demand and what is wrong.
"""

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import replace

from jointinspect.models.enums import ItemMode, UnscheduledReason
from jointinspect.models.plan_problem import DemandInfo, PlanningProblem
from jointinspect.models.plan_result import PlanResult, VisitResult
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler import dayset
from jointinspect.scheduler.consolidation import minimum_visits
from jointinspect.scheduler.modes import ModeDecision, Placement, window_indices
from jointinspect.scheduler.params import SchedulerParams

REASONS = frozenset(r.value for r in UnscheduledReason)


def check(
    problem: PlanningProblem, plan: PlanResult, params: SchedulerParams | None = None
) -> list[str]:
    """Every violation found, in words; an empty list means the plan is valid."""
    params = params or SchedulerParams.default()
    ctx = _Context(problem, plan, params)
    found: list[str] = []
    for rule in (
        every_demand_exactly_once,
        rule1_working_days_in_windows,
        rule2_two_qualified_officers,
        rule3_distinct_slots,
        rule4_no_disturb_enterprise,
        rule5_no_disturb_item,
        rule6_offsite_exactly_when,
        rule7_consolidation_and_caps,
        rule8_never_dropped,
    ):
        found.extend(rule(ctx))
    return found


class _Context:
    def __init__(self, problem: PlanningProblem, plan: PlanResult, params: SchedulerParams):
        self.problem = problem
        self.plan = plan
        self.params = params
        self.demands = {d.id: d for d in problem.demands}
        self.officers = {o.id: o for o in problem.inspectors}
        self.workdays = set(problem.workdays)
        self.quarter = Quarter.parse(problem.quarter)
        self.quiet_items = frozenset(k for k, item in problem.items.items() if item.no_disturb)
        # Working-day indices per window: a district's demands share a few hundred windows.
        self._windows: dict[tuple[dt.date, dt.date], tuple[int, int]] = {}
        self._has_workday: dict[tuple[dt.date, dt.date], bool] = {}

    @functools.cached_property
    def task_demands(self) -> list[str]:
        """The demand of every visit's every task, visit by visit."""
        return [t.demand_id for v in self.plan.visits for t in v.tasks]

    @functools.cached_property
    def triggered_ids(self) -> frozenset[str]:
        """The ids of the triggered demands (``DemandInfo.triggered``): asked of every task
        of a district's 100,000 visits, a set once instead of a look-up and two
        properties each."""
        return frozenset(i for i, d in self.demands.items() if d.triggered)

    @functools.cached_property
    def unknown_in_visits(self) -> frozenset[str]:
        """The enterprises with a visit holding a task of no demand of the problem."""
        unknown = set(self.task_demands) - self.demands.keys()
        if not unknown:  # the set difference in C, and nearly always empty
            return frozenset()
        return frozenset(
            v.uscc for v in self.plan.visits if any(t.demand_id in unknown for t in v.tasks)
        )

    def window(self, d: DemandInfo) -> tuple[int, int]:
        key = (d.earliest, d.latest)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = window_indices(d, self.problem.workdays)
        return found

    def window_has_workday(self, d: DemandInfo) -> bool:
        # Asked of every demand and task: one look-up by window.
        found = self._has_workday.get((d.earliest, d.latest))
        if found is None:
            lo, hi = self.window(d)
            found = self._has_workday[(d.earliest, d.latest)] = lo <= hi
        return found

    def decision(self, d: DemandInfo) -> ModeDecision:
        lo, hi = self.window(d)
        return ModeDecision(d, Placement.ONSITE, lo, hi, None, "")


def _name(v: VisitResult) -> str:
    return f"visit {v.key} ({v.uscc} on {v.date})"


def every_demand_exactly_once(ctx: _Context) -> list[str]:
    """Hard constraint (§4): every demand is in one visit, off-site, or unscheduled."""
    placed = list(ctx.task_demands)
    placed += [o.demand_id for o in ctx.plan.offsite]
    placed += [u.demand_id for u in ctx.plan.unscheduled]
    seen = set(placed)
    out = []
    if len(seen) < len(placed):  # some are repeated: only then counted
        # The few repeated, then sorted: not a district's every demand sorted to find them.
        repeated = sorted((i, n) for i, n in Counter(placed).items() if n > 1)
        out += [f"demand {i} appears {n} times" for i, n in repeated]
    out += [f"demand {i} is not in the plan" for i in sorted(ctx.demands.keys() - seen)]
    out += [f"{i} is not a demand of the problem" for i in sorted(seen - ctx.demands.keys())]
    return out


def rule1_working_days_in_windows(ctx: _Context) -> list[str]:
    """Hard constraint (rule 1): visits fall on working days of the quarter inside every
    task's window."""
    out = []
    for v in ctx.plan.visits:
        if v.date not in ctx.workdays:
            out.append(f"rule 1: {_name(v)} is not on a working day of {ctx.quarter}")
        for t in v.tasks:
            d = ctx.demands.get(t.demand_id)
            if d is not None and not d.earliest <= v.date <= d.latest:
                out.append(
                    f"rule 1: {_name(v)} is outside the window {d.earliest}–{d.latest} "
                    f"of demand {d.id}"
                )
    return out


def rule2_two_qualified_officers(ctx: _Context) -> list[str]:
    """Hard constraint (rule 2): each department with a task sends ≥ 2 of its officers,
    each certified, available, without 回避, within max visits per day."""
    out = []
    need = ctx.params.officers_per_department
    for v in ctx.plan.visits:
        staffed = [o.department for o in v.inspectors]
        for dept in sorted({t.department for t in v.tasks}):
            n = staffed.count(dept)
            if n < need:
                out.append(f"rule 2: {_name(v)} has {n} {dept} officer(s), needs {need}")
        for ref in v.inspectors:
            o = ctx.officers.get(ref.id)
            if o is None:
                out.append(f"rule 2: {_name(v)} names unknown officer {ref.id}")
                continue
            if o.department != ref.department:
                out.append(f"rule 2: officer {o.id} is not of department {ref.department}")
            if v.date > o.cert_valid_until:
                out.append(f"rule 2: officer {o.id}'s certificate has expired by {_name(v)}")
            if v.date in o.unavailable:
                out.append(f"rule 2: officer {o.id} is not available for {_name(v)}")
            if v.uscc in o.conflicts:
                out.append(f"rule 2: officer {o.id} has a conflict (回避) with {_name(v)}")
    return out + _visits_per_day(ctx)


def _visits_per_day(ctx: _Context) -> list[str]:
    """Rule 2's daily limit: no officer over their max visits per day."""
    out = []
    per_day: Counter[tuple[str, dt.date]] = Counter()
    for v in ctx.plan.visits:
        for ref in v.inspectors:
            per_day[(ref.id, v.date)] += 1
    # Only the days over their limit are sorted for the messages (a district has tens of
    # thousands of officer-days, nearly always none of them over).
    officers = ctx.officers
    over = []
    for (oid, day), n in per_day.items():
        o = officers.get(oid)
        if o is not None and n > o.max_visits_per_day:
            over.append((oid, day, n, o.max_visits_per_day))
    for oid, day, n, most in sorted(over):
        out.append(f"rule 2: officer {oid} has {n} visits on {day}, more than {most}")
    return out


def check_officer_days(
    problem: PlanningProblem,
    plan: PlanResult,
    officer_days: Collection[tuple[str, dt.date]],
    params: SchedulerParams | None = None,
) -> list[str]:
    """The rules of an officer's day — rule 2's daily limit and rule 3's distinct slots —
    over every visit that puts one of ``officer_days`` (officer id, date) to work. What it
    finds is found by :func:`check` too (a count or a clash among some of a day's visits
    is one among all of them); a replan asks it of the days its changed visits touch."""
    dates = {day for _, day in officer_days}
    visits = tuple(
        v
        for v in plan.visits
        if v.date in dates and any((o.id, v.date) in officer_days for o in v.inspectors)
    )
    ctx = _Context(problem, replace(plan, visits=visits), params or SchedulerParams.default())
    return _visits_per_day(ctx) + rule3_distinct_slots(ctx)


def rule3_distinct_slots(ctx: _Context) -> list[str]:
    """Hard constraint (rule 3): an officer's visits on one day have distinct slots."""
    out = []
    # An officer's slots taken, and the officer-days where one is taken twice: only those
    # are gathered and sorted for the message (a district has tens of thousands of
    # officer-days, nearly always none of them clashing).
    taken: set[tuple[str, dt.date, int]] = set()
    clashing: set[tuple[str, dt.date]] = set()
    for v in ctx.plan.visits:
        if v.order < 1:
            out.append(f"rule 3: {_name(v)} has slot {v.order}; slots start at 1")
        for o in v.inspectors:
            slot = (o.id, v.date, v.order)
            if slot in taken:
                clashing.add((o.id, v.date))
            taken.add(slot)
    if not clashing:
        return out
    slots: dict[tuple[str, dt.date], list[int]] = defaultdict(list)
    for v in ctx.plan.visits:
        for o in v.inspectors:
            if (o.id, v.date) in clashing:
                slots[(o.id, v.date)].append(v.order)
    for oid, day in sorted(clashing):
        out.append(f"rule 3: officer {oid} has two visits in one slot on {day}: {slots[oid, day]}")
    return out


def rule4_no_disturb_enterprise(ctx: _Context) -> list[str]:
    """Hard constraint (rule 4): a no-disturb enterprise is visited on-site only by a
    visit that holds a triggered task."""
    out = []
    for v in ctx.plan.visits:
        ent = ctx.problem.enterprises.get(v.uscc)
        if ent is None or not ent.no_disturb or not ent.no_disturb_on(v.date):
            continue
        if not any(t.demand_id in ctx.triggered_ids for t in v.tasks):
            out.append(f"rule 4: {_name(v)} is routine but the enterprise is on the 无感监管 list")
    return out


def rule5_no_disturb_item(ctx: _Context) -> list[str]:
    """Hard constraint (rule 5): a routine demand for a 无事不扰 item is never on-site, and
    is unscheduled as ``no_disturb_item`` when it cannot go off-site."""
    out = []
    quiet, demands, triggered = ctx.quiet_items, ctx.demands, ctx.triggered_ids
    for v in ctx.plan.visits:
        for t in v.tasks:
            if t.demand_id in triggered:
                continue
            d = demands.get(t.demand_id)
            if d and d.item in quiet:
                out.append(f"rule 5: routine demand {d.id} for a 无事不扰 item is on-site")
    for u in ctx.plan.unscheduled:
        d = ctx.demands.get(u.demand_id)
        if d is None or d.triggered or not ctx.problem.items[d.item].no_disturb:
            continue
        if u.reason == UnscheduledReason.NO_DISTURB_ENTERPRISE:
            out.append(f"rule 5: demand {d.id} should be no_disturb_item (it takes precedence)")
    return out


def rule6_offsite_exactly_when(ctx: _Context) -> list[str]:
    """Hard constraint (rule 6): off-site exactly when the item is ``offsite`` or
    ``either`` for a routine demand not ``onsite_required``; off-site demands are
    unscheduled only for ``window``; windows without a working day are ``window``."""
    out = []
    offsite = {o.demand_id: o for o in ctx.plan.offsite}
    unscheduled = {u.demand_id: u for u in ctx.plan.unscheduled}
    last_day = ctx.quarter.last_day  # once: a district has ~100,000 off-site demands
    for u in ctx.plan.unscheduled:
        if u.reason not in REASONS:
            out.append(f"demand {u.demand_id} has unknown unscheduled reason {u.reason!r}")
    # Per demand (a district has ~370,000), the item's mode is looked up by item.
    modes = {code: item.mode for code, item in ctx.problem.items.items()}
    has_workday = ctx.window_has_workday
    window = UnscheduledReason.WINDOW
    for d in ctx.problem.demands:
        mode = modes[d.item]
        should = mode == ItemMode.OFFSITE or (
            mode == ItemMode.EITHER and not d.triggered and not d.onsite_required
        )
        entry = unscheduled.get(d.id)
        if not has_workday(d):
            if entry is None or entry.reason != window:
                out.append(f"§2: demand {d.id} has no working day in its window: must be 'window'")
            continue
        if entry is not None and entry.reason == window:
            out.append(f"§2: demand {d.id} is 'window' but its window holds a working day")
        check = offsite.get(d.id)
        if should and check is None:
            out.append(f"rule 6: demand {d.id} must be done off-site")
        if not should and check is not None:
            out.append(f"rule 6: demand {d.id} must not be done off-site")
        if check is not None and check.due != min(d.latest, last_day):
            out.append(f"§4: off-site demand {d.id} is due {check.due}, not its window end")
    return out


def rule7_consolidation_and_caps(ctx: _Context) -> list[str]:
    """Hard constraint (rule 7): as few visits per enterprise as the windows allow, and
    routine visits within the quarter and year caps of the enterprise's grade."""
    out = []
    # Most of a district's 100,000 enterprises with visits have one: what is asked of each
    # is looked up once (caps by grade and use, the sets below), not worked out again.
    triggered, unknown = ctx.triggered_ids, ctx.unknown_in_visits
    enterprises, used_by = ctx.problem.enterprises, ctx.problem.routine_visits_this_year
    caps: dict[tuple[str, int], int] = {}
    by_ent: dict[str, list[VisitResult]] = defaultdict(list)
    for v in ctx.plan.visits:
        by_ent[v.uscc].append(v)
    for uscc, visits in sorted(by_ent.items()):
        ent = enterprises.get(uscc)
        if ent is None:
            out.append(f"{_name(visits[0])}: {uscc} is not an enterprise of the problem")
            continue
        if uscc in unknown:
            continue  # unknown demands are reported by every_demand_exactly_once
        flags = [any(t.demand_id in triggered for t in v.tasks) for v in visits]
        routine = flags.count(False)
        if routine:  # a cap is never below 0
            used = used_by.get(uscc, 0)
            cap = caps.get((ent.grade, used))
            if cap is None:
                cap = caps[(ent.grade, used)] = ctx.params.cap_for(ent.grade, used)
            if routine > cap:
                out.append(
                    f"rule 7: {uscc} has {routine} routine visits; its cap allows {cap} "
                    f"(grade {ent.grade}, {used} used this year)"
                )
        for v, flag in zip(visits, flags, strict=True):
            if v.triggered != flag:
                out.append(f"§2: {_name(v)} is marked triggered={v.triggered}, tasks say {flag}")
        if not ent.no_disturb:
            # One visit with tasks is never more than the bound (it is most of a
            # district's enterprises): the bound is counted for the others, and where
            # a window is empty, as before.
            if len(visits) > 1 or not _one_is_fewest(ctx, visits[0]):
                fewest = minimum_visits(
                    [ctx.decision(ctx.demands[t.demand_id]) for v in visits for t in v.tasks]
                )
                if len(visits) > fewest:
                    out.append(
                        f"rule 7: {uscc} gets {len(visits)} visits; "
                        f"its tasks' windows allow {fewest}"
                    )
        else:
            out.extend(_mergeable_pairs(ctx, uscc, visits))
    return out


def _one_is_fewest(ctx: _Context, visit: VisitResult) -> bool:
    """Whether ``minimum_visits`` of the visit's tasks is at least one without counting
    it: the visit has tasks and each window holds a working day."""
    if not visit.tasks:
        return False
    demands, has_workday = ctx.demands, ctx.window_has_workday
    return all(has_workday(demands[t.demand_id]) for t in visit.tasks)


def _mergeable_pairs(ctx: _Context, uscc: str, visits: Sequence[VisitResult]) -> list[str]:
    """For no-disturb enterprises: no two visits could have been one (windows and rule 4)."""
    out = []
    ent = ctx.problem.enterprises[uscc]
    for i, a in enumerate(visits):
        for b in visits[i + 1 :]:
            ids = [t.demand_id for t in (*a.tasks, *b.tasks)]
            common: dayset.DaySet = dayset.interval(0, len(ctx.problem.workdays) - 1)
            for i_ in ids:
                dec = ctx.decision(ctx.demands[i_])
                common = dayset.intersect(common, dayset.interval(dec.lo, dec.hi))
            triggered = any(i_ in ctx.triggered_ids for i_ in ids)
            ok = [
                day
                for day in dayset.days(common)
                if triggered or not ent.no_disturb_on(ctx.problem.workdays[day])
            ]
            if ok:
                out.append(f"rule 7: {_name(a)} and {_name(b)} could be one visit")
    return out


def rule8_never_dropped(ctx: _Context) -> list[str]:
    """Hard constraint (rule 8): complaint, accident and referral demands with a working
    day in their window are never unscheduled."""
    out = []
    for u in ctx.plan.unscheduled:
        d = ctx.demands.get(u.demand_id)
        if d is not None and d.source.never_dropped and ctx.window_has_workday(d):
            out.append(f"rule 8: {d.source.value} demand {d.id} was dropped ({u.reason})")
    return out
