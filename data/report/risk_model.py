"""The report's risk-model figures: the adopted learned model and its stored validation.

Read through ``data.risk_model_store`` (the model grading uses, and which model made the
stored grades). The validation is the JSON stored with the model (``dataclasses.asdict`` of
``risk.calibration.Validation``); it is copied into typed figures as it is, never
recomputed, so the report shows the numbers ``calibrate`` printed. A key the stored JSON
lacks (a model calibrated before the gains curve was kept) becomes an empty or missing
figure, not an error.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from jointinspect.data.grading.risk_models import StoredModel, adopted_model, last_grading_model
from jointinspect.data.report.figures import ModelMetrics, RiskModelFigures


def load_risk_model(*, engine: Engine) -> RiskModelFigures | None:
    """The adopted model's figures (None: grading uses the shipped default model)."""
    stored = adopted_model(engine=engine)
    if stored is None:
        return None
    return risk_model_figures(stored, graded_by=last_grading_model(engine=engine))


def risk_model_figures(stored: StoredModel, *, graded_by: int | None) -> RiskModelFigures:
    v = stored.validation
    return RiskModelFigures(
        id=stored.id,
        as_of=stored.as_of,
        inspections=stored.inspections,
        violations=stored.violations,
        features=tuple(stored.features),
        adopted_at=stored.adopted_at,
        adopted_by=stored.adopted_by,
        forced=stored.forced,
        beats_default=stored.beats_default,
        holdout_days=stored.holdout_days,
        cutoff=_date(v.get("cutoff")),
        validated_to=_date(v.get("as_of")),
        fitted_inspections=_int(v.get("fitted_inspections")),
        fitted_violations=_int(v.get("fitted_violations")),
        learned=_metrics(v.get("learned")),
        default=_metrics(v.get("default")),
        history=_metrics(v.get("history")),
        graded_by=graded_by,
    )


def _metrics(raw: Any) -> ModelMetrics | None:
    if not isinstance(raw, Mapping):
        return None
    return ModelMetrics(
        model=str(raw.get("model", "")),
        inspections=int(raw.get("inspections", 0)),
        violations=int(raw.get("violations", 0)),
        auc=_float(raw.get("auc")),
        average_precision=_float(raw.get("average_precision")),
        brier=_float(raw.get("brier")),
        lift=tuple((float(s), float(v)) for s, v in raw.get("lift") or ()),
        gains=tuple(float(g) for g in raw.get("gains") or ()),
        calibration=tuple(
            (float(b["predicted"]), float(b["observed"])) for b in raw.get("calibration") or ()
        ),
        per_grade=tuple(
            (str(g["grade"]), int(g["inspections"]), int(g["violations"]))
            for g in raw.get("per_grade") or ()
        ),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
