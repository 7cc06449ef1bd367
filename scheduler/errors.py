"""The scheduler's exceptions: one class per condition the coordinator can act on."""

from jointinspect.models.errors import JointInspectError


class SchedulerError(JointInspectError):
    """Planning could not produce a plan."""


class UnplaceableDemand(SchedulerError):
    """A complaint, accident or referral demand cannot be placed (spec §5 rule 8)."""

    def __init__(self, demand_id: str, why: str) -> None:
        super().__init__(
            f"demand {demand_id} cannot be placed and must not be dropped: {why}",
            hint="free officers of that department in the window (availability, "
            "certificates, 回避) or lower their other work, then plan again",
        )
        self.demand_id = demand_id
        self.why = why


class InvalidParams(SchedulerError):
    """Scheduler parameters are out of range or unknown."""


class UnknownReference(SchedulerError):
    """A demand names an item or enterprise the problem does not hold."""
