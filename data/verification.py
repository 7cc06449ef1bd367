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

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jointinspect.data.bindings import OFFSITE, VISIT, offsite_binding, visit_bindings
from jointinspect.data.keys import KeyRing
from jointinspect.models import (
    Department,
    Enterprise,
    InspectionCode,
    Inspector,
    Item,
    OffsiteCheck,
    PlanRevision,
    Visit,
    VisitTask,
    session_scope,
)
from jointinspect.models.codes import (
    Binding,
    MalformedCodeError,
    authenticating_key,
    binding_matches,
    parse_code,
)

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
    key = authenticating_key(parsed, keys.keys)
    if key is None:
        return Verification(FORGED, shown, "this code was not issued with the district's key")
    with session_scope(engine) as session:
        record = session.get(InspectionCode, shown)
        if record is None:
            return Verification(
                UNKNOWN,
                shown,
                "this code was issued with the district's key but is not in this database",
            )
        binding, details = _on_record(session, record)
        if binding is None or record.key_id != key.id or not binding_matches(parsed, binding, key):
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
            **details,
        )


def _on_record(session: Session, record: InspectionCode) -> tuple[Binding | None, dict[str, Any]]:
    """The binding the database holds for the code, and the details to show."""
    binding: Binding | None = None
    demand_items: list[tuple[str, str]] = []
    if record.visit_id is not None:
        visit = session.get(Visit, record.visit_id)
        if visit is None:
            return None, {}
        binding = visit_bindings(session=session, visits=[visit])[record.visit_id]
        tasks = session.exec(select(VisitTask).where(VisitTask.visit_id == record.visit_id))
        demand_items = sorted({(t.department, t.item) for t in tasks})
        kind = VISIT
    elif record.offsite_id is not None:
        check = session.get(OffsiteCheck, record.offsite_id)
        if check is None:
            return None, {}
        binding = offsite_binding(check)
        demand_items = [(check.department, check.item)]
        kind = OFFSITE
    else:
        return None, {}
    enterprise = session.get(Enterprise, binding.uscc)
    revision = session.get(PlanRevision, record.revision_id)
    # One query per table rather than one per row: verification is the web service's hot
    # path (benchmarks/bench_verify.py).
    departments = _names(session, Department, Department.code, binding.departments)
    items = _names(session, Item, Item.code, [i for _d, i in demand_items])
    officer_ids = sorted({i for _d, i in binding.officers})
    officers = {
        row.id: row
        for row in session.exec(select(Inspector).where(col(Inspector.id).in_(officer_ids)))
    }
    details: dict[str, Any] = {
        "kind": kind,
        "enterprise": {
            "uscc": binding.uscc,
            "name": enterprise.name if enterprise else None,
            "address": enterprise.address if enterprise else None,
        },
        "date": binding.date,
        "departments": [{"code": d, "name": departments.get(d, d)} for d in binding.departments],
        "officers": [_officer(officers.get(i), d, i) for d, i in binding.officers],
        "items": [{"code": i, "department": d, "name": items.get(i, i)} for d, i in demand_items],
        "plan_id": revision.plan_id if revision else None,
        "revision": revision.revision if revision else None,
    }
    return binding, details


def _officer(row: Inspector | None, department: str, inspector_id: str) -> dict[str, str]:
    """An officer as the enterprise checks them at the door: name and 执法证号."""
    return {
        "id": inspector_id,
        "department": department,
        "name": row.name if row else inspector_id,
        "cert_no": row.cert_no if row else "",
    }


def verification_json(result: Verification) -> str:
    """The one JSON text of a verification, shared by ``verify --json`` and the web API."""
    return json.dumps(result.to_json(), ensure_ascii=False)


def _names(
    session: Session,
    table: type[Department] | type[Item],
    key: Any,
    codes: Sequence[str],
) -> dict[str, str]:
    """``{code: name}`` for the rows of ``table`` whose ``key`` column is in ``codes``."""
    if not codes:
        return {}
    rows = session.exec(select(key, table.name).where(col(key).in_(sorted(set(codes)))))
    return {code: name for code, name in rows}
