"""Tables of the learned risk models and of the grading runs that used them.

A calibration stores its scorecard (canonical JSON), its out-of-time validation and who
adopted it; the model grading uses is the one adopted last. Every grading run records
which model graded (none: the shipped default).
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Text
from sqlmodel import Field, SQLModel


class RiskModelBase(SQLModel):
    as_of: dt.date  # fitted on inspections up to this date
    holdout_days: int  # validated on the last this many days before ``as_of``
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    inspections: int  # fitted on
    violations: int
    features: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    #: The scorecard as canonical JSON text (``risk.scorecard.Scorecard.to_json``).
    scorecard: str = Field(sa_column=Column(Text, nullable=False))
    #: The validation figures of the learned model, the default and history alone.
    validation: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    beats_default: bool
    adopted_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True, index=True)
    )
    adopted_by: str | None = Field(default=None, max_length=128)
    forced: bool = False  # adopted with --force although it did not beat the default


class RiskModel(RiskModelBase, table=True):
    __tablename__ = "risk_model"
    id: int | None = Field(default=None, primary_key=True)


class GradingRunBase(SQLModel):
    graded_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    as_of: dt.date
    model_id: int | None = Field(default=None, foreign_key="risk_model.id")  # None: default
    enterprises: int


class GradingRun(GradingRunBase, table=True):
    __tablename__ = "grading_run"
    id: int | None = Field(default=None, primary_key=True)
