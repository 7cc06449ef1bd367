"""Filing a plan (备案): draft → filed, issuing an inspection code for every visit and
off-site check, and superseding the previously filed revision.

Codes of an unchanged visit carry over: a code binds enterprise, date, departments,
officers and items, so a visit that a replan left as it was keeps its code (also after a
key rotation). A filed visit that changed loses its code — revoked, naming as replacement
the code of the new visit or off-site check that took over most of its demands.

Hard rules are checked by the planner's checker, which the caller passes in as ``check``
(``data`` may not import ``scheduler``); filing refuses a revision it finds violations in.
Everything happens in one transaction: a refused or failed filing leaves the database as
it was.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jointinspect.data.bindings import OFFSITE, VISIT, offsite_binding, visit_bindings
from jointinspect.data.plan_document import (
    PlanDocument,
    latest_revision,
    load_plan_document,
    to_contract,
)
from jointinspect.models import (
    InspectionCode,
    OffsiteCheck,
    PlanRevision,
    Visit,
    session_scope,
)
from jointinspect.models.codes import Binding, CodeKey, issue_code
from jointinspect.models.errors import JointInspectError

#: Given a session and a revision id, the hard-rule violations found, in words.
HardRuleCheck = Callable[[Session, int], Sequence[str]]
#: How many violations the refusal message names (the rest are counted).
SHOWN_VIOLATIONS = 5
#: Rows per ``IN (…)`` query.
_CHUNK = 500


class NothingToFileError(JointInspectError):
    """The latest revision of the plan is already filed: there is no draft to file."""


class UnchangedPlanError(JointInspectError):
    """The draft plans exactly what the filed revision already plans."""


class HardRuleViolationError(JointInspectError):
    """The draft breaks hard rules of contract §5 and cannot be filed."""


@dataclass(frozen=True)
class FilingResult:
    plan_id: str
    quarter: str
    revision: int
    revision_id: int
    filed_at: dt.datetime
    filed_by: str
    codes_issued: int
    codes_kept: int
    codes_revoked: int
    superseded_revision: int | None


@dataclass
class _Entry:
    """A visit or off-site check of the revision being filed."""

    kind: str
    row: Visit | OffsiteCheck
    binding: Binding
    code: str = ""


def file_plan(
    quarter: str,
    *,
    engine: Engine,
    key: CodeKey,
    filed_by: str,
    now: dt.datetime,
    check: HardRuleCheck,
) -> FilingResult:
    """File the latest draft of ``quarter``'s plan with codes made by ``key``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    with session_scope(engine) as session:
        draft = latest_revision(session=session, quarter=quarter)
        assert draft.id is not None
        if draft.status != "draft":
            raise NothingToFileError(
                f"revision {draft.revision} of {quarter} is already {draft.status}; "
                "there is no draft to file",
                hint=f"make a new draft with `jointinspect replan --quarter {quarter}`",
            )
        previous = _filed_revision(session, draft.plan_id)
        if (
            previous is not None
            and previous.id is not None
            and _content(load_plan_document(session=session, revision_id=draft.id))
            == _content(load_plan_document(session=session, revision_id=previous.id))
        ):
            raise UnchangedPlanError(
                f"revision {draft.revision} of {quarter} plans exactly what the filed "
                f"revision {previous.revision} does; nothing to file",
            )
        violations = list(check(session, draft.id))
        if violations:
            shown = "; ".join(violations[:SHOWN_VIOLATIONS])
            more = len(violations) - SHOWN_VIOLATIONS
            raise HardRuleViolationError(
                f"revision {draft.revision} of {quarter} breaks {len(violations)} hard "
                f"rule(s): {shown}" + (f" (and {more} more)" if more > 0 else ""),
                hint="fix the inputs and plan again; a plan that breaks hard rules is not filed",
            )
        stamp = now.astimezone(dt.UTC)
        entries = _entries(session, draft.id)
        old = _entries(session, previous.id) if previous is not None and previous.id else []
        issued, kept = _issue(session, entries, old, key=key, revision_id=draft.id, now=stamp)
        revoked = _revoke(session, entries, old, now=stamp)
        if previous is not None:
            previous.status = "superseded"
            session.add(previous)
        draft.status = "filed"
        draft.filed_at = stamp
        draft.filed_by = filed_by
        session.add(draft)
        session.flush()
        return FilingResult(
            plan_id=draft.plan_id,
            quarter=quarter,
            revision=draft.revision,
            revision_id=draft.id,
            filed_at=stamp,
            filed_by=filed_by,
            codes_issued=issued,
            codes_kept=kept,
            codes_revoked=revoked,
            superseded_revision=previous.revision if previous is not None else None,
        )


