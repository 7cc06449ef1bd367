"""Filed plan revisions are immutable: a guard on every ORM flush refuses to insert, change
or delete anything that belongs to a ``filed`` or ``superseded`` revision.

What stays allowed: ``draft`` → ``filed`` (filing), ``filed`` → ``superseded`` (the next
filing), and on an issued inspection code its status, revocation and the revision/visit it
points at (an unchanged visit carries its code into the next revision). An issued code is
never deleted and its text, key id and issue time never change.

The guard sees ORM flushes (``session.add``/``delete``); bulk Core statements
(``session.execute(update(Visit)…)``) bypass it and must not be used on filed revisions.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction

from jointinspect.models.errors import JointInspectError
from jointinspect.models.planning import (
    InspectionCode,
    OffsiteCheck,
    PlanRevision,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
)

FROZEN_STATUSES = frozenset({"filed", "superseded"})
_CODE_FIXED = ("code", "key_id", "issued_at")
_CHUNK = 500


class FiledRevisionImmutableError(JointInspectError):
    """Something tried to change a filed or superseded plan revision."""


def _persisted(obj: Any, attr: str) -> Any:
    """The value as the database holds it (before this flush's change)."""
    history = inspect(obj).attrs[attr].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, attr)


class _Statuses:
    """Persisted status of revisions and the revision of visits, looked up once per flush."""

    def __init__(self, session: OrmSession) -> None:
        self.session = session
        self.revisions: dict[int, str | None] = {}
        self.visits: dict[int, int | None] = {}

    def revision(self, revision_id: int | None) -> str | None:
        if revision_id is None:
            return None
        if revision_id not in self.revisions:
            rev = self.session.get(PlanRevision, revision_id)
            self.revisions[revision_id] = (
                None if rev is None or inspect(rev).pending else _persisted(rev, "status")
            )
        return self.revisions[revision_id]

    def preload_visits(self, visit_ids: Iterable[int]) -> None:
        missing = sorted({v for v in visit_ids if v not in self.visits})
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            stmt = select(Visit.__table__.c.id, Visit.__table__.c.revision_id).where(  # type: ignore[attr-defined]
                Visit.__table__.c.id.in_(chunk)  # type: ignore[attr-defined]
            )
            rows = self.session.execute(stmt).all()
            found = {vid: rid for vid, rid in rows}
            for vid in chunk:
                self.visits[vid] = found.get(vid)

    def visit_revision(self, visit_id: int | None) -> int | None:
        if visit_id is None:
            return None
        if visit_id not in self.visits:
            self.preload_visits([visit_id])
        return self.visits[visit_id]


def _refuse(what: str, revision_id: int | None) -> FiledRevisionImmutableError:
    return FiledRevisionImmutableError(
        f"{what} belongs to plan revision {revision_id}, which is filed and cannot change",
        hint="make a new revision with `jointinspect replan` (or `plan`) and file that",
    )


def _guard(session: OrmSession, _context: UOWTransaction, _instances: object) -> None:
    changed = [
        (obj, kind)
        for kind, objs in (
            ("new", session.new),
            ("dirty", session.dirty),
            ("deleted", session.deleted),
        )
        for obj in objs
        if kind != "dirty" or session.is_modified(obj)
    ]
    if not changed:
        return
    with session.no_autoflush:
        statuses = _Statuses(session)
        # Visits touched in this flush are known without asking the database.
        for obj, _kind in changed:
            if isinstance(obj, Visit) and obj.id is not None:
                statuses.visits[obj.id] = _persisted(obj, "revision_id")
        statuses.preload_visits(
            obj.visit_id
            for obj, _kind in changed
            if isinstance(obj, VisitTask | VisitOfficer) and obj.visit_id is not None
        )
        for obj, kind in changed:
            _check(obj, kind, statuses)


def _check(obj: object, kind: str, statuses: _Statuses) -> None:
    if isinstance(obj, PlanRevision):
        if kind == "new":
            return
        before = _persisted(obj, "status")
        if before not in FROZEN_STATUSES:
            return
        state = inspect(obj)
        touched = {a.key for a in state.attrs if a.history.has_changes()}
        # The one change a filed revision allows: being superseded by the next filing.
        if (
            kind == "dirty"
            and before == "filed"
            and touched == {"status"}
            and obj.status == "superseded"
        ):
            return
        raise _refuse(f"revision {obj.revision} of plan {obj.plan_id}", obj.id)
    if isinstance(obj, Visit | OffsiteCheck | UnscheduledDemand):
        revision_ids: set[int | None] = {obj.revision_id}
        if kind != "new":
            revision_ids.add(_persisted(obj, "revision_id"))
        for rid in revision_ids:
            if statuses.revision(rid) in FROZEN_STATUSES:
                raise _refuse(f"a {type(obj).__name__} row", rid)
        return
    if isinstance(obj, VisitTask | VisitOfficer):
        rid = statuses.visit_revision(obj.visit_id)
        if statuses.revision(rid) in FROZEN_STATUSES:
            raise _refuse(f"a {type(obj).__name__} row", rid)
        return
    if isinstance(obj, InspectionCode):
        if kind == "deleted":
            raise FiledRevisionImmutableError(f"inspection code {obj.code} cannot be deleted")
        if kind == "dirty":
            state = inspect(obj)
            fixed = [a for a in _CODE_FIXED if state.attrs[a].history.has_changes()]
            if fixed:
                raise FiledRevisionImmutableError(
                    f"inspection code {_persisted(obj, 'code')}: {', '.join(fixed)} cannot change"
                )


def install() -> None:
    """Register the guard on every ORM session (idempotent)."""
    if not event.contains(OrmSession, "before_flush", _guard):
        event.listen(OrmSession, "before_flush", _guard)


install()
