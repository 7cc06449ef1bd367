"""Solving the next chunk beside the current one (``scheduler.solve_in_turn``) gives the
plan and the replan that solving one chunk after another gives, byte for byte: an early
answer is taken only when nothing was applied since its model was made."""

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from helpers.planning_builders import WORKDAYS, random_problem, with_new_complaints
from ortools.sat.python import cp_model

from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import PlanResult
from jointinspect.scheduler import change_cost, improve, solve_in_turn
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.replan import replan
from jointinspect.scheduler.solve import solve
from jointinspect.scheduler.solve_in_turn import Prepared, SolveInTurn

#: Enough budget that every chunk with slack gets its solve, and answers get applied.
BUDGET = 1_000.0


@contextmanager
def _turns_seen(module: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SolveInTurn]]:  # type: ignore[type-arg]
    """Every ``SolveInTurn`` ``module`` makes, for a look at what was taken early; and
    whenever a change is found to leave the early model untouched, that model made again
    after the change, which must be the same."""
    made: list[SolveInTurn] = []  # type: ignore[type-arg]
    real = solve_in_turn.solve_in_turn
    changed = SolveInTurn.changed

    def checked_change(self: SolveInTurn, where: object = None) -> None:  # type: ignore[type-arg]
        untouched = self.untouched
        changed(self, where)  # type: ignore[arg-type]
        if self.untouched > untouched:
            early = self._early
            assert early is not None
            again = self._prepare(early.index)
            assert solve_in_turn._same_problem(again, early.prepared)

    monkeypatch.setattr(SolveInTurn, "changed", checked_change)

    @contextmanager
    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        with real(*args, **kwargs) as turns:
            made.append(turns)
            yield turns

    monkeypatch.setattr(module, "solve_in_turn", watched)
    yield made


def _plan(p: PlanningProblem, cpus: int) -> PlanResult:
    params = dataclasses.replace(SchedulerParams.default(), deterministic_budget=BUDGET, cpus=cpus)
    return solve(p, params)


