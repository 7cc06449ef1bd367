"""Minimal change: CP-SAT on the chunks of the plan a replan touched, with a price on
every change against the filed plan.

The model is the planner's day-and-team model of one town × ISO week chunk
(:mod:`chunk_model`, shared with :mod:`improve`) with a different objective:

    officer_day · officer-days used
  + changed_visit · [visit differs from its filed version]
  + changed_day · [visit is on another day than filed]
  + changed_officer · (filed officers no longer on the visit)

The filed plan (as repaired by the replan) is the full solution hint, so the solver
starts from "change nothing more" and only moves what pays for itself. Determinism as in
:mod:`improve`: one worker, a seed from the plan seed, deterministic-time limits only.
"""

import itertools
import math
import tomllib
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ortools.sat.python import cp_model

from jointinspect.scheduler.assignment import Placed, Roster
from jointinspect.scheduler.chunk_model import (
    Assignment,
    ChunkModel,
    PenaltyTerms,
    apply_assignment,
    build_chunk_model,
    cp_sat_seed,
    days_to_pay,
    freeable_officer_days,
    inside_load,
    paid_officer_days_bound,
    solved_assignment,
    week_days,
)
from jointinspect.scheduler.errors import InvalidParams
from jointinspect.scheduler.solve_in_turn import Prepared, solve_in_turn


@dataclass(frozen=True)
class ChangeCosts:
    """Objective weights of a replan and its search budget (``replan.toml``)."""

    officer_day: int = 1
    changed_visit: int = 4
    changed_day: int = 3
    changed_officer: int = 1
    subproblem_deterministic_time: float = 0.05
    deterministic_budget: float = 2.0
    subproblem_max_visits: int = 12

    def __post_init__(self) -> None:
        weights = (self.officer_day, self.changed_visit, self.changed_day, self.changed_officer)
        if any(not isinstance(w, int) or w < 0 for w in weights):
            raise InvalidParams("replan cost weights must be whole numbers ≥ 0")
        if self.subproblem_deterministic_time <= 0 or self.deterministic_budget < 0:
            raise InvalidParams("replan deterministic budgets must be positive")
        if self.subproblem_max_visits < 1:
            raise InvalidParams("replan subproblem_max_visits must be at least 1")

    @classmethod
    def default(cls) -> "ChangeCosts":
        text = resources.files("jointinspect.scheduler").joinpath("replan.toml").read_text("utf-8")
        return cls.from_dict(tomllib.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ChangeCosts":
        merged = {**data.get("costs", {}), **data.get("search", {})}
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(merged) - known)
        if unknown:
            raise InvalidParams(f"unknown replan parameter(s): {', '.join(unknown)}")
        return cls(**merged)


@dataclass(slots=True)
class FiledPlacement:
    """What a visit was in the filed plan (None for a new visit)."""

    day: int
    officers: frozenset[int]


@dataclass(slots=True)
class RebalanceStats:
    chunks: int = 0
    solved: int = 0
    improved: int = 0
    deterministic_time: float = 0.0
    changed: set[int] = field(default_factory=set)


def rebalance(
    roster: Roster,
    placed: list[Placed],
    filed: Sequence[FiledPlacement | None],
    chunks: Sequence[list[int]],
    towns: Mapping[str, str],
    movable_from: int,
    costs: ChangeCosts,
    seed: str,
    *,
    ahead: bool = False,
) -> RebalanceStats:
    """Re-solve each chunk (indices into ``placed``) and apply what lowers the objective.

    ``towns`` gives each enterprise's town; ``movable_from`` is the first day index a visit
    may be moved to (pinned days and history are not). A chunk whose cost as it stands is
    no more than a lower bound of its model's objective (:func:`chunk_bound`) is already
    optimal and is passed over without a solver call: the solver could not return a
    solution that lowers it, so skipping changes nothing but the time. ``ahead``: solve
    the next chunk beside the current one on a second core (``solve_in_turn``; the same
    answers).
    """
    stats = RebalanceStats(chunks=len(chunks))
    solver_seed = cp_sat_seed(seed)

    def town_of(k: int) -> str:
        return towns[placed[chunks[k][0]].draft.uscc]

    def settled(k: int) -> bool:
        cost = chunk_cost(roster, placed, filed, chunks[k], costs)
        bound = chunk_bound(
            roster, placed, filed, chunks[k], town_of(k), movable_from, costs, enough=cost
        )
        return cost <= bound

    def prepare(k: int) -> Prepared[ChunkModel]:
        return _prepare_chunk(
            roster, placed, filed, chunks[k], town_of(k), movable_from, costs, solver_seed
        )

    with solve_in_turn(len(chunks), settled, prepare, ahead=ahead) as turns:
        for k, members in enumerate(chunks):
            if stats.deterministic_time >= costs.deterministic_budget:
                break
            if turns.settled(k):
                continue
            assignment, dtime = _answer(turns.solve(k), roster, placed, filed, members, costs)
            stats.solved += 1
            stats.deterministic_time += dtime
            if assignment is None:
                continue
            stats.improved += 1
            applied = apply_assignment(roster, placed, members, assignment, town_of(k))
            stats.changed |= applied.changed
            turns.changed(applied.officer_days)
    return stats


