"""Small named planning instances for the scheduler tests (PyVRP / Timefold style)."""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping

from jointinspect.models.enums import DemandSource, ItemMode
from jointinspect.models.plan_problem import (
    DemandInfo,
    EnterpriseInfo,
    InspectorInfo,
    ItemInfo,
    PlanningProblem,
)
from jointinspect.models.plan_result import PlanResult
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.scheduler.checker import check
from jointinspect.scheduler.params import SchedulerParams
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
        oid,
        department,
        cert,
        per_day,
        frozenset(unavailable),
        frozenset(conflicts),
        town,
        30.92,
        121.47,
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
        did,
        department,
        item_code,
        uscc,
        DemandSource(source),
        earliest,
        latest,
        priority,
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


TOWNS = (
    ("南桥镇", 30.918, 121.458),
    ("奉城镇", 30.915, 121.650),
    ("庄行镇", 30.892, 121.392),
    ("金汇镇", 30.993, 121.532),
    ("四团镇", 30.925, 121.744),
    ("青村镇", 30.920, 121.560),
    ("柘林镇", 30.858, 121.507),
    ("海湾镇", 30.848, 121.600),
    ("西渡街道", 30.985, 121.450),
    ("奉浦街道", 30.935, 121.500),
)
DEPARTMENTS = ("SCJ", "WJ", "XF", "WL", "YJ", "HB", "RS")


def random_problem(
    n_enterprises: int, seed: int = 7, *, officers_per_1000: float = 4.0, rate: float = 0.12
) -> PlanningProblem:
    """A synthetic district of ``n_enterprises`` for tests and benchmarks.

    About ``rate`` demands per enterprise per quarter (most routine, 1 % triggered with
    two-week windows), 1 % of enterprises on the no-disturb list, and
    ``officers_per_1000`` officers per thousand enterprises spread over the departments.
    """
    import random

    rng = random.Random(seed)
    grades = ("A", "B", "C", "D")
    enterprises = []
    for k in range(n_enterprises):
        town, lat, lon = TOWNS[k % len(TOWNS)]
        nd = ((FIRST, None),) if rng.random() < 0.01 else ()
        enterprises.append(
            EnterpriseInfo(
                f"E{k:07d}",
                town,
                lat + rng.uniform(-0.03, 0.03),
                lon + rng.uniform(-0.03, 0.03),
                rng.choices(grades, (40, 30, 20, 10))[0],
                nd,
            )
        )
    items = []
    for dept in DEPARTMENTS:
        items.append(item(f"{dept}-ON", dept, "onsite"))
        items.append(item(f"{dept}-EI", dept, "either"))
        items.append(item(f"{dept}-OFF", dept, "offsite"))
        items.append(item(f"{dept}-ND", dept, "onsite", no_disturb=True))
    weights = (40, 12, 12, 8, 10, 10, 8)
    n_off = max(len(DEPARTMENTS) * 4, round(n_enterprises * officers_per_1000 / 1000))
    inspectors = []
    for k in range(n_off):
        dept = DEPARTMENTS[k % len(DEPARTMENTS)] if k < 28 else rng.choices(DEPARTMENTS, weights)[0]
        town = TOWNS[rng.randrange(len(TOWNS))]
        away = {rng.choice(WORKDAYS) for _ in range(rng.randrange(4))}
        inspectors.append(
            InspectorInfo(
                f"{dept}-{k:05d}",
                dept,
                dt.date(2027, 6, 30),
                4,
                frozenset(away),
                frozenset(),
                town[0],
                town[1],
                town[2],
            )
        )
    demands = []
    kinds = ("ON", "EI", "OFF", "ND")
    for e in enterprises:
        n = (rng.random() < rate) + (rng.random() < rate * 0.3)
        for j in range(n):
            dept = rng.choices(DEPARTMENTS, weights)[0]
            kind = rng.choices(kinds, (60, 25, 10, 5))[0]
            source = rng.choices(
                ("plan", "random", "key", "complaint", "alert"), (40, 45, 10, 3, 2)
            )[0]
            if source in ("complaint", "alert"):
                start = rng.choice(WORKDAYS[:-12])
                window = (start, start + dt.timedelta(days=14))
            elif rng.random() < 0.3:
                start = rng.choice(WORKDAYS[:-25])
                window = (start, start + dt.timedelta(days=rng.choice((14, 30, 45))))
            else:
                window = (FIRST, LAST)
            demands.append(
                demand(
                    f"D{e.uscc[1:]}-{j}",
                    dept,
                    f"{dept}-{kind}",
                    e.uscc,
                    source,
                    window[0],
                    min(window[1], LAST),
                    rng.randint(1, 5),
                    rng.random() < 0.1,
                )
            )
    return problem(enterprises, items, inspectors, demands, seed=f"synthetic-{seed}")


def with_new_complaints(p: PlanningProblem, plan: PlanResult, n: int) -> PlanningProblem:
    """``p`` and a complaint (received on working day 20, two weeks to act) for each of
    the first ``n`` enterprises, by USCC, that ``plan`` visits."""
    received = WORKDAYS[20]
    visited = sorted({v.uscc: v for v in plan.visits}.values(), key=lambda v: v.uscc)[:n]
    added = [
        demand(
            f"T-NEW-{k:03d}",
            v.tasks[0].department,
            f"{v.tasks[0].department}-ON",
            v.uscc,
            "complaint",
            received,
            received + dt.timedelta(days=14),
        )
        for k, v in enumerate(visited)
    ]
    return dataclasses.replace(p, demands=[*p.demands, *added])
