"""The rows a replan carries over: visits and off-site checks of the new revision that are
exactly those of the filed revision it replans, so that the new revision holds those rows
themselves (``revision_visit``/``revision_offsite``) instead of sending them through
Python and the database again.

A nightly replan changes a few hundred of a district's ~170,000 visits and off-site
checks. Writing all of them as new rows (and moving each carried code) made the cost of a
replan follow the district; sharing the unchanged ones, codes and all, makes it follow
the change.

"Exactly" means every stored field: enterprise, date, town, mode, slot, triggered flag,
tasks and officers (a visit) or demand, department, item, source and due date (a check).
A row that differs in anything is written and filed as new, as before.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from jointinspect.data.plans.document import RevisionRows
from jointinspect.models.enums import DemandSource
from jointinspect.models.plan_protocols import OffsiteShape, PlanShape, VisitShape


@dataclass(frozen=True)
class CarriedRows:
    """Which rows of a plan are unchanged rows of ``revision_id`` (the filed revision)."""

    revision_id: int
    #: Index in ``plan.visits`` → id of the identical visit row of ``revision_id``.
    visits: dict[int, int]
    #: Index in ``plan.offsite`` → id of the identical off-site row of ``revision_id``.
    offsite: dict[int, int]
    #: The rows of ``revision_id`` as read: a shared row of the new revision reads back
    #: as its filed row, so what ``store_draft`` hands to filing is made from these.
    filed: RevisionRows | None = field(default=None, compare=False, repr=False)
    #: The plan is a replan of these enterprises only (``scheduler.replan_scope``), and
    #: ``filed`` their rows: every row of the others — visits, checks and unscheduled
    #: demands — the new revision holds as the filed revision does.
    scope: frozenset[str] | None = None


@dataclass(frozen=True)
class CarriedIds:
    """After storing: the ids of the rows the new revision shares with ``revision_id``."""

    revision_id: int
    visits: frozenset[int]
    offsite: frozenset[int]
    #: With a scope (``CarriedRows.scope``): how many visits and checks of the enterprises
    #: outside it the new revision shares besides ``visits`` and ``offsite``.
    outside: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class GivenRows:
    """The filed revision's visits and checks as the objects a replan was given (the
    revision as a ``PlanResult``), each beside the id of the row it was made from. A
    visit or check of the new plan that *is* one of these objects is that row unchanged,
    found without building and comparing its fields; the replanner hands back the very
    object for nearly every visit and check it keeps."""

    visits: Sequence[object]
    visit_ids: Sequence[int]
    offsite: Sequence[object]
    offsite_ids: Sequence[int]


def carried_rows(
    plan: PlanShape,
    revision_id: int,
    rows: RevisionRows,
    given: GivenRows | None = None,
    scope: frozenset[str] | None = None,
) -> CarriedRows:
    """Match ``plan``'s visits and checks one to one with the identical rows of
    ``revision_id`` (whose rows are ``rows``): first those that are ``given`` objects,
    then the rest by comparing every stored field. ``scope``: ``plan`` and ``rows`` are
    those of these enterprises only (:attr:`CarriedRows.scope`)."""
    visits: dict[int, int] = {}
    offsite: dict[int, int] = {}
    if given is not None:
        visits = _same_objects(plan.visits, given.visits, given.visit_ids)
        offsite = _same_objects(plan.offsite, given.offsite, given.offsite_ids)
    taken_visits, taken_offsite = set(visits.values()), set(offsite.values())
    old_visits: dict[Hashable, list[int]] = {}
    for v in rows.visits:
        if v.id in taken_visits:
            continue
        tasks = rows.tasks.get(v.id, [])
        triggered = any(DemandSource(t.source).triggered for t in tasks)
        key = (
            v.uscc,
            v.date,
            v.town,
            v.mode,
            v.order,
            triggered,
            tuple(sorted((t.demand_id, t.department, t.item, t.source) for t in tasks)),
            tuple(sorted((o.id, o.department) for o in rows.officers.get(v.id, []))),
        )
        old_visits.setdefault(key, []).append(v.id)
    old_offsite: dict[Hashable, list[int]] = {}
    for c in rows.offsite:
        if c.id in taken_offsite:
            continue
        old_offsite.setdefault(
            (c.demand_id, c.uscc, c.department, c.item, c.source, c.due), []
        ).append(c.id)
    visits.update(
        _match(
            ((i, _visit_key(v)) for i, v in enumerate(plan.visits) if i not in visits),
            old_visits,
        )
    )
    offsite.update(
        _match(
            ((i, _offsite_key(c)) for i, c in enumerate(plan.offsite) if i not in offsite),
            old_offsite,
        )
    )
    return CarriedRows(revision_id, visits, offsite, rows, scope)


def _same_objects(
    new: Sequence[object], old: Sequence[object], old_ids: Sequence[int]
) -> dict[int, int]:
    """Index in ``new`` → row id of the ``old`` object it is, each old object taken once."""
    row_of = {id(o): rid for o, rid in zip(old, old_ids, strict=True)}
    out: dict[int, int] = {}
    for index, o in enumerate(new):
        rid = row_of.pop(id(o), None)
        if rid is not None:
            out[index] = rid
    return out


def _visit_key(v: VisitShape) -> Hashable:
    return (
        v.uscc,
        v.date,
        v.town,
        str(v.mode),
        v.order,
        v.triggered,
        tuple(sorted((t.demand_id, t.department, t.item, str(t.source)) for t in v.tasks)),
        tuple(sorted((o.id, o.department) for o in v.inspectors)),
    )


def _offsite_key(c: OffsiteShape) -> Hashable:
    return (c.demand_id, c.uscc, c.department, c.item, str(c.source), c.due)


def _match(keys: Iterable[tuple[int, Hashable]], old: dict[Hashable, list[int]]) -> dict[int, int]:
    """Index → old id, each old row taken once (two identical rows pair up in id order)."""
    out: dict[int, int] = {}
    for index, key in keys:
        ids = old.get(key)
        if ids:
            out[index] = ids.pop(0)
    return out
