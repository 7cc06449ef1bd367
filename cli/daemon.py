"""The nightly replanning daemon: APScheduler 3.x in the foreground.

A ``BackgroundScheduler`` keeps its one job in a ``SQLAlchemyJobStore`` table
(``apscheduler_jobs``) of the project database, so the schedule and the next run time
survive restarts. The job is stored by textual reference (``JOB_FUNC``), with no
arguments — no URL or secret goes into the job store; the running daemon hands its
settings to the job through :data:`_RUNTIME`.

- trigger: ``replan_cron`` (crontab, default ``0 2 * * *``) in ``replan_timezone``
  (Asia/Shanghai), or every ``replan_interval_seconds`` when that is set (tests, demos);
- ``coalesce``: runs missed while the daemon was down collapse into one;
- ``max_instances=1``: never two runs at once in this daemon (the plans lock also keeps
  a manual ``replan`` out);
- ``misfire_grace_time``: a run late by at most ``replan_misfire_grace_seconds``
  (default an hour) still runs; later than that it waits for the next night.

Each run: replan the quarter containing today (China time) → file → export the new
revision (``daemon_export_dir``) and push the shares of the departments the diff
touched (when ``endpoints_file`` exists) → one log line with the diff. With
``--all-districts`` a run replans every district of a city's database, fanned out
(``jointinspect.city``), then delivers and logs each district's new revision; a district
that fails is logged with its reason and the others go on. Its job store is then the
city's own (the default schema, or the city's SQLite file). SIGTERM and
SIGINT shut the scheduler down cleanly, letting a running replan finish its transaction.
"""

import datetime as dt
import logging
import os
import signal
import threading
from dataclasses import dataclass, replace
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jointinspect.city import Fanout, replan_districts
from jointinspect.cli.city_options import endpoints_file
from jointinspect.cli.settings import Settings
from jointinspect.database import Engine, open_database
from jointinspect.exporting import export_plan, load_endpoint_specs, push_plan, resolve_tokens
from jointinspect.models.districts import district_of
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.replanning import (
    NoFiledPlanError,
    ReplanRun,
    misplaced_warning,
    replan_quarter,
)

log = logging.getLogger("jointinspect.daemon")

JOB_ID = "jointinspect-nightly-replan"
JOB_FUNC = "jointinspect.cli.daemon:nightly_replan"
JOBS_TABLE = "apscheduler_jobs"


@dataclass
class _Runtime:
    settings: Settings
    engine: Engine
    #: Replan every district of the city's database on this fan-out (``engine`` is then
    #: the city's own, for the job store).
    city: Fanout | None = None


#: Set by :func:`run_daemon` for the job it schedules (the job store holds no settings).
_RUNTIME: _Runtime | None = None


class DaemonNotRunningError(JointInspectError):
    """The nightly job ran outside a daemon that configured it."""


def make_trigger(settings: Settings) -> CronTrigger | IntervalTrigger:
    zone = ZoneInfo(settings.replan_timezone)
    if settings.replan_interval_seconds is not None:
        return IntervalTrigger(seconds=settings.replan_interval_seconds, timezone=zone)
    try:
        return CronTrigger.from_crontab(settings.replan_cron, timezone=zone)
    except ValueError as exc:
        raise JointInspectError(
            f"replan_cron {settings.replan_cron!r} is not a crontab expression: {exc}",
            hint="five fields: minute hour day month weekday, e.g. '0 2 * * *'",
        ) from None


def make_scheduler(settings: Settings, engine: Engine) -> BackgroundScheduler:
    """The scheduler with its job store in the project database and the nightly job."""
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        timezone=ZoneInfo(settings.replan_timezone),
    )
    scheduler.add_job(
        JOB_FUNC,
        trigger=make_trigger(settings),
        id=JOB_ID,
        name="nightly replan",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=settings.replan_misfire_grace_seconds,
    )
    return scheduler


