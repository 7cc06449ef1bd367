"""Off-site, on-site or unscheduled: spec §2 windows and §5 rules 5 and 6, per demand.

Rule 4 (no-disturb enterprises) depends on the visit a task ends up in, so it is decided
in consolidation; rule 7 (caps) there too. What is decided here never changes later:
an off-site demand stays off-site, a ``window`` or ``no_disturb_item`` demand stays out.
"""

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jointinspect.models.enums import ItemMode, UnscheduledReason
from jointinspect.models.plan_problem import DemandInfo, ItemInfo


class Placement(StrEnum):
    ONSITE = "onsite"
    OFFSITE = "offsite"
    UNSCHEDULED = "unscheduled"


@dataclass(frozen=True, slots=True)
class ModeDecision:
    demand: DemandInfo
    placement: Placement
    #: Working-day indices of the window inside the quarter (lo > hi: empty).
    lo: int
    hi: int
    reason: UnscheduledReason | None
    detail: str
    #: Off-site checks: the last day of the window clipped to the quarter.
    due: dt.date | None = None


def window_indices(demand: DemandInfo, workdays: Sequence[dt.date]) -> tuple[int, int]:
    """First and last working-day index inside the demand's window (lo > hi: none)."""
    lo = bisect.bisect_left(workdays, demand.earliest)
    hi = bisect.bisect_right(workdays, demand.latest) - 1
    return lo, hi


def decide(
    demand: DemandInfo, item: ItemInfo, workdays: Sequence[dt.date], quarter_last: dt.date
) -> ModeDecision:
    """The mode of one demand, checking the rules in the order of their precedence."""
    lo, hi = window_indices(demand, workdays)
    for rule in (window_rule, offsite_rule, no_disturb_item_rule):
        decision = rule(demand, item, lo, hi, quarter_last)
        if decision is not None:
            return decision
    how = "triggered" if demand.triggered else "on-site required"
    if item.mode == ItemMode.ONSITE:
        how = f"item {item.code} is on-site only"
    return ModeDecision(demand, Placement.ONSITE, lo, hi, None, f"on-site: {how}")


#: A decision but for its demand: (placement, lo, hi, reason, detail, due).
_Made = tuple[Placement, int, int, UnscheduledReason | None, str, dt.date | None]


def decide_all(
    demands: Iterable[DemandInfo],
    items: Mapping[str, ItemInfo],
    workdays: Sequence[dt.date],
    quarter_last: dt.date,
) -> list[ModeDecision]:
    """:func:`decide` for each demand, in order.

    A decision depends on the demand's item, source, ``onsite_required`` and window only,
    so it is worked out once per such kind (a district's draw is a few hundred kinds of
    hundreds of thousands of demands) and given to every demand of the kind.
    """
    # The kind's decision as the arguments a demand's own decision is made from.
    made: dict[tuple[object, ...], _Made] = {}
    out = []
    for d in demands:
        kind = (d.item, d.source, d.onsite_required, d.earliest, d.latest)
        known = made.get(kind)
        if known is None:
            first = decide(d, items[d.item], workdays, quarter_last)
            made[kind] = (
                first.placement,
                first.lo,
                first.hi,
                first.reason,
                first.detail,
                first.due,
            )
            out.append(first)
            continue
        out.append(ModeDecision(d, *known))
    return out


def window_rule(
    demand: DemandInfo, item: ItemInfo, lo: int, hi: int, quarter_last: dt.date
) -> ModeDecision | None:
    """Hard constraint (§2): a demand whose window holds no working day of the quarter is
    unscheduled with reason ``window``, whatever its mode."""
    if lo <= hi:
        return None
    detail = f"its window {demand.earliest}–{demand.latest} holds no working day of the quarter"
    return ModeDecision(demand, Placement.UNSCHEDULED, lo, hi, UnscheduledReason.WINDOW, detail)


def offsite_rule(
    demand: DemandInfo, item: ItemInfo, lo: int, hi: int, quarter_last: dt.date
) -> ModeDecision | None:
    """Hard constraint (rule 6): off-site exactly when the item is ``offsite``, or
    ``either`` and the demand is routine and not ``onsite_required``."""
    offsite = item.mode == ItemMode.OFFSITE or (
        item.mode == ItemMode.EITHER and not demand.triggered and not demand.onsite_required
    )
    if not offsite:
        return None
    due = min(demand.latest, quarter_last)
    why = (
        "the item is checked off-site"
        if item.mode == ItemMode.OFFSITE
        else ("a routine demand for an item that may be checked off-site")
    )
    return ModeDecision(demand, Placement.OFFSITE, lo, hi, None, f"off-site: {why}", due)


def no_disturb_item_rule(
    demand: DemandInfo, item: ItemInfo, lo: int, hi: int, quarter_last: dt.date
) -> ModeDecision | None:
    """Hard constraint (rule 5): a routine demand for a 无事不扰 item is never on-site."""
    if not item.no_disturb or demand.triggered:
        return None
    detail = (
        f"routine on-site check of a 无事不扰 item ({item.code}); only a complaint, "
        "alert, accident, referral or follow-up may bring an on-site check"
    )
    return ModeDecision(
        demand, Placement.UNSCHEDULED, lo, hi, UnscheduledReason.NO_DISTURB_ITEM, detail
    )
