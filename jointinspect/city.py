"""A city's districts fanned out: grade, plan or replan every district of a city's
database, one task per district, on the local engine (one district after another, in
this process; needs nothing) or on Ray (``engine="ray"``: tasks on a cluster; ``ray`` is
imported only then).

A task reads its district's inputs from the shared database, makes its result and writes
it, in its district alone, all or nothing and under that district's plans lock — the
same library call a single district's command makes (``plan_quarter``, grading and
storing, ``replan_quarter``) — and returns what it made, in words, with its time and
peak memory. The writes are the tasks' and not this process's: at 40,000 enterprises a
district, writing its grades takes longer than computing them, and one driver writing
every district's result in turn would leave the workers waiting on it. A district's
result is byte for byte what the local engine makes: the task is the same function,
given the same inputs, seed and clock (``now``).

Faults: a district whose task fails (bad data, a complaint that cannot be placed, its
lock held by another run) is reported with its reason and the others go on. A worker
that dies is retried by Ray (``max_retries``): its transaction died with it, and the
plans lock with its connection or process, so the task starts over on what is written.
Each district's outcome is recorded in the city's ``city_run`` table when its task has
returned, so running the same run again (same command, quarter, seed or date) takes up
only the districts that did not finish, unless ``redo``.
"""

import datetime as dt
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import Engine, make_url

from jointinspect.data.bundle.inbox import misplaced_in_city
from jointinspect.data.districts.registry import (
    DONE,
    FAILED,
    record_run,
    registered_districts,
    run_records,
)
from jointinspect.data.plans.lock import plans_lock
from jointinspect.database import NotACityError, open_city, open_database
from jointinspect.grading import grade_district, grading_model, model_name, store_grades
from jointinspect.models.districts import District
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.models.timezones import CHINA
from jointinspect.options import Options, grading_config
from jointinspect.planning import plan_quarter
from jointinspect.replanning import ReplanRun, misplaced_warning, replan_quarter, summary_line

__all__ = [
    "ENGINES",
    "CityRun",
    "DistrictOutcome",
    "Fanout",
    "NotACityError",
    "RayMissingError",
    "grade_districts",
    "plan_districts",
    "replan_districts",
]

ENGINES = ("local", "ray")
Job = Literal["grade", "plan", "replan"]
Progress = Callable[[str], None]
#: How often Ray starts a district's task again after its worker died.
MAX_RETRIES = 3
SKIPPED = "skipped"


class RayMissingError(JointInspectError):
    """The Ray engine was asked for, and Ray is not installed."""


class RayUnavailableError(JointInspectError):
    """The Ray cluster asked for cannot be started or joined."""


class UnknownEngineError(JointInspectError):
    """The engine is neither ``local`` nor ``ray``."""


@dataclass(frozen=True)
class Fanout:
    """How a city-wide run goes: on which engine, and what it does again."""

    engine: str = "local"
    #: A Ray cluster to join (``ray://…`` or ``HOST:PORT``); None starts a local one
    #: (with ``ray_cpus`` CPUs, default all) unless this process has joined one already.
    ray_address: str | None = None
    ray_cpus: int | None = None
    max_retries: int = MAX_RETRIES
    #: Run the districts the run's record says are done too.
    redo: bool = False
    #: Called in the worker with the district's code before its task (a test kills a
    #: worker here to see the task retried).
    worker_setup: Callable[[str], None] | None = None


@dataclass(frozen=True)
class DistrictOutcome:
    """What one district's share of a city-wide run did."""

    district: District
    status: str  # done, failed, skipped
    detail: str  # what it made, or why it failed
    hint: str | None = None
    seconds: float = 0.0
    #: The task's peak resident memory in MiB (its worker's, on Ray).
    peak_mib: float | None = None
    #: The task's CPU time (its process's): unlike ``seconds``, not stretched by others
    #: sharing the machine.
    cpu_seconds: float = 0.0
    #: A replan's run, for what follows a filing (exports, pushes).
    replanned: ReplanRun | None = None


