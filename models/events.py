"""Tables for what happens to enterprises: credit events, records, demands, triggers,
inspection history, outcomes and the enterprises' feedback (spec §1)."""

import datetime as dt

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class CreditEventBase(SQLModel):
    id: str = Field(primary_key=True, max_length=64)
    uscc: str = Field(foreign_key="enterprise.uscc", index=True, max_length=18)
    kind: str = Field(max_length=32)
    date: dt.date = Field(index=True)
    severity: int = Field(default=1, ge=1, le=3)
    department: str | None = None
    detail: str | None = None


class CreditEvent(CreditEventBase, table=True):
    __tablename__ = "credit_event"


class IndustryRecordBase(SQLModel):
    """The industry half of 综合+行业 credit: one indicator value, 0–100, higher is better."""

    id: str = Field(primary_key=True, max_length=64)
    uscc: str = Field(foreign_key="enterprise.uscc", index=True, max_length=18)
    department: str = Field(foreign_key="department.code", max_length=32)
    indicator: str
    value: float = Field(ge=0, le=100)
    date: dt.date


class IndustryRecord(IndustryRecordBase, table=True):
    __tablename__ = "industry_record"


class DemandBase(SQLModel):
    id: str = Field(primary_key=True, max_length=128)
    department: str = Field(foreign_key="department.code", index=True, max_length=32)
    item: str = Field(foreign_key="item.code", max_length=64)
    uscc: str = Field(foreign_key="enterprise.uscc", index=True, max_length=18)
    source: str = Field(max_length=16)
    earliest: dt.date | None = None
    latest: dt.date | None = None
    priority: int = Field(default=3, ge=1, le=5)
    onsite_required: bool = False
    note: str | None = None


class Demand(DemandBase, table=True):
    __tablename__ = "demand"


class TriggerBase(SQLModel):
    id: str = Field(primary_key=True, max_length=128)
    uscc: str = Field(foreign_key="enterprise.uscc", index=True, max_length=18)
    kind: str = Field(max_length=16)
    received_at: dt.datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    department: str = Field(foreign_key="department.code", max_length=32)
    item: str = Field(foreign_key="item.code", max_length=64)
    severity: int | None = Field(default=None, ge=1, le=3)
    detail: str | None = None


class Trigger(TriggerBase, table=True):
    __tablename__ = "trigger"


class HistoryBase(SQLModel):
    """Inspections done before or outside JointInspect, as department systems recorded them."""

    id: str = Field(primary_key=True, max_length=64)
    uscc: str = Field(foreign_key="enterprise.uscc", index=True, max_length=18)
    department: str = Field(foreign_key="department.code", max_length=32)
    date: dt.date = Field(index=True)
    result: str = Field(max_length=16)
    item: str | None = None
    detail: str | None = None


class History(HistoryBase, table=True):
    __tablename__ = "history"


class OutcomeBase(SQLModel):
    """What an inspection with a code found, per item."""

    code: str = Field(primary_key=True, max_length=64)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=64)
    result: str = Field(max_length=16)
    date: dt.date
    detail: str | None = None


class Outcome(OutcomeBase, table=True):
    __tablename__ = "outcome"


class FeedbackBase(SQLModel):
    """The enterprise's 扫码评价 of a visit: one rating per code."""

    code: str = Field(primary_key=True, max_length=64)
    rating: int = Field(ge=1, le=5)
    date: dt.date
    comment: str | None = None


class Feedback(FeedbackBase, table=True):
    __tablename__ = "feedback"
