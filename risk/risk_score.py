"""Risk (风险, 0–100, higher is riskier): a weighted mean of five factors, each 0–1.

- inherent: the industry's inherent risk (longest matching GB/T 4754 prefix).
- history: the recency-weighted violation rate under a Beta prior, so one inspection
  does not swing it and an old violation fades; sanctions on the credit record
  (行政处罚 …) count as violations found.
- triggers: recent complaints, alerts, accidents and referrals, decayed and saturating.
- inspection_gap: how long since the last clean (compliant or minor) inspection. A
  violation found does not reset it, so finding a violation never lowers the risk.
- contagion: exposure to risky related enterprises (see :mod:`contagion`).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.models.enums import InspectionResult
from jointinspect.risk.config import IndustryRisk, RiskConfig
from jointinspect.risk.contagion import EdgeArrays, exposure
from jointinspect.risk.credit import age_days, half_life_decay
from jointinspect.risk.inputs import (
    CREDIT_KINDS,
    INSPECTION_RESULTS,
    TRIGGER_KINDS,
    FloatArray,
    GradingInputs,
)

RISK_SCALE = 100.0
_VIOLATION = INSPECTION_RESULTS.index(InspectionResult.VIOLATION)
_MINOR = INSPECTION_RESULTS.index(InspectionResult.MINOR)


@dataclass(frozen=True)
class HistoryFactor:
    rate: FloatArray  # smoothed, recency-weighted violation rate
    inspections: NDArray[np.int64]  # counted inspections (within max age)
    violations: NDArray[np.int64]  # of which violations
    minors: NDArray[np.int64]  # of which minor (轻微不罚)
    sanctions: NDArray[np.int64]  # credit events counted as violations found (行政处罚 …)


@dataclass(frozen=True)
class RiskFactors:
    inherent: FloatArray
    history: HistoryFactor
    triggers: FloatArray
    trigger_counts: NDArray[np.int64]
    inspection_gap: FloatArray
    gap_days: NDArray[np.int64]  # −1: never inspected clean
    contagion: FloatArray
    risk: FloatArray  # 0–100

    def weighted(self, config: RiskConfig) -> dict[str, FloatArray]:
        """Each factor's share of the risk score, in risk points."""
        w = config.weights
        scale = RISK_SCALE / w.total
        return {
            "inherent": scale * w.inherent * self.inherent,
            "history": scale * w.history * self.history.rate,
            "triggers": scale * w.triggers * self.triggers,
            "inspection_gap": scale * w.inspection_gap * self.inspection_gap,
            "contagion": scale * w.contagion * self.contagion,
        }


def industry_entry(industry: str, table: Mapping[str, IndustryRisk]) -> str | None:
    """The longest prefix of ``industry`` in the table, if any."""
    for length in range(len(industry), 0, -1):
        if industry[:length] in table:
            return industry[:length]
    return None


def inherent_factor(inputs: GradingInputs, config: RiskConfig) -> FloatArray:
    """Trades with a high fire load, hygiene or product-safety risk are riskier."""
    classes, inverse = inputs.industry_classes
    per_class = np.array(
        [
            config.industry_table[key].risk
            if (key := industry_entry(str(c), config.industry_table))
            else config.industry_default
            for c in classes
        ],
        dtype=np.float64,
    )
    return per_class[inverse] if len(classes) else np.zeros(inputs.size)


def history_factor(inputs: GradingInputs, config: RiskConfig) -> HistoryFactor:
    """Enterprises that violated before are likelier to violate again."""
    h = config.history
    ins = inputs.inspections
    n = inputs.size
    age = age_days(ins, inputs)
    keep = age <= h.max_age_days
    ent, code = ins.ent[keep], ins.code[keep]
    weight = half_life_decay(age[keep], h.half_life_days)
    badness = np.where(code == _VIOLATION, 1.0, np.where(code == _MINOR, h.minor_weight, 0.0))
    # A sanction (e.g. 行政处罚) is a violation a department established, inspected or not:
    # it counts as `evidence` of a violation found, so it only ever raises the rate.
    ev = inputs.credit_events
    ev_age = age_days(ev, inputs)
    evidence = np.array([h.sanctions.get(k, 0.0) for k in CREDIT_KINDS])[ev.code]
    sanctioned = (ev_age <= h.max_age_days) & (evidence > 0)
    ev_weight = half_life_decay(ev_age[sanctioned], h.half_life_days) * evidence[sanctioned]
    bad = np.bincount(ent, weight * badness, minlength=n) + np.bincount(
        ev.ent[sanctioned], ev_weight, minlength=n
    )
    seen = np.bincount(ent, weight, minlength=n) + np.bincount(
        ev.ent[sanctioned], ev_weight, minlength=n
    )
    return HistoryFactor(
        rate=(h.prior_violations + bad) / (h.prior_inspections + seen),
        inspections=np.bincount(ent, minlength=n).astype(np.int64),
        violations=np.bincount(ent[code == _VIOLATION], minlength=n).astype(np.int64),
        minors=np.bincount(ent[code == _MINOR], minlength=n).astype(np.int64),
        sanctions=np.bincount(ev.ent[sanctioned], minlength=n).astype(np.int64),
    )


