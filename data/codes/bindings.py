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


#: A binding's fields in ``Binding`` order, as a plain tuple: cheap to make, hash and
#: compare for the hundreds of thousands of visits and checks a filing handles.
BindingFields = tuple[
    str,
    str,
    dt.date,
    tuple[str, ...],
    tuple[tuple[str, str], ...],
    tuple[str, ...],
    tuple[str, ...],
]


def visit_fields(
    uscc: str,
    date: dt.date,
    tasks: Iterable[tuple[str, str, str]],
    officers: Iterable[tuple[str, str]],
) -> BindingFields:
    """A visit's binding fields from its tasks ``(department, item, demand id)`` and its
    officers ``(department, inspector id)``, in any order."""
    task_list = list(tasks)
    return (
        VISIT,
        uscc,
        date,
        tuple(sorted({d for d, _i, _demand in task_list})),
        tuple(sorted(officers)),
        tuple(sorted({i for _d, i, _demand in task_list})),
        tuple(sorted(demand for _d, _i, demand in task_list)),
    )


def offsite_fields(
    uscc: str, due: dt.date, department: str, item: str, demand_id: str
) -> BindingFields:
    """An off-site check's binding fields."""
    return (OFFSITE, uscc, due, (department,), (), (item,), (demand_id,))


def visit_binding(
    uscc: str,
    date: dt.date,
    tasks: Iterable[tuple[str, str, str]],
    officers: Iterable[tuple[str, str]],
) -> Binding:
    """A visit's binding (see ``visit_fields``)."""
    return Binding(*visit_fields(uscc, date, tasks, officers))


def offsite_binding(uscc: str, due: dt.date, department: str, item: str, demand_id: str) -> Binding:
    """An off-site check's binding."""
    return Binding(*offsite_fields(uscc, due, department, item, demand_id))
