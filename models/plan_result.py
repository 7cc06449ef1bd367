"""What planning returns: visits, off-site checks, unscheduled demands, metrics.

Everything here is plain data in a canonical order (visits by date, town, USCC, key;
the rest by demand id), so that the same inputs and seed give the same result object and
the same serialisation. Wall-clock figures live apart in ``timing``: they differ run to
run and are kept out of anything compared for reproducibility.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict


# Ordered: a document sorts a visit's tasks and officers (``data.plans.document``).
@dataclass(frozen=True, slots=True, order=True)
class TaskRef:
    demand_id: str
    department: str
    item: str
    source: str


@dataclass(frozen=True, slots=True, order=True)
class OfficerRef:
    id: str
    department: str


@dataclass(frozen=True, slots=True)
class VisitResult:
    #: Stable within a plan: ``{uscc}/{n}`` (the n-th visit of that enterprise).
    key: str
    uscc: str
    date: dt.date
    town: str
    triggered: bool
    tasks: tuple[TaskRef, ...]
    inspectors: tuple[OfficerRef, ...]
    order: int
    mode: str = "onsite"


@dataclass(frozen=True, slots=True)
class OffsiteResult:
    demand_id: str
    uscc: str
    department: str
    item: str
    source: str
    due: dt.date


@dataclass(frozen=True, slots=True)
class UnscheduledResult:
    demand_id: str
    uscc: str
    department: str
    item: str
    source: str
    reason: str
    detail: str


class Improvement(TypedDict):
    """What the CP-SAT improvement pass did (deterministic for a seed)."""

    subproblems_with_slack: int
    subproblems_solved: int
    subproblems_improved: int
    officer_days_saved: int


class ReplanFigures(TypedDict):
    """What a nightly replan did, stored with its revision."""

    as_of: str
    pinned_until: str | None
    cp_sat_chunks: int
    cp_sat_improved: int
    cp_sat_deterministic_time: float


class PlanMetrics(TypedDict):
    """A plan's deterministic figures; the first four are the contract's (§4)."""

    demands: int
    onsite_visits: int
    offsite_checks: int
    unscheduled: int
    #: ``{source: {mode: count}}`` for the sources that occur.
    demands_by_source: dict[str, dict[str, int]]
    unscheduled_by_reason: dict[str, int]
    consolidation_lower_bound: int
    visits_if_departments_alone: int
    visits_saved: int
    officer_days: int
    km: NotRequired[float]
    improvement: NotRequired[Improvement]
    replan: NotRequired[ReplanFigures]


class PlanTiming(TypedDict, total=False):
    """Wall-clock figures of one solve: they differ run to run."""

    solve_seconds: float
    consolidation_seconds: float
    construction_seconds: float
    improvement_seconds: float
    routing_seconds: float
    cp_sat_deterministic_time: float
    safety_cap_hit: bool


@dataclass(frozen=True)
class PlanResult:
    quarter: str
    seed: str
    visits: tuple[VisitResult, ...]
    offsite: tuple[OffsiteResult, ...]
    unscheduled: tuple[UnscheduledResult, ...]
    #: Deterministic figures (same inputs and seed → same values).
    metrics: PlanMetrics
    #: Wall-clock figures: ``solve_seconds``, ``safety_cap_hit`` … (not reproducible).
    timing: PlanTiming = field(default_factory=lambda: PlanTiming())
    #: The officers' travel in whole micrometres, summed per officer-day
    #: (``routing.day_travel_um``): exact, so that a replan of part of a district works
    #: out the whole revision's by difference. None when not worked out.
    travel_um: int | None = None

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready view of everything reproducible, in a fixed order."""
        return {
            "quarter": self.quarter,
            "seed": self.seed,
            "visits": [
                {
                    "key": v.key,
                    "uscc": v.uscc,
                    "date": v.date.isoformat(),
                    "town": v.town,
                    "mode": v.mode,
                    "triggered": v.triggered,
                    "tasks": [vars_of(t) for t in v.tasks],
                    "inspectors": [vars_of(o) for o in v.inspectors],
                    "order": v.order,
                }
                for v in self.visits
            ],
            "offsite": [{**vars_of(o), "due": o.due.isoformat()} for o in self.offsite],
            "unscheduled": [vars_of(u) for u in self.unscheduled],
            "metrics": dict(self.metrics),
        }


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}
