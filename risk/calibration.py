"""Learning the risk model from a district's own inspections, and saying how well it learned.

Every past inspection is one example: its features as they stood the day before it
(:func:`risk.features.features_at`, the code grading uses) and whether it found a
violation. Validation is out of time, as the model will be used: fit on the inspections
up to T = DATE − holdout, grade every enterprise as of T, and score those grades on the
inspections after T — for the learned scorecard, for the shipped default model and for
the violation history alone, side by side. The model that is adopted is refitted on
everything up to DATE.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.models.enums import InspectionResult
from jointinspect.risk.config import GRADES, GradingConfig
from jointinspect.risk.evaluation import rises_strictly
from jointinspect.risk.features import ENTERPRISE_PRIOR, FeatureMatrix, features_at
from jointinspect.risk.grade import GradingResult, grade
from jointinspect.risk.inputs import INSPECTION_RESULTS, FloatArray, GradingInputs, IntArray
from jointinspect.risk.scorecard import Scorecard
from jointinspect.risk.scorecard_fit import TooLittleHistoryError, check_history, fit_scorecard

_VIOLATION = INSPECTION_RESULTS.index(InspectionResult.VIOLATION)
CALIBRATION_BINS = 10
LIFT_SHARES = (0.1, 0.2)
#: The gains (lift) curve: share of violations found in the riskiest 5 %, 10 % … 100 %.
GAINS_STEPS = 20

DEFAULT_MODEL = "default"
LEARNED_MODEL = "learned"
HISTORY_ALONE = "history"


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    predicted: float  # mean predicted probability of the bin
    observed: float  # share of the bin's inspections that found a violation


@dataclass(frozen=True, slots=True)
class GradeFigures:
    grade: str
    inspections: int
    violations: int

    @property
    def rate(self) -> float | None:
        return self.violations / self.inspections if self.inspections else None


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well one model's scores, made as of T, found the violations after T."""

    model: str
    inspections: int
    violations: int
    auc: float | None  # None when the held-out inspections are of one result only
    average_precision: float | None
    brier: float
    lift: tuple[tuple[float, float], ...]  # (share inspected first, lift)
    gains: tuple[float, ...]  # violations found in the riskiest 1/GAINS_STEPS, 2/… of all
    calibration: tuple[CalibrationBin, ...]
    per_grade: tuple[GradeFigures, ...]  # empty for a score that makes no grades

    @property
    def rates_rise(self) -> bool:
        """The violation rate rises strictly from A to D (grades with inspections)."""
        return rises_strictly(g.rate for g in self.per_grade)


@dataclass(frozen=True, slots=True)
class Validation:
    as_of: dt.date  # DATE
    cutoff: dt.date  # T: fitted on inspections up to here, scored on those after
    fitted_inspections: int
    fitted_violations: int
    learned: Metrics
    default: Metrics
    history: Metrics

    @property
    def beats_default(self) -> bool:
        """The learned model ranks the held-out inspections better than the default."""
        if self.learned.auc is None or self.default.auc is None:
            return False
        return self.learned.auc > self.default.auc


@dataclass(frozen=True, slots=True)
class Calibration:
    validation: Validation
    model: Scorecard  # refitted on every inspection up to DATE
    inspections: int  # that it was fitted on
    violations: int


def examples(
    inputs: GradingInputs, config: GradingConfig, until: dt.date
) -> tuple[FeatureMatrix, NDArray[np.bool_]]:
    """Every inspection dated up to ``until``: its features the day before it, and whether
    it found a violation."""
    ins = inputs.inspections
    keep = ins.day <= np.datetime64(until, "D")
    day = ins.day[keep] - np.timedelta64(1, "D")
    matrix = features_at(inputs, ins.ent[keep], day, config)
    return matrix, ins.code[keep] == _VIOLATION


