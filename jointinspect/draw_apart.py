"""The 双随机 draw's hashing on two cores.

A district's draw hashes every member of every rule's population (2.8 million SHA-256
digests on a 650,000-enterprise district with many departments): seconds of one core,
each digest too small for hashlib to let go of the GIL. The rules are independent, so a
second process hashes about half of them (:func:`risk.sampling.smallest_digests`) while
this one hashes the rest; the draws are put together in rule order as one process would
(:func:`risk.sampling.assemble_draws`): the same draws, digest for digest.

The process is spawned, not forked (the planner holds a database connection and the
read-ahead's thread), when the plan starts, so that it has imported what it needs by the
time the district is read. Small districts, plans told to keep one CPU busy (a city's
tasks) and one-CPU machines draw in one process, and so does a plan whose second process
cannot be started or dies.
"""

import marshal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager

import numpy as np

from jointinspect.risk.sampling import (
    CandidateColumns,
    Draw,
    DrawTask,
    SamplingRuleSpec,
    assemble_draws,
    draw_tasks,
    encoded_usccs,
    smallest_digests,
)
from jointinspect.second_process import second_process

#: Fewer enterprises than this are drawn in one process: starting a second one costs
#: more than half their digests.
DRAW_APART_FROM = 20_000
#: The second process's share of the work, the digests and the sending: it hashes more
#: slowly beside this one (at 650,000 enterprises and 2.8 million digests, 0.82–0.88 µs
#: a digest there, against 0.68–0.75 µs here, putting its draws together included).
APART_SHARE = 0.46
#: Sending it the district's USCCs and taking its answer back, in digests of its time a
#: USCC: 0.25–0.44 s for 650,000. With a share of the digests alone (0.6), this process
#: waited 0.85–0.9 s for the other, and at 650,000 enterprises both finish 0.4 s sooner
#: when the sending is counted as the second process's work.
SEND_PER_ENTERPRISE = 0.55

Chosen = list[list[tuple[int, str]]]


def draw_helper(enterprises: int, cpus: int) -> AbstractContextManager[ProcessPoolExecutor | None]:
    """A second process for the draw of a district of ``enterprises`` (and then its
    routes, :mod:`route_apart`), started now, or None: a small district, or fewer than two
    ``cpus`` to keep busy (``Options.cpus``: a city's task has one, the districts beside
    it the others), or no process to be had. It has ended when the block does."""
    return second_process(enterprises >= DRAW_APART_FROM and cpus >= 2, _ready)


def draw_on_two(
    seed: str,
    rules: Sequence[SamplingRuleSpec],
    candidates: CandidateColumns,
    helper: ProcessPoolExecutor | None,
) -> list[Draw]:
    """``risk.sampling.draw_columns`` with about half its digests made by ``helper``
    (None: all of them here)."""
    tasks = draw_tasks(rules, candidates)
    encoded = encoded_usccs(candidates)
    apart = _apart(tasks, len(encoded)) if helper is not None else []
    away = set(apart)
    here = [k for k in range(len(tasks)) if k not in away]
    sent: Future[Chosen] | None = None
    if helper is not None and apart:
        try:
            sent = helper.submit(_digests_packed, _packed(seed, [tasks[k] for k in apart], encoded))
        except (BrokenProcessPool, RuntimeError):
            sent = None
    # Per task, its draws: this process's tasks' put together while the other hashes.
    draws: list[list[Draw]] = [[] for _ in tasks]
    mine = [tasks[k] for k in here]
    made_here = _assembled(mine, smallest_digests(seed, mine, encoded), candidates)
    for k, made in zip(here, made_here, strict=True):
        draws[k] = made
    if apart:
        theirs = [tasks[k] for k in apart]
        answer = _answer(sent)
        if answer is None:  # no second process after all: its share is drawn here
            answer = smallest_digests(seed, theirs, encoded)
        for k, made in zip(apart, _assembled(theirs, answer, candidates), strict=True):
            draws[k] = made
    return [d for made in draws for d in made]


def _assembled(
    tasks: Sequence[DrawTask], chosen: Chosen, candidates: CandidateColumns
) -> list[list[Draw]]:
    """Each task's draws (:func:`risk.sampling.assemble_draws`, one list a task)."""
    return [assemble_draws([t], [c], candidates) for t, c in zip(tasks, chosen, strict=True)]


def _apart(tasks: Sequence[DrawTask], enterprises: int) -> list[int]:
    """The tasks the second process hashes: the largest populations first, each to the
    side furthest below its share of the work, the sending of ``enterprises`` USCCs
    counted as the second process's (:data:`SEND_PER_ENTERPRISE`)."""
    sending = SEND_PER_ENTERPRISE * enterprises
    total = sum(len(t.pool) for t in tasks) + sending
    loads = [0.0, sending]  # here, apart
    shares = [1 - APART_SHARE, APART_SHARE]
    apart = []
    for k in sorted(range(len(tasks)), key=lambda k: (-len(tasks[k].pool), k)):
        side = 1 if loads[1] - shares[1] * total <= loads[0] - shares[0] * total else 0
        loads[side] += len(tasks[k].pool)
        if side:
            apart.append(k)
    return sorted(apart)


def _answer(sent: "Future[Chosen] | None") -> Chosen | None:
    if sent is None:
        return None
    try:
        return sent.result()
    except BrokenProcessPool:  # the process died: the caller draws its share
        return None


def _packed(seed: str, tasks: Sequence[DrawTask], encoded: list[bytes]) -> bytes:
    """What the second process needs, as one ``marshal`` string: pickling the USCCs
    kept a memo of 650,000 objects; marshal keeps none, and both ends are this Python."""
    return marshal.dumps(
        (seed, encoded, [(t.department, t.item, t.pool.tobytes(), t.k) for t in tasks])
    )


def _digests_packed(packed: bytes) -> Chosen:
    """:func:`risk.sampling.smallest_digests` of what :func:`_packed` packed (in the
    second process)."""
    seed, encoded, specs = marshal.loads(packed)
    tasks = [
        DrawTask(department, item, np.frombuffer(pool, dtype=np.int64), k)
        for department, item, pool, k in specs
    ]
    return smallest_digests(seed, tasks, encoded)


def _ready() -> None:
    """Nothing: a process that runs it has imported this module."""
