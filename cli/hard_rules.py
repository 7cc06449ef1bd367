"""The hard-rule check ``file`` runs before filing: the planner's checker (contract §5) on
the stored draft, against the planning problem rebuilt from the database and the draft's
seed. Lives in ``cli`` because it joins ``data`` and ``scheduler``.

The planner's glue is looked up when the check runs, so that ``file`` fails closed with a
clear message — never files unchecked — where the checker is not installed.
"""

import importlib
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from jointinspect.cli.settings import Settings
from jointinspect.data.filing import HardRuleCheck
from jointinspect.data.plan_document import PlanDocument, load_plan_document
from jointinspect.models.enums import DemandSource
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar


class CheckerUnavailableError(JointInspectError):
    """The planner's hard-rule checker cannot be loaded, so nothing can be filed."""


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise CheckerUnavailableError(
            f"the hard-rule checker is not available ({exc.name} is missing); "
            "a plan is never filed unchecked",
        ) from exc


def plan_result(doc: PlanDocument, result_module: Any) -> Any:
    """The stored revision as the scheduler's ``PlanResult``."""
    seen: dict[str, int] = {}
    visits = []
    for v in doc.visits:
        seen[v.uscc] = seen.get(v.uscc, 0) + 1
        visits.append(
            result_module.VisitResult(
                key=f"{v.uscc}/{seen[v.uscc]}",
                uscc=v.uscc,
                date=v.date,
                town=v.town,
                triggered=any(DemandSource(t.source).triggered for t in v.tasks),
                tasks=tuple(
                    result_module.TaskRef(t.demand_id, t.department, t.item, t.source)
                    for t in v.tasks
                ),
                inspectors=tuple(
                    result_module.OfficerRef(o.id, o.department) for o in v.inspectors
                ),
                order=v.order,
                mode=v.mode,
            )
        )
    return result_module.PlanResult(
        quarter=doc.quarter,
        seed=doc.seed,
        visits=tuple(visits),
        offsite=tuple(
            result_module.OffsiteResult(o.demand_id, o.uscc, o.department, o.item, o.source, o.due)
            for o in doc.offsite
        ),
        unscheduled=tuple(
            result_module.UnscheduledResult(
                u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail
            )
            for u in doc.unscheduled
        ),
        metrics=dict(doc.metrics),
    )


def hard_rule_check(settings: Settings) -> HardRuleCheck:
    """A check for ``file_plan`` configured from ``settings``."""

    def check(session: Session, revision_id: int) -> Sequence[str]:
        glue = _module("jointinspect.cli.plan_glue")
        io = _module("jointinspect.data.planning_io")
        checker = _module("jointinspect.scheduler.checker")
        result_module = _module("jointinspect.scheduler.result")
        params_module = _module("jointinspect.scheduler.params")
        doc = load_plan_document(session=session, revision_id=revision_id)
        quarter = Quarter.parse(doc.quarter)
        calendar = WorkingCalendar()
        engine = session.get_bind()
        inputs = io.load_planning_inputs(
            quarter,
            engine=engine,
            calendar=calendar,
            trigger_response_days=settings.trigger_response_days,
        )
        drawn = glue.draw_sample(inputs, doc.seed)
        problem = glue.build_problem(inputs, doc.seed, calendar, drawn)
        params = (
            params_module.SchedulerParams.from_toml(settings.scheduler_file)
            if settings.scheduler_file
            else params_module.SchedulerParams.default()
        )
        return list(checker.check(problem, plan_result(doc, result_module), params))

    return check
