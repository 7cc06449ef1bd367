"""``plan`` as a Python call: load → 双随机 draw → scheduler → draft revision.

The cli is the only place that may join ``data``, ``risk`` and ``scheduler``: the loader
gives plain rows, the draw (spec §3) adds the sampled demands, the scheduler plans, and
the store writes the draft. Each step reports progress through a callback.
"""

import dataclasses
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

import jointinspect
from jointinspect.checks_apart import staged_checks
from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.grading.tables import enterprise_count
from jointinspect.data.plans.basis import planning_basis, with_travel
from jointinspect.data.plans.document import RevisionRows
from jointinspect.data.plans.lock import plans_lock
from jointinspect.data.plans.planning_inputs import (
    RANDOM_PRIORITY,
    PlanningInputs,
    load_planning_inputs,
)
from jointinspect.data.plans.replan_store import is_drawn_id
from jointinspect.data.plans.store import StoredRevision, store_draft
from jointinspect.draw_apart import draw_helper, draw_on_two
from jointinspect.imports_ahead import imported_ahead
from jointinspect.models.enums import DemandSource, ItemMode
from jointinspect.models.errors import JointInspectError
from jointinspect.models.plan_problem import (
    DemandInfo,
    EnterpriseInfo,
    InspectorInfo,
    ItemInfo,
    PlanningProblem,
)
from jointinspect.models.plan_result import PlanResult
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.options import Options, plan_prefix, scheduler_params, working_calendar
from jointinspect.risk.sampling import CandidateColumns, Draw, SamplingRuleSpec, draw_columns
from jointinspect.route_apart import routing_on
from jointinspect.scheduler.params import SchedulerParams
from jointinspect.scheduler.solve import solve

Progress = Callable[[str], None]

#: The modules a plan's improvement step imports when it starts (``scheduler.solve``):
#: OR-Tools and networkx, 0.4 s of one core, spent while SQLite reads the district.
IMPROVEMENT_MODULES = ("jointinspect.scheduler.improve",)


class NoGradesError(JointInspectError):
    """No enterprise has a grade yet, so caps and the 双随机 draw cannot work."""


@dataclass(frozen=True)
class PlanRun:
    stored: StoredRevision
    result: PlanResult
    drawn: int
    seconds: dict[str, float]


