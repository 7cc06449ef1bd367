"""The names and addresses exports show next to the plan's codes and ids: enterprises,
departments, items and officers, read once for one plan document."""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from jointinspect.data.plans.document import PlanDocument
from jointinspect.models import Department, Enterprise, Inspector, Item


@dataclass(frozen=True)
class Names:
    """Lookups for one document; a missing name falls back to the id."""

    enterprises: dict[str, tuple[str, str]] = field(default_factory=dict)  # uscc → (name, address)
    departments: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    officers: dict[str, str] = field(default_factory=dict)

    def enterprise(self, uscc: str) -> str:
        return self.enterprises.get(uscc, (uscc, ""))[0]

    def address(self, uscc: str) -> str:
        return self.enterprises.get(uscc, ("", ""))[1]

    def department(self, code: str) -> str:
        return self.departments.get(code, code)

    def item(self, code: str) -> str:
        return self.items.get(code, code)

    def officer(self, officer_id: str) -> str:
        return self.officers.get(officer_id, officer_id)


def load_names(*, session: Session, doc: PlanDocument) -> Names:
    usccs = sorted(
        {v.uscc for v in doc.visits}
        | {o.uscc for o in doc.offsite}
        | {u.uscc for u in doc.unscheduled}
    )
    enterprises: dict[str, tuple[str, str]] = {}
    chunk = 500
    for start in range(0, len(usccs), chunk):
        part = usccs[start : start + chunk]
        for e in session.exec(select(Enterprise).where(Enterprise.uscc.in_(part))):  # type: ignore[attr-defined]
            enterprises[e.uscc] = (e.name, e.address or "")
    return Names(
        enterprises=enterprises,
        departments={d.code: d.name for d in session.exec(select(Department))},
        items={i.code: i.name for i in session.exec(select(Item))},
        officers={i.id: i.name for i in session.exec(select(Inspector))},
    )
