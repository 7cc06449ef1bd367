"""A filing's hard-rule check in a process of its own, while the filing goes on.

A first filing of a district spends about half its time on the check (the problem rebuilt
from the database, the draw verified, the checker over every visit) and the other half on
reading the draft, making and writing its codes; the two need nothing from each other
until the filing commits. So the check runs in a second process that reads the committed
draft through its own connection, and the filing asks for the verdict just before it
commits: a refusal then rolls back what it wrote, as before.

The process is spawned, not forked: the filing holds a database connection and the
libraries' threads. When no process can be started, when it dies or cannot send its
verdict, the caller runs the check itself — the verdict is the same, only later.
"""

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.codes.check_early import EarlyCheck
from jointinspect.models.db import EngineRecipe, recipe_of
from jointinspect.models.errors import JointInspectError

#: Given a session and a revision id, the hard-rule violations found, in words.
HardRuleCheck = Callable[[Session, int], Sequence[str]]
#: The check's answer: the violations, or None when it gave none (run it here instead).
Verdict = Callable[[], list[str] | None]

Sent = (
    tuple[Literal["checked"], list[str]]
    | tuple[Literal["refused"], JointInspectError]
    | tuple[Literal["failed"], str]
)


@contextmanager
def check_apart(
    check: HardRuleCheck, engine: Engine, revision_id: int, early: EarlyCheck | None = None
) -> Iterator[Verdict | None]:
    """Start ``check`` of ``revision_id`` in a second process and yield the function that
    waits for its verdict; None when it cannot run apart (one CPU, a database only this
    process can open, no process to be had). ``check`` must pickle. A check that raises a
    :class:`JointInspectError` there raises it here, from the verdict. Leaving the block
    before asking ends the process. ``early``: a process started already
    (:mod:`check_early`), used if it can take the check."""
    recipe = recipe_of(engine)
    if recipe is None or (os.cpu_count() or 1) < 2:
        yield None
        return
    started = _given_early(early, (recipe, check, revision_id)) or _spawned(
        recipe, check, revision_id
    )
    if started is None:
        yield None
        return
    process, answers = started

    def verdict() -> list[str] | None:
        try:
            sent: Sent = answers.recv()
        except (EOFError, OSError):
            return None
        if sent[0] == "refused":
            raise sent[1]
        if sent[0] == "failed":
            return None
        return sent[1]

    try:
        yield verdict
    finally:
        answers.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _given_early(
    early: EarlyCheck | None, job: tuple[EngineRecipe, HardRuleCheck, int]
) -> tuple[BaseProcess, Connection] | None:
    """The process started early and where its verdict comes from, if it took ``job``."""
    answers = None if early is None else early.take(job)
    return None if early is None or answers is None else (early.process, answers)


def _spawned(
    recipe: EngineRecipe, check: HardRuleCheck, revision_id: int
) -> tuple[BaseProcess, Connection] | None:
    """A process of its own for the check, and where its verdict comes from; None when
    none can be had, or the check does not pickle."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    try:
        process = context.Process(
            target=run_check, args=(recipe, check, revision_id, send), daemon=True
        )
        process.start()
    except Exception:  # no process to be had, or a check that does not pickle
        receive.close()
        send.close()
        return None
    send.close()  # the child's end: EOF here when the child is gone
    return process, receive


def run_check(
    recipe: EngineRecipe, check: HardRuleCheck, revision_id: int, send: Connection
) -> None:
    """In the check's process: open the database, check, send the verdict."""
    sent: Sent
    try:
        engine = recipe.engine()
        try:
            # Read only: the session's transaction is rolled back when it closes.
            with no_cyclic_gc(), Session(engine) as session:
                sent = ("checked", list(check(session, revision_id)))
        finally:
            engine.dispose()
    except JointInspectError as exc:
        sent = ("refused", exc)
    except Exception as exc:  # the filing runs the check itself and sees it there
        sent = ("failed", f"{type(exc).__name__}: {exc}")
    try:
        send.send(sent)
    except Exception as exc:  # an error that does not pickle: the filing checks itself
        send.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()
