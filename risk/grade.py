"""Grade A (low) … D (high) from credit × risk, as SAMR's credit-risk classification does.

``grade(inputs, config)`` is the whole grading: credit, the relation graph, risk, the
matrix, the per-kind floors (an enterprise on the 严重违法失信名单 is D) and the reasons.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.risk.config import (
    GRADES,
    GradeConfig,
    GradingConfig,
    ModelConfig,
    PriorityConfig,
)
from jointinspect.risk.contagion import (
    EdgeArrays,
    marked_neighbours,
    relation_edges,
)
from jointinspect.risk.credit import SCORE_MAX, CreditScores, credit_scores
from jointinspect.risk.features import FeatureMatrix, features_as_of
from jointinspect.risk.inputs import CREDIT_KINDS, FloatArray, GradingInputs, IntArray
from jointinspect.risk.reasons import (
    Reason,
    ReasonTable,
    model_reason_table,
    reason_table,
    render,
)
from jointinspect.risk.risk_score import RISK_SCALE, RiskFactors, risk_factors
from jointinspect.risk.scorecard import POINTS_PER_LOGIT, Scorecard


@dataclass(frozen=True)
class GradeRow:
    uscc: str
    credit: float
    risk: float
    grade: str
    reasons: list[Reason]


@dataclass(frozen=True)
class GradingResult:
    inputs: GradingInputs
    config: GradingConfig
    credit: NDArray[np.float64]  # rounded as reported
    risk: NDArray[np.float64]  # rounded as reported: 100 × p_violation
    p_violation: FloatArray  # the probability that the next inspection finds a violation
    grade: IntArray  # 0 = A … 3 = D
    credit_scores: CreditScores
    factors: RiskFactors
    edges: EdgeArrays
    marked_neighbours: IntArray
    reasons: ReasonTable
    #: The learned scorecard that graded, its features and their points (log-odds per
    #: enterprise and scorecard feature); None for the shipped default model.
    model: Scorecard | None = None
    features: FeatureMatrix | None = None
    contributions: FloatArray | None = None

    def letter(self, i: int) -> str:
        return GRADES[int(self.grade[i])]

    def priority(self) -> NDArray[np.float64]:
        """Each enterprise's place in the coordinators' order (see :func:`priority`)."""
        return priority(self.grade, self.credit, self.risk, self.config.priority)

    def mix(self) -> dict[str, int]:
        """How many enterprises have each grade."""
        counts = np.bincount(self.grade, minlength=len(GRADES))
        return {g: int(c) for g, c in zip(GRADES, counts, strict=True)}

    def row(self, i: int) -> GradeRow:
        return GradeRow(
            uscc=str(self.inputs.uscc[i]),
            credit=float(self.credit[i]),
            risk=float(self.risk[i]),
            grade=self.letter(i),
            reasons=render(self, i),
        )

    def rows(self) -> Iterator[GradeRow]:
        """Every enterprise, in USCC order."""
        for i in range(self.inputs.size):
            yield self.row(i)


def band_of_credit(credit: NDArray[np.float64], config: GradeConfig) -> IntArray:
    """0 = the best credit band … len(bands) = the worst."""
    bands = np.zeros(len(credit), dtype=np.int64)
    for threshold in config.credit_bands:
        bands += credit < threshold
    return bands


def band_of_risk(risk: NDArray[np.float64], config: GradeConfig) -> IntArray:
    """0 = the lowest risk band … len(bands) = the highest."""
    bands = np.zeros(len(risk), dtype=np.int64)
    for threshold in config.risk_bands:
        bands += risk >= threshold
    return bands


def grade_from_matrix(
    credit: NDArray[np.float64], risk: NDArray[np.float64], config: GradeConfig
) -> IntArray:
    matrix = np.array([[GRADES.index(g) for g in row] for row in config.matrix], dtype=np.int64)
    return matrix[band_of_credit(credit, config), band_of_risk(risk, config)]


#: Priority points per grade step: the composite (0–100) never outweighs one step.
PRIORITY_PER_GRADE = SCORE_MAX


def priority(
    grades: IntArray,
    credit: NDArray[np.float64],
    risk: NDArray[np.float64],
    config: PriorityConfig,
) -> NDArray[np.float64]:
    """Higher first: grade (D before C …), then within a grade the weighted composite of
    risk and credit shortfall (100 − credit), 0–100.

    Both axes move the composite the way they move the grade matrix (more risk or less
    credit never makes a grade better), so ordering by it never contradicts the grades.
    """
    composite = (
        config.risk_weight * risk + config.credit_weight * (SCORE_MAX - credit)
    ) / config.total
    scores = PRIORITY_PER_GRADE * grades + np.clip(composite, 0.0, SCORE_MAX)
    return np.asarray(scores, dtype=np.float64)


def has_kind_in_effect(
    inputs: GradingInputs, scores: CreditScores, kinds: tuple[int, ...]
) -> NDArray[np.bool_]:
    ev = inputs.credit_events
    hit = scores.in_effect & np.isin(ev.code, np.asarray(kinds, dtype=np.int64))
    flags = np.zeros(inputs.size, dtype=bool)
    flags[ev.ent[hit]] = True
    return flags


def odds_thresholds(base_rate: float, config: ModelConfig) -> FloatArray:
    """The p_violation at which B, C and D begin: ``odds_ratios`` × the base odds."""
    base = min(max(base_rate, 1e-6), 1 - 1e-6)
    odds = np.asarray(config.odds_ratios) * base / (1 - base)
    return np.asarray(odds / (1 + odds))


def grade_from_probability(
    p: FloatArray, credit: NDArray[np.float64], base_rate: float, config: GradingConfig
) -> IntArray:
    """A learned model's grade: the band of p_violation, no better than credit allows."""
    bands = np.searchsorted(odds_thresholds(base_rate, config.model), p, side="right")
    floor = np.array([GRADES.index(g) for g in config.model.credit_floor], dtype=np.int64)
    return np.maximum(bands, floor[band_of_credit(credit, config.grade)]).astype(np.int64)


