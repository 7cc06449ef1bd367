"""The scheduler's shortcuts change how fast it plans, never what it plans.

- A CP-SAT chunk at its bound is passed over (improvement and replan): the bound
  (officer-days; in a replan also the changes no solution avoids) is a true lower bound
  of the chunk model, and passing such chunks over gives the plan that solving them
  gives whenever the search budget is not what stops the search.
- A demand's decision is worked out once per kind of demand (``decide_all``).
- A replan gives the filed visits and off-site checks that stay as filed, not copies, and
  counts the district's travel its own way: the revision is the same.
"""

import dataclasses
import datetime as dt
import itertools
import random
from collections import defaultdict

import pytest
from helpers.planning_builders import WORKDAYS, random_problem, with_new_complaints
from ortools.sat.python import cp_model

from jointinspect.models.plan_problem import EnterpriseInfo, PlanningProblem
from jointinspect.models.plan_result import PlanResult, VisitResult
from jointinspect.models.quarter import Quarter
from jointinspect.scheduler import change_cost, dayset, improve, plan_diff, result_assembly
from jointinspect.scheduler import replan as replan_module
from jointinspect.scheduler.assignment import Construction, Roster
from jointinspect.scheduler.chunk_model import (
    build_chunk_model,
    freeable_officer_days,
    paid_officer_days_bound,
)
from jointinspect.scheduler.consolidation import VisitDraft, consolidate_enterprise
from jointinspect.scheduler.modes import Placement, decide, decide_all
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.replan import ReplanOutcome, replan
from jointinspect.scheduler.routing import great_circle_km
from jointinspect.scheduler.solve import cap_detail, no_disturb_days, solve
from jointinspect.scheduler.solve_in_turn import Prepared

#: A budget no test instance exhausts: every chunk with slack gets its solver call.
UNBOUNDED = 1_000.0


def _params(**search: object) -> SchedulerParams:
    return dataclasses.replace(SchedulerParams.default(), **search)  # type: ignore[arg-type]


def _constructed(
    p: PlanningProblem, params: SchedulerParams, kind: type[Construction] = Construction
) -> tuple[Roster, list]:  # type: ignore[type-arg]
    """The greedy construction of ``p`` (what the improvement step starts from), by
    ``kind``."""
    last = Quarter.parse(p.quarter).last_day
    onsite = defaultdict(list)
    for d in decide_all(sorted(p.demands, key=lambda d: d.id), p.items, p.workdays, last):
        if d.placement == Placement.ONSITE:
            onsite[d.demand.uscc].append(d)
    drafts = []
    for uscc in sorted(onsite):
        ent = p.enterprises[uscc]
        used = p.routine_visits_this_year.get(uscc, 0)
        visits, _ = consolidate_enterprise(
            uscc,
            onsite[uscc],
            no_disturb_days(ent, p.workdays),
            params.cap_for(ent.grade, used),
            cap_detail(ent, params, used),
        )
        drafts.extend(visits)
    roster = Roster(p, params.officers_per_department)
    construction = kind(p, roster)
    construction.run(drafts)
    return roster, construction.placed


class _Walk(Construction):
    """The construction choosing each visit's day by walking through its window a day at
    a time and costing each, as it did before the roster kept its counts: the reference
    for the counts' shortcuts (the first free day that is already staffed, the day with
    the most idle officers found at C speed)."""

    def _best_day(self, draft: VisitDraft, ent: EnterpriseInfo) -> int | None:
        r = self.roster
        open_days = [r.open_days.get((dept, ent.town), set()) for dept in draft.departments]
        for day in sorted(open_days[0].intersection(*open_days[1:])):
            if dayset.contains(draft.days, day):
                cost = self._day_cost(draft, ent.town, day)
                if cost is not None and cost[0] == 0:
                    return day
        partly = open_days[0].union(*open_days[1:])
        best: tuple[int, int, int] | None = None
        fresh_free, fresh_day = r.need - 1, -1
        barred = r.conflicts.get(draft.uscc) or set()
        for day in dayset.days(draft.days):
            if day in partly:
                cost = self._day_cost(draft, ent.town, day)
                if cost is not None and (best is None or (*cost, day) < best):
                    best = (*cost, day)
                continue
            free = min(
                len(r.idle[dept][day] - barred) if dept in r.idle else 0
                for dept in draft.departments
            )
            if free > fresh_free:
                fresh_free, fresh_day = free, day
        if fresh_day >= 0:
            fresh = (r.need * len(draft.departments), r.need - fresh_free, fresh_day)
            best = fresh if best is None or fresh < best else best
        return None if best is None else best[2]


