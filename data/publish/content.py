"""What a public disclosure (公示) holds: plain values, all of them public.

A disclosure shows the 双随机 part of a filed plan — the items sampled, by which
departments, at which ratio per credit-risk grade, how many enterprises each grade gave —
the seed and how to redo the draw, and, once outcomes are in, the result of each random
check. No type here has a field for an officer, an inspection code, a demand or trigger
id, a complaint, a score or one enterprise's grade.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

#: The credit-risk grades in the order a disclosure lists them.
GRADES = ("A", "B", "C", "D")


class DrawSource(StrEnum):
    """Where the per-grade figures of the draw come from."""

    #: Stored with the revision when the plan was drawn (``metrics["draw"]``).
    RECORDED = "recorded"
    #: Redone from the database now; it gives exactly the plan's drawn enterprises.
    REDONE = "redone"
    #: Neither: grades or rules changed since the draw, so only per-item counts are known.
    UNAVAILABLE = "unavailable"


class Placement(StrEnum):
    """What the plan made of one drawn check."""

    ONSITE = "onsite"
    OFFSITE = "offsite"
    UNSCHEDULED = "unscheduled"


@dataclass(frozen=True, order=True, slots=True)
class DrawFigure:
    """One sampling rule as the draw applied it: N in the population, k drawn."""

    department: str
    item: str
    grade: str
    ratio: str  # exact decimal text, as the rule holds it
    population: int
    drawn: int


@dataclass(frozen=True, slots=True)
class DepartmentLine:
    code: str
    name: str
    items: int
    drawn: int
    planned: int  # drawn checks the plan placed (on-site or off-site)


@dataclass(frozen=True, slots=True)
class ItemLine:
    department: str
    department_name: str
    item: str
    item_name: str
    mode: str  # the item's mode: onsite, offsite or either
    ratios: tuple[tuple[str, str], ...]  # (grade, ratio) of the item's sampling rules
    figures: tuple[DrawFigure, ...]  # per grade; empty when the source is unavailable
    drawn: int  # enterprises drawn for the item in the filed plan
    onsite: int
    offsite: int
    unscheduled: int


@dataclass(frozen=True, slots=True)
class ResultLine:
    """The result of one random check, as an outcome recorded it."""

    enterprise: str
    uscc: str
    department: str
    department_name: str
    item: str
    item_name: str
    mode: str  # onsite or offsite: how the check was done
    date: dt.date
    result: str  # compliant, minor, violation or not_done


@dataclass(frozen=True, slots=True)
class SpecialApproval:
    """A 专项检查 plan's approval: its reference (批准文号) and date."""

    reference: str
    approved_on: dt.date


@dataclass(frozen=True)
class Disclosure:
    """Everything one publication shows."""

    plan_id: str
    quarter: str
    revision: int
    filed_on: dt.date
    seed: str
    published_on: dt.date
    draw_source: DrawSource
    departments: tuple[DepartmentLine, ...]
    items: tuple[ItemLine, ...]
    results: tuple[ResultLine, ...]
    special: SpecialApproval | None = None

    @property
    def drawn(self) -> int:
        return sum(line.drawn for line in self.items)

    @property
    def planned(self) -> int:
        return sum(line.onsite + line.offsite for line in self.items)


def ratio_percent(ratio: str) -> str:
    """A rule's ratio as a percentage, exactly: ``0.07`` → ``7%``, ``0.025`` → ``2.5%``."""
    value = Decimal(ratio) * 100
    text = format(value.normalize(), "f")
    return f"{text}%"


def result_counts(results: tuple[ResultLine, ...]) -> dict[str, int]:
    """How many random checks ended in each result."""
    counts: dict[str, int] = {}
    for line in results:
        counts[line.result] = counts.get(line.result, 0) + 1
    return counts