@pytest.mark.parametrize("seed", [3, 11])
def test_the_plan_is_the_one_solved_chunk_after_chunk(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = random_problem(3_000, seed, officers_per_1000=3.0, rate=0.3)
    with _turns_seen(improve, monkeypatch) as seen:
        ahead = _plan(p, cpus=2)
        alone = _plan(p, cpus=1)
    # Answers were applied (so early solves went stale, kept or dropped, or were found
    # untouched) and others taken early.
    assert ahead.metrics["improvement"]["subproblems_improved"] > 0
    assert seen[0].taken_early > 0
    assert seen[0].kept + seen[0].dropped + seen[0].untouched > 0
    assert seen[1].taken_early == 0
    assert ahead.visits == alone.visits
    assert ahead.metrics == alone.metrics


def test_the_replan_is_the_one_solved_chunk_after_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    p = random_problem(3_000, 5, officers_per_1000=3.0, rate=0.3)
    filed = solve(p)
    later = with_new_complaints(p, filed, 40)
    costs = dataclasses.replace(change_cost.ChangeCosts.default(), deterministic_budget=BUDGET)
    two = dataclasses.replace(SchedulerParams.default(), cpus=2)
    with _turns_seen(change_cost, monkeypatch) as seen:
        ahead = replan(later, filed, WORKDAYS[20], 2, two, costs)
        alone = replan(later, filed, WORKDAYS[20], 2, SchedulerParams.default(), costs)
    assert ahead.result.metrics["replan"]["cp_sat_improved"] > 0
    assert seen[0].taken_early > 0
    assert seen[0].kept + seen[0].dropped + seen[0].untouched > 0
    assert seen[1].taken_early == 0
    assert ahead.result == alone.result
    assert ahead.diff == alone.diff


def _toy(values: list[int], reads: frozenset[int] | None = None) -> Prepared[int]:
    """A model whose answer is ``values``' sum (each fixed), to see which was solved."""
    m = cp_model.CpModel()
    total = sum(m.new_constant(v) for v in values)
    m.maximize(total)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return Prepared(sum(values), m, solver, reads)  # type: ignore[arg-type]


@dataclasses.dataclass
class _Row:
    """A row of four toy chunks solved in turn (chunk 2 settled): what was made and solved."""

    #: Every model made, per chunk, in the order made; and the chunks, in that order.
    made: dict[int, list[Prepared[int]]]
    prepared: list[int]
    #: What each chunk's turn gave, in turn.
    solved: dict[int, Prepared[int]]
    turns: SolveInTurn[int]

    def answers(self) -> list[int]:
        return [round(s.solver.objective_value) for s in self.solved.values()]


def _solve_row(changed_number: int, *, ahead: bool, told: bool = False) -> _Row:
    """A plan of four numbers; chunk k's answer is the sum of the first k+1. After chunk
    0's answer, the plan's number ``changed_number`` grows by one (applied). ``told``:
    each model says which numbers it reads, and the change where it was."""
    plan = [10, 20, 30, 40]
    made: dict[int, list[Prepared[int]]] = {}
    order: list[int] = []

    def prepare(k: int) -> Prepared[int]:
        prepared = _toy(plan[: k + 1], frozenset(range(k + 1)) if told else None)
        made.setdefault(k, []).append(prepared)
        order.append(k)
        return prepared

    solved = {}
    with solve_in_turn.solve_in_turn(len(plan), lambda k: k == 2, prepare, ahead=ahead) as turns:
        for k in range(len(plan)):
            if turns.settled(k):
                continue
            solved[k] = turns.solve(k)
            if k == 0:
                plan[changed_number] += 1
                turns.changed({changed_number} if told else None)
    return _Row(made, order, solved, turns)


@pytest.mark.parametrize("ahead", [True, False])
def test_an_early_solve_made_before_a_change_is_made_again(ahead: bool) -> None:
    """After chunk 0 the plan's second number changes: chunk 1, solved ahead from the old
    plan, is stale, and its answer must be made from the plan as chunk 0 left it."""
    row = _solve_row(1, ahead=ahead)
    assert row.answers() == [10, 31, 101]
    assert all(round(s.solver.objective_value) == s.made for s in row.solved.values())
    # Ahead: 0 and 1 made first; 1 again after the change; 3 beside 1; nothing for 2.
    assert row.prepared == ([0, 1, 1, 3] if ahead else [0, 1, 3])
    assert row.turns.kept == 0 and row.turns.dropped == (1 if ahead else 0)


def test_an_early_solve_whose_model_a_change_left_as_it_was_is_taken() -> None:
    """After chunk 0 the plan's last number changes: chunk 1's model is made again and is
    the same, so the early solve's answer is taken (its solver, not a new one), while
    chunk 3's model, made after the change, sees it."""
    row = _solve_row(3, ahead=True)
    assert row.answers() == [10, 30, 101]
    assert row.solved[1].solver is row.made[1][0].solver  # the early solve's
    assert row.solved[1].made == row.made[1][1].made  # read with the model made now
    assert (row.turns.taken_early, row.turns.kept, row.turns.dropped) == (2, 1, 0)
    assert row.prepared == [0, 1, 1, 3]


@pytest.mark.parametrize("changed_number", [1, 3])
def test_a_change_where_the_early_model_did_not_look_keeps_it_without_making_it_again(
    changed_number: int,
) -> None:
    """Told what each model reads and where the change was: chunk 1's model reads the
    first two numbers. A change of the last leaves it untouched, and its early answer is
    taken without making the model again; a change of the second makes it stale, as an
    untold change does."""
    row = _solve_row(changed_number, ahead=True, told=True)
    assert all(round(s.solver.objective_value) == s.made for s in row.solved.values())
    if changed_number == 3:
        assert row.answers() == [10, 30, 101]
        assert row.prepared == [0, 1, 3]
        assert (row.turns.untouched, row.turns.kept, row.turns.dropped) == (1, 0, 0)
        assert row.solved[1] is row.made[1][0]
    else:
        assert row.answers() == [10, 31, 101]
        assert row.prepared == [0, 1, 1, 3]
        assert (row.turns.untouched, row.turns.kept, row.turns.dropped) == (0, 0, 1)


def test_the_cpus_are_how_the_plan_is_made_not_what_it_is() -> None:
    """Two CPUs or one: equal parameters, and the same digest of the planning settings
    (a revision planned on either is replanned in part on the other)."""
    one = SchedulerParams.default()
    two = dataclasses.replace(one, cpus=2)
    assert one == two and repr(one) == repr(two)
