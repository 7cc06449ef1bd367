"""The hard-rule check ``file`` runs before filing: the planner's checker (contract §5) on
the stored draft, against the planning problem rebuilt from the database and the draft's
seed. Lives in ``cli`` because it joins ``data`` and ``scheduler``.

The problem is rebuilt from what the database holds now: a draft planned before new
triggers or regrading no longer covers every demand, and filing it is refused (replan).
"""

from collections.abc import Sequence
from typing import cast

from sqlmodel import Session

from jointinspect.data.codes.filing import HardRuleCheck, rows_read
from jointinspect.data.plans.document import PlanDocument, read_draw_record, read_plan_document
from jointinspect.data.plans.planning_inputs import load_planning_inputs
from jointinspect.models.enums import DemandSource
from jointinspect.models.plan_result import (
    OfficerRef,
    OffsiteResult,
    PlanMetrics,
    PlanResult,
    TaskRef,
    UnscheduledResult,
    VisitResult,
)
from jointinspect.models.quarter import Quarter
from jointinspect.options import Options, scheduler_params, working_calendar
from jointinspect.planning import build_problem, checked_draw
from jointinspect.scheduler.checker import check as check_plan


def plan_result(doc: PlanDocument) -> PlanResult:
    """The stored revision as the scheduler's ``PlanResult``."""
    seen: dict[str, int] = {}
    visits = []
    for v in doc.visits:
        seen[v.uscc] = seen.get(v.uscc, 0) + 1
        visits.append(
            VisitResult(
                key=f"{v.uscc}/{seen[v.uscc]}",
                uscc=v.uscc,
                date=v.date,
                town=v.town,
                triggered=any(DemandSource(t.source).triggered for t in v.tasks),
                tasks=tuple(TaskRef(t.demand_id, t.department, t.item, t.source) for t in v.tasks),
                inspectors=tuple(OfficerRef(o.id, o.department) for o in v.inspectors),
                order=v.order,
                mode=v.mode,
            )
        )
    return PlanResult(
        quarter=doc.quarter,
        seed=doc.seed,
        visits=tuple(visits),
        offsite=tuple(
            OffsiteResult(o.demand_id, o.uscc, o.department, o.item, o.source, o.due)
            for o in doc.offsite
        ),
        unscheduled=tuple(
            UnscheduledResult(
                u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail
            )
            for u in doc.unscheduled
        ),
        # The stored figures as filed; the hard rules read visits, not metrics.
        metrics=cast(PlanMetrics, dict(doc.metrics)),
    )


def hard_rule_check(options: Options) -> HardRuleCheck:
    """A check for ``file_plan`` configured from ``options``."""
    params = scheduler_params(options)

    def check(session: Session, revision_id: int) -> Sequence[str]:
        doc = read_plan_document(
            session.connection(), revision_id, rows=rows_read(session, revision_id)
        )
        record = read_draw_record(session.connection(), revision_id)
        calendar = working_calendar(options)
        inputs = load_planning_inputs(
            Quarter.parse(doc.quarter),
            engine=session.get_bind(),  # type: ignore[arg-type]
            calendar=calendar,
            trigger_response_days=options.trigger_response_days,
            town_centres=False,  # the rules do not route
        )
        problem = build_problem(inputs, doc.seed, calendar, checked_draw(inputs, doc, record))
        return check_plan(problem, plan_result(doc), params)

    return check