def metrics(
    name: str, scores: FloatArray, violated: NDArray[np.bool_], grades: IntArray | None
) -> Metrics:
    """AUC, average precision, Brier score, lift, calibration and rates per grade."""
    # scikit-learn is imported where it is used: it takes a second or more to import,
    # which every command would pay (grading never validates).
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    two_classes = 0 < violated.sum() < len(violated)
    order = np.lexsort((np.arange(len(scores)), -scores))  # riskiest first, ties by row
    base = float(violated.mean()) if len(violated) else 0.0
    lift = []
    for share in LIFT_SHARES:
        top = order[: max(1, round(share * len(order)))]
        lift.append((share, float(violated[top].mean()) / base if base else 0.0))
    found = np.cumsum(violated[order])
    total = max(int(violated.sum()), 1)
    gains = tuple(
        float(found[max(1, round(k * len(order) / GAINS_STEPS)) - 1]) / total if len(order) else 0.0
        for k in range(1, GAINS_STEPS + 1)
    )
    clipped = np.clip(scores, 0.0, 1.0)
    bins: tuple[CalibrationBin, ...] = ()
    if two_classes:
        observed, predicted = calibration_curve(
            violated, clipped, n_bins=CALIBRATION_BINS, strategy="quantile"
        )
        bins = tuple(
            CalibrationBin(predicted=float(p), observed=float(o))
            for p, o in zip(predicted.tolist(), observed.tolist(), strict=True)
        )
    per_grade: tuple[GradeFigures, ...] = ()
    if grades is not None:
        per_grade = tuple(
            GradeFigures(
                grade=letter,
                inspections=int((grades == g).sum()),
                violations=int(violated[grades == g].sum()),
            )
            for g, letter in enumerate(GRADES)
        )
    return Metrics(
        model=name,
        inspections=len(violated),
        violations=int(violated.sum()),
        auc=float(roc_auc_score(violated, scores)) if two_classes else None,
        average_precision=float(average_precision_score(violated, scores)) if two_classes else None,
        brier=float(brier_score_loss(violated, clipped)) if len(violated) else 0.0,
        lift=tuple(lift),
        gains=gains,
        calibration=bins,
        per_grade=per_grade,
    )


def held_out(inputs: GradingInputs, cutoff: dt.date) -> tuple[IntArray, NDArray[np.bool_]]:
    """The inspections after ``cutoff``: whose they were and whether they found a violation."""
    ins = inputs.inspections
    later = ins.day > np.datetime64(cutoff, "D")
    return ins.ent[later], ins.code[later] == _VIOLATION


def history_alone(result: GradingResult, base_rate: float) -> FloatArray:
    """The violation history alone: the enterprise's violation rate over three years,
    pulled toward the district's rate by ``ENTERPRISE_PRIOR`` pseudo-inspections."""
    inputs = result.inputs
    matrix = result.features or features_at(
        inputs,
        np.arange(inputs.size, dtype=np.int64),
        np.full(inputs.size, inputs.as_of_day),
        result.config,
    )
    found = matrix.column("violations")
    seen = found + matrix.column("clean")
    return np.asarray((found + ENTERPRISE_PRIOR * base_rate) / (seen + ENTERPRISE_PRIOR))


def validate(
    inputs: GradingInputs, config: GradingConfig, holdout_days: int
) -> tuple[Validation, GradingResult]:
    """Out-of-time validation (see the module's docstring); also the learned model's
    grading as of T."""
    cutoff = inputs.as_of - dt.timedelta(days=holdout_days)
    at_cutoff = inputs.cut(cutoff)
    matrix, violated = examples(at_cutoff, config, cutoff)
    model = fit_scorecard(matrix, violated, config.model)
    who, found = held_out(inputs, cutoff)
    if not len(who):
        raise TooLittleHistoryError(
            f"no inspection after {cutoff} to validate the model on",
            hint="choose a later --as-of or fewer --holdout-days",
        )
    learned = grade(at_cutoff, config, model)
    default = grade(at_cutoff, config)
    rate = float(violated.mean())
    validation = Validation(
        as_of=inputs.as_of,
        cutoff=cutoff,
        fitted_inspections=len(violated),
        fitted_violations=int(violated.sum()),
        learned=metrics(LEARNED_MODEL, learned.p_violation[who], found, learned.grade[who]),
        default=metrics(DEFAULT_MODEL, default.p_violation[who], found, default.grade[who]),
        history=metrics(HISTORY_ALONE, history_alone(learned, rate)[who], found, None),
    )
    return validation, learned


def calibrate(inputs: GradingInputs, config: GradingConfig, holdout_days: int) -> Calibration:
    """Validate out of time, then refit on every inspection up to ``inputs.as_of``."""
    validation, _ = validate(inputs, config, holdout_days)
    matrix, violated = examples(inputs, config, inputs.as_of)
    check_history(violated, config.model, "all the history")
    return Calibration(
        validation=validation,
        model=fit_scorecard(matrix, violated, config.model),
        inspections=len(violated),
        violations=int(violated.sum()),
    )
