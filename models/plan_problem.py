"""The planning problem as plain data: what the scheduler needs, nothing it has to look up.

The cli builds a :class:`PlanningProblem` from the database (``data/plans/planning_inputs``) and the
双随机 draw (``risk/sampling``); the scheduler never opens a session or reads settings.
Windows are already resolved per spec §2 (a trigger's window is its received date to the
10th working day after, both clipped to the quarter) — the scheduler only intersects them
with the quarter's working days.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jointinspect.models.enums import DemandSource, ItemMode


@dataclass(frozen=True, slots=True)
class EnterpriseInfo:
    uscc: str
    town: str
    lat: float | None
    lon: float | None
    grade: str
    #: 无感监管 list entries, ``(since, until)`` inclusive; ``until`` None = open-ended.
    no_disturb: tuple[tuple[dt.date, dt.date | None], ...] = ()

    def no_disturb_on(self, day: dt.date) -> bool:
        return any(
            since <= day and (until is None or day <= until) for since, until in self.no_disturb
        )


@dataclass(frozen=True, slots=True)
class ItemInfo:
    code: str
    department: str
    mode: ItemMode
    no_disturb: bool = False
    minutes: int = 60


@dataclass(frozen=True, slots=True)
class InspectorInfo:
    id: str
    department: str
    cert_valid_until: dt.date
    max_visits_per_day: int = 4
    unavailable: frozenset[dt.date] = frozenset()
    #: USCCs this officer must never inspect (回避).
    conflicts: frozenset[str] = frozenset()
    home_town: str | None = None
    home_lat: float | None = None
    home_lon: float | None = None

    def can_work(self, day: dt.date) -> bool:
        """Certificate valid and not marked unavailable on ``day``."""
        return day <= self.cert_valid_until and day not in self.unavailable


@dataclass(frozen=True, slots=True)
class DemandInfo:
    id: str
    department: str
    item: str
    uscc: str
    source: DemandSource
    #: The §2 window, already resolved (None only when the demand has no window at all).
    earliest: dt.date
    latest: dt.date
    priority: int = 3
    onsite_required: bool = False

    @property
    def triggered(self) -> bool:
        return self.source.triggered


@dataclass(frozen=True)
class PlanningProblem:
    """Everything one quarter's plan is made from."""

    quarter: str
    #: The quarter's Chinese working days, ascending.
    workdays: tuple[dt.date, ...]
    enterprises: Mapping[str, EnterpriseInfo]
    items: Mapping[str, ItemInfo]
    inspectors: Sequence[InspectorInfo]
    demands: Sequence[DemandInfo]
    #: Routine visits of earlier filed plans this calendar year, per USCC (rule 7).
    routine_visits_this_year: Mapping[str, int] = field(default_factory=dict)
    seed: str = ""

    def day_index(self) -> dict[dt.date, int]:
        return {day: i for i, day in enumerate(self.workdays)}
