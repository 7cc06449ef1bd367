"""Why a demand or a visit is where it is, in words a coordinator can repeat.

Pure: it takes the stored plan's rows (anything shaped like ``models.plan_protocols.VisitCore``)
and the demand's facts, and re-derives the reasons with the same rule functions the
planner used (:mod:`modes`), so the explanation cannot drift from the plan.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

from jointinspect.models.plan_problem import DemandInfo, EnterpriseInfo, ItemInfo
from jointinspect.models.plan_protocols import VisitCore
from jointinspect.scheduler.modes import Placement, decide


def explain_demand(
    demand: DemandInfo,
    item: ItemInfo,
    *,
    workdays: Sequence[dt.date],
    quarter_last: dt.date,
    seed: str,
    visit: VisitCore | None = None,
    visit_name: str = "",
    offsite_due: dt.date | None = None,
    unscheduled: tuple[str, str] | None = None,
) -> list[str]:
    """Sentences explaining one demand's place in the plan."""
    lines = [
        f"Demand {demand.id}: {demand.department} item {item.code} at {demand.uscc}, "
        f"source {demand.source.value} ({'triggered' if demand.triggered else 'routine'}), "
        f"priority {demand.priority}.",
        f"Window: {demand.earliest} – {demand.latest}.",
    ]
    decision = decide(demand, item, workdays, quarter_last)
    if decision.placement != Placement.UNSCHEDULED:
        lines.append(f"Mode: {decision.detail} (contract §5 rules 5–6).")
    if visit is not None:
        others = [t for t in visit.tasks if t.demand_id != demand.id]
        lines.append(
            f"Placed in visit {visit_name} on {visit.date} in {visit.town}, slot {visit.order}."
        )
        if others:
            depts = sorted({t.department for t in others})
            lines.append(
                f"综合查一次: {len(others)} other task(s) ({', '.join(depts)}) at this enterprise "
                "share the visit because their windows overlap on that day."
            )
        lines.append(_officers_sentence(visit, seed))
    elif offsite_due is not None:
        lines.append(f"Checked off-site, due {offsite_due}.")
    elif unscheduled is not None:
        reason, detail = unscheduled
        lines.append(f"Unscheduled ({reason}): {detail}.")
    else:
        lines.append("It is not in this plan revision.")
    return lines


def explain_visit(
    visit: VisitCore,
    *,
    name: str,
    demands: Mapping[str, DemandInfo],
    enterprise: EnterpriseInfo | None,
    seed: str,
) -> list[str]:
    """Sentences explaining one visit: what it does, why that day, who goes."""
    triggered = [t for t in visit.tasks if (d := demands.get(t.demand_id)) and d.triggered]
    kind = (
        "a triggered visit (not capped)" if triggered else "a routine visit (counts toward the cap)"
    )
    lines = [
        f"Visit {name}: {visit.uscc} in {visit.town} on {visit.date}, slot {visit.order} — {kind}.",
        "Tasks: "
        + "; ".join(f"{t.demand_id} ({t.department} {t.item}, {t.source})" for t in visit.tasks)
        + ".",
    ]
    windows = [demands[t.demand_id] for t in visit.tasks if t.demand_id in demands]
    if windows:
        lo = max(d.earliest for d in windows)
        hi = min(d.latest for d in windows)
        lines.append(
            f"The tasks' windows all hold {lo} – {hi}; the day was chosen there to fill "
            "officer-days already planned in the town (fewer officer-days, shorter routes)."
        )
    if enterprise is not None and enterprise.no_disturb_on(visit.date):
        lines.append(
            "The enterprise is on the 无感监管 list that day; the visit is allowed because it "
            f"holds a triggered task ({', '.join(t.demand_id for t in triggered)})."
        )
    lines.append(_officers_sentence(visit, seed))
    return lines


def _officers_sentence(visit: VisitCore, seed: str) -> str:
    by_dept: dict[str, list[str]] = {}
    for o in visit.inspectors:
        by_dept.setdefault(o.department, []).append(o.id)
    teams = "; ".join(f"{d}: {', '.join(sorted(ids))}" for d, ids in sorted(by_dept.items()))
    return (
        f"Officers ({teams}) — two per department, each certified, available and without "
        f"回避 that day; chosen at random from the seed {seed!r} among equally good officers "
        "(双随机)."
    )
