"""What an inspection code binds, from the planning tables' columns: the enterprise, date,
departments, officers, items and demands of one visit or one off-site check.

Filing (issuing codes) and verification (recomputing a code's binding) both build bindings
here, so the two can never disagree on what a code is bound to.
"""

import datetime as dt
from collections.abc import Iterable

from jointinspect.models.codes import Binding

VISIT = "visit"
OFFSITE = "offsite"


def visit_binding(
    uscc: str,
    date: dt.date,
    tasks: Iterable[tuple[str, str, str]],
    officers: Iterable[tuple[str, str]],
) -> Binding:
    """A visit's binding from its tasks ``(department, item, demand id)`` and its officers
    ``(department, inspector id)``, in any order."""
    task_list = list(tasks)
    return Binding(
        kind=VISIT,
        uscc=uscc,
        date=date,
        departments=tuple(sorted({d for d, _i, _demand in task_list})),
        officers=tuple(sorted(officers)),
        items=tuple(sorted({i for _d, i, _demand in task_list})),
        demand_ids=tuple(sorted(demand for _d, _i, demand in task_list)),
    )


def offsite_binding(uscc: str, due: dt.date, department: str, item: str, demand_id: str) -> Binding:
    """An off-site check's binding."""
    return Binding(
        kind=OFFSITE,
        uscc=uscc,
        date=due,
        departments=(department,),
        officers=(),
        items=(item,),
        demand_ids=(demand_id,),
    )