def _filed_revision(session: Session, plan_id: str) -> PlanRevision | None:
    return session.exec(
        select(PlanRevision)
        .where(PlanRevision.plan_id == plan_id, PlanRevision.status == "filed")
        .order_by(PlanRevision.revision.desc())  # type: ignore[attr-defined]
    ).first()


def _content(doc: PlanDocument) -> dict[str, Any]:
    """What a revision plans, without codes, numbering, timestamps or metrics."""
    bare = replace(
        doc,
        visits=tuple(replace(v, code=None) for v in doc.visits),
        offsite=tuple(replace(o, code=None) for o in doc.offsite),
    )
    data = to_contract(bare)
    return {k: data[k] for k in ("visits", "offsite", "unscheduled")}


def _entries(session: Session, revision_id: int) -> list[_Entry]:
    visits = list(
        session.exec(
            select(Visit).where(Visit.revision_id == revision_id).order_by(Visit.id)  # type: ignore[arg-type]
        )
    )
    bindings = visit_bindings(session=session, visits=visits)
    entries = [_Entry(VISIT, v, bindings[v.id], v.code or "") for v in visits if v.id]
    checks = session.exec(
        select(OffsiteCheck)
        .where(OffsiteCheck.revision_id == revision_id)
        .order_by(OffsiteCheck.id)  # type: ignore[arg-type]
    )
    entries += [_Entry(OFFSITE, c, offsite_binding(c), c.code or "") for c in checks]
    return entries


def _point(record: InspectionCode, entry: _Entry, revision_id: int) -> None:
    record.revision_id = revision_id
    record.visit_id = entry.row.id if entry.kind == VISIT else None
    record.offsite_id = entry.row.id if entry.kind == OFFSITE else None


def _issue(
    session: Session,
    entries: list[_Entry],
    old: list[_Entry],
    *,
    key: CodeKey,
    revision_id: int,
    now: dt.datetime,
) -> tuple[int, int]:
    """Give every entry its code; returns (new codes, codes carried over)."""
    carried = {e.binding.canonical(): e.code for e in old if e.code}
    carried_codes = set(carried.values())
    issued = kept = 0
    codes = [carried.get(e.binding.canonical()) or issue_code(e.binding, key) for e in entries]
    existing = _existing_codes(session, codes)
    for entry, code in zip(entries, codes, strict=True):
        record = existing.get(code)
        if record is None:
            record = InspectionCode(
                code=code, key_id=key.id, revision_id=revision_id, issued_at=now
            )
            issued += 1
        elif record.status == "valid" and code in carried_codes:
            kept += 1
        else:
            # The same visit planned again after a replan had moved it: its code comes back.
            record.status = "valid"
            record.replaced_by = None
            record.revoked_at = None
            issued += 1
        _point(record, entry, revision_id)
        session.add(record)
        entry.code = code
        entry.row.code = code
        session.add(entry.row)
    session.flush()
    return issued, kept


def _existing_codes(session: Session, codes: list[str]) -> dict[str, InspectionCode]:
    """The issued codes among ``codes``, read in chunks rather than one query each."""
    found: dict[str, InspectionCode] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), _CHUNK):
        part = unique[start : start + _CHUNK]
        stmt = select(InspectionCode).where(InspectionCode.code.in_(part))  # type: ignore[attr-defined]
        found.update((r.code, r) for r in session.exec(stmt))
    return found


def _revoke(session: Session, entries: list[_Entry], old: list[_Entry], *, now: dt.datetime) -> int:
    """Revoke the previous revision's codes that did not carry over, naming replacements."""
    live = {e.code for e in entries}
    by_demand = {d: e.code for e in entries for d in e.binding.demand_ids}
    revoked = 0
    for entry in old:
        if not entry.code or entry.code in live:
            continue
        record = session.get(InspectionCode, entry.code)
        if record is None or record.status != "valid":
            continue
        votes = Counter(by_demand[d] for d in entry.binding.demand_ids if d in by_demand)
        # Most shared demands wins; ties go to the smaller code so the choice is stable.
        best = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        record.status = "revoked"
        record.revoked_at = now
        record.replaced_by = best[0][0] if best else None
        session.add(record)
        revoked += 1
    return revoked