def chunk_cost(
    roster: Roster,
    placed: Sequence[Placed],
    filed: Sequence[FiledPlacement | None],
    members: Sequence[int],
    costs: ChangeCosts,
) -> int:
    """The objective of the chunk as it stands (officer-days it alone uses + changes)."""
    days = freeable_officer_days(roster, placed, members)
    return costs.officer_day * days + sum(
        _change_cost(filed[i], placed[i].day, frozenset(placed[i].officers), costs) for i in members
    )


def chunk_bound(
    roster: Roster,
    placed: Sequence[Placed],
    filed: Sequence[FiledPlacement | None],
    members: Sequence[int],
    town: str,
    movable_from: int,
    costs: ChangeCosts,
    enough: int | None = None,
) -> int:
    """A lower bound of the objective of the chunk's model; once it reaches ``enough``,
    it is not tightened further.

    The objective is officer-days plus change penalties, so a lower bound is the sum of
    one for each: the officer-days the chunk must pay for (:func:`paid_officer_days_bound`)
    and the changes no solution avoids (:func:`forced_change_cost`). A replan's chunks
    mostly hold visits that had to move or were added, and without the second term most
    were solved only to find nothing better (at 1 % new complaints on 650,000
    enterprises: 146 solves, 10 improving; with it, 55 solves, the same 10).

    Most of the chunks still solved are a changed visit or two among visits as filed:
    either a visit as filed changes too, and pays at least its change on top of that
    bound, or they all stay and only the changed ones can move (:func:`unchanged_paid_days`).
    The smaller of the two is a bound too."""
    forced = forced_change_cost(roster, placed, filed, members, movable_from, costs)
    days = paid_officer_days_bound(roster, placed, members, town, movable_from)
    bound = costs.officer_day * days + forced
    if enough is not None and bound >= enough:
        return bound
    as_filed = {i for i in members if _is_as_filed(filed[i], placed[i])}
    stay_days = unchanged_paid_days(roster, placed, members, as_filed, town, movable_from)
    if stay_days is None:
        return bound
    stay = costs.officer_day * stay_days + forced
    if as_filed:
        cheapest = costs.changed_visit + min(costs.changed_day, costs.changed_officer)
        return max(bound, min(bound + cheapest, stay))
    return max(bound, stay)


def _is_as_filed(before: FiledPlacement | None, p: Placed) -> bool:
    return before is not None and before.day == p.day and before.officers == frozenset(p.officers)


#: The most ways of putting a chunk's changed visits on days that :func:`unchanged_paid_days`
#: tries (each a sum of figures worked out once); beyond, it gives no bound.
_MOST_DAY_CHOICES = 256


