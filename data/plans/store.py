"""Write a plan as a new draft revision, in one transaction.

The plan comes from the scheduler, which ``data`` may not import: what is written is
described by the protocols of ``models.plan_protocols`` (the scheduler's ``PlanResult``
satisfies them). The
plan id is ``{prefix}-{quarter}`` (``FX-2025Q3``); each run adds revision n + 1 with status
``draft``. Rows are bulk-inserted with ids reserved up front, so that tens of thousands of
visits and their tasks and officers are written in seconds; if anything fails nothing of
the revision remains.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from sqlalchemy import Integer, and_, bindparam, delete, func, insert, literal, select, text
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.bulk_write import execute_many, insert_tuples, large_page_cache
from jointinspect.data.plans.carry import CarriedIds, CarriedRows
from jointinspect.data.plans.document import (
    RevisionRows,
    StoredOffsite,
    StoredVisit,
)
from jointinspect.data.plans.drafts import delete_drafts
from jointinspect.data.plans.references import check_draft_references
from jointinspect.data.plans.staged_checks import (
    VISITS_SCHEMA,
    insert_staged_checks,
    insert_staged_visits,
    staged_attached,
)
from jointinspect.data.uscc_scope import scope_members
from jointinspect.models import (
    OffsiteCheck,
    Plan,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.plan_protocols import (
    PlanShape,
)
from jointinspect.models.plan_result import OfficerRef, TaskRef, UnscheduledResult


@dataclass(frozen=True)
class StoredRevision:
    plan_id: str
    quarter: str
    revision: int
    revision_id: int
    visits: int
    #: Numbers of the draft revisions this one replaced (a quarter holds one draft at most).
    replaced_drafts: tuple[int, ...] = ()
    #: The rows as written (what ``read_revision_rows`` reads back), for filing it
    #: without reading hundreds of thousands of rows again.
    rows: RevisionRows | None = field(default=None, compare=False, repr=False)
    #: The rows shared with the filed revision (``carried`` given).
    carried: CarriedIds | None = field(default=None, compare=False, repr=False)


def plan_id_for(prefix: str, quarter: str) -> str:
    return f"{prefix}-{quarter}"


def store_draft(
    plan: PlanShape,
    *,
    engine: Engine,
    prefix: str,
    generated_at: dt.datetime,
    extra_metrics: dict[str, Any] | None = None,
    keep_rows: bool = True,
    carried: CarriedRows | None = None,
    draw: dict[str, Any] | None = None,
    town_centres: Mapping[str, tuple[float, float]] | None = None,
    basis: dict[str, Any] | None = None,
    staged_checks: str | None = None,
    staged_visits: str | None = None,
) -> StoredRevision:
    """Write ``plan`` as the next draft revision of its quarter's plan, in place of any
    draft the quarter holds (in the same transaction, so a crash keeps the old draft).
    ``keep_rows=False`` leaves ``StoredRevision.rows`` out (None): a caller that does not
    file the draft at once need not hold a second copy of hundreds of thousands of rows.

    ``carried`` names the visits and checks that are unchanged rows of the filed revision
    (a replan's, :func:`~jointinspect.data.plans.carry.carried_rows`): the new revision
    holds those rows themselves, codes included, and writes only the others. It plans
    the same either way; only the ids of the carried rows differ (they are the filed
    revision's), and it is much faster when most of it is carried.

    ``draw`` is the revision's draw record (``planning.draw_record``), kept with it;
    ``town_centres`` the centres it was planned with (a replan of it plans with them);
    ``basis`` what else it was planned from (``data.plans.basis``).

    ``staged_checks``: a file holding the plan's off-site checks, written by
    :func:`~jointinspect.data.plans.staged_checks.write_staged_checks` (SQLite; the
    plan's, not a replan's, which carries rows): they are copied from it by SQLite, or
    written here as always when it does not hold them. ``staged_visits``: likewise a file
    holding the plan's visits with their tasks and officers
    (:func:`~jointinspect.data.plans.staged_checks.write_staged_visits`)."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    plan_id = plan_id_for(prefix, plan.quarter)
    staged = staged_checks if carried is None else None
    with (
        engine.connect() as conn,
        staged_attached(conn, staged) as attached,
        staged_attached(
            conn, staged_visits if carried is None else None, VISITS_SCHEMA
        ) as visits_attached,
        conn.begin(),
        large_page_cache(conn),
    ):
        replaced = delete_drafts(conn, plan_id)
        revision_id, number = _new_revision(
            conn, plan, plan_id, generated_at, extra_metrics, draw, town_centres, basis
        )
        shared = carried or CarriedRows(0, {}, {})
        visit_ids = _row_ids(conn, table_of(Visit), len(plan.visits), shared.visits)
        offsite_ids = _row_ids(conn, table_of(OffsiteCheck), len(plan.offsite), shared.offsite)
        if not (
            visits_attached
            and insert_staged_visits(
                conn,
                (table_of(Visit), table_of(VisitTask), table_of(VisitOfficer)),
                revision_id,
                visit_ids,
                plan.visits,
            )
        ):
            written = [
                (vid, v)
                for i, (vid, v) in enumerate(zip(visit_ids, plan.visits, strict=True))
                if i not in shared.visits
            ]
            # Rows as tuples of their columns' values; what every row of a table shares is
            # given once.
            insert_tuples(
                conn,
                table_of(Visit),
                ("id", "uscc", "date", "town", "mode", "order", "triggered"),
                ((vid, v.uscc, v.date, v.town, v.mode, v.order, v.triggered) for vid, v in written),
                revision_id=revision_id,
                code=None,
            )
            insert_tuples(
                conn,
                table_of(VisitTask),
                ("visit_id", "demand_id", "department", "item", "source"),
                (
                    (vid, t.demand_id, t.department, t.item, t.source)
                    for vid, v in written
                    for t in v.tasks
                ),
            )
            insert_tuples(
                conn,
                table_of(VisitOfficer),
                ("visit_id", "inspector_id", "department"),
                ((vid, o.id, o.department) for vid, v in written for o in v.inspectors),
            )
        if not (
            attached
            and insert_staged_checks(conn, table_of(OffsiteCheck), revision_id, offsite_ids)
        ):
            insert_tuples(
                conn,
                table_of(OffsiteCheck),
                ("id", "demand_id", "uscc", "department", "item", "source", "due"),
                (
                    (oid, o.demand_id, o.uscc, o.department, o.item, o.source, o.due)
                    for i, (oid, o) in enumerate(zip(offsite_ids, plan.offsite, strict=True))
                    if i not in shared.offsite
                ),
                revision_id=revision_id,
                code=None,
            )
        insert_tuples(
            conn,
            table_of(UnscheduledDemand),
            ("demand_id", "uscc", "department", "item", "source", "reason", "detail"),
            (
                (u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail)
                for u in plan.unscheduled
            ),
            revision_id=revision_id,
        )
        outside = _hold(conn, revision_id, carried)
        check_draft_references(conn, revision_id)
        rows = _written(plan, visit_ids, offsite_ids, carried) if keep_rows else None
    return StoredRevision(
        plan_id,
        plan.quarter,
        number,
        revision_id,
        len(plan.visits),
        replaced_drafts=tuple(replaced),
        rows=rows,
        carried=None
        if carried is None
        else CarriedIds(
            carried.revision_id,
            frozenset(carried.visits.values()),
            frozenset(carried.offsite.values()),
            outside,
        ),
    )


def _row_ids(conn: Connection, table: Any, n: int, carried: Mapping[int, int]) -> list[int]:
    """The id of each of ``n`` rows of the plan: the carried row's own (``carried``, index
    → id), or a new one, new ids in the plan's order."""
    fresh = iter(_reserve_ids(conn, table, n - len(carried)))
    return [carried[i] if i in carried else next(fresh) for i in range(n)]


def _hold(conn: Connection, revision_id: int, carried: CarriedRows | None) -> tuple[int, int]:
    """List the rows ``revision_id`` holds: those it wrote, and the filed revision's that
    it carries — all of the filed revision's, less the few it leaves, inside the database
    instead of one row per carried row from here. With a scope, the filed revision's
    unscheduled demands outside it are copied too, and what it leaves is the scope's rows
    not carried; returns how many visits and checks it carries outside the scope."""
    scope = carried.scope if carried is not None else None
    part = carried.filed if carried is not None else None
    if scope is not None and part is None:
        raise ValueError("a replan of part of a district needs its filed rows")
    if carried is not None and scope is not None:
        unscheduled = table_of(UnscheduledDemand)
        u = unscheduled.c
        names = ["demand_id", "uscc", "department", "item", "source", "reason", "detail"]
        # The revision's rows are written already: the table lives in this transaction.
        with scope_members(conn, scope, in_writes=True) as members:
            conn.execute(
                insert(unscheduled).from_select(
                    ["revision_id", *names],
                    select(literal(revision_id, Integer), *(u[n] for n in names)).where(
                        u.revision_id == carried.revision_id, u.uscc.not_in(members)
                    ),
                )
            )
    outside = [0, 0]
    lists: list[tuple[Any, Any, str, dict[int, int] | None]] = [
        (Visit, RevisionVisit, "visit_id", None if carried is None else carried.visits),
        (OffsiteCheck, RevisionOffsite, "offsite_id", None if carried is None else carried.offsite),
    ]
    for index, (model, member, column, kept) in enumerate(lists):
        rows, held = table_of(model), table_of(member)
        conn.execute(
            insert(held).from_select(
                ["revision_id", column],
                select(literal(revision_id, Integer), rows.c.id).where(
                    rows.c.revision_id == revision_id
                ),
            )
        )
        if carried is None or kept is None or (not kept and scope is None):
            continue
        if part is not None and scope is not None:
            # The scope's rows were read from the filed revision: only they can be left,
            # and the rest is counted, not read (a district's, for a night's few hundred).
            ids = {r.id for r in (part.visits if index == 0 else part.offsite)}
            if not ids.issuperset(kept.values()):
                raise RuntimeError(
                    f"rows said to be carried from revision id {carried.revision_id} are not "
                    "among the scope's rows"
                )
            left = ids.difference(kept.values())
            total = conn.execute(
                select(func.count())
                .select_from(held)
                .where(held.c.revision_id == carried.revision_id)
            ).scalar_one()
            outside[index] = int(total) - len(ids)
        else:
            filed = set(
                conn.execute(
                    select(held.c[column]).where(held.c.revision_id == carried.revision_id)
                ).scalars()
            )
            if not filed.issuperset(kept.values()):
                raise RuntimeError(
                    f"rows said to be carried from revision id {carried.revision_id} are not "
                    "among its rows"
                )
            left = filed.difference(kept.values())
        conn.execute(
            insert(held).from_select(
                ["revision_id", column],
                select(literal(revision_id, Integer), held.c[column]).where(
                    held.c.revision_id == carried.revision_id
                ),
            )
        )
        execute_many(
            conn,
            delete(held).where(
                and_(held.c.revision_id == revision_id, held.c[column] == bindparam("b_id"))
            ),
            [{"b_id": i} for i in sorted(left)],
        )
    return outside[0], outside[1]


def _written(
    plan: PlanShape, visit_ids: list[int], offsite_ids: list[int], carried: CarriedRows | None
) -> RevisionRows:
    """The revision's rows as ``read_revision_rows`` gives them: a row shared with the
    filed revision is its filed row (code included) as the replan read it; a new row has
    no code yet."""
    filed = carried.filed if carried is not None else None
    old_visits = {v.id: v for v in filed.visits} if filed is not None else {}
    old_checks = {c.id: c for c in filed.offsite} if filed is not None else {}
    visits: list[StoredVisit] = []
    # defaultdicts, as read back: a visit without officers has an empty list.
    tasks: defaultdict[int, list[TaskRef]] = defaultdict(list)
    officers: defaultdict[int, list[OfficerRef]] = defaultdict(list)
    for vid, v in zip(visit_ids, plan.visits, strict=True):
        row = old_visits.get(vid)
        if row is not None and filed is not None:
            visits.append(row)
            if filed.tasks.get(vid):
                tasks[vid] = filed.tasks[vid]
            if filed.officers.get(vid):
                officers[vid] = filed.officers[vid]
            continue
        visits.append(StoredVisit(vid, None, v.uscc, v.date, v.town, str(v.mode), v.order))
        if v.tasks:
            tasks[vid] = [
                TaskRef(t.demand_id, t.department, t.item, str(t.source)) for t in v.tasks
            ]
        if v.inspectors:
            officers[vid] = [OfficerRef(o.id, o.department) for o in v.inspectors]
    offsite = [
        old_checks.get(oid)
        or StoredOffsite(oid, None, o.uscc, o.department, o.item, o.demand_id, str(o.source), o.due)
        for oid, o in zip(offsite_ids, plan.offsite, strict=True)
    ]
    # In id order, as read back: shared rows keep their older ids.
    if carried is not None:
        visits.sort(key=attrgetter("id"))
        offsite.sort(key=attrgetter("id"))
    return RevisionRows(
        visits=visits,
        tasks=tasks,
        officers=officers,
        offsite=offsite,
        unscheduled=[
            UnscheduledResult(
                u.demand_id, u.uscc, u.department, u.item, str(u.source), str(u.reason), u.detail
            )
            for u in plan.unscheduled
        ],
    )


def _new_revision(
    conn: Connection,
    plan: PlanShape,
    plan_id: str,
    generated_at: dt.datetime,
    extra_metrics: dict[str, Any] | None,
    draw: dict[str, Any] | None,
    town_centres: Mapping[str, tuple[float, float]] | None,
    basis: dict[str, Any] | None,
) -> tuple[int, int]:
    plans = table_of(Plan)
    revisions = table_of(PlanRevision)
    if conn.execute(select(plans.c.id).where(plans.c.id == plan_id)).first() is None:
        conn.execute(insert(plans).values(id=plan_id, quarter=plan.quarter))
    latest = conn.execute(
        select(func.max(revisions.c.revision)).where(revisions.c.plan_id == plan_id)
    ).scalar()
    number = int(latest or 0) + 1
    metrics = {**plan.metrics, **(extra_metrics or {})}
    result = conn.execute(
        insert(revisions).values(
            plan_id=plan_id,
            revision=number,
            status="draft",
            seed=plan.seed,
            generated_at=generated_at.astimezone(dt.UTC),
            metrics=metrics,
            draw=draw,
            town_centres=None
            if town_centres is None
            else {town: [lat, lon] for town, (lat, lon) in sorted(town_centres.items())},
            basis=basis,
        )
    )
    revision_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
    if revision_id is None:
        raise RuntimeError("the database did not return the new revision's id")
    return int(revision_id), number


def _reserve_ids(conn: Connection, table: Any, n: int) -> list[int]:
    """Ids for ``n`` new rows of ``table`` (an integer ``id`` key), safe against other
    writers: the rows are written with them, so nothing is read back."""
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        # One range of the table's sequence, not n calls of nextval (0.9 s of the server's
        # for a district's draft): the lock conflicts with every writer's of the table,
        # whose inserts are what take values of the sequence, and with no reader's; it is
        # held to the end of the transaction, by which time the rows are written.
        conn.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))
        sequence = conn.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        ).scalar_one()
        first = int(conn.execute(text("SELECT nextval(:s)"), {"s": sequence}).scalar_one())
        if n > 1:
            conn.execute(text("SELECT setval(:s, :last)"), {"s": sequence, "last": first + n - 1})
        return list(range(first, first + n))
    # SQLite: the revision insert above holds the database's write lock until commit.
    top = conn.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(int(top) + 1, int(top) + 1 + n))
