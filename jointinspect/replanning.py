"""``replan`` as a Python call: inbox → follow-ups → regrade → replan → file.

Everything runs under the database's plans lock (``data/plans/lock``), so a manual
``replan`` and the nightly daemon never overlap. Each revision is written in one
transaction and filed in another; the filed revision it starts from is never touched
before the new one is filed, so a crash at any point leaves it intact. A draft a crashed
run left behind is discarded by the next run.

The 双随机 draw is the one published with the quarter's plan: replanning keeps the drawn
demands of the filed revision (regrading during the quarter does not redraw), and the
hard-rule check at filing is the planner's checker on that same problem, excusing only
the rule-7 findings that visits already made or pinned explain (``replan_check``).
"""

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.bundle.inbox import (
    InboxItem,
    misplaced_in_city,
    settle_inbox,
    take_inbox,
)
from jointinspect.data.codes.filing import FilingResult, UnchangedPlanError, file_plan
from jointinspect.data.grading.tables import write_grades
from jointinspect.data.plans.basis import Travel, planning_basis, why_whole, with_travel
from jointinspect.data.plans.carry import CarriedRows, GivenRows, carried_rows
from jointinspect.data.plans.document import RevisionRows, ordered_offsite, ordered_visits
from jointinspect.data.plans.drafts import discard_drafts
from jointinspect.data.plans.followups import FollowupReport, derive_followups
from jointinspect.data.plans.lock import plans_lock
from jointinspect.data.plans.planning_inputs import load_planning_inputs
from jointinspect.data.plans.replan_part import coming_visits_ahead, filed_demands
from jointinspect.data.plans.replan_store import (
    REPLAN_MARK,
    FiledRevision,
    NoFiledPlanError,
    news_since,
    read_filed_head,
    read_filed_revision,
    record_replan,
)
from jointinspect.data.plans.store import StoredRevision, store_draft
from jointinspect.grading import grade_enterprises, grade_rows
from jointinspect.models.codes import CodeKey
from jointinspect.models.errors import JointInspectError
from jointinspect.models.plan_problem import PlanningProblem
from jointinspect.models.plan_result import PlanResult
from jointinspect.models.quarter import Quarter
from jointinspect.models.timezones import CHINA
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.options import (
    Options,
    grading_config,
    inbox_for,
    load_keys,
    plan_prefix,
    scheduler_params,
    working_calendar,
)
from jointinspect.planning import build_problem, frozen_draw, planning_settings
from jointinspect.replanning_part import Replanned, replan_part
from jointinspect.risk.reasons import ReasonTexts
from jointinspect.rules import plan_result
from jointinspect.scheduler.change_cost import ChangeCosts
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.plan_diff import is_empty, summary_line
from jointinspect.scheduler.replan import replan
from jointinspect.scheduler.replan_check import CheckScope, check_replanned

Progress = Callable[[str], None]


class AsOfOutsideQuarterError(JointInspectError):
    """The replan's date is not a day of the quarter being replanned."""


__all__ = [
    "NoFiledPlanError",
    "ReplanRun",
    "frozen_draw",
    "misplaced_warning",
    "replan_quarter",
    "summary_line",
]


@dataclass
class ReplanRun:
    quarter: str
    as_of: dt.date
    inbox: list[InboxItem] = field(default_factory=list)
    #: Bundles found at the top of a city's inbox, which no district takes (each
    #: district's are in its own folder, ``inbox/310120``): left where they are.
    misplaced: list[str] = field(default_factory=list)
    followups: FollowupReport | None = None
    regraded: int = 0
    diff: dict[str, Any] | None = None
    stored: StoredRevision | None = None
    filing: FilingResult | None = None
    #: Draft revisions found unfiled and discarded (a stray ``plan``, a crashed run).
    discarded: list[int] = field(default_factory=list)
    #: How many enterprises were replanned against the rest of the filed revision (None:
    #: the whole district was).
    scope: int | None = None
    #: Why the whole district was replanned (None when only the part with news was).
    whole_because: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.filing is not None

    def describe(self) -> str:
        """The run in one line (the daemon's log and the command's last line)."""
        head = f"replan {self.quarter} as of {self.as_of}"
        imported = sum(i.imported for i in self.inbox)
        refused = len(self.inbox) - imported
        followups = len(self.followups.created) if self.followups else 0
        extras = f"inbox {imported} bundle(s) imported, {refused} refused; {followups} follow-up(s)"
        if self.filing is None:
            return f"{head}: no change ({extras})"
        assert self.diff is not None
        return (
            f"{head}: filed revision {self.filing.revision}: {summary_line(self.diff)}; "
            f"codes {self.filing.codes_issued} new, {self.filing.codes_revoked} revoked ({extras})"
        )


