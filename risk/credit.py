"""Credit (信用, 0–100, higher is better): 综合 from public credit events, blended with
行业 from the departments' industry records.

综合: the base score plus each event's points, scaled by severity where the kind says so,
halving every half-life, and dropped once the kind's publicity period has passed.
行业: per (department, indicator), the recency-weighted mean of the values; the
enterprise's 行业 score is the mean over its indicators.
"""

from dataclasses import dataclass

import numpy as np

from jointinspect.risk.config import CreditConfig
from jointinspect.risk.inputs import CREDIT_KINDS, Events, FloatArray, GradingInputs

SCORE_MIN = 0.0
SCORE_MAX = 100.0


@dataclass(frozen=True)
class CreditScores:
    credit: FloatArray  # per enterprise
    composite: FloatArray  # 综合, per enterprise
    industry: FloatArray  # 行业, per enterprise; NaN where there is no record
    event_points: FloatArray  # per credit event: its signed points now (0 once expired)
    in_effect: np.ndarray  # per credit event: still within its publicity period

    def industry_share(self, blend: float) -> FloatArray:
        """The weight of the 综合 half in each enterprise's credit."""
        return np.where(np.isnan(self.industry), 1.0, 1.0 - blend)


def half_life_decay(age_days: FloatArray, half_life_days: FloatArray | float) -> FloatArray:
    """1 when fresh, ½ after one half-life, ¼ after two …"""
    return np.asarray(np.exp2(-age_days / half_life_days), dtype=np.float64)


def age_days(events: Events, inputs: GradingInputs) -> FloatArray:
    return (inputs.as_of_day - events.day).astype(np.float64)


def event_points(inputs: GradingInputs, config: CreditConfig) -> tuple[FloatArray, np.ndarray]:
    """Each credit event's signed points as of the grading date, and whether it counts."""
    ev = inputs.credit_events
    kinds = [config.kinds[k] for k in CREDIT_KINDS]
    points = np.array([k.points for k in kinds])[ev.code]
    half_life = np.array([k.half_life_days for k in kinds])[ev.code]
    publicity = np.array([k.publicity_days for k in kinds], dtype=np.float64)[ev.code]
    scaled = np.array([k.severity_scaled for k in kinds], dtype=bool)[ev.code]
    severity = np.asarray(config.severity)[ev.severity - 1]
    age = age_days(ev, inputs)
    in_effect = age <= publicity
    value = points * np.where(scaled, severity, 1.0) * half_life_decay(age, half_life)
    return np.where(in_effect, value, 0.0), in_effect


def industry_scores(inputs: GradingInputs, config: CreditConfig) -> FloatArray:
    """行业 per enterprise: recency-weighted mean per indicator, then mean of indicators."""
    rec = inputs.industry_records
    n = inputs.size
    age = age_days(rec, inputs)
    keep = age <= config.industry_max_age_days
    if not keep.any():
        return np.full(n, np.nan)
    ent, group, value = rec.ent[keep], rec.group[keep], rec.value[keep]
    weight = half_life_decay(age[keep], config.industry_half_life_days)
    groups = int(group.max()) + 1
    key, inverse = np.unique(ent * groups + group, return_inverse=True)
    mean = np.bincount(inverse, weight * value) / np.bincount(inverse, weight)
    owner = key // groups
    count = np.bincount(owner, minlength=n)
    total = np.bincount(owner, mean, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def credit_scores(inputs: GradingInputs, config: CreditConfig) -> CreditScores:
    """综合 + 行业 credit of every enterprise."""
    points, in_effect = event_points(inputs, config)
    composite = np.clip(
        config.base + np.bincount(inputs.credit_events.ent, points, minlength=inputs.size),
        SCORE_MIN,
        SCORE_MAX,
    )
    industry = industry_scores(inputs, config)
    blended = np.where(
        np.isnan(industry),
        composite,
        (1.0 - config.industry_blend) * composite + config.industry_blend * np.nan_to_num(industry),
    )
    return CreditScores(
        credit=np.clip(blended, SCORE_MIN, SCORE_MAX),
        composite=composite,
        industry=industry,
        event_points=points,
        in_effect=in_effect,
    )
