"""A night's replan of the enterprises with news, against the rest of the filed revision.

A replan of the whole district reads every filed visit and every demand to change a few
hundred of them. When nothing but news arrived since the filed revision was planned
(``data.plans.basis``), the rest of the district stays exactly as filed in that replan,
and :mod:`jointinspect.scheduler.replan_scope` makes the same revision from the
enterprises with news alone, given the officer-days the rest keeps. This module reads
that part and the rest from the database (``data.plans.replan_part``), replans it
(widening the scope when CP-SAT would re-solve a chunk holding visits of the rest), and
works out the whole revision's figures: every figure but officer-days and km by
difference (each is a sum over enterprises or demands), officer-days and km over the
part's stops and the rest's on the same coming officer-days.

What it gives the caller (:class:`Replanned`) is what a replan of the whole district
gives it, cut to the scope: the rows stored and filed are the scope's, and the new
revision holds the rest's rows as the filed revision does (``CarriedRows.scope``).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine

from jointinspect.data.plans.basis import Travel
from jointinspect.data.plans.document import OrderedVisit, StoredOffsite, ordered_offsite
from jointinspect.data.plans.document import ordered_visits as ordered_filed_visits
from jointinspect.data.plans.planning_inputs import load_planning_inputs
from jointinspect.data.plans.replan_part import (
    ComingVisits,
    RestStop,
    coming_visits_ahead,
)
from jointinspect.data.plans.replan_store import FiledRevision, read_filed_revision
from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import OfficerRef, PlanResult, VisitResult
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.planning import build_problem, frozen_draw
from jointinspect.rules import plan_result
from jointinspect.scheduler.change_cost import ChangeCosts
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.pinning import pin_window
from jointinspect.scheduler.replan import (
    ReplanOutcome,
    officer_day_travel,
    officer_homes,
    replan,
    travel_km,
    visit_stops,
)
from jointinspect.scheduler.replan_scope import (
    Background,
    BackgroundRefused,
    RoomNeeded,
    ScopeTooNarrow,
    filed_figures,
    whole_figures,
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Replanned:
    """A replan's result, of the whole district or of a part of it."""

    #: The filed revision: all its rows, or (``scope``) the scope's.
    filed: FiledRevision
    problem: PlanningProblem
    #: ``filed`` as the replanner was given it, and its visits and checks in that order.
    previous: PlanResult
    ordered: list[OrderedVisit]
    checks: list[StoredOffsite]
    outcome: ReplanOutcome
    town_centres: dict[str, tuple[float, float]]
    #: The enterprises replanned (None: all); the rest is carried as filed.
    scope: frozenset[str] | None = None
    #: The rest's visits on the officer-days the part's new visits take (for the check of
    #: an officer's day), as results without tasks.
    beside: tuple[VisitResult, ...] = ()
    #: How often the scope was widened.
    widened: int = 0