def replan_quarter(
    quarter: str,
    *,
    options: Options,
    engine: Engine,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
    filed_by: str = "replan",
    progress: Progress | None = None,
    whole: bool = False,
) -> ReplanRun:
    """Take in what arrived, make the next revision of ``quarter`` and file it.

    The enterprises with news are replanned against the rest of the filed revision when
    nothing else changed since it was planned (:mod:`replanning_part`), else the whole
    district; ``whole`` replans the whole district anyway. The revision is the same."""
    say = progress or (lambda _message: None)
    now = now or dt.datetime.now(dt.UTC)
    as_of = as_of or now.astimezone(CHINA).date()
    q = Quarter.parse(quarter)
    if not q.first_day <= as_of <= q.last_day:
        raise AsOfOutsideQuarterError(
            f"--as-of {as_of} is not a day of {q} ({q.first_day} to {q.last_day})",
            hint=f"replan {q} with a date inside it, or replan the quarter {as_of} is in",
        )
    run = ReplanRun(str(q), as_of)
    inbox = inbox_for(options, engine)
    if options.inbox_dir is not None and inbox != options.inbox_dir:
        run.misplaced = misplaced_in_city(options.inbox_dir)
        if run.misplaced:
            say(f"inbox: {misplaced_warning(options.inbox_dir, run.misplaced)}")
    calendar = working_calendar(options)
    params = scheduler_params(options)
    key = load_keys(options, engine).current
    clock = _Clock(run.seconds)
    say("waiting for the plans lock")
    with plans_lock(engine, timeout=options.lock_timeout), no_cyclic_gc():
        # In a function of its own, so that the run's big structures are freed before the
        # collector resumes (else its first pass walks all of them).
        _replan_locked(
            run,
            q,
            inbox=inbox,
            options=options,
            engine=engine,
            now=now,
            filed_by=filed_by,
            say=say,
            calendar=calendar,
            params=params,
            key=key,
            clock=clock,
            whole=whole,
        )
        if inbox is not None:
            run.inbox = settle_inbox(run.inbox, inbox, now=now)
    return run


