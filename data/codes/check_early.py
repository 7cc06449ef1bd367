"""The filing's check process (:mod:`check_apart`), started before the filing is ready.

The check's process spends its first 0.7 s of a 650,000-enterprise filing importing the
database layer and the rule checker, and it can only be given the draft once the filing
has imported the same and found the draft. A command that is about to file a big draft
starts it first (:func:`early_check`), before its own imports: the two import side by
side, on two cores, and ``check_apart`` hands the process the draft when the filing
knows it. A process that is never given a draft is ended.

This module imports nothing but the standard library, so that starting the process costs
the command nothing it was going to wait for.
"""

import importlib
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any


class EarlyCheck:
    """A started check process waiting for its one job; :meth:`take` hands it over once."""

    def __init__(self, process: BaseProcess, jobs: Connection, answers: Connection) -> None:
        self.process = process
        self.jobs = jobs
        self.answers = answers
        self.taken = False

    def take(self, job: tuple[Any, ...]) -> Connection | None:
        """Give the process ``job`` and return where its answer comes from; None when it
        cannot take it (given one already, gone, or the job does not pickle)."""
        if self.taken or not self.process.is_alive():
            return None
        self.taken = True
        try:
            self.jobs.send(job)
        except Exception:  # a job that does not pickle, or a process gone meanwhile
            return None
        return self.answers

    def close(self) -> None:
        """End the process: one given nothing has nothing to finish (it only imports, or
        waits), and one given a job is done with (``check_apart`` ends it as well)."""
        self.jobs.close()
        self.answers.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


@contextmanager
def early_check(imports: Sequence[str]) -> Iterator[EarlyCheck | None]:
    """A spawned process that imports ``imports`` (module names: what the job will need),
    then waits for one job from :meth:`EarlyCheck.take`; None on one CPU, or when no
    process can be had. The process has ended when the block does."""
    if (os.cpu_count() or 1) < 2:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    job_out, job_in = context.Pipe(duplex=False)
    answer_out, answer_in = context.Pipe(duplex=False)
    try:
        process = context.Process(
            target=_serve, args=(tuple(imports), job_out, answer_in), daemon=True
        )
        process.start()
    except OSError:
        for end in (job_out, job_in, answer_out, answer_in):
            end.close()
        yield None
        return
    job_out.close()  # the child's ends: EOF here when the child is gone
    answer_in.close()
    early = EarlyCheck(process, job_in, answer_out)
    try:
        yield early
    finally:
        early.close()


def _serve(imports: tuple[str, ...], jobs: Connection, send: Connection) -> None:
    """In the process: import, then run the one job given (``check_apart``'s), if any."""
    for name in imports:
        importlib.import_module(name)
    from jointinspect.data.codes.check_apart import run_check

    try:
        recipe, check, revision_id = jobs.recv()
    except (EOFError, OSError):  # ended before it was given a check
        return
    run_check(recipe, check, revision_id, send)
