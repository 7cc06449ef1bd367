"""The outbox of pushes to department systems: one row per (plan revision, department),
so that a revision's share is delivered at most once and every attempt is on record."""

import datetime as dt

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


class OutboxDeliveryBase(SQLModel):
    revision_id: int = Field(foreign_key="plan_revision.id", index=True)
    department: str = Field(max_length=32)
    url: str
    #: Sent as the ``Idempotency-Key`` header; the same for every attempt of this delivery.
    idempotency_key: str = Field(max_length=128, unique=True)
    payload_sha256: str = Field(max_length=64)
    #: ``pending`` (not yet claimed) → ``sending`` (claimed by one push; ``updated_at`` is
    #: the claim time, and the claim may be taken over after its lease) → ``delivered``, or
    #: ``failed`` (retries used up on 5xx / timeouts) or ``rejected`` (the endpoint answered
    #: 4xx); failed and rejected are tried again by the next push, delivered never is.
    status: str = Field(default="pending", index=True, max_length=12)
    attempts: int = 0  # counted before each POST, so a cut-off or crashed one is on record
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    delivered_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class OutboxDelivery(OutboxDeliveryBase, table=True):
    __tablename__ = "outbox_delivery"
    __table_args__ = (UniqueConstraint("revision_id", "department"),)
    id: int | None = Field(default=None, primary_key=True)
