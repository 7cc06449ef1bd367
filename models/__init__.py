"""The data model: SQLModel tables, vocabularies, and the small domain values
(USCC, quarters, the working-day calendar) that every other package shares.

The tables, the engine helpers and the guard on filed revisions load together, the first
time any of their names is used (``from jointinspect.models import Visit``): they bring
SQLAlchemy, SQLModel and Alembic, most of a second, and the value types
(``jointinspect.models.quarter``, ``.errors``, ``.uscc`` …) must not cost a command's
start-up that (issue 14). All at once, as an eager import did, so that whoever has one
table has every table on ``SQLModel.metadata`` and the guard installed. Code that needs
the metadata without naming a table calls :func:`load_all`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jointinspect.models.code_keys import RegisteredKey
    from jointinspect.models.db import DEFAULT_DB_URL, create_schema, make_engine, session_scope
    from jointinspect.models.events import (
        CreditEvent,
        Demand,
        Feedback,
        History,
        IndustryRecord,
        Outcome,
        Trigger,
    )
    from jointinspect.models.immutability import FiledRevisionImmutableError
    from jointinspect.models.outbox import OutboxDelivery
    from jointinspect.models.planning import (
        EnterpriseGrade,
        InputChange,
        InspectionCode,
        OffsiteCheck,
        Plan,
        PlanRevision,
        ReasonWording,
        RevisionOffsite,
        RevisionVisit,
        UnscheduledDemand,
        Visit,
        VisitOfficer,
        VisitTask,
    )
    from jointinspect.models.reference import (
        Availability,
        Conflict,
        Department,
        Enterprise,
        Inspector,
        Item,
        NoDisturb,
        Relation,
        SamplingRule,
    )
    from jointinspect.models.risk_models import GradingRun, RiskModel

#: Module → the names it lends the package, in the order the eager import loaded them.
_EXPORTS = {
    "code_keys": ("RegisteredKey",),
    "db": ("DEFAULT_DB_URL", "create_schema", "make_engine", "session_scope"),
    "events": (
        "CreditEvent",
        "Demand",
        "Feedback",
        "History",
        "IndustryRecord",
        "Outcome",
        "Trigger",
    ),
    "immutability": ("FiledRevisionImmutableError",),
    "outbox": ("OutboxDelivery",),
    "planning": (
        "EnterpriseGrade",
        "InputChange",
        "InspectionCode",
        "OffsiteCheck",
        "Plan",
        "PlanRevision",
        "ReasonWording",
        "RevisionOffsite",
        "RevisionVisit",
        "UnscheduledDemand",
        "Visit",
        "VisitOfficer",
        "VisitTask",
    ),
    "reference": (
        "Availability",
        "Conflict",
        "Department",
        "Enterprise",
        "Inspector",
        "Item",
        "NoDisturb",
        "Relation",
        "SamplingRule",
    ),
    "risk_models": ("GradingRun", "RiskModel"),
}
_LAZY = frozenset(name for names in _EXPORTS.values() for name in names)

__all__ = [
    "DEFAULT_DB_URL",
    "Availability",
    "Conflict",
    "CreditEvent",
    "Demand",
    "Department",
    "Enterprise",
    "EnterpriseGrade",
    "Feedback",
    "FiledRevisionImmutableError",
    "GradingRun",
    "History",
    "IndustryRecord",
    "InputChange",
    "InspectionCode",
    "Inspector",
    "Item",
    "NoDisturb",
    "OffsiteCheck",
    "OutboxDelivery",
    "Outcome",
    "Plan",
    "PlanRevision",
    "ReasonWording",
    "RegisteredKey",
    "Relation",
    "RevisionOffsite",
    "RevisionVisit",
    "RiskModel",
    "SamplingRule",
    "Trigger",
    "UnscheduledDemand",
    "Visit",
    "VisitOfficer",
    "VisitTask",
    "create_schema",
    "load_all",
    "make_engine",
    "session_scope",
]


def load_all() -> None:
    """Import every table module (each table registers on ``SQLModel.metadata``), the
    engine helpers and the guard on filed revisions, and make their names the package's."""
    for module, names in _EXPORTS.items():
        loaded = import_module(f"{__name__}.{module}")
        for name in names:
            globals()[name] = getattr(loaded, name)


def __getattr__(name: str) -> Any:
    # Only the names above load anything; any other name (a submodule that `from
    # jointinspect.models import uscc` is about to import) is an AttributeError, as it
    # must be for the import system to go on and import it.
    if name in _LAZY:
        load_all()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