def _replan_locked(
    run: ReplanRun,
    q: Quarter,
    *,
    inbox: Path | None,
    options: Options,
    engine: Engine,
    now: dt.datetime,
    filed_by: str,
    say: Progress,
    calendar: WorkingCalendar,
    params: SchedulerParams,
    key: CodeKey,
    clock: "_Clock",
    whole: bool,
) -> None:
    """The run under the lock: inbox, follow-ups, regrade, replan, store, file."""
    as_of = run.as_of
    clock.lap("lock")
    if inbox is not None:
        run.inbox = take_inbox(inbox, engine=engine, now=now)
        say(
            f"inbox: {sum(i.imported for i in run.inbox)} imported, "
            f"{sum(not i.imported for i in run.inbox)} refused"
        )
    clock.lap("inbox")
    run.followups = derive_followups(
        engine=engine, calendar=calendar, response_days=options.trigger_response_days
    )
    clock.lap("followups")
    # A draft nobody filed (a stray `plan` after filing, a run that crashed before
    # filing) must not hold up the night's replan; it is dropped and said so.
    run.discarded = discard_drafts(run.quarter, engine=engine, missing_ok=True)
    if run.discarded:
        say(f"discarded unfiled draft revision {', '.join(map(str, run.discarded))}")
    head = read_filed_head(run.quarter, engine=engine)
    # The rest's coming visits, which a replan of part of the district reads, are the
    # filed revision's own: read on a thread of their own from now, while the news and
    # the regrade are found (SQLite works on them without the GIL). The part's own
    # visits are read too and left out where they are used (``ComingVisits.rest``).
    with coming_visits_ahead(engine, head.revision_id, (), as_of) as read_coming:
        with engine.connect() as conn:
            held = filed_demands(conn, head.revision_id)
        news = news_since(
            engine=engine, known_demands=held, outcomes_since=head.as_of or q.first_day
        )
        touched = news.touched
        clock.lap("news")
        if touched:
            say(f"regrading ({len(touched)} enterprises with new demands or outcomes)")
            run.regraded = _regrade(engine, options, as_of, touched)
        clock.lap("regrade")
        settings = planning_settings(q, calendar, options.trigger_response_days, params)
        # Read before the inputs (as ``make_plan`` does): a change in between makes the next
        # replan replan the whole district, never the reverse.
        with engine.connect() as conn:
            basis = planning_basis(conn, q, settings)
            whole_because = (
                "asked for (--whole)"
                if whole
                else why_whole(conn, head.basis, basis, head.revision)
            )
        travel = Travel.of(head.basis)  # there when why_whole finds nothing
        made: Replanned | str = whole_because or ""
        if whole_because is None and travel is not None:
            say(f"replanning {len(touched | news.withdrawn)} enterprise(s) with news")
            made = replan_part(
                q,
                touched | news.withdrawn,
                engine=engine,
                revision_id=head.revision_id,
                travel=travel,
                as_of=as_of,
                calendar=calendar,
                trigger_response_days=options.trigger_response_days,
                pin_working_days=options.pin_working_days,
                params=params,
                say=say,
                coming=read_coming,
            )
        if isinstance(made, str):
            run.whole_because = made
            say(f"replanning the whole district: {made}")
            made = _replan_whole(
                q,
                engine=engine,
                options=options,
                calendar=calendar,
                params=params,
                as_of=as_of,
                say=say,
            )
    run.scope = None if made.scope is None else len(made.scope)
    filed, problem, outcome, ordered = made.filed, made.problem, made.outcome, made.ordered
    previous, checks = made.previous, made.checks
    run.diff = _with_codes(outcome.diff, [v.row.code for v in ordered])
    clock.lap("replan")
    if is_empty(outcome.diff):
        return
    say("writing the draft")
    # Most of the filed revision stays as it was: shared by the new revision, and
    # checked again only where the replan changed it.
    carried = carried_rows(
        outcome.result,
        filed.revision_id,
        filed.rows,
        GivenRows(
            previous.visits,
            [v.row.id for v in ordered],
            previous.offsite,
            [c.id for c in checks],
        ),
        made.scope,
    )
    run.stored = store_draft(
        outcome.result,
        engine=engine,
        prefix=plan_prefix(options, engine),
        generated_at=now,
        extra_metrics={REPLAN_MARK: outcome.result.metrics.get("replan", {})},
        carried=carried,
        town_centres=made.town_centres,
        basis=with_travel(basis, outcome.result.metrics["officer_days"], outcome.result.travel_um),
    )
    record_replan(run.stored.revision_id, engine=engine, as_of=as_of, diff=run.diff)
    clock.lap("store")
    fixed_until = outcome.pins.pinned_until or (as_of - dt.timedelta(days=1))
    say("filing (hard rules, codes)")
    try:
        run.filing = file_plan(
            run.quarter,
            engine=engine,
            key=key,
            filed_by=filed_by,
            now=now,
            check=_check(
                problem,
                replace(outcome.result, visits=(*outcome.result.visits, *made.beside)),
                params,
                fixed_until,
                _scope(problem, outcome.result, filed, carried, touched),
            ),
            filed_rows=(filed.revision_id, filed.rows),
            draft_rows=(
                (run.stored.revision_id, run.stored.rows) if run.stored.rows is not None else None
            ),
            carried=run.stored.carried,
        )
    except UnchangedPlanError:
        discard_drafts(run.quarter, engine=engine)
        run.stored = None
    clock.lap("file")


def _replan_whole(
    q: Quarter,
    *,
    engine: Engine,
    options: Options,
    calendar: WorkingCalendar,
    params: SchedulerParams,
    as_of: dt.date,
    say: Progress,
) -> Replanned:
    """The replan of the whole district: every filed visit and every demand read."""
    filed = read_filed_revision(str(q), engine=engine)
    drawn = frozen_draw(filed.rows)
    # Nothing is drawn anew, so the problem needs only the enterprises with demands.
    inputs = load_planning_inputs(
        q,
        engine=engine,
        calendar=calendar,
        trigger_response_days=options.trigger_response_days,
        only_enterprises_with_demands=[d.uscc for d in drawn],
        town_centres=filed.town_centres,
    )
    seed, quarter = filed.header.seed, filed.header.quarter
    # The filed visits in the order the replan numbers them (``previous_index``).
    ordered = ordered_visits(filed.rows)
    problem = build_problem(inputs, seed, calendar, drawn)
    say("replanning")
    checks = ordered_offsite(filed.rows)
    previous = plan_result(filed.rows, quarter, seed, filed.header.metrics, ordered, checks)
    outcome = replan(
        problem,
        previous,
        as_of,
        options.pin_working_days,
        params,
        ChangeCosts.default(),
    )
    return Replanned(filed, problem, previous, ordered, checks, outcome, dict(inputs.town_centres))


