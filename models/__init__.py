"""The data model: SQLModel tables, vocabularies, and the small domain values
(USCC, quarters, the working-day calendar) that every other package shares."""

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
    InspectionCode,
    OffsiteCheck,
    Plan,
    PlanRevision,
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
    "InspectionCode",
    "Inspector",
    "Item",
    "NoDisturb",
    "OffsiteCheck",
    "OutboxDelivery",
    "Outcome",
    "Plan",
    "PlanRevision",
    "RegisteredKey",
    "Relation",
    "RiskModel",
    "SamplingRule",
    "Trigger",
    "UnscheduledDemand",
    "Visit",
    "VisitOfficer",
    "VisitTask",
    "create_schema",
    "make_engine",
    "session_scope",
]
