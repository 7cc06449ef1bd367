"""A plan's off-site checks and visits staged in the draw's second process while this one
works on.

The checks are known once the plan has decided each demand's mode, before it places a
single visit; the visits' placement then keeps this process busy for seconds while the
draw's second process waits for the routes. So the checks go to that process at once,
which writes them to a file of their own (:mod:`~jointinspect.data.plans.staged_checks`),
and the draft copies them from it with one statement of SQLite's: the same rows, written
in a third of the time. The visits, with their tasks and officers, go the same way once
they have their slots, and are written there while this process makes the draw's record.

Only on SQLite, and only with a second process; a file not written (no process, or it
failed or died) leaves the draft to write the checks or visits itself, as it always did.
"""

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import Engine

from jointinspect.data.plans.staged_checks import (
    packed_checks,
    packed_visits,
    write_staged_checks,
    write_staged_visits,
)
from jointinspect.models.plan_protocols import OffsiteShape
from jointinspect.models.plan_result import VisitResult

#: What a staging write returns: how many rows it wrote.
Staged = TypeVar("Staged")

#: Fewer checks (or visits) than this are written by the draft itself: sending them
#: costs more.
STAGE_APART_FROM = 20_000


class StagedChecks:
    """The plan's checks sent to the second process to be staged (:meth:`sender`), and
    the file they were staged in, once they are (:meth:`written`); the same for its
    visits (:meth:`visits_sender`, :meth:`visits_written`)."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._folder: Path | None = None
        self._sent: Future[int] | None = None
        self._count = -1
        self._visits_sent: Future[tuple[int, int, int]] | None = None
        self._visits_count: tuple[int, int, int] = (-1, -1, -1)

    def sender(
        self, helper: ProcessPoolExecutor | None
    ) -> Callable[[Sequence[OffsiteShape]], None] | None:
        """What the plan hands its checks to (``scheduler.solve``'s ``checks_ready``): it
        sends them to ``helper``; None when nothing is staged (no second process, not
        SQLite)."""
        if helper is None or not self._enabled:
            return None

        def send(checks: Sequence[OffsiteShape]) -> None:
            if len(checks) < STAGE_APART_FROM or self._sent is not None:
                return
            self._sent = self._submit(
                helper, "checks.sqlite", write_staged_checks, lambda: packed_checks(checks)
            )
            self._count = len(checks)

        return send

    def written(self) -> str | None:
        """The file the checks were staged in (waiting for the second process to finish
        it), or None: none was sent, or the process failed to write it or died."""
        return self._file(self._sent, self._count, "checks.sqlite")

    def visits_sender(
        self, helper: ProcessPoolExecutor | None
    ) -> Callable[[Sequence[VisitResult]], None] | None:
        """What the plan hands its visits to once they have their slots
        (``scheduler.solve``'s ``visits_ready``), as :meth:`sender` for the checks."""
        if helper is None or not self._enabled:
            return None

        def send(visits: Sequence[VisitResult]) -> None:
            if len(visits) < STAGE_APART_FROM or self._visits_sent is not None:
                return
            self._visits_sent = self._submit(
                helper, "visits.sqlite", write_staged_visits, lambda: packed_visits(visits)
            )
            self._visits_count = (
                len(visits),
                sum(len(v.tasks) for v in visits),
                sum(len(v.inspectors) for v in visits),
            )

        return send

    def visits_written(self) -> str | None:
        """The file the visits were staged in (waiting for the second process to finish
        it), or None, as :meth:`written` for the checks."""
        return self._file(self._visits_sent, self._visits_count, "visits.sqlite")

    def _submit(
        self,
        helper: ProcessPoolExecutor,
        name: str,
        write: Callable[[str, bytes], Staged],
        packed: Callable[[], bytes],
    ) -> "Future[Staged] | None":
        """``write(path, packed())`` sent to ``helper``, ``path`` the file ``name`` in the
        staging folder (made at the first need); None when no temporary folder can be made
        or the process is gone or shut down: the draft writes the rows itself."""
        if self._folder is None:
            try:
                self._folder = Path(tempfile.mkdtemp(prefix="jointinspect-checks-"))
            except OSError:
                return None
        try:
            return helper.submit(write, str(self._folder / name), packed())
        except (BrokenProcessPool, RuntimeError):
            return None

    def _file(self, sent: "Future[Staged] | None", expected: Staged, name: str) -> str | None:
        """The staged file ``name`` once ``sent`` has written it, if it says it wrote the
        ``expected`` rows; None when nothing was sent, or the process failed or died."""
        if sent is None or self._folder is None:
            return None
        try:
            written = sent.result()
        except Exception:  # died, or could not write it: the draft writes the rows itself
            return None
        return str(self._folder / name) if written == expected else None

    def remove(self) -> None:
        """Remove the staged file and its folder (once the draft is written)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


@contextmanager
def staged_checks(engine: Engine) -> Iterator[StagedChecks]:
    """A :class:`StagedChecks` for a plan of the database on ``engine``: it stages only on
    SQLite. Its file is removed when the block ends, which holds the draft's writing."""
    staging = StagedChecks(engine.dialect.name == "sqlite")
    try:
        yield staging
    finally:
        staging.remove()