def make_plan(
    quarter: Quarter,
    seed: str,
    *,
    engine: Engine,
    calendar: WorkingCalendar,
    trigger_response_days: int,
    prefix: str,
    params: SchedulerParams,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> PlanRun:
    say = progress or (lambda _message: None)
    seconds: dict[str, float] = {}
    started = time.monotonic()
    say("loading enterprises, officers and demands")
    # Read before the inputs: a change between the two makes the basis older than the
    # inputs, and the next replan then replans the whole district (never the reverse).
    with engine.connect() as conn:
        basis = planning_basis(
            conn, quarter, planning_settings(quarter, calendar, trigger_response_days, params)
        )
    # The second process (the draw's, the checks' and the routes') starts now and is
    # ready when the district has been read.
    # The staged checks' file lasts until the draft is written.
    with (
        staged_checks(engine) as staging,
        draw_helper(enterprise_count(engine=engine), params.cpus) as helper,
    ):
        # What the plan's improvement imports (solve), imported while the district is read.
        with imported_ahead(*IMPROVEMENT_MODULES):
            inputs = load_planning_inputs(
                quarter,
                engine=engine,
                calendar=calendar,
                trigger_response_days=trigger_response_days,
            )
        if inputs.graded == 0 and len(inputs.enterprises):
            raise NoGradesError(
                "no enterprise has a grade yet: the plan needs grades for the visit caps and "
                "the 双随机 draw",
                hint="run `jointinspect grade` first, then plan again",
            )
        seconds["load"] = time.monotonic() - started
        say("drawing the 双随机 sample")
        mark = time.monotonic()
        drawn = draw_sample(inputs, seed, helper)
        seconds["draw"] = time.monotonic() - mark
        say(f"planning {len(inputs.demands) + len(drawn)} demands")
        mark = time.monotonic()
        problem = build_problem(inputs, seed, calendar, drawn)
        # The same process stages the off-site checks while the visits are placed, makes
        # the routes while the plan's results are made, and stages the visits while the
        # draw's record is.
        result = solve(
            problem,
            params,
            routing_on(helper),
            staging.sender(helper),
            staging.visits_sender(helper),
        )
        seconds["solve"] = time.monotonic() - mark
        staged = staging.written()
        say(f"writing the draft ({len(result.visits)} visits)")
        mark = time.monotonic()
        stored = store_draft(
            result,
            engine=engine,
            prefix=prefix,
            generated_at=now or dt.datetime.now(dt.UTC),
            extra_metrics={"drawn": len(drawn)},
            keep_rows=False,  # filed later, by another command
            draw=draw_record(inputs, seed, drawn),
            town_centres=inputs.town_centres,
            # The revision's travel, from which a replan of part of it works out its own.
            basis=with_travel(basis, result.metrics["officer_days"], result.travel_um),
            staged_checks=staged,
            staged_visits=staging.visits_written(),
        )
    seconds["store"] = time.monotonic() - mark
    seconds["total"] = time.monotonic() - started
    return PlanRun(stored, result, len(drawn), seconds)


def planning_settings(
    quarter: Quarter,
    calendar: WorkingCalendar,
    trigger_response_days: int,
    params: SchedulerParams,
) -> str:
    """SHA-256 of the settings a plan of ``quarter`` is made with (``data.plans.basis``):
    the software's version, the scheduler's parameters, the response days and the
    working days from the quarter's first to a year after it (triggers' windows reach
    past the quarter's end)."""
    start = quarter.first_day
    days = calendar.workdays(start, start + dt.timedelta(days=366))
    text = json.dumps(
        [
            jointinspect.__version__,
            repr(params),
            trigger_response_days,
            [d.isoformat() for d in days],
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_sample(
    inputs: PlanningInputs, seed: str, helper: ProcessPoolExecutor | None = None
) -> list[Draw]:
    """Spec §3 over the loaded enterprises and grades; ``helper``: a second process
    (:func:`draw_apart.draw_helper`) that makes about half the digests."""
    candidates, rules = _draw_inputs(inputs)
    if helper is None:
        return draw_columns(seed, rules, candidates)
    return draw_on_two(seed, rules, candidates, helper)


def frozen_draw(rows: RevisionRows) -> list[Draw]:
    """The drawn demands (``R:{department}:{item}:{uscc}``) a revision holds."""
    return _frozen_draw(rows)[0]


def _frozen_draw(rows: RevisionRows) -> tuple[list[Draw], list[str]]:
    """:func:`frozen_draw`'s draws and their demand ids, sorted (the sample's
    fingerprint is made from those, not from the draws' ids made again)."""
    # Every demand id the revision holds → its enterprise (the last row's, in the order
    # visits, off-site checks, unscheduled); the drawn ones are kept below.
    held: dict[str, str] = {}
    for v in rows.visits:
        for t in rows.tasks.get(v.id, ()):
            held[t.demand_id] = v.uscc
    held.update((o.demand_id, o.uscc) for o in rows.offsite)
    held.update((u.demand_id, u.uscc) for u in rows.unscheduled)
    ids = sorted(filter(is_drawn_id, held))
    drawn = []
    for demand_id in ids:
        _, department, item, _ = demand_id.split(":", 3)
        drawn.append(Draw(department, item, held[demand_id], ""))
    return drawn, ids


def checked_draw(
    inputs: PlanningInputs, rows: RevisionRows, seed: str, record: Mapping[str, Any] | None
) -> list[Draw]:
    """The draw a draft being filed (its ``rows``, drawn with ``seed``) must hold, on
    today's ``inputs``: drawn again, unless its draw ``record`` shows that nothing the
    draw depends on has changed since it was made (same inputs fingerprint) and that the
    draft holds exactly the demands it drew (same sample fingerprint) — then it is the
    draft's own draw, which spares filing the draw's seconds at district scale. Either
    way the same demands."""
    if record is not None:
        frozen, ids = _frozen_draw(rows)
        same_sample = record.get("sample") == sample_fingerprint(ids)
        if same_sample and record.get("inputs") == draw_fingerprint(inputs, seed):
            return frozen
    return draw_sample(inputs, seed)


def draw_record(inputs: PlanningInputs, seed: str, drawn: list[Draw]) -> dict[str, Any]:
    """What a revision keeps of its draw (``plan_revision.draw``): fingerprints of what
    the draw is made from (:func:`draw_fingerprint`) and of the demands it drew."""
    return {
        "inputs": draw_fingerprint(inputs, seed),
        "sample": sample_fingerprint(d.demand_id for d in drawn),
        "drawn": len(drawn),
    }


def draw_fingerprint(inputs: PlanningInputs, seed: str) -> str:
    """SHA-256 of everything :func:`draw_sample` reads — the seed, the sampling rules
    with their items' industries and mode, and every enterprise's USCC, industry, grade,
    activity and no-disturb state — so that equal fingerprints mean an equal draw. Each
    field is a column joined once (a district's register hashes in a fraction of the
    time drawing takes)."""
    candidates, rules = _draw_inputs(inputs)
    h = hashlib.sha256()
    for text in (
        "jointinspect/draw-inputs/v1",
        seed,
        json.dumps(sorted(dataclasses.astuple(r) for r in rules), ensure_ascii=False),
        "\x1f".join(candidates.uscc),
        "\x1f".join(candidates.industry),
        "\x1f".join(candidates.grade),
    ):
        h.update(text.encode("utf-8"))
        h.update(b"\x1e")
    h.update(np.ascontiguousarray(candidates.active, dtype=np.bool_).tobytes())
    h.update(np.ascontiguousarray(candidates.no_disturb_on_quarter_start, np.bool_).tobytes())
    return h.hexdigest()


def sample_fingerprint(demand_ids: Iterable[str]) -> str:
    """SHA-256 of a draw's demand ids, in sorted order."""
    return hashlib.sha256("\n".join(sorted(demand_ids)).encode("utf-8")).hexdigest()


def _draw_inputs(inputs: PlanningInputs) -> tuple[CandidateColumns, list[SamplingRuleSpec]]:
    """The draw's candidates and rules, from the loaded register and grades."""
    register = inputs.enterprises
    quiet = np.zeros(len(register), dtype=np.bool_)
    position = register.position()
    listed = [position[u] for u in inputs.no_disturb_listed_on(inputs.quarter.first_day)]
    quiet[listed] = True
    candidates = CandidateColumns(
        register.uscc,
        register.industry,
        [g or "" for g in register.grade],
        np.array(register.active(), dtype=np.bool_),
        quiet,
    )
    rules = []
    for r in inputs.sampling_rules:
        item = inputs.items[r.item]
        rules.append(
            SamplingRuleSpec(
                r.department,
                r.item,
                r.grade,
                r.ratio,
                item.industries,
                item.mode == ItemMode.ONSITE.value,
            )
        )
    return candidates, rules


def build_problem(
    inputs: PlanningInputs, seed: str, calendar: WorkingCalendar, drawn: list[Draw]
) -> PlanningProblem:
    q = inputs.quarter
    first_day, last_day = q.first_day, q.last_day  # once, not per drawn demand
    demands = list(inputs.demands)
    demands += [
        DemandInfo(
            x.demand_id,
            x.department,
            x.item,
            x.uscc,
            DemandSource.RANDOM,
            first_day,
            last_day,
            RANDOM_PRIORITY,
            False,
        )
        for x in drawn
    ]
    needed = sorted({d.uscc for d in demands})
    # Straight from the register's columns (not a row object per enterprise first): the
    # plan, its filing check and every replan build a hundred thousand of these.
    register, no_disturb = inputs.enterprises, inputs.no_disturb
    town, lat, lon, grade = register.town, register.lat, register.lon, register.grade
    position = register.position()
    enterprises = {}
    for uscc in needed:
        k = position[uscc]
        enterprises[uscc] = EnterpriseInfo(
            uscc, town[k], lat[k], lon[k], grade[k] or "", tuple(no_disturb.get(uscc, ()))
        )
    items = {
        code: ItemInfo(code, i.department, ItemMode(i.mode), i.no_disturb, i.minutes)
        for code, i in inputs.items.items()
    }
    inspectors = []
    for o in inputs.inspectors:
        home = inputs.town_centres.get(o.home_town or "")
        inspectors.append(
            InspectorInfo(
                o.id,
                o.department,
                o.cert_valid_until,
                o.max_visits_per_day,
                o.unavailable,
                o.conflicts,
                o.home_town,
                home[0] if home else None,
                home[1] if home else None,
            )
        )
    return PlanningProblem(
        quarter=str(q),
        workdays=tuple(calendar.workdays(q.first_day, q.last_day)),
        enterprises=enterprises,
        items=items,
        inspectors=inspectors,
        demands=demands,
        routine_visits_this_year=inputs.routine_visits_this_year,
        seed=seed,
    )


def plan_quarter(
    quarter: str,
    seed: str,
    *,
    engine: Engine,
    options: Options | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> PlanRun:
    """Draw the 双随机 sample and plan ``quarter`` (e.g. ``"2025Q3"``) as its draft, with
    the calendar, scheduler parameters and plan id prefix of ``options``, generated at
    ``now`` (default: now). The draft replaces any unfiled draft of the quarter
    (``PlanRun.stored.replaced_drafts``). ``time_limit`` is a wall-clock safety cap on
    the search (seconds)."""
    chosen = options or Options()
    # A district's rows and plan are millions of objects and no reference cycles.
    with plans_lock(engine, timeout=chosen.lock_timeout), no_cyclic_gc():
        return make_plan(
            Quarter.parse(quarter),
            seed,
            engine=engine,
            calendar=working_calendar(chosen),
            trigger_response_days=chosen.trigger_response_days,
            prefix=plan_prefix(chosen, engine),
            params=scheduler_params(chosen).with_time_limit(time_limit),
            progress=progress,
            now=now,
        )