def _with_conflicts(p: PlanningProblem, seed: int) -> PlanningProblem:
    """``p`` with one officer in five barred (回避) from a few enterprises with demands."""
    rng = random.Random(seed)
    usccs = sorted({d.uscc for d in p.demands})
    inspectors = [
        dataclasses.replace(o, conflicts=frozenset(rng.sample(usccs, 40))) if k % 5 == 0 else o
        for k, o in enumerate(p.inspectors)
    ]
    return dataclasses.replace(p, inspectors=inspectors)


@pytest.mark.parametrize(("seed", "conflicts"), [(3, False), (11, False), (5, True)])
def test_the_construction_s_day_shortcuts_choose_the_days_a_walk_chooses(
    seed: int, conflicts: bool
) -> None:
    p = random_problem(3_000, seed, officers_per_1000=3.0, rate=0.3)
    if conflicts:
        p = _with_conflicts(p, seed)
    params = SchedulerParams.default()
    _, fast = _constructed(p, params)
    _, walked = _constructed(p, params, _Walk)
    assert len(fast) > 500
    assert any(len(q.draft.departments) > 1 for q in fast), "joint visits should be tried"
    assert [(q.draft.key, q.day, q.officers) for q in fast] == [
        (q.draft.key, q.day, q.officers) for q in walked
    ]


def _check_counts(roster: Roster) -> None:
    for dept, per_day in roster.idle.items():
        assert roster.idle_count[dept] == [len(officers) for officers in per_day]
    ready: dict[tuple[str, str], set[int]] = defaultdict(set)
    for (dept, town, day), officers in roster.open.items():
        if sum(1 for o in officers if roster.can_work[o][day]) >= roster.need:
            ready[(dept, town)].add(day)
    assert {k: v for k, v in roster.ready_days.items() if v} == ready


def test_the_roster_s_counts_follow_its_sets_through_construction_and_improvement() -> None:
    p = _with_conflicts(random_problem(3_000, 3, officers_per_1000=3.0, rate=0.3), 3)
    params = _params(deterministic_budget=UNBOUNDED, subproblem_max_visits=6)
    roster, placed = _constructed(p, params)
    _check_counts(roster)
    stats = improve.improve(p, roster, placed, params, None)
    assert stats.improved > 0, "the improvement should move visits (release and assign)"
    _check_counts(roster)


@pytest.mark.parametrize("seed", [3, 11])
def test_the_bound_never_exceeds_what_the_chunk_model_can_reach(seed: int) -> None:
    p = random_problem(3_000, seed, officers_per_1000=3.0, rate=0.3)
    params = _params(subproblem_max_visits=6)
    roster, placed = _constructed(p, params)
    chunks = improve._subproblems(p, roster, placed, params)
    assert chunks, "the instance should leave some chunks with slack"
    for _, members in chunks[:12]:
        first = placed[members[0]]
        town = roster.town_on[first.officers[0]][first.day]
        chunk = build_chunk_model(roster, placed, members, town)
        chunk.model.minimize(sum(chunk.w.values()))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 30
        assert solver.solve(chunk.model) == cp_model.OPTIMAL
        bound = paid_officer_days_bound(roster, placed, members, town)
        assert (
            bound <= round(solver.objective_value) <= freeable_officer_days(roster, placed, members)
        )


def test_a_chunk_model_is_made_from_the_officer_days_it_says_it_reads() -> None:
    """``ChunkModel.reads`` (what lets an early solve's answer be taken after a change
    elsewhere, ``solve_in_turn``): a visit added on an officer-day outside it leaves the
    model as it was, while one on an officer-day inside it, in another town, can change
    it."""
    p = random_problem(3_000, 3, officers_per_1000=3.0, rate=0.3)
    params = _params(subproblem_max_visits=6)
    roster, placed = _constructed(p, params)
    chunks = improve._subproblems(p, roster, placed, params)
    rng = random.Random(3)
    every_day = range(len(p.workdays))
    outside = inside = changed_inside = 0
    for _, members in chunks[:15]:
        first = placed[members[0]]
        town = roster.town_on[first.officers[0]][first.day]

        def model(members: list[int] = members, town: str | None = town) -> str:
            return str(build_chunk_model(roster, placed, members, town).model.Proto())

        as_made = model()
        reads = build_chunk_model(roster, placed, members, town).reads
        pool = sorted({o for o, _ in reads})
        days = sorted({d for _, d in reads})
        # Outside: the chunk's officers on other days, other officers on its days.
        elsewhere = [(o, d) for o in pool for d in every_day if d not in days]
        others = [o for o in range(len(roster.officers)) if o not in pool]
        elsewhere += [(o, d) for o in rng.sample(others, 20) for d in days]
        for o, d in rng.sample(elsewhere, 20) + sorted(reads):
            if roster.load[o][d]:
                continue  # a free officer-day, sent to a town of its own
            roster.assign(o, d, "a town of its own")
            now = model()
            roster.release(o, d)
            if (o, d) in reads:
                inside += 1
                changed_inside += now != as_made
            else:
                outside += 1
                assert now == as_made, f"officer {o} on day {d} is outside the reads"
        assert model() == as_made
    assert outside > 100 and inside > 100
    assert changed_inside > 0, "a chunk's own officer-days should shape its model"


