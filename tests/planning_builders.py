"""Small named planning instances for the scheduler tests (PyVRP / Timefold style)."""

import datetime as dt
from collections.abc import Iterable, Mapping

from jointinspect.models.enums import DemandSource, ItemMode
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.scheduler.checker import check
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.problem import (
    DemandInfo,
    EnterpriseInfo,
    InspectorInfo,
    ItemInfo,
    PlanningProblem,
)
from jointinspect.scheduler.result import PlanResult
from jointinspect.scheduler.solve import solve

QUARTER = Quarter.parse("2025Q4")
WORKDAYS = tuple(WorkingCalendar().workdays(QUARTER.first_day, QUARTER.last_day))
FIRST, LAST = QUARTER.first_day, QUARTER.last_day


def enterprise(
    uscc: str,
    town: str = "南桥镇",
    grade: str = "C",
    lat: float = 30.92,
    lon: float = 121.47,
    no_disturb: Iterable[tuple[dt.date, dt.date | None]] = (),
) -> EnterpriseInfo:
    return EnterpriseInfo(uscc, town, lat, lon, grade, tuple(no_disturb))


def item(code: str, department: str, mode: str = "onsite", no_disturb: bool = False) -> ItemInfo:
    return ItemInfo(code, department, ItemMode(mode), no_disturb)


def officer(
    oid: str,
    department: str,
    *,
    cert: dt.date = dt.date(2027, 12, 31),
    per_day: int = 4,
    unavailable: Iterable[dt.date] = (),
    conflicts: Iterable[str] = (),
    town: str = "南桥镇",
) -> InspectorInfo:
    return InspectorInfo(
        oid, department, cert, per_day, frozenset(unavailable), frozenset(conflicts),
        town, 30.92, 121.47,
    )


def demand(
    did: str,
    department: str,
    item_code: str,
    uscc: str,
    source: str = "plan",
    earliest: dt.date = FIRST,
    latest: dt.date = LAST,
    priority: int = 3,
    onsite_required: bool = False,
) -> DemandInfo:
    return DemandInfo(
        did, department, item_code, uscc, DemandSource(source), earliest, latest, priority,
        onsite_required,
    )


def problem(
    enterprises: Iterable[EnterpriseInfo],
    items: Iterable[ItemInfo],
    inspectors: Iterable[InspectorInfo],
    demands: Iterable[DemandInfo],
    used: Mapping[str, int] | None = None,
    seed: str = "2025Q4-test",
) -> PlanningProblem:
    return PlanningProblem(
        quarter=str(QUARTER),
        workdays=WORKDAYS,
        enterprises={e.uscc: e for e in enterprises},
        items={i.code: i for i in items},
        inspectors=list(inspectors),
        demands=list(demands),
        routine_visits_this_year=dict(used or {}),
        seed=seed,
    )


def solved(p: PlanningProblem, params: SchedulerParams | None = None) -> PlanResult:
    """Solve and assert that the independent checker finds nothing wrong."""
    result = solve(p, params)
    violations = check(p, result, params)
    assert violations == [], "\n".join(violations)
    return result


def team(department: str, n: int = 2, **kw: object) -> list[InspectorInfo]:
    return [officer(f"{department}-{k:02d}", department, **kw) for k in range(1, n + 1)]  # type: ignore[arg-type]
