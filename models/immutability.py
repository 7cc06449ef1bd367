"""Filed plan revisions are immutable: a guard on every ORM flush refuses to insert, change
or delete anything that belongs to a ``filed`` or ``superseded`` revision.

What stays allowed: ``draft`` → ``filed`` (filing), ``filed`` → ``superseded`` (the next
filing), and on an issued inspection code its status, revocation and the revision/visit it
points at (an unchanged visit carries its code into the next revision). An issued code is
never deleted and its text, key id and issue time never change.

A visit or off-site check belongs to the revision that wrote it (``revision_id``); the
revisions that hold it are listed in ``revision_visit``/``revision_offsite``, whose rows
belong to the listing revision. A draft shares rows only with filed revisions, so a row a
draft may change is one only the draft holds.

Where the guard stands, and what it cannot see:

- ORM flushes (``session.add``/``delete``) are checked object by object (``_guard``).
- ORM bulk statements (``session.execute(update(Visit).where(…))``, ``delete(…)``) are
  checked before they run (``_guard_bulk``): the statement's own criteria select the
  revisions it would touch, and it is refused if any of them is filed or superseded (an
  inspection code is never bulk-deleted, and a bulk update may not set its text, key id or
  issue time).
- Core statements executed on a ``Connection`` (``conn.execute(update(table)…)``,
  ``text(…)``) are below the ORM and not seen. They are the sanctioned bulk path of three
  modules only, each of which checks the revision itself: ``data.plan_store`` (inserts a
  new draft), ``data.drafts`` (deletes a draft) and ``data.filing`` (writes the codes of
  the draft being filed and revokes superseded codes). ``tests/test_filing_bulk.py`` fails
  when any other module writes the planning tables with Core.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, UOWTransaction
from sqlalchemy.orm import Session as OrmSession

from jointinspect.models.core_table import table_of
from jointinspect.models.errors import JointInspectError
from jointinspect.models.planning import (
    InspectionCode,
    OffsiteCheck,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
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
    if isinstance(obj, Visit | OffsiteCheck | UnscheduledDemand | RevisionVisit | RevisionOffsite):
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


def _guard_bulk(state: ORMExecuteState) -> None:
    """Refuse an ORM bulk UPDATE/DELETE that would touch a filed or superseded revision."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    if model is InspectionCode:
        _check_bulk_codes(state)
        return
    if model not in _REVISION_OF:
        return
    statement: Any = state.statement
    query = select(_REVISION_OF[model]).distinct()
    if statement.whereclause is not None:
        query = query.where(statement.whereclause)
    ids = _bulk_ids(state)
    if ids is not None:
        query = query.where(table_of(model).c.id.in_(ids))
    session = state.session
    with session.no_autoflush:
        found = list(session.execute(query).scalars())
        if model is PlanRevision:  # what was read is the revisions' status
            if any(status in FROZEN_STATUSES for status in found):
                raise FiledRevisionImmutableError(
                    f"a bulk {_verb(state)} of plan revisions: a filed revision cannot change",
                    hint="make a new revision with `jointinspect replan` (or `plan`) and file that",
                )
            return
        # Rows moved into another revision (or visit) must not land in a filed one either.
        found += [v for v in _assigned(state, _MOVE_COLUMN[model]) if isinstance(v, int)]
        statuses = _Statuses(session)
        if model in (VisitTask, VisitOfficer):  # what was read is the visit ids
            statuses.preload_visits(v for v in found if v is not None)
            found = [statuses.visit_revision(v) for v in found]
        for rid in sorted({r for r in found if r is not None}):
            if statuses.revision(rid) in FROZEN_STATUSES:
                raise _refuse(f"a bulk {_verb(state)} of {table_of(model).name} rows", rid)


def _assigned(state: ORMExecuteState, column: str) -> list[Any]:
    """The values a bulk UPDATE sets ``column`` to (in ``.values()`` or per-row params)."""
    statement: Any = state.statement
    if not state.is_update:
        return []
    values = [v for k, v in (statement._values or {}).items() if getattr(k, "key", k) == column]
    found = [getattr(v, "value", v) for v in values]  # bound parameters hold their value
    params: Any = state.parameters
    rows: list[Any] = params if isinstance(params, list) else [params] if params else []
    found += [row[column] for row in rows if column in row]
    return found


def _check_bulk_codes(state: ORMExecuteState) -> None:
    if state.is_delete:
        raise FiledRevisionImmutableError("inspection codes cannot be deleted")
    statement: Any = state.statement
    touched = {getattr(k, "key", k) for k in statement._values or {}}
    params = state.parameters
    if isinstance(params, list):
        touched.update(k for row in params for k in row)
    elif params:
        touched.update(params)
    fixed = sorted(set(_CODE_FIXED) & touched)
    if fixed:
        raise FiledRevisionImmutableError(
            f"inspection codes: {', '.join(fixed)} cannot change (a bulk update)"
        )


def _bulk_ids(state: ORMExecuteState) -> list[Any] | None:
    """Primary keys of a bulk update given as a list of rows (``update(Visit), [{…}]``)."""
    params = state.parameters
    if isinstance(params, list) and params and all("id" in row for row in params):
        return [row["id"] for row in params]
    return None


def _verb(state: ORMExecuteState) -> str:
    return "update" if state.is_update else "delete"


#: What a bulk statement's criteria select to find the revisions it would touch: a
#: revision's status, a row's revision id, or (for tasks and officers) a visit id.
_REVISION_OF: dict[Any, Any] = {
    PlanRevision: table_of(PlanRevision).c.status,
    Visit: table_of(Visit).c.revision_id,
    OffsiteCheck: table_of(OffsiteCheck).c.revision_id,
    UnscheduledDemand: table_of(UnscheduledDemand).c.revision_id,
    RevisionVisit: table_of(RevisionVisit).c.revision_id,
    RevisionOffsite: table_of(RevisionOffsite).c.revision_id,
    VisitTask: table_of(VisitTask).c.visit_id,
    VisitOfficer: table_of(VisitOfficer).c.visit_id,
}
#: The column that moves a row of each guarded table to another revision (or visit).
_MOVE_COLUMN: dict[Any, str] = {
    PlanRevision: "",
    Visit: "revision_id",
    OffsiteCheck: "revision_id",
    UnscheduledDemand: "revision_id",
    RevisionVisit: "revision_id",
    RevisionOffsite: "revision_id",
    VisitTask: "visit_id",
    VisitOfficer: "visit_id",
}


def install() -> None:
    """Register the guards on every ORM session (idempotent)."""
    if not event.contains(OrmSession, "before_flush", _guard):
        event.listen(OrmSession, "before_flush", _guard)
    if not event.contains(OrmSession, "do_orm_execute", _guard_bulk):
        event.listen(OrmSession, "do_orm_execute", _guard_bulk)


install()