@dataclass(frozen=True)
class CityRun:
    """A city-wide run: its key (``city_run.run``), engine and each district's outcome."""

    run: str
    engine: str
    outcomes: list[DistrictOutcome] = field(default_factory=list)
    seconds: float = 0.0
    #: What the run found amiss outside any district (bundles no district takes).
    notes: list[str] = field(default_factory=list)

    def of(self, status: str) -> list[DistrictOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def failed(self) -> list[DistrictOutcome]:
        return self.of(FAILED)


def grade_districts(
    *,
    url: str,
    as_of: dt.date,
    options: Options | None = None,
    fanout: Fanout | None = None,
    progress: Progress | None = None,
) -> CityRun:
    """Grade every district of the city's database at ``url`` as of ``as_of``, each with
    its adopted model (else the default), and store each district's grades."""
    task = _Task("grade", url, "", options or Options(), as_of=as_of)
    return _run_city(task, f"grade as of {as_of}", fanout or Fanout(), progress)


def plan_districts(
    quarter: str,
    seed: str,
    *,
    url: str,
    options: Options | None = None,
    fanout: Fanout | None = None,
    time_limit: float | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> CityRun:
    """Plan ``quarter`` with ``seed`` in every district of the city's database at
    ``url``: each district's draft, as ``plan_quarter`` makes it, generated at ``now``."""
    q = str(Quarter.parse(quarter))
    task = _Task("plan", url, "", options or Options(), quarter=q, seed=seed, time_limit=time_limit)
    return _run_city(task, f"plan {q} seed {seed}", fanout or Fanout(), progress, now)


def replan_districts(
    quarter: str,
    *,
    url: str,
    as_of: dt.date,
    options: Options | None = None,
    fanout: Fanout | None = None,
    filed_by: str = "replan",
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> CityRun:
    """Replan and file ``quarter`` as of ``as_of`` in every district of the city's
    database at ``url``, as ``replan_quarter`` does for one."""
    q = str(Quarter.parse(quarter))
    options = options or Options()
    notes = []
    if options.inbox_dir is not None:
        misplaced = misplaced_in_city(options.inbox_dir)
        if misplaced:
            notes.append(f"inbox: {misplaced_warning(options.inbox_dir, misplaced)}")
            if progress is not None:
                progress(notes[-1])
    task = _Task("replan", url, "", options, quarter=q, as_of=as_of, by=filed_by)
    run = _run_city(task, f"replan {q} as of {as_of}", fanout or Fanout(), progress, now)
    return replace(run, notes=notes)


@dataclass(frozen=True)
class _Task:
    """One district's task: all a worker needs, as plain data (and the test's setup)."""

    job: Job
    url: str
    district: str
    options: Options
    quarter: str = ""
    seed: str = ""
    as_of: dt.date | None = None
    time_limit: float | None = None
    by: str = ""
    now: dt.datetime | None = None
    setup: Callable[[str], None] | None = None


@dataclass(frozen=True)
class _Made:
    """What a task returns: what it made, in words (or why it failed), its time and
    memory; a replan's run, for what follows a filing."""

    detail: str
    seconds: float
    peak_mib: float | None
    cpu_seconds: float = 0.0
    failed: bool = False
    hint: str | None = None
    replanned: ReplanRun | None = None


def run_task(task: _Task) -> _Made:
    """A district's task, in a worker (or this process): open the district, do the job,
    close it. A failure is returned, not raised, so that it is reported as the district's
    and no engine retries it: only a worker that dies is tried again."""
    if task.setup is not None:
        task.setup(task.district)
    _reset_peak_memory()
    started, cpu = time.monotonic(), time.process_time()
    replanned = None
    try:
        engine = open_database(task.url, district=task.district)
        try:
            if task.job == "replan":
                replanned = _replan(task, engine)
                detail = _replanned(replanned)
            else:
                detail = _plan(task, engine) if task.job == "plan" else _grade(task, engine)
        finally:
            engine.dispose()
    except JointInspectError as exc:
        detail, failed, hint = str(exc), True, exc.hint
    except Exception as exc:  # one district's failure must not stop the city's run
        detail, failed, hint = _unexpected(exc), True, None
    else:
        failed, hint = False, None
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    return _Made(detail, seconds, _peak_memory(), cpu, failed, hint, replanned)


def _plan(task: _Task, engine: Engine) -> str:
    run = plan_quarter(
        task.quarter,
        task.seed,
        engine=engine,
        options=task.options,
        time_limit=task.time_limit,
        now=task.now,
    )
    m = run.result.metrics
    return (
        f"draft {run.stored.plan_id} revision {run.stored.revision}: "
        f"{m['onsite_visits']:,} visits, {m['offsite_checks']:,} off-site, "
        f"{m['unscheduled']:,} unscheduled"
    )


def _grade(task: _Task, engine: Engine) -> str:
    """Grade and store the district's grades, under its lock (so that no plan of the
    district reads them half way through a city's run)."""
    assert task.as_of is not None
    with plans_lock(engine, timeout=task.options.lock_timeout):
        model = grading_model(engine=engine)
        config = grading_config(task.options)
        result = grade_district(engine=engine, as_of=task.as_of, config=config, model=model)
        stored = store_grades(result, engine=engine, model_id=model.id)
    shares = " ".join(f"{g} {n / max(stored, 1):.1%}" for g, n in result.mix().items())
    return f"{stored:,} grades ({shares}); {model_name(model.id)}"


def _replan(task: _Task, engine: Engine) -> ReplanRun:
    assert task.as_of is not None
    run = replan_quarter(
        task.quarter,
        options=task.options,
        engine=engine,
        as_of=task.as_of,
        now=task.now,
        filed_by=task.by,
    )
    if run.stored is not None:  # the rows it wrote stay in the worker
        run.stored = replace(run.stored, rows=None)
    return run


def _replanned(run: ReplanRun) -> str:
    if run.filing is None or run.diff is None:
        return f"replan as of {run.as_of}: no change"
    return (
        f"filed revision {run.filing.revision}: {summary_line(run.diff)}; codes "
        f"{run.filing.codes_issued} new, {run.filing.codes_revoked} revoked"
    )


def _run_city(
    template: _Task,
    run: str,
    fanout: Fanout,
    progress: Progress | None,
    now: dt.datetime | None = None,
) -> CityRun:
    if fanout.engine not in ENGINES:
        raise UnknownEngineError(
            f"there is no engine {fanout.engine!r}", hint=f"choose one of {', '.join(ENGINES)}"
        )
    say = progress or (lambda _message: None)
    started = time.monotonic()
    template = replace(
        _anchored(template), now=now or dt.datetime.now(dt.UTC), setup=fanout.worker_setup
    )
    root = open_city(template.url)
    try:
        districts = registered_districts(root)
        earlier = {} if fanout.redo else run_records(root, run)
        outcomes: dict[str, DistrictOutcome] = {}
        todo = []
        for district in districts:
            record = earlier.get(district.code)
            if record is not None and record.status == DONE:
                when = record.finished_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
                outcomes[district.code] = DistrictOutcome(
                    district, SKIPPED, f"done by this run at {when}: {record.detail}"
                )
                say(f"{district.label}: {SKIPPED} — {outcomes[district.code].detail}")
            else:
                todo.append(district)
        tasks = [replace(template, district=d.code) for d in todo]
        engine_run = _run_locally if fanout.engine == "local" else _run_on_ray
        for outcome in engine_run(tasks, todo, fanout):
            outcomes[outcome.district.code] = outcome
            say(f"{outcome.district.label}: {outcome.status} — {outcome.detail}")
            if outcome.status in (DONE, FAILED):
                record_run(
                    root,
                    run,
                    outcome.district.code,
                    status=outcome.status,
                    detail=outcome.detail,
                    now=dt.datetime.now(dt.UTC),
                )
    finally:
        root.dispose()
    ordered = [outcomes[d.code] for d in districts]
    return CityRun(run, fanout.engine, ordered, time.monotonic() - started)


def _anchored(task: _Task) -> _Task:
    """``task`` with its SQLite file and its options' files as absolute paths: a worker
    of a cluster does not start in this process's working folder."""
    url = make_url(task.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    paths: dict[str, Any] = {
        f.name: value.resolve()
        for f in fields(task.options)
        if isinstance(value := getattr(task.options, f.name), Path)
    }
    return replace(
        task,
        url=url.render_as_string(hide_password=False),
        options=replace(task.options, **paths),
    )


def _outcome(district: District, made: _Made) -> DistrictOutcome:
    return DistrictOutcome(
        district,
        FAILED if made.failed else DONE,
        made.detail,
        made.hint,
        made.seconds,
        made.peak_mib,
        made.cpu_seconds,
        made.replanned,
    )


def _run_locally(
    tasks: Sequence[_Task], districts: Sequence[District], _fanout: Fanout
) -> Iterator[DistrictOutcome]:
    """One district after another, in this process."""
    for task, district in zip(tasks, districts, strict=True):
        yield _outcome(district, run_task(task))


def _run_on_ray(
    tasks: Sequence[_Task], districts: Sequence[District], fanout: Fanout
) -> Iterator[DistrictOutcome]:
    """Every district's task at once on Ray, each reported as it comes back."""
    if not tasks:
        return
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(
                address=fanout.ray_address,
                num_cpus=fanout.ray_cpus if fanout.ray_address is None else None,
                include_dashboard=False,
                log_to_driver=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = fanout.ray_address or "this machine"
            raise RayUnavailableError(
                f"cannot start or join the Ray cluster at {where}: {_unexpected(exc)}",
                hint="check --ray-address (HOST:PORT of the head, or ray://HOST:10001), "
                "or use --engine local",
            ) from None
    # One CPU a task, and each task's search told so (``Options.cpus``; the same plans on
    # any number). Ray starts a task again when its worker dies, never when it returns a
    # failure.
    remote = ray.remote(num_cpus=1, max_retries=fanout.max_retries, retry_exceptions=False)(
        run_task
    )
    try:
        pending = {
            remote.remote(replace(task, options=replace(task.options, cpus=1))): district
            for task, district in zip(tasks, districts, strict=True)
        }
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            district = pending.pop(ready[0])
            try:
                made = ray.get(ready[0])
            except ray.exceptions.RayError as exc:
                died = (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError)
                reason = (
                    f"its worker died {fanout.max_retries + 1} times"
                    if isinstance(exc, died)
                    else "Ray could not run its task"
                )
                made = _Made(f"{reason} ({_unexpected(exc)})", 0.0, None, failed=True)
            yield _outcome(district, made)
    finally:
        if started_here:
            ray.shutdown()


def _unexpected(exc: Exception) -> str:
    """An error JointInspect did not foresee, in one line: its kind and first line."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissingError(
            "the ray engine needs Ray, which is not installed",
            hint="pip install 'jointinspect[ray]', or use --engine local",
        ) from None
    return ray


# Peak memory of a task: Linux keeps a process's peak resident size (VmHWM) and resets it
# when asked (clear_refs 5), so a worker that runs several tasks reports each one's own.
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _reset_peak_memory() -> None:
    # Not Linux, or not allowed: the process's lifetime peak is reported instead.
    with suppress(OSError):
        _CLEAR_REFS.write_text("5")


def _peak_memory() -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
