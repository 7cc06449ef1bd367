"""CP-SAT improvement of the construction on small subproblems.

The whole quarter as one model would not scale, and most of it is already as good as it
gets; the construction's officer-days are compared with a per-subproblem lower bound and
only subproblems with slack are re-solved, worst first (see :func:`_subproblems`), each
with the day-and-team model of :mod:`chunk_model` minimising the officer-days it uses.
A subproblem whose officer-days the model could not lower anyway (its freeable
officer-days are already at the model's bound, :func:`paid_officer_days_bound`) is passed
over without a solver call: at district scale that is nearly all of them.

Determinism: one worker (or a fixed count with ``interleave_search``), a fixed solver
seed derived from the plan seed, and a deterministic-time limit per subproblem and in
total (summing the solver's reported deterministic time) — never wall time, except the
optional safety cap, which is reported when it bites. Given a second core (``cpus``), the next
subproblem is solved beside the current one (:mod:`solve_in_turn`), and its answer taken
only when nothing was applied in between: the same solves, answers and plan.
"""

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
from ortools.sat.python import cp_model

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.scheduler.assignment import Placed, Roster, across_towns
from jointinspect.scheduler.chunk_model import (
    Assignment,
    ChunkModel,
    apply_assignment,
    build_chunk_model,
    cp_sat_seed,
    freeable_officer_days,
    paid_officer_days_bound,
    solved_assignment,
)
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.solve_in_turn import Prepared, solve_in_turn


@dataclass(slots=True)
class ImproveStats:
    subproblems: int = 0
    solved: int = 0
    improved: int = 0
    officer_days_saved: int = 0
    deterministic_time: float = 0.0
    safety_cap_hit: bool = False


def improve(
    problem: PlanningProblem,
    roster: Roster,
    placed: list[Placed],
    params: SchedulerParams,
    deadline: float | None,
) -> ImproveStats:
    stats = ImproveStats()
    subs = _subproblems(problem, roster, placed, params)
    stats.subproblems = len(subs)
    solver_seed = cp_sat_seed(problem.seed)

    def prepare(k: int) -> Prepared[tuple[int, ChunkModel]]:
        return _prepare(roster, placed, subs[k][1], params, solver_seed, deadline)

    # Solved ahead only without the wall-time cap, under which answers hang on the clock.
    ahead = deadline is None and params.num_workers == 1 and params.cpus >= 2
    with solve_in_turn(
        len(subs), lambda k: _at_bound(roster, placed, subs[k][1]), prepare, ahead=ahead
    ) as turns:
        for k, (_, members) in enumerate(subs):
            if stats.deterministic_time >= params.deterministic_budget:
                break
            if deadline is not None and time.monotonic() >= deadline:
                stats.safety_cap_hit = True
                break
            if turns.settled(k):
                continue
            outcome = _outcome(turns.solve(k), members, params, deadline)
            stats.solved += 1
            stats.deterministic_time += outcome.dtime
            stats.safety_cap_hit |= outcome.cap_hit
            if outcome.assignment is not None:
                saved = outcome.before - outcome.after
                # Subproblems are one town each (see _subproblems).
                town = problem.enterprises[placed[members[0]].draft.uscc].town
                applied = apply_assignment(roster, placed, members, outcome.assignment, town)
                turns.changed(applied.officer_days)
                stats.improved += 1
                stats.officer_days_saved += saved
    return stats


def _week(problem: PlanningProblem, day: int) -> tuple[int, int]:
    iso = problem.workdays[day].isocalendar()
    return iso[0], iso[1]


def _subproblems(
    problem: PlanningProblem, roster: Roster, placed: Sequence[Placed], params: SchedulerParams
) -> list[tuple[int, list[int]]]:
    """(slack, visit indices) per subproblem with slack, worst first.

    A subproblem is one town, one ISO week and one component of the departments that the
    week's joint visits there link (networkx); a large one is cut into chunks of
    consecutive visits of at most ``subproblem_max_visits``.
    """
    weeks = [_week(problem, day) for day in range(len(problem.workdays))]
    groups: dict[tuple[str, tuple[int, int]], list[int]] = defaultdict(list)
    for i, p in enumerate(placed):
        town = problem.enterprises[p.draft.uscc].town
        if not across_towns(roster, p, town):
            groups[(town, weeks[p.day])].append(i)
    # Each department's most visits a day: the bound's officer-day size.
    caps = {
        dept: max(roster.officers[o].max_visits_per_day for o in members)
        for dept, members in roster.by_dept.items()
    }
    out: list[tuple[int, tuple[object, ...], list[int]]] = []
    for key in sorted(groups):
        graph: nx.Graph[str] = nx.Graph()
        for i in groups[key]:
            depts = placed[i].draft.departments
            graph.add_nodes_from(depts)
            graph.add_edges_from(itertools.pairwise(depts))
        for n, component in enumerate(sorted(sorted(c) for c in nx.connected_components(graph))):
            members = sorted(
                (i for i in groups[key] if placed[i].draft.departments[0] in component),
                key=lambda i: (placed[i].day, placed[i].draft.key),
            )
            size = params.subproblem_max_visits
            for start in range(0, len(members), size):
                chunk = members[start : start + size]
                slack = _slack(roster, placed, chunk, caps)
                if slack > 0:
                    out.append((slack, (*key, n, start), chunk))
    out.sort(key=lambda s: (-s[0], s[1]))
    return [(slack, members) for slack, _, members in out]


