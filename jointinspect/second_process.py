"""A second process to share a long computation with, on a machine with two cores.

Used where a step's work splits into parts that need nothing from each other until the
end (a district's grades CSV beside storing the grades, half the 双随机 draw's digests):
one process, spawned rather than forked (the caller holds a database connection and the
libraries' threads), started early so that it has imported what it needs by the time it
is given work. Where it is not worth one, on one CPU, or when no process can be had, the
caller gets None and does the work itself.

The process runs at a lower priority than its caller (:data:`HELPER_NICENESS`). While it
imports, the caller is reading its district on two threads (the read-ahead's and its
own), and at equal priority the three shared two cores: grading a 650,000-enterprise
district read it up to a second more slowly (0.3 s on average). Once each has a core of
its own, the priority makes no difference. Work the caller waits for while it is still
reading on two threads is the exception (``yielding=False``): grading's process reads
the credit events then, and at the lowest priority it kept the caller waiting 1.8 s at
650,000 enterprises, against 0.8 s at its caller's.
"""

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress

#: How much lower the second process's priority is (``os.nice``): the most there is, so
#: that it only takes a core the caller leaves free.
HELPER_NICENESS = 19


@contextmanager
def second_process(
    worth_it: bool, ready: Callable[[], None], *, yielding: bool = True
) -> Iterator[ProcessPoolExecutor | None]:
    """One spawned worker process, or None (not ``worth_it``, one CPU, no process to be
    had). It runs ``ready`` at once — a module-level function of the module the work is
    in, so that the process imports it while the caller goes on. ``yielding``: at the
    lowest priority (see above); not for work the caller will soon wait for while it is
    busy on two threads itself. The process has ended when the block does; work still
    running is waited for."""
    if not worth_it or (os.cpu_count() or 1) < 2:
        yield None
        return
    pool: ProcessPoolExecutor | None = None
    try:
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_lower_priority if yielding else None,
        )
        pool.submit(ready)
    except OSError:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        yield None
        return
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _lower_priority() -> None:
    """In the second process, before it imports anything more: its priority lowered
    (where the system has priorities to lower; a refusal leaves it as it is)."""
    with suppress(AttributeError, OSError):  # no os.nice (Windows), or not permitted
        os.nice(HELPER_NICENESS)