def grade(
    inputs: GradingInputs, config: GradingConfig, model: Scorecard | None = None
) -> GradingResult:
    """Credit, risk, grade and reasons of every enterprise as of ``inputs.as_of``.

    With ``model`` (a scorecard learned by calibration) risk is its p_violation and the
    grade its band (see :func:`grade_from_probability`); without, the shipped default:
    the weighted factors of :mod:`risk_score`, read as a probability (risk / 100), and
    the credit × risk matrix.
    """
    scores = credit_scores(inputs, config.credit)
    edges = relation_edges(inputs.relations, config.risk.contagion.kinds)
    marked = has_kind_in_effect(
        inputs,
        scores,
        tuple(CREDIT_KINDS.index(k) for k in config.risk.contagion.marked_kinds),
    )
    factors = risk_factors(inputs, scores.credit, marked, edges, config.risk)
    decimals = config.grade.score_decimals
    credit = np.round(scores.credit, decimals)
    features = contributions = None
    if model is None:
        p = factors.risk / RISK_SCALE
        risk = np.round(factors.risk, decimals)
        grades = grade_from_matrix(credit, risk, config.grade)
    else:
        features = features_as_of(inputs, config)
        contributions = model.contributions(features)
        p = model.probability(features)
        risk = np.round(RISK_SCALE * p, decimals)
        grades = grade_from_probability(p, credit, model.base_rate, config)
    gates = config.grade.worst_by_kind if model is None else config.model.worst_by_kind
    for kind, worst in gates.items():
        floor = has_kind_in_effect(inputs, scores, (CREDIT_KINDS.index(kind),))
        grades = np.where(floor, np.maximum(grades, GRADES.index(worst)), grades)
    neighbours = marked_neighbours(edges, marked)
    if model is None or contributions is None:
        table = reason_table(inputs, config, scores, factors, neighbours, grades)
    else:
        table = model_reason_table(contributions * POINTS_PER_LOGIT, model, config.reasons, grades)
    return GradingResult(
        inputs=inputs,
        config=config,
        credit=credit,
        risk=risk,
        p_violation=np.asarray(p, dtype=np.float64),
        grade=grades,
        credit_scores=scores,
        factors=factors,
        edges=edges,
        marked_neighbours=neighbours,
        reasons=table,
        model=model,
        features=features,
        contributions=contributions,
    )