def _slack(
    roster: Roster, placed: Sequence[Placed], members: Sequence[int], caps: dict[str, int]
) -> int:
    """Officer-days used by the visits minus a lower bound (full days of two officers);
    ``caps`` holds each department's most visits per officer-day."""
    used = {(o, placed[i].day) for i in members for o in placed[i].officers}
    per_dept: dict[str, int] = defaultdict(int)
    for i in members:
        for dept in placed[i].draft.departments:
            per_dept[dept] += roster.need
    bound = 0
    for dept, slots in per_dept.items():
        bound += max(roster.need, math.ceil(slots / caps[dept]))
    return len(used) - bound


def _at_bound(roster: Roster, placed: Sequence[Placed], members: list[int]) -> bool:
    """True when no solution of the chunk's model uses fewer officer-days than it does."""
    freeable = freeable_officer_days(roster, placed, members)
    if freeable == 0:
        # Every officer-day of the chunk is shared with visits outside it: nothing to
        # free, whatever the bound. Most chunks of a district, and the bound costs
        # twelve times the count.
        return True
    first = placed[members[0]]
    town = roster.town_on[first.officers[0]][first.day]
    return paid_officer_days_bound(roster, placed, members, town) >= freeable


@dataclass(slots=True)
class _Outcome:
    before: int
    after: int
    dtime: float
    cap_hit: bool
    assignment: Assignment | None


def _prepare(
    roster: Roster,
    placed: Sequence[Placed],
    members: list[int],
    params: SchedulerParams,
    solver_seed: int,
    deadline: float | None,
) -> Prepared[tuple[int, ChunkModel]]:
    """The subproblem's model and solver, and the officer-days it uses as it stands."""
    first = placed[members[0]]
    # The subproblem's town: where its visits' officers work that day (one town a day).
    town = roster.town_on[first.officers[0]][first.day]
    before = freeable_officer_days(roster, placed, members)
    chunk = build_chunk_model(roster, placed, members, town)
    m = chunk.model
    m.minimize(sum(chunk.w.values()))
    for i in members:
        p = placed[i]
        for (j, d), var in chunk.x.items():
            if j == i:
                m.add_hint(var, d == p.day)
        for (o, j), var in chunk.a.items():
            if j == i:
                m.add_hint(var, o in p.officers)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = params.num_workers
    solver.parameters.interleave_search = params.num_workers > 1
    solver.parameters.random_seed = solver_seed
    solver.parameters.max_deterministic_time = params.subproblem_deterministic_time
    # Subproblems are small: presolve costs more than it saves (measured on the district).
    solver.parameters.cp_model_presolve = False
    # Nor does the LP relaxation pay: a chunk's 0-1 model is solved by search in a few
    # thousandths of a deterministic second without it, where with it (the default
    # level) most solves of the multi profile's plan ran to their limit, several without
    # finding the saving that was there (of its first 14 solves: 6 → 12 improved;
    # 1.10 → 0.29 deterministic seconds).
    solver.parameters.linearization_level = 0
    if deadline is not None:
        solver.parameters.max_time_in_seconds = max(0.01, deadline - time.monotonic())
    return Prepared((before, chunk), m, solver, chunk.reads)


def _outcome(
    solved: Prepared[tuple[int, ChunkModel]],
    members: list[int],
    params: SchedulerParams,
    deadline: float | None,
) -> _Outcome:
    """What the solve of a subproblem found."""
    (before, chunk), solver = solved.made, solved.solver
    status = solver.response_proto.status
    dtime = float(solver.response_proto.deterministic_time)
    cap_hit = (
        deadline is not None
        and dtime < params.subproblem_deterministic_time
        and (status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and time.monotonic() >= deadline)
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Outcome(before, before, dtime, cap_hit, None)
    after = round(solver.objective_value)
    if after >= before:
        return _Outcome(before, after, dtime, cap_hit, None)
    return _Outcome(before, after, dtime, cap_hit, solved_assignment(solver, chunk, members))