def trigger_factor(
    inputs: GradingInputs, config: RiskConfig
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Recent complaints and alerts point at current trouble."""
    t = config.triggers
    tr = inputs.triggers
    age = age_days(tr, inputs)
    keep = age <= t.window_days
    kind_weight = np.array([t.kinds[k] for k in TRIGGER_KINDS])[tr.code[keep]]
    severity = np.asarray(t.severity)[tr.severity[keep] - 1]
    load = np.bincount(
        tr.ent[keep],
        kind_weight * severity * half_life_decay(age[keep], t.half_life_days),
        minlength=inputs.size,
    )
    counts = np.bincount(tr.ent[keep], minlength=inputs.size).astype(np.int64)
    return -np.expm1(-load / t.saturation), counts


def inspection_gap_factor(
    inputs: GradingInputs, config: RiskConfig
) -> tuple[FloatArray, NDArray[np.int64]]:
    """The longer since a clean inspection, the less we know."""
    ins = inputs.inspections
    clean = ins.code != _VIOLATION
    never = np.int64(-1)
    last = np.full(inputs.size, never, dtype=np.int64)
    # Events are sorted by (enterprise, day): the last clean one per enterprise wins.
    last[ins.ent[clean]] = ins.day[clean].astype(np.int64)
    days = np.where(last == never, never, inputs.as_of_day.astype(np.int64) - last)
    factor = np.where(days == never, 1.0, np.minimum(days / config.inspection_gap_full_days, 1.0))
    return factor, days


def contagion_signal(
    credit: FloatArray, history_rate: FloatArray, marked: NDArray[np.bool_], config: RiskConfig
) -> FloatArray:
    """What an enterprise passes on (0–1): bad credit or a bad record, whichever is worse;
    an enterprise on a dishonesty list (``marked_kinds``) passes on everything."""
    c = config.contagion
    from_credit = np.clip((c.credit_threshold - credit) / c.credit_threshold, 0.0, 1.0)
    from_history = np.clip(
        (history_rate - c.history_threshold) / (1.0 - c.history_threshold), 0.0, 1.0
    )
    return np.maximum(np.maximum(from_credit, from_history), marked.astype(np.float64))


def risk_factors(
    inputs: GradingInputs,
    credit: FloatArray,
    marked: NDArray[np.bool_],
    edges: EdgeArrays,
    config: RiskConfig,
) -> RiskFactors:
    """All five factors and the risk score of every enterprise."""
    inherent = inherent_factor(inputs, config)
    history = history_factor(inputs, config)
    triggers, trigger_counts = trigger_factor(inputs, config)
    gap, gap_days = inspection_gap_factor(inputs, config)
    signal = contagion_signal(credit, history.rate, marked, config)
    contagion = exposure(
        edges, signal, damping=config.contagion.damping, hops=config.contagion.hops
    )
    w = config.weights
    risk = (
        RISK_SCALE
        * (
            w.inherent * inherent
            + w.history * history.rate
            + w.triggers * triggers
            + w.inspection_gap * gap
            + w.contagion * contagion
        )
        / w.total
    )
    return RiskFactors(
        inherent=inherent,
        history=history,
        triggers=triggers,
        trigger_counts=trigger_counts,
        inspection_gap=gap,
        gap_days=gap_days,
        contagion=contagion,
        risk=np.clip(risk, 0.0, RISK_SCALE),
    )
