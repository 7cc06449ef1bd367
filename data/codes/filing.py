"""Filing a plan (备案): draft → filed, issuing an inspection code for every visit and
off-site check, and superseding the previously filed revision.

Codes of an unchanged visit carry over: a code binds enterprise, date, departments,
officers and items, so a visit that a replan left as it was keeps its code (also after a
key rotation); a replan's draft holds the filed revision's unchanged rows themselves
(``revision_visit``), codes and all, so only its other rows are compared and coded. A
filed visit that changed loses its code — revoked, naming as replacement the code of the
new visit or off-site check that took over most of its demands.

Hard rules are checked by the planner's checker, which the caller passes in as ``check``
(``data`` may not import ``scheduler``); filing refuses a revision it finds violations in.
Everything happens in one transaction: a refused or failed filing leaves the database as
it was.

At district scale (hundreds of thousands of codes) the work is done with bulk Core
statements on plain tuples — rows read once per revision, codes inserted and updated with
``executemany`` in batches — rather than ORM objects. These statements are the sanctioned
way past the ORM immutability guard (``models.immutability`` draws the boundary): they
write only the code columns of the draft being filed and the status of issued codes, and
the two revision rows change through the ORM, where the guard sees them.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from jointinspect.data.bulk_write import (
    execute_many,
    insert_tuples,
    large_page_cache,
    no_cyclic_gc,
)
from jointinspect.data.codes.bindings import (
    OFFSITE,
    VISIT,
    BindingFields,
    offsite_fields,
    visit_fields,
)
from jointinspect.data.codes.check_apart import HardRuleCheck, Verdict, check_apart
from jointinspect.data.codes.check_early import EarlyCheck
from jointinspect.data.codes.issue import codes_in_background, issue_codes
from jointinspect.data.codes.verification import recorded_binding
from jointinspect.data.plans.carry import CarriedIds
from jointinspect.data.plans.document import RevisionRows, latest_revision, read_revision_rows
from jointinspect.data.plans.references import check_code_references
from jointinspect.models import (
    InspectionCode,
    OffsiteCheck,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    Visit,
    session_scope,
)
from jointinspect.models.codes import Binding, CodeKey
from jointinspect.models.core_table import table_of
from jointinspect.models.errors import JointInspectError

__all__ = [
    "SHOWN_VIOLATIONS",
    "FilingResult",
    "HardRuleCheck",
    "HardRuleViolationError",
    "NothingToFileError",
    "UnchangedPlanError",
    "file_plan",
    "rows_read",
]

#: Where ``file_plan`` leaves the draft's rows in ``Session.info`` for its check.
_ROWS_READ = "jointinspect.filing.rows_read"
#: How many violations the refusal message names (the rest are counted).
SHOWN_VIOLATIONS = 5
#: Values per ``IN (…)`` query (below every driver's bound-parameter limit).
_CHUNK = 900
#: Rows per ``executemany`` batch.
_BATCH = 5000
#: Codes to look up above which the previous revision's are read whole rather than
#: asked for by name (a first filing or a plan refiled from scratch, not a replan).
_READ_WHOLE = 20_000


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


class _Entry(NamedTuple):
    """A visit or off-site check of a revision: its row id, binding fields and code (or "")."""

    kind: str
    row_id: int
    fields: BindingFields
    code: str

    @property
    def demand_ids(self) -> tuple[str, ...]:
        return self.fields[6]


def file_plan(
    quarter: str,
    *,
    engine: Engine,
    key: CodeKey,
    filed_by: str,
    now: dt.datetime,
    check: HardRuleCheck,
    filed_rows: tuple[int, RevisionRows] | None = None,
    draft_rows: tuple[int, RevisionRows] | None = None,
    carried: CarriedIds | None = None,
    check_apart_from: int | None = None,
    early_check: EarlyCheck | None = None,
    progress: Callable[[str], None] | None = None,
) -> FilingResult:
    """File the latest draft of ``quarter``'s plan with codes made by ``key``.

    ``filed_rows`` — (revision id, rows) of the filed revision, when the caller has read
    them already (a replan has): a filed revision never changes, so they are used instead
    of reading them again if it is still the filed one. ``draft_rows`` — likewise the
    rows ``store_draft`` wrote for the draft, used if it is the latest draft.
    ``carried`` — the rows the draft shares with the filed revision (``store_draft``'s,
    with ``draft_rows``): they keep their codes as they would anyway (same binding), so
    only the other rows are compared, issued and revoked one by one. The result is the
    same as without it. A replan of part of the district gives only its scope's rows
    as ``filed_rows`` and ``draft_rows``, and ``carried`` says how many rows outside the
    scope the draft shares (``CarriedIds.outside``).
    ``check_apart_from`` — a draft of at least this many visits and off-site checks is
    checked in a second process while it is filed (:mod:`check_apart`; ``check`` must
    pickle and read the draft through the session's database, not the session): the
    verdict is the same, and it comes before the filing commits. None: checked here.
    ``early_check`` — a process started for that check already (:mod:`check_early`).
    ``progress`` is told each step, in words.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    say = progress or _silent
    # Two revisions' rows, the rebuilt problem and the codes: millions of objects, no
    # reference cycles.
    with (
        no_cyclic_gc(),
        session_scope(engine) as session,
        large_page_cache(session.connection()),
        ExitStack() as stack,
    ):
        draft = latest_revision(session=session, quarter=quarter)
        assert draft.id is not None
        if draft.status != "draft":
            raise NothingToFileError(
                f"revision {draft.revision} of {quarter} is already {draft.status}; "
                "there is no draft to file",
                hint=f"make a new draft with `jointinspect replan --quarter {quarter}`",
            )
        conn = session.connection()
        apart: Verdict | None = None
        if check_apart_from is not None and _size(conn, draft.id) >= check_apart_from:
            say(f"checking revision {draft.revision} against the hard rules, in a second process")
            apart = stack.enter_context(check_apart(check, engine, draft.id, early_check))
        previous = _filed_revision(session, draft.plan_id)
        say(
            f"reading revision {draft.revision}"
            + (f" and the filed revision {previous.revision}" if previous is not None else "")
        )
        new = (
            draft_rows[1]
            if draft_rows is not None and draft_rows[0] == draft.id
            else read_revision_rows(conn, draft.id)
        )
        old = (
            None
            if previous is None or previous.id is None
            else filed_rows[1]
            if filed_rows is not None and filed_rows[0] == previous.id
            else read_revision_rows(conn, previous.id)
        )
        shared_rows = (
            carried
            if carried is not None
            and draft_rows is not None
            and draft_rows[0] == draft.id
            and previous is not None
            and previous.id == carried.revision_id
            and old is not None
            else None
        )
        outside = carried.outside if carried is not None else (0, 0)
        if outside != (0, 0) and shared_rows is None:
            # The rows given are the scope's alone: without the rest as shared rows they
            # are not the revisions'.
            raise RuntimeError(
                "a replan of part of the district must be filed with the rows it stored, "
                "against the revision it replanned"
            )
        if previous is not None and old is not None and _same_content(new, old, shared_rows):
            raise UnchangedPlanError(
                f"revision {draft.revision} of {quarter} plans exactly what the filed "
                f"revision {previous.revision} does; nothing to file",
            )
        session.info[_ROWS_READ] = (draft.id, new)
        say(
            f"{len(new.visits) + outside[0]:,} visits and {len(new.offsite) + outside[1]:,} "
            "off-site checks to file"
        )
        # What the draft does not share with the filed revision: compared, issued and
        # revoked one by one.
        rest_new, rest_old = new, old
        if shared_rows is not None and old is not None:
            rest_new = _without(new, shared_rows.visits, shared_rows.offsite)
            rest_old = _without(old, shared_rows.visits, shared_rows.offsite)
        entries = _entries(rest_new)
        old_entries = _entries(rest_old) if rest_old is not None else []
        carried_codes = {e.fields: e.code for e in old_entries if e.code}
        # With the check in a process of its own, the codes are made here: a third
        # process on two cores only shared them, and its start and the fields sent to it
        # cost 2.5 CPU seconds of a 650,000-enterprise district's filing (10.0–10.6 s
        # against 8.6–9.0 s, the multi profile).
        with codes_in_background(
            [e.fields for e in entries if e.fields not in carried_codes],
            key,
            background=apart is None,
        ) as fresh_codes:
            if apart is None:
                say(f"checking revision {draft.revision} against the hard rules")
                _refuse(draft.revision, quarter, check(session, draft.id))
            say("making the inspection codes")
            fresh = iter(fresh_codes())
        say("writing the codes")
        # Binding fields built from rows (``data.bindings``) are already in canonical
        # order, so they are compared as they are — no need to serialise them.
        is_fresh = [e.fields not in carried_codes for e in entries]
        codes = [carried_codes.get(e.fields) or next(fresh) for e in entries]
        stamp = now.astimezone(dt.UTC)
        # Shared rows keep their codes without a statement.
        shared = 0
        if shared_rows is not None:
            shared = _shared_codes(conn, shared_rows, draft.id)
        records = _records(
            conn,
            [*codes, *(e.code for e in old_entries if e.code)],
            previous.id if previous is not None else None,
        )
        variants = _own_codes(conn, entries, codes, is_fresh, records, key)
        issued, kept = _issue(
            conn,
            entries,
            codes,
            variants,
            old_entries,
            records,
            key=key,
            revision_id=draft.id,
            now=stamp,
        )
        revoked = _revoke(conn, entries, codes, old_entries, records, now=stamp)
        check_code_references(conn, draft.id)
        if previous is not None:
            previous.status = "superseded"
            session.add(previous)
        draft.status = "filed"
        draft.filed_at = stamp
        draft.filed_by = filed_by
        session.add(draft)
        session.flush()
        if apart is not None:
            # What the filing read and made is freed while the check runs, not after it: a
            # district's rows and codes took a third of a second to free.
            session.info.pop(_ROWS_READ, None)
            del new, old, rest_new, rest_old, entries, old_entries, carried_codes
            del codes, is_fresh, records, variants, fresh, fresh_codes
            say("waiting for the hard-rule check")
            # Nothing is committed before the verdict: a refusal rolls all of it back.
            found = apart()
            if found is None:  # the check's process gave none: the check runs here
                found = list(check(session, draft.id))
            _refuse(draft.revision, quarter, found)
        return FilingResult(
            plan_id=draft.plan_id,
            quarter=quarter,
            revision=draft.revision,
            revision_id=draft.id,
            filed_at=stamp,
            filed_by=filed_by,
            codes_issued=issued,
            codes_kept=kept + shared,
            codes_revoked=revoked,
            superseded_revision=previous.revision if previous is not None else None,
        )


def _silent(_message: str) -> None:
    pass


def _refuse(revision: int, quarter: str, violations: Sequence[str]) -> None:
    """Refuse the filing when the hard-rule check found ``violations``."""
    if violations:
        shown = "; ".join(violations[:SHOWN_VIOLATIONS])
        more = len(violations) - SHOWN_VIOLATIONS
        raise HardRuleViolationError(
            f"revision {revision} of {quarter} breaks {len(violations)} hard "
            f"rule(s): {shown}" + (f" (and {more} more)" if more > 0 else ""),
            hint="fix the inputs and plan again; a plan that breaks hard rules is not filed",
        )


def _size(conn: Connection, revision_id: int) -> int:
    """How many visits and off-site checks ``revision_id`` holds (two key range counts)."""
    total = 0
    for model in (RevisionVisit, RevisionOffsite):
        table = table_of(model)
        total += int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.revision_id == revision_id)
            ).scalar_one()
        )
    return total


