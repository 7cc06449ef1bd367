"""The hard-rule check ``file`` runs before filing: the planner's checker (contract §5) on
the stored draft, against the planning problem rebuilt from the database and the draft's
seed. Lives in ``cli`` because it joins ``data`` and ``scheduler``.

The problem is rebuilt from what the database holds now: a draft planned before new
triggers or regrading no longer covers every demand, and filing it is refused (replan).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, cast

from sqlmodel import Session

from jointinspect.data.codes.filing import HardRuleCheck, rows_read
from jointinspect.data.plans.document import (
    OrderedVisit,
    RevisionRows,
    StoredOffsite,
    ordered_offsite,
    ordered_unscheduled,
    ordered_visits,
    read_draw_record,
    read_revision_header,
    read_revision_rows,
)
from jointinspect.data.plans.planning_inputs import load_planning_inputs
from jointinspect.models.enums import DemandSource
from jointinspect.models.plan_result import (
    OffsiteResult,
    PlanMetrics,
    PlanResult,
    UnscheduledResult,
    VisitResult,
)
from jointinspect.models.quarter import Quarter
from jointinspect.options import Options, scheduler_params, working_calendar
from jointinspect.planning import build_problem, checked_draw
from jointinspect.scheduler.checker import check as check_plan
from jointinspect.scheduler.params import SchedulerParams

#: The sources, and those that do not make a visit triggered (``DemandSource.triggered``),
#: for ``plan_result``'s test of a visit's tasks at once.
_KNOWN = frozenset(source.value for source in DemandSource)
_ROUTINE = frozenset(source.value for source in DemandSource if not source.triggered)
_SOURCE = attrgetter("source")


def plan_result(
    rows: RevisionRows,
    quarter: str,
    seed: str,
    metrics: Mapping[str, Any],
    ordered: Sequence[OrderedVisit] | None = None,
    ordered_checks: Sequence[StoredOffsite] | None = None,
) -> PlanResult:
    """A stored revision as the scheduler's ``PlanResult``, in a document's order (the
    order a replan and the checker have always seen), straight from its rows;
    ``ordered`` is ``ordered_visits(rows)`` and ``ordered_checks``
    ``ordered_offsite(rows)`` when the caller has them already."""
    seen: dict[str, int] = {}
    visits = []
    for v in ordered_visits(rows) if ordered is None else ordered:
        row = v.row
        seen[row.uscc] = seen.get(row.uscc, 0) + 1
        # Triggered unless every task's source is a routine one, asked at C speed (a
        # district's draft has 100,000 visits); a source that is neither fails as
        # ``DemandSource`` makes it, naming it.
        triggered = not _ROUTINE.issuperset(map(_SOURCE, v.tasks))
        if triggered and not _KNOWN.issuperset(map(_SOURCE, v.tasks)):
            for t in v.tasks:
                DemandSource(t.source)
        visits.append(
            VisitResult(
                key=f"{row.uscc}/{seen[row.uscc]}",
                uscc=row.uscc,
                date=row.date,
                town=row.town,
                triggered=triggered,
                # A stored revision's tasks and officers are the scheduler's own types.
                tasks=v.tasks,
                inspectors=v.officers,
                order=row.order,
                mode=row.mode,
            )
        )
    return PlanResult(
        quarter=quarter,
        seed=seed,
        visits=tuple(visits),
        offsite=tuple(
            OffsiteResult(o.demand_id, o.uscc, o.department, o.item, o.source, o.due)
            for o in (ordered_offsite(rows) if ordered_checks is None else ordered_checks)
        ),
        unscheduled=tuple(
            UnscheduledResult(
                u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail
            )
            for u in ordered_unscheduled(rows)
        ),
        # The stored figures as filed; the hard rules read visits, not metrics.
        metrics=cast(PlanMetrics, dict(metrics)),
    )


def hard_rule_check(options: Options) -> HardRuleCheck:
    """A check for ``file_plan`` configured from ``options``; it pickles, so that a big
    draft is checked in a process of its own (``file_plan(check_apart_from=…)``)."""
    return HardRuleChecker(
        # What the check reads of the options, and no more: the code keys stay here.
        Options(
            calendar_file=options.calendar_file,
            trigger_response_days=options.trigger_response_days,
        ),
        scheduler_params(options),
    )


@dataclass(frozen=True)
class HardRuleChecker:
    """The planner's checker on a stored draft, against the problem rebuilt from the
    database as it is now and the draft's seed and draw."""

    options: Options
    params: SchedulerParams

    def __call__(self, session: Session, revision_id: int) -> Sequence[str]:
        options = self.options
        conn = session.connection()
        header = read_revision_header(conn, revision_id)
        rows = rows_read(session, revision_id) or read_revision_rows(conn, revision_id)
        record = read_draw_record(conn, revision_id)
        calendar = working_calendar(options)
        inputs = load_planning_inputs(
            Quarter.parse(header.quarter),
            engine=session.get_bind(),  # type: ignore[arg-type]
            calendar=calendar,
            trigger_response_days=options.trigger_response_days,
            routing=False,  # the rules do not route
        )
        drawn = checked_draw(inputs, rows, header.seed, record)
        problem = build_problem(inputs, header.seed, calendar, drawn)
        return check_plan(
            problem,
            plan_result(rows, header.quarter, header.seed, header.metrics),
            self.params,
        )
