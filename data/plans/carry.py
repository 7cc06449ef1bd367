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

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class CarriedIds:
    """After storing: the ids of the rows the new revision shares with ``revision_id``."""

    revision_id: int
    visits: frozenset[int]
    offsite: frozenset[int]


def carried_rows(plan: PlanShape, revision_id: int, rows: RevisionRows) -> CarriedRows:
    """Match ``plan``'s visits and checks one to one with the identical rows of
    ``revision_id`` (whose rows are ``rows``)."""
    old_visits: dict[Hashable, list[int]] = {}
    for v in rows.visits:
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
        old_offsite.setdefault(
            (c.demand_id, c.uscc, c.department, c.item, c.source, c.due), []
        ).append(c.id)
    return CarriedRows(
        revision_id,
        _match((_visit_key(v) for v in plan.visits), old_visits),
        _match((_offsite_key(c) for c in plan.offsite), old_offsite),
    )


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


def _match(keys: Iterable[Hashable], old: dict[Hashable, list[int]]) -> dict[int, int]:
    """Index → old id, each old row taken once (two identical rows pair up in id order)."""
    out: dict[int, int] = {}
    for index, key in enumerate(keys):
        ids = old.get(key)
        if ids:
            out[index] = ids.pop(0)
    return out