def run_daemon(settings: Settings, engine: Engine, city: Fanout | None = None) -> None:
    """Run until SIGTERM or SIGINT; with ``city``, for every district of the city."""
    global _RUNTIME
    _RUNTIME = _Runtime(settings, engine, city)
    scheduler = make_scheduler(settings, engine)

    stopping = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        # Only note it: a signal may come at any moment, even before the scheduler has
        # started, and the main thread below does the shutting down.
        log.info("received %s; shutting down", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("daemon started (pid %d); job %s: %s", os.getpid(), JOB_ID, make_trigger(settings))
    scheduler.start()
    stopping.wait()
    scheduler.shutdown(wait=True)  # a replan under way finishes first
    log.info("daemon stopped")


def nightly_replan() -> None:
    """The scheduled job: one replan of the current quarter, then exports and pushes."""
    if _RUNTIME is None:
        raise DaemonNotRunningError("the nightly replan runs inside `jointinspect daemon`")
    settings, engine = _RUNTIME.settings, _RUNTIME.engine
    now = dt.datetime.now(dt.UTC)
    today = settings.replan_as_of or now.astimezone(ZoneInfo(settings.replan_timezone)).date()
    quarter = str(Quarter.containing(today))
    if _RUNTIME.city is not None:
        _replan_city(_RUNTIME.city, settings, quarter, today, now)
        return
    try:
        run = replan_quarter(
            quarter,
            options=settings.options(),
            engine=engine,
            as_of=today,
            now=now,
            filed_by="daemon",
        )
        if run.filing is not None:
            _deliver(run, settings, engine)
    except NoFiledPlanError:
        log.info("replan %s: no filed plan for the quarter; nothing to do", quarter)
        return
    except JointInspectError as exc:
        log.error("replan %s failed: %s", quarter, exc)
        return
    if run.misplaced and settings.inbox_dir is not None:
        log.warning("inbox: %s", misplaced_warning(settings.inbox_dir, run.misplaced))
    log.info("%s", run.describe())


def _replan_city(
    fanout: Fanout, settings: Settings, quarter: str, today: dt.date, now: dt.datetime
) -> None:
    """The nightly run of a city: every district replanned (each night anew: a replan
    takes in only what is new), then each new revision delivered and logged."""
    run = replan_districts(
        quarter,
        url=settings.db,
        as_of=today,
        options=settings.options(),
        fanout=replace(fanout, redo=True),
        filed_by="daemon",
        now=now,
    )
    for note in run.notes:
        log.warning("%s", note)
    for outcome in run.outcomes:
        label = outcome.district.label
        replanned = outcome.replanned
        if replanned is None:
            log.error("replan %s of %s failed: %s", quarter, label, outcome.detail)
            continue
        if replanned.filing is not None:
            engine = open_database(settings.db, district=outcome.district.code)
            try:
                _deliver(replanned, settings, engine)
            except JointInspectError as exc:
                log.error("delivering %s's revision failed: %s", label, exc)
            finally:
                engine.dispose()
        log.info("%s: %s", label, replanned.describe())


def _deliver(run: ReplanRun, settings: Settings, engine: Engine) -> None:
    if settings.daemon_export_dir is not None:
        assert run.filing is not None
        out = settings.daemon_export_dir / f"{run.filing.plan_id}-r{run.filing.revision}.json"
        export_plan(run.quarter, engine=engine, fmt="json", out=out)
    # A district of a city pushes to its own departments' systems (endpoints.CODE.toml),
    # never by the file another district's shares go by.
    endpoints = endpoints_file(settings, district_of(engine))
    if endpoints.exists():
        assert run.diff is not None
        changed = set(run.diff["departments"])
        # Only departments whose share changed get the new revision; the others' shares
        # (and codes) are as they received them.
        specs = [s for s in load_endpoint_specs(endpoints) if s.department in changed]
        targets = resolve_tokens(specs, dict(os.environ))
        report = push_plan(
            run.quarter, engine=engine, endpoints=targets, now=lambda: dt.datetime.now(dt.UTC)
        )
        for failure in report.failures:
            log.error("push to %s failed: %s", failure.department, failure.error)
        for busy in report.in_progress:
            log.info("push to %s left to another push that is sending it", busy.department)