def rows_read(session: Session, revision_id: int) -> RevisionRows | None:
    """The rows of ``revision_id`` when the filing that runs a check in ``session`` has
    read them already (a check reads them again otherwise)."""
    found = session.info.get(_ROWS_READ)
    if found is None or found[0] != revision_id:
        return None
    rows: RevisionRows = found[1]
    return rows


def _filed_revision(session: Session, plan_id: str) -> PlanRevision | None:
    return session.exec(
        orm_select(PlanRevision)
        .where(PlanRevision.plan_id == plan_id, PlanRevision.status == "filed")
        .order_by(col(PlanRevision.revision).desc())
    ).first()


def _same_content(new: RevisionRows, old: RevisionRows, carried: CarriedIds | None) -> bool:
    """Whether two revisions plan the same (:func:`_content`); revisions with different
    numbers of visits, checks or unscheduled demands (most replans) are told apart
    without building and sorting their contents, and so is a draft with a row that was
    not carried over from ``old`` (``carried``: its rows that were)."""
    sizes = (len(new.visits), len(new.offsite), len(new.unscheduled))
    if sizes != (len(old.visits), len(old.offsite), len(old.unscheduled)):
        return False
    if carried is not None and (len(carried.visits), len(carried.offsite)) != sizes[:2]:
        return False
    return _content(new) == _content(old)


