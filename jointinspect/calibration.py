"""Calibration as a library call: learn the risk model from the district's inspections,
validate it out of time beside the default, store it, adopt it when it beats the default,
and write it for review."""

import dataclasses
import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Engine

from jointinspect.data.grading.risk_models import NewModel, StoredModel, save_model
from jointinspect.data.grading.tables import last_inspection_date, load_grading_tables
from jointinspect.grading import inputs_from_tables
from jointinspect.models.errors import JointInspectError
from jointinspect.models.timezones import CHINA
from jointinspect.risk.calibration import Calibration, calibrate
from jointinspect.risk.config import GradingConfig
from jointinspect.risk.scorecard import POINTS_PER_LOGIT, scorecard_toml

__all__ = [
    "POINTS_PER_LOGIT",
    "CalibrationRun",
    "ExportPathError",
    "NoHistoryError",
    "calibrate_district",
    "check_export_path",
    "write_export",
]


class NoHistoryError(JointInspectError):
    """The database holds no inspection to learn from."""


class ExportPathError(JointInspectError):
    """The scorecard cannot be written where --export points."""


@dataclasses.dataclass(frozen=True)
class CalibrationRun:
    calibration: Calibration
    stored: StoredModel
    adopted: bool
    forced: bool


def calibrate_district(
    *,
    engine: Engine,
    as_of: dt.date | None,
    holdout_days: int,
    config: GradingConfig,
    adopt_as: str | None = None,
    force: bool = False,
) -> CalibrationRun:
    """Fit and validate the risk model on the inspections up to ``as_of`` (default: the
    last one), store it, and adopt it as ``adopt_as`` when it beats the default (or
    ``force``)."""
    day = as_of or last_inspection_date(engine=engine)
    if day is None:
        raise NoHistoryError(
            "there are no inspections to learn the risk model from",
            hint="import history.csv (or outcomes.csv); until then grading uses the "
            "shipped default model",
        )
    tables = load_grading_tables(engine=engine, as_of=day)
    result = calibrate(inputs_from_tables(tables, day), config, holdout_days)
    validation = result.validation
    adopted = adopt_as is not None and (validation.beats_default or force)
    stored = save_model(
        NewModel(
            as_of=day,
            holdout_days=holdout_days,
            inspections=result.inspections,
            violations=result.violations,
            features=[f.name for f in result.model.features],
            scorecard=result.model.to_json(),
            validation=dataclasses.asdict(validation),
            beats_default=validation.beats_default,
        ),
        engine=engine,
        now=dt.datetime.now(CHINA),
        adopted_by=adopt_as if adopted else None,
        forced=adopted and not validation.beats_default,
    )
    return CalibrationRun(result, stored, adopted, adopted and not validation.beats_default)


def check_export_path(path: Path) -> None:
    """Refuse, before any work, a scorecard path that is not a TOML file in a folder."""
    if path.suffix.lower() != ".toml":
        raise ExportPathError(
            f"--export {path}: the scorecard is written as TOML",
            hint="name a file ending in .toml",
        )
    if not path.parent.is_dir():
        raise ExportPathError(
            f"--export {path}: the folder {path.parent} does not exist",
            hint="create it first or choose another path",
        )


def write_export(run: CalibrationRun, path: Path) -> None:
    check_export_path(path)
    header: dict[str, str | float | int] = {
        "model_id": run.stored.id,
        "as_of": run.stored.as_of.isoformat(),
        "adopted": "yes" if run.adopted else "no",
        "inspections": run.calibration.inspections,
        "violations": run.calibration.violations,
    }
    auc = run.calibration.validation.learned.auc
    if auc is not None:
        header["validation_auc"] = round(auc, 4)
    try:
        path.write_text(scorecard_toml(run.calibration.model, header), encoding="utf-8")
    except OSError as exc:
        raise ExportPathError(
            f"cannot write {path}: {exc.strerror}", hint="choose a writable path"
        ) from None
