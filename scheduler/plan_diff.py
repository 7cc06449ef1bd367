"""What a replan changed against the filed plan, per visit, with reasons in words.

A filed visit is matched to the new visit that grew out of it (the replan records the
provenance); it is then unchanged, moved (another day), re-staffed (other officers, same
day), re-tasked (other tasks, same day and officers) or cancelled (nothing grew out of
it). A new visit with no filed origin is added. Off-site checks and unscheduled demands
are compared by demand id. The result is plain JSON, stored with the revision.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jointinspect.models.plan_result import PlanResult, VisitResult
from jointinspect.scheduler.pinning import PinWindow

KINDS = ("added", "moved", "restaffed", "retasked", "cancelled")


@dataclass(frozen=True, slots=True)
class Provenance:
    """A new visit, the filed visit it grew out of (index or None) and why it changed."""

    visit: VisitResult
    origin: int | None
    reasons: tuple[str, ...]


def _ids(v: VisitResult) -> list[str]:
    return sorted(t.demand_id for t in v.tasks)


def _officers(v: VisitResult) -> list[str]:
    return sorted(o.id for o in v.inspectors)


def _unchanged(before: VisitResult, after: VisitResult) -> bool:
    """:func:`kind_of` is None: quick when the visit is the filed one (or a renamed copy)."""
    if after is before or (
        before.date == after.date
        and before.tasks == after.tasks
        and before.inspectors == after.inspectors
    ):
        return True
    return kind_of(before, after) is None


def kind_of(before: VisitResult, after: VisitResult) -> str | None:
    """The change from ``before`` to ``after`` (None: unchanged)."""
    if before.date != after.date:
        return "moved"
    if set(_officers(before)) - set(_officers(after)):
        return "restaffed"
    if _ids(before) != _ids(after):
        return "retasked"  # officers of a department that joined may come along
    if _officers(before) != _officers(after):
        return "restaffed"
    return None


def plan_diff(
    previous: PlanResult,
    new: PlanResult,
    provenance: Sequence[Provenance],
    cancelled_reasons: Mapping[int, Sequence[str]],
    pins: PinWindow,
) -> dict[str, Any]:
    """The diff as JSON-ready data: ``counts`` and one list per kind of change."""
    out: dict[str, Any] = {k: [] for k in KINDS}
    grown = {p.origin: p for p in provenance if p.origin is not None}
    departments: set[str] = set()
    pinned_changed = 0
    # Only what changed is listed, so only that is sorted (a stable sort of a part keeps
    # the order the whole would have): unchanged visits, nearly all, are passed over first.
    listed = [
        p
        for p in provenance
        if p.origin is None or not _unchanged(previous.visits[p.origin], p.visit)
    ]
    for p in sorted(listed, key=lambda p: (p.visit.date, p.visit.uscc, _ids(p.visit))):
        after = p.visit
        if p.origin is None:
            departments.update(t.department for t in after.tasks)
            out["added"].append(
                {
                    "uscc": after.uscc,
                    "date": after.date.isoformat(),
                    "tasks": _ids(after),
                    "officers": _officers(after),
                    "reasons": list(p.reasons),
                }
            )
            continue
        before = previous.visits[p.origin]
        kind = kind_of(before, after)
        if kind is None:
            continue
        departments.update(t.department for t in (*before.tasks, *after.tasks))
        if pins.as_of <= before.date and (
            pins.pinned_until is not None and before.date <= pins.pinned_until
        ):
            pinned_changed += 1
        out[kind].append(
            {
                "previous_index": p.origin,
                "uscc": after.uscc,
                "from": before.date.isoformat(),
                "to": after.date.isoformat(),
                "officers_before": _officers(before),
                "officers_after": _officers(after),
                "tasks_added": sorted(set(_ids(after)) - set(_ids(before))),
                "tasks_removed": sorted(set(_ids(before)) - set(_ids(after))),
                "reasons": list(p.reasons),
            }
        )
    for i, before in enumerate(previous.visits):
        if i in grown or before.date < pins.as_of:
            continue
        if pins.pinned_until is not None and before.date <= pins.pinned_until:
            pinned_changed += 1
        departments.update(t.department for t in before.tasks)
        out["cancelled"].append(
            {
                "previous_index": i,
                "uscc": before.uscc,
                "from": before.date.isoformat(),
                "tasks": _ids(before),
                "officers_before": _officers(before),
                "reasons": list(cancelled_reasons.get(i, ())),
            }
        )
    old_off = {o.demand_id for o in previous.offsite}
    new_off = {o.demand_id for o in new.offsite}
    old_un = {u.demand_id: u.reason for u in previous.unscheduled}
    new_un = {u.demand_id: u.reason for u in new.unscheduled}
    out["offsite"] = {"added": sorted(new_off - old_off), "removed": sorted(old_off - new_off)}
    out["unscheduled"] = {
        "added": [
            {"demand_id": d, "reason": r} for d, r in sorted(new_un.items()) if old_un.get(d) != r
        ],
        "removed": sorted(set(old_un) - set(new_un)),
    }
    moved_off = set(out["offsite"]["added"]) | set(out["offsite"]["removed"])
    moved_un = {u["demand_id"] for u in out["unscheduled"]["added"]}
    moved_un |= set(out["unscheduled"]["removed"])
    if moved_off:
        departments.update(
            x.department for x in (*previous.offsite, *new.offsite) if x.demand_id in moved_off
        )
    if moved_un:
        departments.update(
            x.department
            for x in (*previous.unscheduled, *new.unscheduled)
            if x.demand_id in moved_un
        )
    #: Departments whose share of the plan changed (the daemon pushes only theirs).
    out["departments"] = sorted(departments)
    counts = {k: len(out[k]) for k in KINDS}
    counts["previous_visits"] = len(previous.visits)
    counts["visits"] = len(new.visits)
    counts["changed_visits"] = sum(counts[k] for k in KINDS)
    counts["unchanged"] = len(previous.visits) - sum(counts[k] for k in KINDS if k != "added")
    counts["pinned_changed"] = pinned_changed
    out["counts"] = counts
    out["as_of"] = pins.as_of.isoformat()
    out["pinned_until"] = pins.pinned_until.isoformat() if pins.pinned_until else None
    return out


def is_empty(diff: Mapping[str, Any]) -> bool:
    """True when the replan changed nothing a plan document shows."""
    return (
        diff["counts"]["changed_visits"] == 0
        and not diff["offsite"]["added"]
        and not diff["offsite"]["removed"]
        and not diff["unscheduled"]["added"]
        and not diff["unscheduled"]["removed"]
    )


def summary_line(diff: Mapping[str, Any]) -> str:
    """One line: what changed, for the log and the command's output."""
    c = diff["counts"]
    return (
        f"{c['changed_visits']} of {c['previous_visits']} visits changed "
        f"(added {c['added']}, moved {c['moved']}, re-staffed {c['restaffed']}, "
        f"re-tasked {c['retasked']}, cancelled {c['cancelled']}; pinned changed "
        f"{c['pinned_changed']}); off-site +{len(diff['offsite']['added'])}/"
        f"-{len(diff['offsite']['removed'])}; unscheduled +{len(diff['unscheduled']['added'])}/"
        f"-{len(diff['unscheduled']['removed'])}"
    )