def _without(rows: RevisionRows, visits: Iterable[int], offsite: Iterable[int]) -> RevisionRows:
    """``rows`` less the visits and checks with the given ids."""
    skip_visits, skip_offsite = set(visits), set(offsite)
    return RevisionRows(
        [v for v in rows.visits if v.id not in skip_visits],
        rows.tasks,
        rows.officers,
        [c for c in rows.offsite if c.id not in skip_offsite],
        rows.unscheduled,
    )


def _shared_codes(conn: Connection, shared: CarriedIds, draft_id: int) -> int:
    """How many codes the rows the draft shares with the filed revision keep: one valid
    code each, as filing left them. Anything else means the database is not as the draft
    was made from, and the filing stops (rolled back)."""
    table = table_of(InspectionCode)
    kept = 0
    for pointer, member, column, rows, ids, outside in (
        (table.c.visit_id, RevisionVisit, "visit_id", Visit, shared.visits, shared.outside[0]),
        (
            table.c.offsite_id,
            RevisionOffsite,
            "offsite_id",
            OffsiteCheck,
            shared.offsite,
            shared.outside[1],
        ),
    ):
        held, written = table_of(member).c, table_of(rows).c
        found = conn.execute(
            select(func.count())
            .select_from(table_of(member))
            .join(table, pointer == held[column])
            .join(table_of(rows), written.id == held[column])
            .where(
                held.revision_id == draft_id,
                written.revision_id != draft_id,
                table.c.status == "valid",
            )
        ).scalar_one()
        if found != len(ids) + outside:
            raise RuntimeError(
                f"{len(ids) + outside} carried rows should have valid codes of the filed "
                f"revision, {found} have"
            )
        kept += found
    return kept


