"""The figures of the efficiency report (效能评估) as plain, frozen data.

``data.report_data`` fills them from the database; ``report_charts`` and ``report_render``
draw and print them. Ratios are properties, so a table and a chart can never round the
same count differently.
"""

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jointinspect.models.enums import Grade

#: Grades in report order; enterprises without a grade are shown under this label.
GRADES: tuple[str, ...] = tuple(g.value for g in Grade)
UNGRADED = "-"
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Consolidation:
    """On-site visits of the plan against the counterfactual and the lower bound."""

    onsite_visits: int
    lower_bound: int
    departments_alone: int
    visits_saved: int
    #: Visits counted in the visit table (equals ``onsite_visits`` for an intact revision).
    visits_stored: int


@dataclass(frozen=True)
class DepartmentModes:
    department: str
    name: str
    onsite: int
    offsite: int
    unscheduled: int

    @property
    def demands(self) -> int:
        return self.onsite + self.offsite + self.unscheduled

    @property
    def offsite_share(self) -> float | None:
        return self.offsite / self.demands if self.demands else None


@dataclass(frozen=True)
class NoDisturbFigures:
    """无感监管 enterprises and 无事不扰 items, and how the plan left them alone."""

    listed_enterprises: int  # on the list on some day of the quarter
    flagged_items: int
    offsite_at_listed: int  # demands at listed enterprises done off-site instead
    offsite_of_items: int  # routine demands of no-disturb items done off-site
    unscheduled_enterprise: int  # reason no_disturb_enterprise
    unscheduled_item: int  # reason no_disturb_item
    triggered_visits_at_listed: int  # allowed by rule 4: a triggered task
    #: Rule 4 broken: a routine visit to an enterprise listed on the visit date.
    violations_enterprise: int
    #: Rule 5 broken: a routine task of a no-disturb item done on-site.
    violations_item: int

    @property
    def violations(self) -> int:
        return self.violations_enterprise + self.violations_item


@dataclass(frozen=True)
class GradeBurden:
    grade: str
    enterprises: int
    visited: int
    visits: int
    repeat: int  # enterprises with two or more visits this quarter
    multi_department: int  # visited enterprises whose on-site tasks span departments

    @property
    def visits_per_enterprise(self) -> float | None:
        return self.visits / self.enterprises if self.enterprises else None


@dataclass(frozen=True)
class OutcomeCounts:
    """Findings of on-site checks (one per outcome row, i.e. per item of a visit)."""

    key: str  # a grade or a source
    visits: int  # distinct visits with at least one finding
    checks: int  # outcome rows, ``not_done`` excluded
    violations: int
    minor: int
    compliant: int
    not_done: int

    @property
    def violations_per_visit(self) -> float | None:
        return self.violations / self.visits if self.visits else None

    @property
    def violation_rate(self) -> float | None:
        return self.violations / self.checks if self.checks else None

    @property
    def minor_share(self) -> float | None:
        return self.minor / self.checks if self.checks else None


@dataclass(frozen=True)
class EvaluationFigures:
    """``risk.evaluation`` on this plan's on-site findings (filled in by the cli)."""

    per_grade: tuple[tuple[str, int, int], ...]  # (grade, inspections, violations)
    auc: float | None
    inspected: int
    violators: int
    selected: int
    selected_violators: int
    targeted_grades: tuple[str, ...]
    base_rate: float | None
    hit_rate: float | None
    lift: float | None


@dataclass(frozen=True)
class OfficerLoad:
    department: str
    name: str
    #: Visits of each rostered officer of the department (zeros included), ascending.
    visits: tuple[int, ...]
    officer_days: int
    #: On-site visits the department's officers went on (each visit counted once).
    department_visits: int = 0

    @property
    def officers(self) -> int:
        return len(self.visits)

    @property
    def median(self) -> float | None:
        """Visits of the middle officer: the department's load, as the box plot shows it."""
        return statistics.median(self.visits) if self.visits else None


@dataclass(frozen=True)
class TownVisits:
    town: str
    visits: int
    triggered: int
    enterprises: int
    lat: float | None  # mean of the visited enterprises' coordinates
    lon: float | None


@dataclass(frozen=True)
class VisitPoint:
    lat: float
    lon: float
    triggered: bool