def unchanged_paid_days(
    roster: Roster,
    placed: Sequence[Placed],
    members: Sequence[int],
    as_filed: Collection[int],
    town: str,
    movable_from: int,
) -> int | None:
    """A lower bound of the officer-days the chunk's model pays for in the solutions that
    leave the visits ``as_filed`` (``U``, of ``members``) as they are; None when the
    others have too many ways onto days to try (:data:`_MOST_DAY_CHOICES`).

    ``U``'s officer-days that hold no visit outside the chunk are paid for. For each way
    of putting the others (``V``: new, or changed already) on their model's days, they
    pay, per day and department, the officer-days :func:`paid_officer_days_bound` counts
    for them alone, given the room left on the officer-days already spent (outside the
    chunk in its town, or by ``U``). The least over those ways is theirs."""
    need = roster.need
    inside = inside_load(placed, members)
    kept: dict[tuple[int, int], int] = defaultdict(int)
    changed: list[int] = []
    for i in members:
        if i in as_filed:
            for o in placed[i].officers:
                kept[(o, placed[i].day)] += 1
        else:
            changed.append(i)
    load, officers = roster.load, roster.officers
    paid = sum(1 for (o, d), n in kept.items() if load[o][d] == inside[(o, d)])
    pool = sorted({o for i in members for o in placed[i].officers})
    choices = [
        [d for d in week_days(roster, placed[i]) if d >= movable_from or d == placed[i].day]
        for i in changed
    ]
    if math.prod(len(c) for c in choices) > _MOST_DAY_CHOICES:
        return None
    by_dept: dict[str, list[int]] = defaultdict(list)
    for o in pool:
        by_dept[officers[o].department].append(o)

    def room(o: int, d: int) -> int:
        """What officer-day (o, d) still holds for ``V`` without being paid for."""
        outside = load[o][d] - inside.get((o, d), 0)
        if outside:
            if roster.town_on[o][d] != town or not roster.can_work[o][d]:
                return 0
            return officers[o].max_visits_per_day - outside - kept.get((o, d), 0)
        if kept.get((o, d)):
            return officers[o].max_visits_per_day - kept[(o, d)]
        return 0

    # Everything a way of putting them on days adds up, worked out once: per visit,
    # department and day, the officers it lacks; per day and department, the free room.
    lacks: list[list[tuple[str, dict[int, int]]]] = []
    room_on: dict[tuple[int, str], int] = {}
    for i, days_of_i in zip(changed, choices, strict=True):
        barred = roster.conflicts.get(placed[i].draft.uscc, ())
        per_dept = []
        for dept in placed[i].draft.departments:
            candidates = [o for o in by_dept.get(dept, ()) if o not in barred]
            lack = {d: need - sum(1 for o in candidates if room(o, d) > 0) for d in days_of_i}
            per_dept.append((dept, lack))
            for d in days_of_i:
                if (d, dept) not in room_on:
                    room_on[(d, dept)] = sum(max(0, room(o, d)) for o in by_dept.get(dept, ()))
        lacks.append(per_dept)
    per_day = {
        dept: max((officers[o].max_visits_per_day for o in members_of), default=1)
        for dept, members_of in by_dept.items()
    }
    best: int | None = None
    for days in itertools.product(*choices):
        slots: dict[tuple[int, str], int] = defaultdict(int)
        short: dict[tuple[int, str], int] = defaultdict(int)
        for per_dept, d in zip(lacks, days, strict=True):
            for dept, lack in per_dept:
                slots[(d, dept)] += need
                short[(d, dept)] = max(short[(d, dept)], lack[d])
        extra = sum(
            days_to_pay(needed, room_on[key], per_day.get(key[1], 1), short[key])
            for key, needed in slots.items()
        )
        if best is None or extra < best:
            best = extra
        if best == 0:
            break
    return paid + (best or 0)


def forced_change_cost(
    roster: Roster,
    placed: Sequence[Placed],
    filed: Sequence[FiledPlacement | None],
    members: Sequence[int],
    movable_from: int,
    costs: ChangeCosts,
) -> int:
    """The change penalties every solution of the chunk's model pays: a visit whose filed
    day is not among its model's days (:func:`build_chunk_model`: its window in the
    current week, from ``movable_from`` on or its own day) has moved, and a filed officer
    who is not among its candidates (the chunk's officers of the visit's departments, less
    those barred from the enterprise) has left it — what :func:`_change_penalties` makes
    the model pay without a choice."""
    pool = {o for i in members for o in placed[i].officers}
    total = 0
    for i in members:
        before = filed[i]
        if before is None:
            continue
        p = placed[i]
        cost = 0
        if before.day != p.day and (
            before.day < movable_from or before.day not in week_days(roster, p)
        ):
            cost += costs.changed_day
        barred = roster.conflicts.get(p.draft.uscc, ())
        departments = p.draft.departments
        for o in before.officers:
            if o not in pool or o in barred or roster.officers[o].department not in departments:
                cost += costs.changed_officer
        if cost:
            total += costs.changed_visit + cost
    return total