def _same_plan(a: PlanResult, b: PlanResult) -> None:
    assert a.visits == b.visits
    assert a.offsite == b.offsite
    assert a.unscheduled == b.unscheduled
    assert a.metrics["officer_days"] == b.metrics["officer_days"]
    assert a.metrics["km"] == b.metrics["km"]


@pytest.mark.parametrize("seed", [3, 11])
def test_improvement_passes_chunks_at_their_bound_over_without_changing_the_plan(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = random_problem(3_000, seed, officers_per_1000=3.0, rate=0.3)
    params = _params(deterministic_budget=UNBOUNDED, subproblem_max_visits=6)
    fast = solve(p, params)
    monkeypatch.setattr(improve, "_at_bound", lambda *_args: False)
    every = solve(p, params)
    _same_plan(fast, every)
    assert (
        fast.metrics["improvement"]["subproblems_solved"]
        < (every.metrics["improvement"]["subproblems_solved"])
    )


def test_replan_passes_chunks_at_their_bound_over_without_changing_the_revision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = random_problem(3_000, 5, officers_per_1000=3.0, rate=0.3)
    params = SchedulerParams.default()
    filed = solve(p, params)
    later = with_new_complaints(p, filed, 25)
    costs = dataclasses.replace(change_cost.ChangeCosts.default(), deterministic_budget=UNBOUNDED)
    as_of = WORKDAYS[20]
    fast = replan(later, filed, as_of, 2, params, costs)
    monkeypatch.setattr(change_cost, "chunk_bound", lambda *_args, **_kwargs: -1)
    every = replan(later, filed, as_of, 2, params, costs)
    _same_plan(fast.result, every.result)
    assert fast.diff == every.diff
    assert (
        fast.result.metrics["replan"]["cp_sat_chunks"]
        < (every.result.metrics["replan"]["cp_sat_chunks"])
    )


@pytest.mark.parametrize(("seed", "cheap"), [(5, False), (13, False), (5, True), (13, True)])
def test_a_replan_chunks_bound_never_exceeds_what_its_model_can_reach(
    seed: int, cheap: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``chunk_bound`` (officer-days to pay plus the changes no solution avoids, and the
    split on whether the visits as filed stay) is a lower bound of the replan's chunk
    model: every chunk the replan meets is solved to optimality here. ``cheap``: changes
    cost little beside an officer-day, so that solutions that change visits as filed
    are the best ones often."""
    p = random_problem(3_000, seed, officers_per_1000=3.0, rate=0.3)
    filed = solve(p)
    later = with_new_complaints(p, filed, 40)
    costs = change_cost.ChangeCosts.default()
    if cheap:
        costs = dataclasses.replace(
            costs, officer_day=4, changed_visit=1, changed_day=0, changed_officer=1
        )
    seen: list[tuple[int, int]] = []
    forced_seen: list[int] = []
    tighter: list[bool] = []

    def to_optimum(roster, placed, before, members, town, movable_from, costs_, seed_):  # type: ignore[no-untyped-def]
        chunk = change_cost.change_model(
            roster, placed, before, members, town, movable_from, costs_
        )
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = 30
        days = paid_officer_days_bound(roster, placed, members, town, movable_from)
        forced = change_cost.forced_change_cost(
            roster, placed, before, members, movable_from, costs_
        )
        simple = costs_.officer_day * days + forced
        bound = chunk_bound(roster, placed, before, members, town, movable_from, costs_)
        tighter.append(bound > simple)
        return Prepared((chunk, bound, forced), chunk.model, solver)

    def solved_optimally(solved, *_args):  # type: ignore[no-untyped-def]
        assert solved.solver.response_proto.status == cp_model.OPTIMAL
        seen.append((solved.made[1], round(solved.solver.objective_value)))
        forced_seen.append(solved.made[2])
        return None, 0.0

    chunk_bound = change_cost.chunk_bound  # every chunk solved, its bound kept for the check
    monkeypatch.setattr(change_cost, "chunk_bound", lambda *_args, **_kwargs: -1)
    monkeypatch.setattr(change_cost, "_prepare_chunk", to_optimum)
    monkeypatch.setattr(change_cost, "_answer", solved_optimally)
    replan(later, filed, WORKDAYS[20], 2, SchedulerParams.default(), costs)
    assert seen, "the night's complaints should reach some chunks"
    assert all(bound <= best for bound, best in seen)
    assert any(forced_seen), "some chunk should have changes it cannot avoid"
    assert any(tighter), "the bound with the visits as filed kept should be the tighter"


def test_forced_changes_pass_more_replan_chunks_over_and_leave_the_revision_as_it_was(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = random_problem(3_000, 1, officers_per_1000=3.0, rate=0.3)
    filed = solve(p)
    later = with_new_complaints(p, filed, 40)
    costs = dataclasses.replace(change_cost.ChangeCosts.default(), deterministic_budget=UNBOUNDED)
    as_of = WORKDAYS[20]
    fast = replan(later, filed, as_of, 2, SchedulerParams.default(), costs)
    monkeypatch.setattr(change_cost, "forced_change_cost", lambda *_args: 0)
    days_only = replan(later, filed, as_of, 2, SchedulerParams.default(), costs)
    _same_plan(fast.result, days_only.result)
    assert fast.diff == days_only.diff
    assert (
        fast.result.metrics["replan"]["cp_sat_chunks"]
        < days_only.result.metrics["replan"]["cp_sat_chunks"]
    )


def test_decisions_made_once_per_kind_are_each_demands_own() -> None:
    p = random_problem(2_000, 9)
    last = Quarter.parse(p.quarter).last_day
    demands = sorted(p.demands, key=lambda d: d.id)
    assert decide_all(demands, p.items, p.workdays, last) == [
        decide(d, p.items[d.item], p.workdays, last) for d in demands
    ]


@pytest.fixture(scope="module")
def night() -> tuple[PlanningProblem, PlanResult, dt.date, ReplanOutcome]:
    """A filed plan, 25 complaints on its enterprises, and the replan that takes them in."""
    p = random_problem(3_000, 5, officers_per_1000=3.0, rate=0.3)
    filed = solve(p)
    later = with_new_complaints(p, filed, 25)
    as_of = WORKDAYS[20]
    return later, filed, as_of, replan(later, filed, as_of, 2)


def test_replan_gives_what_stays_as_filed_as_filed_and_the_same_as_made_afresh(
    night: tuple[PlanningProblem, PlanResult, dt.date, ReplanOutcome],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later, filed, as_of, fast = night
    kept = {id(v) for v in filed.visits}
    assert sum(id(v) in kept for v in fast.result.visits) > len(filed.visits) // 2
    assert [id(o) for o in fast.result.offsite] == [id(o) for o in filed.offsite]
    # Every visit and off-site check made afresh, every filed visit compared in full.
    monkeypatch.setattr(replan_module, "_as_filed", lambda *_args: False)
    monkeypatch.setattr(
        replan_module,
        "offsite_results",
        lambda decisions, last, previous=(): result_assembly.offsite_results(decisions, last),
    )
    monkeypatch.setattr(plan_diff, "_unchanged", lambda a, b: plan_diff.kind_of(a, b) is None)
    made = replan(later, filed, as_of, 2)
    assert not {id(o) for o in made.result.offsite} & {id(o) for o in filed.offsite}
    assert made.result == fast.result
    assert made.result.canonical() == fast.result.canonical()
    assert made.diff == fast.diff


def test_replan_travel_is_summed_as_it_always_was(
    night: tuple[PlanningProblem, PlanResult, dt.date, ReplanOutcome],
) -> None:
    # km: home → visits in slot order → home, per officer-day in (officer, date) order.
    # The replan gathers the stops its own way; the float sum must come out the same.
    later, _, _, out = night
    stops: dict[tuple[str, dt.date], list[VisitResult]] = defaultdict(list)
    for v in out.result.visits:
        for o in v.inspectors:
            stops[(o.id, v.date)].append(v)
    homes = {o.id: _place(o.home_lat, o.home_lon) for o in later.inspectors}
    km = 0.0
    for (oid, _), seq in sorted(stops.items()):
        home = homes[oid]
        places = [_place(later.enterprises[v.uscc].lat, later.enterprises[v.uscc].lon) for v in seq]
        ordered = [places[k] for k in sorted(range(len(seq)), key=lambda k: seq[k].order)]
        points = [home, *ordered, home]
        km += sum(great_circle_km(a, b) for a, b in itertools.pairwise(points))
    assert out.result.metrics["officer_days"] == len(stops)
    assert out.result.metrics["km"] == round(km, 3)


def _place(lat: float | None, lon: float | None) -> tuple[float, float]:
    assert lat is not None and lon is not None  # the synthetic district has them all
    return (lat, lon)