def _content(rows: RevisionRows) -> tuple[list[Any], list[Any], list[Any]]:
    """What a revision plans, without codes, ids, numbering, timestamps or metrics: every
    visit (with its sorted tasks and officers), off-site check and unscheduled demand as a
    tuple, each list sorted, so two revisions plan the same exactly when these are equal."""
    visits = sorted(
        (
            v.uscc,
            v.date,
            v.town,
            v.mode,
            v.order,
            tuple(sorted(rows.tasks[v.id])),
            tuple(sorted(rows.officers[v.id])),
        )
        for v in rows.visits
    )
    offsite = sorted(
        (o.uscc, o.department, o.item, o.demand_id, o.source, o.due) for o in rows.offsite
    )
    unscheduled = sorted(
        (u.demand_id, u.uscc, u.department, u.item, u.source, u.reason, u.detail)
        for u in rows.unscheduled
    )
    return visits, offsite, unscheduled


def _entries(rows: RevisionRows) -> list[_Entry]:
    """The revision's visits, then its off-site checks, each in id order."""
    entries = [
        _Entry(
            VISIT,
            v.id,
            visit_fields(
                v.uscc,
                v.date,
                ((t.department, t.item, t.demand_id) for t in rows.tasks[v.id]),
                ((o.department, o.id) for o in rows.officers[v.id]),
            ),
            v.code or "",
        )
        for v in rows.visits
    ]
    entries += [
        _Entry(
            OFFSITE,
            c.id,
            offsite_fields(c.uscc, c.due, c.department, c.item, c.demand_id),
            c.code or "",
        )
        for c in rows.offsite
    ]
    return entries