def misplaced_warning(inbox: Path, names: Sequence[str]) -> str:
    """What to say of bundles left at the top of a city's inbox."""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{len(names)} bundle(s) at the top of {inbox} ({shown}) are taken by no district: "
        f"a city's inbox has a folder per district; move each into its district's "
        f"({inbox / '310120'}/ for 310120)"
    )


def _check(
    problem: PlanningProblem,
    plan: PlanResult,
    params: SchedulerParams,
    fixed_until: dt.date,
    scope: CheckScope,
) -> Callable[[Session, int], Sequence[str]]:
    """The hard-rule check of the draft: ``plan``, the revision exactly as the replan made
    it and ``store_draft`` wrote it (the store's round trip is tested on its own), so the
    draft is not read back and rebuilt — 2 s at district scale."""

    def check(_session: Session, _revision_id: int) -> Sequence[str]:
        return check_replanned(problem, plan, params, fixed_until, scope)

    return check


def _scope(
    problem: PlanningProblem,
    plan: PlanResult,
    filed: FiledRevision,
    carried: CarriedRows,
    regraded: set[str],
) -> CheckScope:
    """Where ``plan`` is not the filed revision: the enterprises with a visit or check
    that is not carried over (in either revision), a changed unscheduled demand, a demand
    new or gone since filing, or a new grade; and the officer-days of its new visits."""
    rows = filed.rows
    new_visits = [v for i, v in enumerate(plan.visits) if i not in carried.visits]
    kept_visits = set(carried.visits.values())
    kept_checks = set(carried.offsite.values())
    old_unscheduled = set(rows.unscheduled)
    usccs = set(regraded)
    usccs.update(v.uscc for v in new_visits)
    usccs.update(v.uscc for v in rows.visits if v.id not in kept_visits)
    usccs.update(o.uscc for i, o in enumerate(plan.offsite) if i not in carried.offsite)
    usccs.update(o.uscc for o in rows.offsite if o.id not in kept_checks)
    usccs.update(u.uscc for u in set(plan.unscheduled).symmetric_difference(old_unscheduled))
    demand_uscc = {d.id: d.uscc for d in problem.demands}
    filed_ids = {t.demand_id: v.uscc for v in rows.visits for t in rows.tasks.get(v.id, [])}
    filed_ids.update((o.demand_id, o.uscc) for o in rows.offsite)
    filed_ids.update((u.demand_id, u.uscc) for u in rows.unscheduled)
    usccs.update(demand_uscc[d] for d in demand_uscc.keys() - filed_ids.keys())
    usccs.update(filed_ids[d] for d in filed_ids.keys() - demand_uscc.keys())
    return CheckScope(
        frozenset(usccs), frozenset((o.id, v.date) for v in new_visits for o in v.inspectors)
    )


def _demand_ids(rows: RevisionRows) -> set[str]:
    known = {t.demand_id for tasks in rows.tasks.values() for t in tasks}
    known |= {o.demand_id for o in rows.offsite}
    known |= {u.demand_id for u in rows.unscheduled}
    return known


def _regrade(engine: Engine, options: Options, as_of: dt.date, touched: set[str]) -> int:
    """Grade the touched enterprises as of ``as_of`` (as the whole district's grading
    would: their relation neighbourhood is read too) and store their new grades only:
    the rest keep the quarter's grades."""
    result = grade_enterprises(
        engine=engine, as_of=as_of, config=grading_config(options), usccs=touched
    )
    rows = grade_rows(result, ReasonTexts(result), only=touched)
    return write_grades(engine=engine, as_of=as_of, grades=rows, news_only=True)


def _with_codes(diff: dict[str, Any], codes: Sequence[str | None]) -> dict[str, Any]:
    """Name each changed filed visit by the code it was filed with (``codes``: of the
    filed visits in the order ``previous_index`` counts them)."""
    for kind in ("moved", "restaffed", "retasked", "cancelled"):
        for entry in diff[kind]:
            entry["code"] = codes[entry.pop("previous_index")]
    return diff


class _Clock:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.mark = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.seconds[name] = round(now - self.mark, 3)
        self.mark = now
