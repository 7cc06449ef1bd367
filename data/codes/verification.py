"""Verifying an inspection code (``verify CODE``): what the enterprise sees when it scans.

The statuses and how they differ are described in ``jointinspect.models.codes``. Only an
authentic code on record gets details; a forged or unknown code gets none, so that
guessing codes reveals nothing about the plan.
"""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.codes.bindings import OFFSITE, VISIT, offsite_binding, visit_binding
from jointinspect.data.codes.keys import KeyRing
from jointinspect.models import (
    Department,
    Enterprise,
    InspectionCode,
    Inspector,
    Item,
    OffsiteCheck,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    Visit,
    VisitOfficer,
    VisitTask,
)
from jointinspect.models.codes import (
    Binding,
    MalformedCodeError,
    authenticating_key,
    binding_matches,
    parse_code,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.districts import District, district_of
from jointinspect.models.enums import RevisionStatus

VALID = "valid"
REVOKED = "revoked"
UNKNOWN = "unknown"
MALFORMED = "malformed"
FORGED = "forged"


@dataclass(frozen=True)
class Verification:
    """The answer to "is this code real?", with the check's details when it is."""

    status: str
    code: str
    message: str
    kind: str | None = None  # "visit" or "offsite"
    enterprise: dict[str, Any] | None = None
    date: dt.date | None = None
    departments: list[dict[str, str]] = field(default_factory=list)
    officers: list[dict[str, str]] = field(default_factory=list)
    items: list[dict[str, str]] = field(default_factory=list)
    plan_id: str | None = None
    revision: int | None = None
    replaced_by: str | None = None
    #: Set for a code on record under a key the key ring no longer holds.
    retired_key: str | None = None
    #: The district that issued the code (``{"code": "310120", "name": "奉贤区"}``), for a
    #: valid or revoked code of a city's district.
    district: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status == VALID

    def to_json(self) -> dict[str, Any]:
        """``{"status": …, …details…}`` as ``verify --json`` prints it."""
        data: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.kind is None:
            return data
        data.update(
            kind=self.kind,
            enterprise=self.enterprise,
            date=self.date.isoformat() if self.date else None,
            departments=self.departments,
            officers=self.officers,
            items=self.items,
            plan_id=self.plan_id,
            revision=self.revision,
        )
        if self.district is not None:
            data["district"] = self.district
        if self.status == REVOKED:
            data["replaced_by"] = self.replaced_by
        return data


def verify_code(code: str, *, engine: Engine, keys: KeyRing) -> Verification:
    """Check ``code`` against the keys and the database."""
    try:
        parsed = parse_code(code)
    except MalformedCodeError as exc:
        return Verification(MALFORMED, code.strip(), str(exc))
    shown = parsed.display
    here = district_of(engine)
    if parsed.district != (here.code if here else None):
        return Verification(UNKNOWN, shown, _elsewhere(parsed.district, here))
    key = authenticating_key(parsed, keys.keys)
    if key is None:
        retired = _retired_key(code=shown, engine=engine, keys=keys)
        if retired is not None:
            # The code is on record under a key the ring no longer holds: it cannot be
            # checked, which is not the same as forged.
            return Verification(
                UNKNOWN,
                shown,
                f"issued under retired key {retired}: this code cannot be checked any more; "
                "ask the department for the inspection's current code",
                retired_key=retired,
            )
        return Verification(FORGED, shown, "this code was not issued with the district's key")
    with engine.connect() as conn:
        record = conn.execute(_RECORD.where(_CODES.c.code == shown)).first()
        if record is None:
            return Verification(
                UNKNOWN,
                shown,
                "this code was issued with the district's key but is not in this database",
            )
        binding, details = _on_record(conn, record)
    if (
        binding is None
        or record.key_id != key.id
        or not binding_matches(parsed, binding, key, record.variant)
    ):
        return Verification(
            FORGED,
            shown,
            "the check on record no longer matches this code: it was changed after filing",
        )
    if record.status == VALID:
        message = "valid: this inspection is on the filed plan"
    else:
        message = "revoked: a later revision of the plan changed this inspection" + (
            f"; its replacement is {record.replaced_by}" if record.replaced_by else ""
        )
    return Verification(
        status=VALID if record.status == VALID else REVOKED,
        code=shown,
        message=message,
        replaced_by=record.replaced_by if record.status != VALID else None,
        district={"code": here.code, "name": here.name} if here else None,
        **details,
    )


def _elsewhere(named: str | None, here: District | None) -> str:
    """Why a code of another district (or of none) is not checked here."""
    if named is None:
        return (
            f"this code names no district, and this is district {here.label}'s database: "
            "it was not issued here"
            if here
            else "this code names no district"
        )
    where = f"district {here.label}'s database" if here else "a database of no named district"
    return f"this code names district {named}; this is {where}: verify it there"


def _retired_key(*, code: str, engine: Engine, keys: KeyRing) -> str | None:
    """The id of the key ``code`` is on record under, when the ring no longer holds it."""
    with engine.connect() as conn:
        key_id = conn.execute(select(_CODES.c.key_id).where(_CODES.c.code == code)).scalar()
    if key_id is None or keys.by_id(key_id) is not None:
        return None
    return str(key_id)


# Verification is the web service's hot path (benchmarks/bench_verify.py): a code is
# answered with three plain Core queries — the record with its revision and its visit or
# off-site check and enterprise, then the tasks and the officers with their names.
_CODES, _REVISIONS = table_of(InspectionCode), table_of(PlanRevision)
_VISITS, _CHECKS, _FIRMS = table_of(Visit), table_of(OffsiteCheck), table_of(Enterprise)
_TASKS, _OFFICERS = table_of(VisitTask), table_of(VisitOfficer)
_DEPARTMENTS, _ITEMS, _INSPECTORS = table_of(Department), table_of(Item), table_of(Inspector)


def _newest_holder(member: Table, column: str, pointer: Any) -> Any:
    """The newest filed (or superseded) revision that holds the code's row: a row a
    replan left unchanged is shared by the revisions that kept it, and its code with it."""
    held, revision = member.alias(), _REVISIONS.alias()
    return (
        select(func.max(held.c.revision_id))
        .join_from(held, revision, revision.c.id == held.c.revision_id)
        .where(held.c[column] == pointer, revision.c.status != RevisionStatus.DRAFT.value)
        .scalar_subquery()
    )


_HOLDER = func.coalesce(
    _newest_holder(table_of(RevisionVisit), "visit_id", _CODES.c.visit_id),
    _newest_holder(table_of(RevisionOffsite), "offsite_id", _CODES.c.offsite_id),
    _CODES.c.revision_id,
)
_RECORD = select(
    _CODES.c.key_id,
    _CODES.c.variant,
    _CODES.c.status,
    _CODES.c.replaced_by,
    _CODES.c.visit_id,
    _CODES.c.offsite_id,
    _REVISIONS.c.plan_id,
    _REVISIONS.c.revision,
    _VISITS.c.uscc.label("visit_uscc"),
    _VISITS.c.date.label("visit_date"),
    _CHECKS.c.uscc.label("check_uscc"),
    _CHECKS.c.due.label("check_due"),
    _CHECKS.c.department.label("check_department"),
    _CHECKS.c.item.label("check_item"),
    _CHECKS.c.demand_id.label("check_demand"),
    _FIRMS.c.name.label("firm_name"),
    _FIRMS.c.address.label("firm_address"),
).select_from(
    _CODES.outerjoin(_REVISIONS, _REVISIONS.c.id == _HOLDER)
    .outerjoin(_VISITS, _VISITS.c.id == _CODES.c.visit_id)
    .outerjoin(_CHECKS, _CHECKS.c.id == _CODES.c.offsite_id)
    .outerjoin(_FIRMS, _FIRMS.c.uscc == func.coalesce(_VISITS.c.uscc, _CHECKS.c.uscc))
)


def recorded_binding(conn: Connection, code: str) -> tuple[Binding, int] | None:
    """What the issued ``code`` is on record for: the binding its visit or off-site check
    has in the database, and the variant it was made with (None: not on record, or its
    check is gone)."""
    record = conn.execute(_RECORD.where(_CODES.c.code == code)).first()
    if record is None:
        return None
    binding, _details = _on_record(conn, record)
    return None if binding is None else (binding, record.variant)


def _on_record(conn: Connection, record: Any) -> tuple[Binding | None, dict[str, Any]]:
    """The binding the database holds for the code, and the details to show."""
    names: dict[str, str] = {}
    item_names: dict[str, str] = {}
    officers: list[dict[str, str]] = []
    if record.visit_id is not None:
        if record.visit_uscc is None:
            return None, {}
        tasks = conn.execute(
            select(
                _TASKS.c.department,
                _TASKS.c.item,
                _TASKS.c.demand_id,
                _DEPARTMENTS.c.name,
                _ITEMS.c.name,
            )
            .select_from(
                _TASKS.outerjoin(
                    _DEPARTMENTS, _DEPARTMENTS.c.code == _TASKS.c.department
                ).outerjoin(_ITEMS, _ITEMS.c.code == _TASKS.c.item)
            )
            .where(_TASKS.c.visit_id == record.visit_id)
        ).all()
        team = conn.execute(
            select(
                _OFFICERS.c.department,
                _OFFICERS.c.inspector_id,
                _INSPECTORS.c.name,
                _INSPECTORS.c.cert_no,
            )
            .select_from(
                _OFFICERS.outerjoin(_INSPECTORS, _INSPECTORS.c.id == _OFFICERS.c.inspector_id)
            )
            .where(_OFFICERS.c.visit_id == record.visit_id)
        ).all()
        team = sorted(team, key=lambda o: (o.department, o.inspector_id))
        binding = visit_binding(
            record.visit_uscc,
            record.visit_date,
            ((t.department, t.item, t.demand_id) for t in tasks),
            ((o.department, o.inspector_id) for o in team),
        )
        demand_items = sorted({(t.department, t.item) for t in tasks})
        for department, item, _demand, department_name, item_name in tasks:
            if department_name is not None:
                names[department] = department_name
            if item_name is not None:
                item_names[item] = item_name
        officers = [
            {
                "id": inspector_id,
                "department": department,
                "name": name if name is not None else inspector_id,
                "cert_no": cert_no if name is not None else "",
            }
            for department, inspector_id, name, cert_no in team
        ]
        kind = VISIT
    elif record.offsite_id is not None:
        if record.check_uscc is None:
            return None, {}
        binding = offsite_binding(
            record.check_uscc,
            record.check_due,
            record.check_department,
            record.check_item,
            record.check_demand,
        )
        demand_items = [(record.check_department, record.check_item)]
        names = _names(conn, _DEPARTMENTS, binding.departments)
        item_names = _names(conn, _ITEMS, binding.items)
        kind = OFFSITE
    else:
        return None, {}
    known = record.firm_name is not None
    details: dict[str, Any] = {
        "kind": kind,
        "enterprise": {
            "uscc": binding.uscc,
            "name": record.firm_name if known else None,
            "address": record.firm_address if known else None,
        },
        "date": binding.date,
        "departments": [{"code": d, "name": names.get(d, d)} for d in binding.departments],
        "officers": officers,
        "items": [
            {"code": i, "department": d, "name": item_names.get(i, i)} for d, i in demand_items
        ],
        "plan_id": record.plan_id,
        "revision": record.revision,
    }
    return binding, details


def verification_json(result: Verification) -> str:
    """The one JSON text of a verification, shared by ``verify --json`` and the web API."""
    return json.dumps(result.to_json(), ensure_ascii=False)


def _names(conn: Connection, table: Table, codes: Sequence[str]) -> dict[str, str]:
    """``{code: name}`` for the rows of ``table`` (departments or items) in ``codes``."""
    rows = conn.execute(
        select(table.c.code, table.c.name).where(table.c.code.in_(sorted(set(codes))))
    )
    return {code: name for code, name in rows}