def _change_cost(
    before: FiledPlacement | None, day: int, officers: frozenset[int], costs: ChangeCosts
) -> int:
    if before is None:
        return 0
    lost = len(before.officers - officers)
    moved = day != before.day
    if not lost and not moved:
        return 0
    return costs.changed_visit + costs.changed_day * moved + costs.changed_officer * lost


def _change_penalties(filed: Sequence[FiledPlacement | None], costs: ChangeCosts) -> PenaltyTerms:
    """The model's change terms for a visit: :func:`_change_cost` as constraints."""

    def terms(
        m: cp_model.CpModel,
        i: int,
        x: dict[tuple[int, int], cp_model.IntVar],
        a: dict[tuple[int, int], cp_model.IntVar],
    ) -> list[Any]:
        before = filed[i]
        if before is None:
            return []
        penalties: list[Any] = []
        changed = m.new_bool_var(f"c{i}")
        penalties.append(costs.changed_visit * changed)
        if (i, before.day) in x:
            moved = x[(i, before.day)].Not()
            m.add_implication(moved, changed)
            penalties.append(costs.changed_day * moved)
        else:
            m.add(changed == 1)
            penalties.append(costs.changed_day)
        for o in sorted(before.officers):
            var = a.get((o, i))
            if var is None:
                m.add(changed == 1)
                penalties.append(costs.changed_officer)
            else:
                m.add_implication(var.Not(), changed)
                penalties.append(costs.changed_officer * var.Not())
        return penalties

    return terms


def change_model(
    roster: Roster,
    placed: Sequence[Placed],
    filed: Sequence[FiledPlacement | None],
    members: Sequence[int],
    town: str,
    movable_from: int,
    costs: ChangeCosts,
) -> ChunkModel:
    """The chunk's model with the replan's objective: officer-days and change penalties."""
    chunk = build_chunk_model(
        roster,
        placed,
        members,
        town,
        movable_from=movable_from,
        penalties=_change_penalties(filed, costs),
    )
    chunk.model.minimize(costs.officer_day * sum(chunk.w.values()) + sum(chunk.penalties))
    return chunk


def _prepare_chunk(
    roster: Roster,
    placed: Sequence[Placed],
    filed: Sequence[FiledPlacement | None],
    members: list[int],
    town: str,
    movable_from: int,
    costs: ChangeCosts,
    solver_seed: int,
) -> Prepared[ChunkModel]:
    """The chunk's model, started from the plan as it stands, and its solver."""
    chunk = change_model(roster, placed, filed, members, town, movable_from, costs)
    m = chunk.model
    for (i, d), var in chunk.x.items():
        m.add_hint(var, d == placed[i].day)
    for (o, i), var in chunk.a.items():
        m.add_hint(var, o in placed[i].officers)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = solver_seed
    solver.parameters.max_deterministic_time = costs.subproblem_deterministic_time
    # A chunk is a few hundred 0-1 variables started from a full hint, and most solves
    # end in a few thousandths of a deterministic second: what costs is CP-SAT's set-up,
    # not its search. Symmetry detection, inprocessing and repeated presolve passes took
    # about 40 % of each solve's wall time and, on the 1 % replan of the 650,000 district
    # (55 solves), changed no chunk's objective (benchmarks/bench_replan.py).
    solver.parameters.symmetry_level = 0
    solver.parameters.use_sat_inprocessing = False
    solver.parameters.max_presolve_iterations = 1
    # As in the plan's improvement (``improve``): no LP relaxation. On that replan's 42
    # solves, every objective the same and 0.93 → 0.69 s of solving.
    solver.parameters.linearization_level = 0
    return Prepared(chunk, m, solver, chunk.reads)


def _answer(
    solved: Prepared[ChunkModel],
    roster: Roster,
    placed: Sequence[Placed],
    filed: Sequence[FiledPlacement | None],
    members: list[int],
    costs: ChangeCosts,
) -> tuple[Assignment | None, float]:
    """The solved chunk's assignment when it lowers the chunk's cost, and the solve's
    deterministic time."""
    chunk, solver = solved.made, solved.solver
    status = solver.response_proto.status
    dtime = float(solver.response_proto.deterministic_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, dtime
    if round(solver.objective_value) >= chunk_cost(roster, placed, filed, members, costs):
        return None, dtime
    return solved_assignment(solver, chunk, members), dtime