def _records(conn: Connection, codes: Iterable[str], previous_id: int | None) -> dict[str, str]:
    """The issued codes among ``codes``. Where they are many (a plan refiled from
    scratch), the codes of the previous revision's rows come in one query per kind;
    the rest, or all of a few, are read in chunks."""
    table = table_of(InspectionCode)
    wanted = set(codes)
    found: dict[str, str] = {}
    if previous_id is not None and len(wanted) > _READ_WHOLE:
        for pointer, member, column in (
            (table.c.visit_id, table_of(RevisionVisit), "visit_id"),
            (table.c.offsite_id, table_of(RevisionOffsite), "offsite_id"),
        ):
            stmt = (
                select(table.c.code, table.c.status)
                .join_from(member, table, pointer == member.c[column])
                .where(member.c.revision_id == previous_id)
            )
            found.update((code, status) for code, status in conn.execute(stmt) if code in wanted)
    unique = sorted(wanted - found.keys())
    statements: dict[int, Any] = {}
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        # One statement per chunk size, compiled once and run on the driver: compiling
        # an IN of hundreds of values cost more than the lookups (a first filing has
        # hundreds of thousands of codes to look up).
        if len(chunk) not in statements:
            names: list[Any] = [bindparam(f"c{i}") for i in range(len(chunk))]
            query = select(table.c.code, table.c.status).where(table.c.code.in_(names))
            statements[len(chunk)] = query.compile(dialect=conn.dialect)
        compiled = statements[len(chunk)]
        params: Any = (
            tuple(chunk) if compiled.positional else {f"c{i}": c for i, c in enumerate(chunk)}
        )
        found.update(
            (code, status) for code, status in conn.exec_driver_sql(compiled.string, params)
        )
    return found


#: Variants tried for one check before filing gives up: each is needed only when the
#: one before names another check's code too (among a district's 300,000 codes, about one
#: chance in three million).
MAX_VARIANT = 64


def _own_codes(
    conn: Connection,
    entries: list[_Entry],
    codes: list[str],
    fresh: list[bool],
    records: dict[str, str],
    key: CodeKey,
) -> list[int]:
    """Give every fresh entry a code no other check holds, and return each entry's
    variant (``models.codes``). ``codes`` and ``records`` are brought up to date in place.

    A fresh code is its entry's own when neither another entry of this filing holds it
    (a carried code, or a fresh one earlier in entry order) nor the database holds it
    for another binding; one the database holds for the same binding and variant is the
    same check planned again, whose code comes back. Otherwise the next variant is tried.
    Without this, two checks whose bindings share their 40 bits got one code: the filing
    failed on the codes' key, or a replan's new check took over an old check's code."""
    variants = [0] * len(entries)
    holder = {code: e.fields for e, code, new in zip(entries, codes, fresh, strict=True) if not new}
    for i, entry in enumerate(entries):
        if not fresh[i]:
            continue
        code, variant = codes[i], 0
        while not _own_code(conn, code, entry.fields, variant, holder, records):
            variant += 1
            if variant > MAX_VARIANT:
                raise RuntimeError(f"no code of {MAX_VARIANT} variants is free for {entry}")
            code = issue_codes([entry.fields], key, variant)[0]
            records.update(_records(conn, [code], None))
        holder[code] = entry.fields
        codes[i], variants[i] = code, variant
    return variants


