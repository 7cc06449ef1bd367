"""The learned risk models in the database: stored with their validation, adopted by
name and time, read back for grading; and the record of which model graded."""

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from jointinspect.models import GradingRun, RiskModel
from jointinspect.models.core_table import table_of
from jointinspect.models.errors import JointInspectError


class UnknownRiskModelError(JointInspectError):
    """No stored risk model has the id asked for."""


@dataclasses.dataclass(frozen=True)
class StoredModel:
    id: int
    as_of: dt.date
    created_at: dt.datetime
    adopted_at: dt.datetime | None
    adopted_by: str | None
    forced: bool
    beats_default: bool
    inspections: int
    violations: int
    holdout_days: int
    scorecard: str  # canonical JSON (risk.scorecard)
    validation: dict[str, Any]
    features: list[str]


def _stored(row: RiskModel) -> StoredModel:
    assert row.id is not None
    return StoredModel(
        id=row.id,
        as_of=row.as_of,
        created_at=row.created_at,
        adopted_at=row.adopted_at,
        adopted_by=row.adopted_by,
        forced=row.forced,
        beats_default=row.beats_default,
        inspections=row.inspections,
        violations=row.violations,
        holdout_days=row.holdout_days,
        scorecard=row.scorecard,
        validation=dict(row.validation or {}),
        features=list(row.features or []),
    )


@dataclasses.dataclass(frozen=True)
class NewModel:
    """A calibration's result as plain values (``risk.calibration.Calibration``)."""

    as_of: dt.date
    holdout_days: int
    inspections: int
    violations: int
    features: list[str]
    scorecard: str  # canonical JSON
    validation: dict[str, Any]  # dates may be dt.date: stored as ISO text
    beats_default: bool


def save_model(
    model: NewModel,
    *,
    engine: Engine,
    now: dt.datetime,
    adopted_by: str | None,
    forced: bool = False,
) -> StoredModel:
    """Store a calibration's model; adopted (from ``now``) when ``adopted_by`` is given."""
    row = RiskModel(
        as_of=model.as_of,
        holdout_days=model.holdout_days,
        created_at=now,
        inspections=model.inspections,
        violations=model.violations,
        features=model.features,
        scorecard=model.scorecard,
        validation=_plain(model.validation),
        beats_default=model.beats_default,
        adopted_at=now if adopted_by is not None else None,
        adopted_by=adopted_by,
        forced=forced,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
        return _stored(row)


def _plain(value: Any) -> Any:
    """Dates as ISO text, tuples as lists: what JSON holds."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def adopted_model(*, engine: Engine) -> StoredModel | None:
    """The model grading uses: the one adopted last (None: the shipped default)."""
    m = table_of(RiskModel).c
    with engine.connect() as conn:
        model_id = conn.execute(
            select(m.id)
            .where(m.adopted_at.is_not(None))
            .order_by(m.adopted_at.desc(), m.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    return None if model_id is None else load_model(int(model_id), engine=engine)


def load_model(model_id: int, *, engine: Engine) -> StoredModel:
    with Session(engine) as session:
        row = session.get(RiskModel, model_id)
        if row is None:
            raise UnknownRiskModelError(
                f"there is no risk model {model_id}",
                hint="`jointinspect calibrate` lists the model it stores",
            )
        return _stored(row)


def record_grading(
    conn: Connection,
    enterprises: int,
    *,
    as_of: dt.date,
    model_id: int | None,
    now: dt.datetime,
) -> None:
    """Record, in ``conn``'s transaction (the grades' own, see ``write_grades``), that the
    ``enterprises`` grades stored there came from ``model_id`` (None: the default).

    A Core insert: the first ORM object of a grading process made SQLAlchemy configure
    every mapper, 0.25 s."""
    conn.execute(
        insert(table_of(GradingRun)).values(
            graded_at=now, as_of=as_of, model_id=model_id, enterprises=enterprises
        )
    )


def last_grading_model(*, engine: Engine) -> int | None:
    """The model of the latest grading run (None: the default, or never graded)."""
    g = table_of(GradingRun).c
    with engine.connect() as conn:
        row = conn.execute(select(g.model_id).order_by(g.id.desc()).limit(1)).first()
    return None if row is None or row[0] is None else int(row[0])
