"""The shape of a plan as the packages pass it to each other.

The scheduler makes plans (``PlanResult``), ``data`` stores and reads them, and the
explanations read stored rows; ``data`` and ``scheduler`` may not import each other, so
the shape they agree on lives here, as protocols any of their classes satisfy.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol


class TaskShape(Protocol):
    """One demand done in a visit or off-site."""

    @property
    def demand_id(self) -> str: ...
    @property
    def department(self) -> str: ...
    @property
    def item(self) -> str: ...
    @property
    def source(self) -> str: ...


class OfficerShape(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def department(self) -> str: ...


class VisitCore(Protocol):
    """What every view of a visit has: enough to explain it."""

    @property
    def uscc(self) -> str: ...
    @property
    def date(self) -> dt.date: ...
    @property
    def town(self) -> str: ...
    @property
    def order(self) -> int: ...
    @property
    def tasks(self) -> Sequence[TaskShape]: ...
    @property
    def inspectors(self) -> Sequence[OfficerShape]: ...


class VisitShape(VisitCore, Protocol):
    """A visit as planned: also its mode and whether a triggered task holds it."""

    @property
    def mode(self) -> str: ...
    @property
    def triggered(self) -> bool: ...


class OffsiteShape(TaskShape, Protocol):
    @property
    def uscc(self) -> str: ...
    @property
    def due(self) -> dt.date: ...


class UnscheduledShape(TaskShape, Protocol):
    @property
    def uscc(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def detail(self) -> str: ...


class PlanShape(Protocol):
    @property
    def quarter(self) -> str: ...
    @property
    def seed(self) -> str: ...
    @property
    def visits(self) -> Sequence[VisitShape]: ...
    @property
    def offsite(self) -> Sequence[OffsiteShape]: ...
    @property
    def unscheduled(self) -> Sequence[UnscheduledShape]: ...
    @property
    def metrics(self) -> Mapping[str, object]: ...
