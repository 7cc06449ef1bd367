"""Which filed visits a replan may touch: history, pinned and free days.

Visits before the replan's date are history (they happened, or were due to). Filed visits
on the first ``pin_working_days`` working days from that date are pinned: enterprises and
officers are preparing for them, so they stay as filed unless they became infeasible. The
rest of the quarter is free to change, at a price (:mod:`change_cost`).
"""

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class DayStatus(StrEnum):
    HISTORY = "history"
    PINNED = "pinned"
    FREE = "free"


@dataclass(frozen=True, slots=True)
class PinWindow:
    as_of: dt.date
    #: Index of the first working day on or after ``as_of`` (len(workdays) when none).
    first_open: int
    #: Index of the first working day after the pinned ones.
    first_free: int
    #: The last pinned working day (None when nothing is pinned).
    pinned_until: dt.date | None

    def status(self, day_index: int) -> DayStatus:
        if day_index < self.first_open:
            return DayStatus.HISTORY
        if day_index < self.first_free:
            return DayStatus.PINNED
        return DayStatus.FREE


def pin_window(workdays: Sequence[dt.date], as_of: dt.date, pin_working_days: int) -> PinWindow:
    """History before ``as_of``; the next ``pin_working_days`` working days are pinned."""
    if pin_working_days < 0:
        raise ValueError("pin_working_days must be ≥ 0")
    first_open = bisect.bisect_left(workdays, as_of)
    first_free = min(len(workdays), first_open + pin_working_days)
    until = workdays[first_free - 1] if first_free > first_open else None
    return PinWindow(as_of, first_open, first_free, until)
