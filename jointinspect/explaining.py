"""``explain --visit`` / ``--demand``: the planner's side of ``explain``.

Reads the newest stored revision that holds the visit or demand (``data/plan_lookup``),
rebuilds the demand facts as the planner saw them, and lets ``scheduler/explain`` say why.
``--visit`` takes an inspection code, or — for drafts, which have no codes yet — the
visit's id as stored.
"""

from sqlalchemy.engine import Engine

from jointinspect.data.plans.lookup import (
    demand_rows,
    find_demand,
    find_visit,
    item_rows,
    no_disturb_of,
)
from jointinspect.data.plans.planning_inputs import DemandRow, ItemRow
from jointinspect.models.enums import DemandSource, ItemMode
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.scheduler.explain import explain_demand, explain_visit
from jointinspect.scheduler.problem import DemandInfo, EnterpriseInfo, ItemInfo


class UnknownDemandError(JointInspectError):
    """The demand is in a plan but no longer among the stored demands or triggers."""


def _demand(row: DemandRow) -> DemandInfo:
    return DemandInfo(
        row.id,
        row.department,
        row.item,
        row.uscc,
        DemandSource(row.source),
        row.earliest,
        row.latest,
        row.priority,
        row.onsite_required,
    )


def _item(row: ItemRow) -> ItemInfo:
    return ItemInfo(row.code, row.department, ItemMode(row.mode), row.no_disturb, row.minutes)


def explain_demand_lines(
    demand_id: str, *, engine: Engine, calendar: WorkingCalendar, trigger_response_days: int
) -> list[str]:
    placement = find_demand(demand_id, engine=engine)
    ref = placement.revision
    quarter = Quarter.parse(ref.quarter)
    rows = demand_rows(
        [demand_id],
        quarter,
        engine=engine,
        calendar=calendar,
        trigger_response_days=trigger_response_days,
    )
    if demand_id not in rows:
        raise UnknownDemandError(f"demand {demand_id} is in plan {ref.plan_id} but not stored")
    demand = _demand(rows[demand_id])
    item = _item(item_rows([demand.item], engine=engine)[demand.item])
    visit = placement.visit
    header = f"From {ref.plan_id} revision {ref.revision} ({ref.status}, seed {ref.seed!r}):"
    return [
        header,
        *explain_demand(
            demand,
            item,
            workdays=calendar.workdays(quarter.first_day, quarter.last_day),
            quarter_last=quarter.last_day,
            seed=ref.seed,
            visit=visit,
            visit_name=(visit.code or f"id {visit.id}") if visit else "",
            offsite_due=placement.offsite_due,
            unscheduled=placement.unscheduled,
        ),
    ]


def explain_visit_lines(
    ref_text: str, *, engine: Engine, calendar: WorkingCalendar, trigger_response_days: int
) -> list[str]:
    ref, visit = find_visit(ref_text, engine=engine)
    quarter = Quarter.parse(ref.quarter)
    rows = demand_rows(
        [t.demand_id for t in visit.tasks],
        quarter,
        engine=engine,
        calendar=calendar,
        trigger_response_days=trigger_response_days,
    )
    enterprise = EnterpriseInfo(
        visit.uscc, visit.town, None, None, "", tuple(no_disturb_of(visit.uscc, engine=engine))
    )
    header = f"From {ref.plan_id} revision {ref.revision} ({ref.status}, seed {ref.seed!r}):"
    return [
        header,
        *explain_visit(
            visit,
            name=visit.code or f"id {visit.id}",
            demands={k: _demand(r) for k, r in rows.items()},
            enterprise=enterprise,
            seed=ref.seed,
        ),
    ]
