"""Small hand-built grading inputs for the grading tests: a few enterprises, a few events."""

import datetime as dt
from dataclasses import dataclass, field, replace

from jointinspect.risk.config import GradingConfig, load_config
from jointinspect.risk.grade import GradingResult, grade
from jointinspect.risk.inputs import (
    CreditEventColumns,
    EnterpriseColumns,
    GradingInputs,
    IndustryRecordColumns,
    InspectionColumns,
    RelationColumns,
    TriggerColumns,
    build_inputs,
)

AS_OF = dt.date(2025, 6, 30)
SOFTWARE = "6511"
KTV = "8911"
CATERING = "6210"


@dataclass(frozen=True)
class World:
    enterprises: tuple[tuple[str, str, bool], ...] = ()
    credit: tuple[tuple[str, str, dt.date, int | None], ...] = ()
    records: tuple[tuple[str, str, str, float, dt.date], ...] = ()
    inspections: tuple[tuple[str, dt.date, str], ...] = ()
    triggers: tuple[tuple[str, str, dt.date, int | None], ...] = ()
    relations: tuple[tuple[str, str, str], ...] = ()
    config: GradingConfig = field(default_factory=load_config)

    def firm(self, uscc: str, industry: str = SOFTWARE, active: bool = True) -> "World":
        return replace(self, enterprises=(*self.enterprises, (uscc, industry, active)))

    def event(self, uscc: str, kind: str, date: dt.date, severity: int | None = None) -> "World":
        return replace(self, credit=(*self.credit, (uscc, kind, date, severity)))

    def record(self, uscc: str, dept: str, indicator: str, value: float, date: dt.date) -> "World":
        return replace(self, records=(*self.records, (uscc, dept, indicator, value, date)))

    def inspected(self, uscc: str, date: dt.date, result: str) -> "World":
        return replace(self, inspections=(*self.inspections, (uscc, date, result)))

    def trigger(self, uscc: str, kind: str, date: dt.date, severity: int | None = None) -> "World":
        return replace(self, triggers=(*self.triggers, (uscc, kind, date, severity)))

    def related(self, a: str, b: str, kind: str) -> "World":
        return replace(self, relations=(*self.relations, (a, b, kind)))

    def inputs(self, as_of: dt.date = AS_OF) -> GradingInputs:
        def cols(rows: tuple[tuple[object, ...], ...], width: int) -> list[list[object]]:
            return [[r[k] for r in rows] for k in range(width)]

        return build_inputs(
            as_of=as_of,
            enterprises=EnterpriseColumns(*cols(self.enterprises, 3)),
            credit_events=CreditEventColumns(*cols(self.credit, 4)),
            industry_records=IndustryRecordColumns(*cols(self.records, 5)),
            inspections=InspectionColumns(*cols(self.inspections, 3)),
            triggers=TriggerColumns(*cols(self.triggers, 4)),
            relations=RelationColumns(*cols(self.relations, 3)),
        )

    def grade(self, as_of: dt.date = AS_OF) -> GradingResult:
        return grade(self.inputs(as_of), self.config)

    def scores(self, uscc: str, as_of: dt.date = AS_OF) -> tuple[float, float, str]:
        """(credit, risk, grade) of one enterprise."""
        result = self.grade(as_of)
        i = result.inputs.index_of(uscc)
        return float(result.credit[i]), float(result.risk[i]), result.letter(i)


def days_before(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)
