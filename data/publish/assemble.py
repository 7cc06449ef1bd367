"""Putting a disclosure together from what was read and the draw's figures.

The items listed are the 抽查事项: every item with a sampling rule (as the draw applied
them when its figures are known, else as the database holds them now) and every item the
filed plan drew for. Per item, the drawn enterprises and where the plan placed them come
from the filed revision itself, whatever the figures' source.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from jointinspect.data.publish.content import (
    DepartmentLine,
    Disclosure,
    DrawFigure,
    DrawSource,
    ItemLine,
    Placement,
    SpecialApproval,
)
from jointinspect.data.publish.gather import PublicationInputs, drawn_per_item
from jointinspect.models.timezones import CHINA


def assemble(
    inputs: PublicationInputs,
    *,
    figures: Sequence[DrawFigure],
    source: DrawSource,
    published_on: dt.date,
    special: SpecialApproval | None = None,
) -> Disclosure:
    """The disclosure of ``inputs.plan``; ``figures`` are ignored when ``source`` is
    ``UNAVAILABLE`` (the rules then come from ``inputs.rules``)."""
    plan = inputs.plan
    known = source is not DrawSource.UNAVAILABLE
    by_item: dict[tuple[str, str], list[DrawFigure]] = defaultdict(list)
    ratios: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    if known:
        for f in sorted(figures):
            by_item[(f.department, f.item)].append(f)
            ratios[(f.department, f.item)].append((f.grade, f.ratio))
    else:
        for r in inputs.rules:
            ratios[(r.department, r.item)].append((r.grade, r.ratio))
    placed = drawn_per_item(plan)
    keys = sorted(set(ratios) | set(placed))
    items = []
    for department, item in keys:
        counts = placed.get((department, item), dict.fromkeys(Placement, 0))
        info = inputs.items.get(item)
        items.append(
            ItemLine(
                department=department,
                department_name=inputs.departments.get(department, department),
                item=item,
                item_name=info.name if info is not None else item,
                mode=info.mode if info is not None else "",
                ratios=tuple(ratios.get((department, item), ())),
                figures=tuple(by_item.get((department, item), ())),
                drawn=sum(counts.values()),
                onsite=counts[Placement.ONSITE],
                offsite=counts[Placement.OFFSITE],
                unscheduled=counts[Placement.UNSCHEDULED],
            )
        )
    return Disclosure(
        plan_id=plan.plan_id,
        quarter=plan.quarter,
        revision=plan.revision,
        filed_on=plan.filed_at.astimezone(CHINA).date(),
        seed=plan.seed,
        published_on=published_on,
        draw_source=source,
        departments=_departments(items, inputs.departments),
        items=tuple(items),
        results=inputs.results,
        special=special,
    )


def _departments(items: Sequence[ItemLine], names: dict[str, str]) -> tuple[DepartmentLine, ...]:
    grouped: dict[str, list[ItemLine]] = defaultdict(list)
    for line in items:
        grouped[line.department].append(line)
    return tuple(
        DepartmentLine(
            code=code,
            name=names.get(code, code),
            items=len(lines),
            drawn=sum(line.drawn for line in lines),
            planned=sum(line.onsite + line.offsite for line in lines),
        )
        for code, lines in sorted(grouped.items())
    )