@dataclass(frozen=True)
class Ratings:
    """扫码评价: the enterprises' ratings of this plan's visits."""

    counts: tuple[int, ...]  # ratings 1 … 5
    rateable: int  # on-site visits of the revision with a valid code

    @property
    def rated(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        total = sum(r * c for r, c in zip(RATINGS, self.counts, strict=True))
        return total / self.rated if self.rated else None

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.rateable if self.rateable else None


@dataclass(frozen=True)
class RevisionRow:
    revision: int
    status: str
    generated_at: dt.datetime
    filed_at: dt.datetime | None
    onsite_visits: int | None
    offsite_checks: int | None
    unscheduled: int | None
    diff: Mapping[str, Any] | None


@dataclass(frozen=True)
class GradeColumns:
    """Current grades (for the evaluation): parallel lists, USCC order."""

    uscc: list[str]
    grade: list[str]
    risk: list[float]


@dataclass(frozen=True)
class ModelMetrics:
    """One model's out-of-time validation as stored with the learned risk model
    (``risk.calibration.Metrics``): its scores made as of the cutoff, scored on the
    inspections after it."""

    model: str  # "learned", "default" or "history"
    inspections: int  # held out
    violations: int
    auc: float | None
    average_precision: float | None
    brier: float | None
    lift: tuple[tuple[float, float], ...]  # (share inspected riskiest first, lift)
    #: Share of violations found in the riskiest 1/n, 2/n … of the held-out inspections
    #: (empty for a model stored before the curve was kept).
    gains: tuple[float, ...]
    calibration: tuple[tuple[float, float], ...]  # per decile: (predicted, observed)
    per_grade: tuple[tuple[str, int, int], ...]  # (grade, inspections, violations); none: ()

    @property
    def base_rate(self) -> float | None:
        return self.violations / self.inspections if self.inspections else None

    def lift_at(self, share: float) -> float | None:
        return next((v for s, v in self.lift if abs(s - share) < 1e-9), None)

    def grade_rate(self, grade: str) -> float | None:
        for g, inspections, violations in self.per_grade:
            if g == grade:
                return violations / inspections if inspections else None
        return None

    @property
    def gains_points(self) -> tuple[tuple[float, float], ...]:
        """(share inspected, share of violations found): the stored curve, else the points
        its lift gives (found = lift × share)."""
        if self.gains:
            n = len(self.gains)
            return tuple(((k + 1) / n, g) for k, g in enumerate(self.gains))
        return tuple((s, v * s) for s, v in self.lift)


@dataclass(frozen=True)
class RiskModelFigures:
    """The learned risk model grading uses (``calibrate --adopt``) and its validation."""

    id: int
    as_of: dt.date  # fitted on inspections up to here
    inspections: int  # fitted on
    violations: int
    features: tuple[str, ...]
    adopted_at: dt.datetime | None
    adopted_by: str | None
    forced: bool  # adopted although it did not beat the default
    beats_default: bool
    holdout_days: int
    #: Validation: fitted on the inspections up to ``cutoff``, scored on those after it up
    #: to ``validated_to`` (None where the stored validation lacks them).
    cutoff: dt.date | None
    validated_to: dt.date | None
    fitted_inspections: int | None
    fitted_violations: int | None
    learned: ModelMetrics | None
    default: ModelMetrics | None
    history: ModelMetrics | None
    #: The model of the last grading run (None: the default, or never graded).
    graded_by: int | None

    @property
    def grades_from_model(self) -> bool:
        """The stored grades (the report's) were made by this model."""
        return self.graded_by == self.id

    @property
    def metrics(self) -> tuple[ModelMetrics, ...]:
        """Learned, default, history alone: those stored."""
        return tuple(m for m in (self.learned, self.default, self.history) if m is not None)


@dataclass(frozen=True)
class ReportData:
    plan_id: str
    quarter: str
    revision: int
    status: str
    seed: str
    generated_at: dt.datetime
    #: The revision's metrics exactly as ``plan`` stored them.
    metrics: Mapping[str, Any]
    consolidation: Consolidation
    departments: tuple[DepartmentModes, ...]
    no_disturb: NoDisturbFigures
    burden: tuple[GradeBurden, ...]
    #: number of visits this quarter → enterprises visited that often.
    visits_per_enterprise: Mapping[int, int]
    outcomes_by_grade: tuple[OutcomeCounts, ...]
    outcomes_by_source: tuple[OutcomeCounts, ...]
    outcomes_total: OutcomeCounts
    workload: tuple[OfficerLoad, ...]
    towns: tuple[TownVisits, ...]
    points: tuple[VisitPoint, ...]
    ratings: Ratings
    revisions: tuple[RevisionRow, ...]
    #: Per outcome row of an on-site visit (``not_done`` excluded): (uscc, result).
    inspections: tuple[tuple[str, str], ...]
    grades: GradeColumns
    evaluation: EvaluationFigures | None = field(default=None)
    #: The adopted learned risk model (None: grades come from the shipped default model).
    risk_model: RiskModelFigures | None = field(default=None)

    @property
    def replanned(self) -> bool:
        return any(r.diff for r in self.revisions)