def _own_code(
    conn: Connection,
    code: str,
    fields: BindingFields,
    variant: int,
    holder: dict[str, BindingFields],
    records: dict[str, str],
) -> bool:
    if code in holder:
        return holder[code] == fields
    if code not in records:
        return True
    return recorded_binding(conn, code) == (Binding(*fields), variant)


def _issue(
    conn: Connection,
    entries: list[_Entry],
    codes: list[str],
    variants: list[int],
    old: list[_Entry],
    records: dict[str, str],
    *,
    key: CodeKey,
    revision_id: int,
    now: dt.datetime,
) -> tuple[int, int]:
    """Record every entry's code and write it on the entry's row; returns (new codes,
    codes carried over)."""
    carried_codes = {e.code for e in old if e.code}
    issued = kept = 0
    # New codes as tuples of (code, variant, visit_id, offsite_id): a first filing issues
    # hundreds of thousands.
    fresh: list[tuple[str, Any, int | None, int | None]] = []
    moved: list[dict[str, Any]] = []  # carried over: only the pointers change
    revived: list[dict[str, Any]] = []  # planned again after a replan had moved it
    for entry, code, variant in zip(entries, codes, variants, strict=True):
        visit_id = entry.row_id if entry.kind == VISIT else None
        offsite_id = entry.row_id if entry.kind == OFFSITE else None
        status = records.get(code)
        if status is None:
            fresh.append((code, variant, visit_id, offsite_id))
            issued += 1
            continue
        pointers = {"revision_id": revision_id, "visit_id": visit_id, "offsite_id": offsite_id}
        if status == "valid" and code in carried_codes:
            moved.append({"b_code": code, **pointers})
            kept += 1
        else:
            # The same visit planned again after a replan had moved it: its code comes back.
            revived.append({"b_code": code, **pointers})
            issued += 1
    table = table_of(InspectionCode)
    # What every new code shares is given once; the status too, so that no column default
    # sends the rows through SQLAlchemy one by one.
    insert_tuples(
        conn,
        table,
        ("code", "variant", "visit_id", "offsite_id"),
        fresh,
        revision_id=revision_id,
        key_id=key.id,
        issued_at=now,
        status="valid",
    )
    repoint = update(table).where(table.c.code == bindparam("b_code"))
    _executemany(conn, repoint, moved)
    _executemany(conn, repoint.values(status="valid", replaced_by=None, revoked_at=None), revived)
    # Every entry's code now points at its row: each row takes its code in one statement
    # per table (UPDATE … FROM), not one statement per row.
    for pointer, model in ((table.c.visit_id, Visit), (table.c.offsite_id, OffsiteCheck)):
        rows = table_of(model)
        conn.execute(
            update(rows)
            .values(code=table.c.code)
            .where(pointer == rows.c.id, table.c.revision_id == revision_id)
        )
    return issued, kept


def _revoke(
    conn: Connection,
    entries: list[_Entry],
    codes: list[str],
    old: list[_Entry],
    records: dict[str, str],
    *,
    now: dt.datetime,
) -> int:
    """Revoke the previous revision's codes that did not carry over, naming replacements."""
    live = set(codes)
    by_demand = {d: code for e, code in zip(entries, codes, strict=True) for d in e.demand_ids}
    revocations: list[dict[str, Any]] = []
    for entry in old:
        if not entry.code or entry.code in live:
            continue
        live.add(entry.code)  # revoked once, even if two old rows shared the code
        if records.get(entry.code) != "valid":
            continue
        votes = Counter(by_demand[d] for d in entry.demand_ids if d in by_demand)
        # Most shared demands wins; ties go to the smaller code so the choice is stable.
        best = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        revocations.append({"b_code": entry.code, "replaced_by": best[0][0] if best else None})
    table = table_of(InspectionCode)
    _executemany(
        conn,
        update(table)
        .where(table.c.code == bindparam("b_code"))
        .values(status="revoked", revoked_at=now),
        revocations,
    )
    return len(revocations)


def _executemany(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        execute_many(conn, stmt, rows[start : start + _BATCH])
