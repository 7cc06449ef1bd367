"""What a replan reads and writes around the planning tables: the filed revision it starts
from, the date and diff of the revision it makes, and a draft a crashed run left behind."""

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jointinspect.data.plans.document import (
    PlanDocument,
    PlanNotFoundError,
    RevisionHeader,
    RevisionRows,
    document_of,
    latest_revision,
    plain_rows,
    read_revision_header,
    read_revision_rows,
)
from jointinspect.data.uscc_scope import uscc_scope
from jointinspect.models import (
    Demand,
    OffsiteCheck,
    Outcome,
    Plan,
    PlanRevision,
    Trigger,
    Visit,
    session_scope,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.enums import RevisionStatus
from jointinspect.models.errors import JointInspectError

#: Marks a draft made by replanning (in its metrics), so a crashed run's draft is known.
REPLAN_MARK = "replan"


class NoFiledPlanError(JointInspectError):
    """The quarter has no filed revision to replan from."""


@dataclass(frozen=True)
class FiledRevision:
    header: RevisionHeader
    revision_id: int
    as_of: dt.date | None
    #: Its rows: a replan works from them, and filing the next revision compares with
    #: them (a filed revision never changes, so they need not be read again).
    rows: RevisionRows
    #: The town centres it was planned with; None for a revision made before they were
    #: kept (migration 0006).
    town_centres: dict[str, tuple[float, float]] | None = None
    #: What it was planned from (``data.plans.basis``); None before migration 0009.
    basis: dict[str, Any] | None = None
    #: The enterprises ``rows`` are of (None: all of the revision's).
    only: frozenset[str] | None = None

    @cached_property
    def document(self) -> PlanDocument:
        """The revision as a §4 document (codes included), made when first asked for: a
        replan needs only the rows."""
        return document_of(self.header, self.rows)


def read_filed_revision(
    quarter: str, *, engine: Engine, only: Collection[str] | None = None
) -> FiledRevision:
    """The quarter's filed revision: its header and rows (codes included); ``only``: the
    rows of these enterprises alone (a replan of part of the district)."""
    with session_scope(engine) as session:
        revision = _filed_or_refuse(session, quarter)
        assert revision.id is not None
        revision_id, as_of = revision.id, revision.as_of
        centres, basis = revision.town_centres, revision.basis
    # One read transaction of its own (a scope's temporary table is made and dropped in
    # it): a filed revision's rows never change.
    with engine.connect() as conn:
        with uscc_scope(conn, only) as keep:
            rows = read_revision_rows(conn, revision_id, None if only is None else keep)
        header = read_revision_header(conn, revision_id)
    return FiledRevision(
        header,
        revision_id,
        as_of,
        rows,
        None
        if centres is None
        else {town: (float(lat), float(lon)) for town, (lat, lon) in centres.items()},
        basis,
        None if only is None else frozenset(only),
    )


@dataclass(frozen=True)
class FiledHead:
    """The filed revision's own row, as a replan first needs it (no rows)."""

    revision_id: int
    revision: int
    as_of: dt.date | None
    basis: dict[str, Any] | None


def read_filed_head(quarter: str, *, engine: Engine) -> FiledHead:
    """The quarter's filed revision, without its rows."""
    with session_scope(engine) as session:
        revision = _filed_or_refuse(session, quarter)
        assert revision.id is not None
        return FiledHead(revision.id, revision.revision, revision.as_of, revision.basis)


def interrupted_replan_draft(quarter: str, *, engine: Engine) -> int | None:
    """The number of the quarter's latest revision when it is a draft a replan wrote and
    never filed (the run was interrupted); None otherwise. Such a draft was checked
    against the replan's own pins, so only a replan may file it."""
    with session_scope(engine) as session:
        try:
            latest = latest_revision(session=session, quarter=quarter)
        except PlanNotFoundError:
            return None
        if latest.status == RevisionStatus.DRAFT.value and REPLAN_MARK in (latest.metrics or {}):
            return latest.revision
        return None


def record_replan(
    revision_id: int, *, engine: Engine, as_of: dt.date, diff: dict[str, Any]
) -> None:
    """Store the replan's date and diff on its (draft) revision."""
    with session_scope(engine) as session:
        revision = session.get(PlanRevision, revision_id)
        if revision is None:
            raise NoFiledPlanError(f"revision id {revision_id} does not exist")
        revision.as_of = as_of
        revision.diff = diff
        session.add(revision)


def _filed(session: Session, quarter: str) -> PlanRevision | None:
    plan = session.exec(select(Plan).where(Plan.quarter == quarter)).first()
    if plan is None:
        return None
    return session.exec(
        select(PlanRevision)
        .where(PlanRevision.plan_id == plan.id, PlanRevision.status == RevisionStatus.FILED.value)
        .order_by(col(PlanRevision.revision).desc())
    ).first()


@dataclass(frozen=True)
class News:
    """What arrived since a filed revision."""

    #: Enterprises with a demand or trigger the revision does not hold, or a new outcome:
    #: a replan regrades them and replans them.
    touched: set[str]
    #: Enterprises holding a demand (not a drawn one) the database no longer has.
    withdrawn: set[str]


def news_since(
    *, engine: Engine, known_demands: Mapping[str, str], outcomes_since: dt.date
) -> News:
    """The news since a filed revision that holds ``known_demands`` (demand id → USCC):
    demands and triggers it does not hold, outcomes dated on or after ``outcomes_since``
    (outcomes carry no import time, so their date stands in for "new"), and demands it
    holds that are gone."""
    d, t, o = table_of(Demand).c, table_of(Trigger).c, table_of(Outcome).c
    v, c = table_of(Visit).c, table_of(OffsiteCheck).c
    with engine.connect() as conn:
        # The driver's own tuples: a Row object each cost more than the query.
        rows = plain_rows(conn, core_select(d.id, d.uscc))
        rows += plain_rows(conn, core_select(t.id, t.uscc))
        found = {uscc for did, uscc in rows if did not in known_demands}
        # The new outcomes' codes looked up in each table (by its code index), not each
        # of the table's rows looked up among the outcomes, as SQLite chose for a join:
        # 310,000 probes on a district for a night's few hundred outcomes.
        new_codes = core_select(o.code).where(o.date >= outcomes_since)
        for cols in (v, c):
            found.update(
                conn.execute(
                    core_select(cols.uscc).distinct().where(cols.code.in_(new_codes))
                ).scalars()
            )
    present = {did for did, _ in rows}
    withdrawn = {
        uscc for did, uscc in known_demands.items() if did not in present and not is_drawn_id(did)
    }
    return News(found, withdrawn)


def is_drawn_id(demand_id: str) -> bool:
    """Whether a demand id is a 双随机 draw's (``R:{department}:{item}:{uscc}``), which
    a revision holds and no table does."""
    return demand_id.startswith("R:") and demand_id.count(":") >= 3


def _filed_or_refuse(session: Session, quarter: str) -> PlanRevision:
    revision = _filed(session, quarter)
    if revision is None or revision.id is None:
        raise NoFiledPlanError(
            f"{quarter} has no filed plan to replan",
            hint=f"plan and file it first: `jointinspect plan --quarter {quarter} --seed …` "
            f"then `jointinspect file --quarter {quarter}`",
        )
    return revision