def replan_part(
    q: Quarter,
    scope: set[str],
    *,
    engine: Engine,
    revision_id: int,
    travel: Travel,
    as_of: dt.date,
    calendar: WorkingCalendar,
    trigger_response_days: int,
    pin_working_days: int,
    params: SchedulerParams,
    say: Progress,
    coming: Callable[[], ComingVisits] | None = None,
) -> Replanned | str:
    """Replan ``scope`` (the enterprises with news) against the rest of the filed
    revision ``revision_id``; or say why the whole district must be replanned instead.
    ``coming``: what gives the revision's coming visits, read ahead already (with a
    scope of at most ``scope``'s enterprises); else they are read here."""
    widened = 0
    # The rest's coming visits are read on a second connection while the part's own rows
    # are: most of both is the database's work, which releases the GIL.
    with ExitStack() as stack:
        read_coming = coming or stack.enter_context(
            coming_visits_ahead(engine, revision_id, scope, as_of)
        )
        rest_of: ComingVisits | None = None
        while True:
            filed = read_filed_revision(str(q), engine=engine, only=scope)
            if filed.revision_id != revision_id:
                return "the filed revision changed while replanning"
            if filed.town_centres is None:
                return f"revision id {revision_id} keeps no town centres"
            inputs = load_planning_inputs(
                q,
                engine=engine,
                calendar=calendar,
                trigger_response_days=trigger_response_days,
                only_usccs=scope,
                town_centres=filed.town_centres,
            )
            seed, quarter = filed.header.seed, filed.header.quarter
            problem = build_problem(inputs, seed, calendar, frozen_draw(filed.rows))
            ordered = ordered_filed_visits(filed.rows)
            checks = ordered_offsite(filed.rows)
            previous = plan_result(filed.rows, quarter, seed, filed.header.metrics, ordered, checks)
            pins = pin_window(problem.workdays, as_of, pin_working_days)
            movable_from = (
                problem.workdays[pins.first_free]
                if pins.first_free < len(problem.workdays)
                else None
            )
            if rest_of is None:
                # Read once: a widened scope's rest is this one's less the added enterprises.
                rest_of = read_coming()
                if rest_of.revision_id != revision_id:
                    raise ValueError(
                        f"coming visits of revision id {rest_of.revision_id} given for "
                        f"revision id {revision_id}"
                    )
            rest = rest_of.rest(scope)
            background = Background.of_rows(rest.officer_days, rest.visits, movable_from)
            try:
                outcome = replan(
                    problem,
                    previous,
                    as_of,
                    pin_working_days,
                    params,
                    ChangeCosts.default(),
                    background=background,
                )
            except ScopeTooNarrow as narrow:
                if widened:  # once is enough (scheduler.replan_scope); twice is a fault
                    raise
                widened += 1
                say(f"widening the replan by {len(narrow.usccs)} enterprise(s) CP-SAT reaches")
                scope = scope | set(narrow.usccs)
                continue
            except (BackgroundRefused, RoomNeeded) as whole_needed:
                return str(whole_needed)
            break
    result = outcome.result
    # The coming officer-days the part's visits take, before and after: the rest's stops
    # there count in their travel, and the rules of an officer's day are checked on the
    # new. The part's past visits are the same objects before and after, and so is their
    # days' travel, which cancels out; and the replan places no visit in the past.
    old_days = {(o.id, v.date) for v in previous.visits if v.date >= as_of for o in v.inspectors}
    new_days = {(o.id, v.date) for v in result.visits if v.date >= as_of for o in v.inspectors}
    assert rest_of is not None  # read in the first pass
    with engine.connect() as conn:
        beside = rest_of.stops(conn, scope, old_days | new_days)
    try:
        left = filed_figures(problem, previous)
    except ValueError as gone:
        return str(gone)
    touched = old_days | new_days
    before, after = (_travel(problem, part, beside, touched) for part in (previous, result))
    officer_days = travel.officer_days - len(before) + len(after)
    um = travel.um - sum(before.values()) + sum(after.values())
    metrics: dict[str, Any] = {
        **whole_figures(filed.header.metrics, left, result.metrics, officer_days, travel_km(um)),
        "replan": result.metrics.get("replan", {}),
    }
    counts = outcome.diff["counts"]
    outside = int(filed.header.metrics["onsite_visits"]) - len(previous.visits)
    for key in ("previous_visits", "visits", "unchanged"):
        counts[key] += outside
    whole = replace(result, metrics=metrics, travel_um=um)  # type: ignore[arg-type]
    return Replanned(
        filed,
        problem,
        previous,
        ordered,
        checks,
        replace(outcome, result=whole),
        inputs.town_centres,
        frozenset(scope),
        _beside(beside, new_days),
        widened,
    )


def _travel(
    problem: PlanningProblem,
    part: PlanResult,
    rest: list[RestStop],
    days: set[tuple[str, dt.date]],
) -> dict[tuple[str, dt.date], int]:
    """The travel of each of ``days`` (the officer-days the part takes before or after
    the replan) that holds a visit of ``part`` or of the rest."""
    stops = list(visit_stops(part.visits, problem.enterprises))
    stops += [
        (oid, day, order, (lat, lon) if lat is not None and lon is not None else None)
        for _, _, day, order, oid, _, lat, lon in rest
        if (oid, day) in days
    ]
    return officer_day_travel(officer_homes(problem), stops)


def _beside(rest: list[RestStop], days: set[tuple[str, dt.date]]) -> tuple[VisitResult, ...]:
    """The rest's visits that put an officer to work on one of ``days``."""
    wanted = {vid for vid, _, day, _, oid, *_ in rest if (oid, day) in days}
    officers: dict[int, list[OfficerRef]] = defaultdict(list)
    where: dict[int, tuple[str, dt.date, int]] = {}
    for vid, uscc, day, order, oid, department, _, _ in rest:
        if vid in wanted:
            officers[vid].append(OfficerRef(oid, department))
            where[vid] = (uscc, day, order)
    return tuple(
        VisitResult(
            f"{where[vid][0]}/filed-{vid}",
            where[vid][0],
            where[vid][1],
            "",
            False,
            (),
            tuple(sorted(officers[vid], key=lambda o: (o.department, o.id))),
            where[vid][2],
        )
        for vid in sorted(wanted)
    )
