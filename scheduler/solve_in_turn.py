"""CP-SAT solves of a row of chunks in turn, the next chunk solved beside the current one.

The plan's improvement (:mod:`improve`) and the replan's rebalance (:mod:`change_cost`)
go through their chunks in a fixed order: each chunk's model is made from the plan as
the chunks before it left it, solved, and its answer applied when it lowers the
objective. An answer applied changes a few officer-days, which the next chunk's model
seldom reads (the multi profile's plan at 650,000 enterprises applies 26 answers of 33
solves, and 24 of them leave the next model as it was), so the next chunk's model, made
from the plan as it stands now, is nearly always the one it will be in its turn.

CP-SAT releases the GIL while it solves, and with one worker and no wall-time limit its
answer depends on the model and parameters alone. So, given a second core, the next
chunk that needs a solve is made and solved beside the current one, and its answer is
taken in its turn if nothing was applied in between (:meth:`SolveInTurn.changed`): the
plan is then the one it would have been made from, and model and answer with it. So it
is when what was applied lies outside what the early model was made from (a chunk's
model reads its officers' days of its week alone: :attr:`Prepared.reads`). Else the
chunk's model is made again from the plan as it stands; when it is the same model (the
change was in officer-days whose figures it does not use), the early answer is the one a
solve now would give and is taken; else the early solve is stopped and dropped, and the
new model solved. The order of solves, the answers taken and what is applied are exactly
those of solving one chunk after another.
"""

from collections.abc import Callable, Collection, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ortools.sat.python import cp_model

#: What the caller keeps of a chunk's model to read its answer with (variables, bounds).
Made = TypeVar("Made")


@dataclass(frozen=True)
class Prepared(Generic[Made]):
    """A chunk's model, ready to solve: what the caller reads the answer with, the model,
    and the solver with its parameters set."""

    made: Made
    model: cp_model.CpModel
    solver: cp_model.CpSolver
    #: The parts of the plan the model was made from (a chunk's officer-days): a change
    #: elsewhere leaves it as it is. None: all of the plan.
    reads: frozenset[Hashable] | None = None


@dataclass
class _Early(Generic[Made]):
    index: int
    prepared: Prepared[Made]
    status: "Future[Any]"
    #: Something was applied since its model was made.
    stale: bool = False


class SolveInTurn(Generic[Made]):
    """The solves of chunks ``0 … count-1`` in turn (see the module).

    ``settled(k)``: chunk k needs no solve as the plan stands (its cost is at its bound);
    asked again only after a change. ``prepare(k)``: chunk k's model from the plan as it
    stands. ``pool``: two threads, for the current chunk's solve and the next one's; None:
    every solve runs in the caller's thread when its turn comes.
    """

    def __init__(
        self,
        count: int,
        settled: Callable[[int], bool],
        prepare: Callable[[int], Prepared[Made]],
        pool: ThreadPoolExecutor | None,
    ) -> None:
        self._count = count
        self._settled = settled
        self._prepare = prepare
        self._pool = pool
        self._known: dict[int, bool] = {}
        self._early: _Early[Made] | None = None
        #: Answers taken from a solve started ahead of their turn (of them, ``kept``: after
        #: a change, the model made again being the same), solves dropped, and changes
        #: that left the early solve's model as it was (``untouched``: not made again).
        self.taken_early = 0
        self.kept = 0
        self.dropped = 0
        self.untouched = 0

    def settled(self, index: int) -> bool:
        """``settled(index)`` as the plan stands (asked once between changes)."""
        if index not in self._known:
            self._known[index] = self._settled(index)
        return self._known[index]

    def solve(self, index: int) -> Prepared[Made]:
        """Chunk ``index`` made and solved on the plan as it stands (its turn has come and
        it is not settled); the solver holds the answer."""
        early, self._early = self._early, None
        if early is not None and early.index != index:  # the caller stopped before it
            self._drop(early)
            early = None
        current: Prepared[Made] | None = None
        if early is not None and early.stale:
            current = self._prepare(index)
            if _same_problem(current, early.prepared):
                # What the caller reads the answer with is the new model's (the same
                # variables); the answer is the early solver's.
                current = Prepared(current.made, current.model, early.prepared.solver)
                self.kept += 1
            else:
                self._drop(early)
                early = None
        if early is None:
            if current is None:
                current = self._prepare(index)
            if self._pool is None:
                current.solver.solve(current.model)
                return current
            status = self._pool.submit(current.solver.solve, current.model)
        else:
            if current is None:
                current = early.prepared
            status = early.status
            self.taken_early += 1
        # The next one is made and started while this one is solved.
        self._early = self._ahead_of(index)
        status.result()
        return current

    def changed(self, where: Collection[Hashable] | None = None) -> None:
        """Something was applied to the plan, at ``where`` (None: anywhere): what was made
        from it before is stale (the early solve's model is made again in its turn, and
        its answer taken only if the model is the same) — unless the early model read
        nothing of ``where`` (:attr:`Prepared.reads`), and so is the model a solve now
        would be given, without making it again."""
        self._known.clear()
        early = self._early
        if early is None or early.stale:
            return
        reads = early.prepared.reads
        if where is None or reads is None or not reads.isdisjoint(where):
            early.stale = True
        else:
            self.untouched += 1

    def _ahead_of(self, index: int) -> "_Early[Made] | None":
        """The next chunk after ``index`` that needs a solve, made and started now."""
        if self._pool is None:
            return None
        for later in range(index + 1, self._count):
            if not self.settled(later):
                prepared = self._prepare(later)
                return _Early(
                    later, prepared, self._pool.submit(prepared.solver.solve, prepared.model)
                )
        return None

    def _drop(self, early: "_Early[Made]") -> None:
        self.dropped += 1
        if not early.status.cancel():
            early.prepared.solver.stop_search()

    def close(self) -> None:
        """Stop what was solved ahead and is no longer wanted."""
        if self._early is not None:
            self._drop(self._early)
            self._early = None


def _same_problem(a: Prepared[Any], b: Prepared[Any]) -> bool:
    """Whether CP-SAT is given the same problem: the same model (as its text format writes
    it, every variable, constraint, objective and hint) and the same parameters."""
    return str(a.solver.parameters) == str(b.solver.parameters) and str(a.model.Proto()) == str(
        b.model.Proto()
    )


@contextmanager
def solve_in_turn(
    count: int,
    settled: Callable[[int], bool],
    prepare: Callable[[int], Prepared[Made]],
    *,
    ahead: bool,
) -> Iterator[SolveInTurn[Made]]:
    """A :class:`SolveInTurn`; ``ahead`` (the caller has a second core to give,
    ``SchedulerParams.cpus``): with the next chunk solved beside the current one. Its
    threads have ended when the block does."""
    if not ahead:
        yield SolveInTurn(count, settled, prepare, None)
        return
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="cp-sat") as pool:
        turns = SolveInTurn(count, settled, prepare, pool)
        try:
            yield turns
        finally:
            turns.close()
