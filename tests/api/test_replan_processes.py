"""Replans in real processes: the lock between two of them (SQLite and PostgreSQL) and the
daemon started, stopped with SIGTERM and restarted with its job store in the database."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.replan_world import AS_OF, World, build_filed_world, copy_world, write_bundle
from sqlalchemy import text

from jointinspect.cli.daemon import JOB_ID, JOBS_TABLE
from jointinspect.models import make_engine

pytestmark = pytest.mark.slow

#: Upper bounds for waiting on a child process (generous: a loaded 2-core machine).
PROCESS_TIMEOUT = 120
COMPLAINT = {
    "id": "C-PROC-1",
    "kind": "complaint",
    "received_at": "2025-11-03T09:00:00+08:00",
    "severity": "2",
}
HOLD_LOCK = (
    "import sys\n"
    "from jointinspect.data.plans.lock import plans_lock\n"
    "from jointinspect.models import make_engine\n"
    "with plans_lock(make_engine(sys.argv[1]), timeout=30):\n"
    "    print('locked', flush=True)\n"
    "    sys.stdin.readline()\n"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("replan-processes")
    return build_filed_world(folder, f"sqlite:///{folder / 'base.db'}")


@pytest.fixture
def sqlite_world(template: World, tmp_path: Path) -> World:
    return copy_world(template, tmp_path)


@pytest.fixture
def pg_world(template: World, pg_url: str, tmp_path: Path) -> World:
    return build_filed_world(tmp_path / "pg", pg_url, district=template.district)


def _env(world: World, inbox: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTINSPECT_")}
    env.update(
        JOINTINSPECT_DB=world.url,
        JOINTINSPECT_KEY_FILE=str(world.key_file),
        JOINTINSPECT_INBOX_DIR=str(inbox),
        JOINTINSPECT_ENDPOINTS_FILE=str(inbox.parent / "no-endpoints.toml"),
        **extra,
    )
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from jointinspect.cli.app import main; main()", *args]


def _first_complaint_bundle(world: World, inbox: Path) -> None:
    engine = make_engine(world.url)
    with engine.connect() as conn:
        uscc, dept, item = conn.execute(
            text(
                "SELECT v.uscc, t.department, t.item FROM visit v "
                "JOIN visit_task t ON t.visit_id = v.id JOIN item i ON i.code = t.item "
                "WHERE v.date > '2025-11-10' AND i.mode != 'offsite' ORDER BY v.id LIMIT 1"
            )
        ).one()
    engine.dispose()
    write_bundle(
        inbox / "complaint",
        "triggers.csv",
        [{**COMPLAINT, "uscc": uscc, "department": dept, "item": item}],
    )


def _revisions(url: str) -> list[tuple[int, str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT revision, status FROM plan_revision ORDER BY revision"))
        out = [(int(r), str(s)) for r, s in rows]
    engine.dispose()
    return out


@pytest.fixture
def lock_holder() -> Iterator[list[subprocess.Popen[str]]]:
    held: list[subprocess.Popen[str]] = []
    yield held
    for proc in held:
        if proc.poll() is None:
            proc.kill()
            proc.wait(PROCESS_TIMEOUT)


def _hold_lock(url: str, held: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    held.append(proc)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _second_replan_is_refused(
    world: World, tmp_path: Path, held: list[subprocess.Popen[str]]
) -> None:
    holder = _hold_lock(world.url, held)
    inbox = tmp_path / "inbox"
    done = subprocess.run(
        _cli("replan", "--quarter", "2025Q4", "--as-of", AS_OF.isoformat()),
        env=_env(world, inbox, JOINTINSPECT_LOCK_TIMEOUT="0.3"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert (
        "Error: another plan, file, replan or discard is running on this database "
        "(waited 0.3 s for it)" in done.stderr
    )
    assert _revisions(world.url) == [(1, "filed")]
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(PROCESS_TIMEOUT) == 0


def test_sqlite_replan_waits_for_the_lock_or_says_so(
    sqlite_world: World, tmp_path: Path, lock_holder: list[subprocess.Popen[str]]
) -> None:
    _second_replan_is_refused(sqlite_world, tmp_path, lock_holder)


@pytest.mark.postgres
def test_postgres_two_replans_never_make_two_revisions_at_once(
    pg_world: World, tmp_path: Path, lock_holder: list[subprocess.Popen[str]]
) -> None:
    _second_replan_is_refused(pg_world, tmp_path, lock_holder)
    inbox = tmp_path / "inbox"
    _first_complaint_bundle(pg_world, inbox)
    procs = [
        subprocess.Popen(
            _cli("replan", "--quarter", "2025Q4", "--as-of", AS_OF.isoformat()),
            env=_env(pg_world, inbox, JOINTINSPECT_LOCK_TIMEOUT="100"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=PROCESS_TIMEOUT) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    said = sorted(out for out, _ in outputs)
    assert "filed revision 2" in said[0] + said[1]
    assert sum("no change" in out for out in said) == 1
    assert _revisions(pg_world.url) == [(1, "superseded"), (2, "filed")]


def _wait_for(predicate: object, what: str) -> None:
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _daemon_until(
    env: dict[str, str], log: Path, cwd: Path, ready: Callable[[], bool], what: str
) -> None:
    """Run the daemon (output to ``log``) until ``ready``, then stop it with SIGTERM."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            _cli("daemon"), env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd
        )
        try:
            try:
                _wait_for(ready, what)
            except AssertionError as exc:
                out.flush()
                said = log.read_text(encoding="utf-8", errors="replace")[-4000:]
                state = "running" if proc.poll() is None else f"exited {proc.returncode}"
                raise AssertionError(f"{exc}; the daemon is {state} and said:\n{said}") from None
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(PROCESS_TIMEOUT) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def _jobs(url: str) -> list[tuple[str, float | None]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}")).all()
    engine.dispose()
    return [(str(i), t) for i, t in rows]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest) -> World:
    """The filed world on SQLite, and on PostgreSQL where the server runs."""
    return request.getfixturevalue(f"{'sqlite' if request.param == 'sqlite' else 'pg'}_world")  # type: ignore[no-any-return]


def test_daemon_replans_on_schedule_stops_on_sigterm_and_keeps_its_job(
    world: World, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    _first_complaint_bundle(world, inbox)
    log = tmp_path / "daemon.log"
    env = _env(
        world,
        inbox,
        JOINTINSPECT_REPLAN_INTERVAL_SECONDS="1",
        JOINTINSPECT_REPLAN_AS_OF=AS_OF.isoformat(),
        JOINTINSPECT_DAEMON_EXPORT_DIR=str(tmp_path / "exports"),
    )
    _daemon_until(env, log, tmp_path, lambda: (2, "filed") in _revisions(world.url), "revision 2")
    text_ = log.read_text()
    assert "filed revision 2" in text_
    assert "received SIGTERM; shutting down" in text_ and "daemon stopped" in text_
    assert [j for j, _ in _jobs(world.url)] == [JOB_ID]
    exported = json.loads((tmp_path / "exports" / "FX-2025Q4-r2.json").read_text("utf-8"))
    assert (exported["revision"], exported["status"]) == (2, "filed")
    # Restarted on the nightly cron: the same job row, now due at 02:00 China time.
    env.pop("JOINTINSPECT_REPLAN_INTERVAL_SECONDS")
    _daemon_until(env, log, tmp_path, lambda: "daemon started" in log.read_text(), "the restart")
    (job,) = _jobs(world.url)
    assert job[0] == JOB_ID and job[1] is not None
    due = time.gmtime(job[1])
    assert (due.tm_hour, due.tm_min) == (18, 0)  # 02:00 Asia/Shanghai
    assert _revisions(world.url) == [(1, "superseded"), (2, "filed")]


def test_plan_racing_replan_waits_and_keeps_every_revision_whole(
    world: World, tmp_path: Path
) -> None:
    """A coordinator's `plan` and the nightly `replan` started together: one waits for the
    other (the plans lock), neither fails with a database error, and the filed record is
    a clean chain — the replan files on top of the filed revision and drops the draft it
    finds, or the plan replaces nothing filed."""
    inbox = tmp_path / "inbox"
    _first_complaint_bundle(world, inbox)
    env = _env(world, inbox, JOINTINSPECT_LOCK_TIMEOUT="100")
    commands = [
        _cli("replan", "--quarter", "2025Q4", "--as-of", AS_OF.isoformat()),
        _cli("plan", "--quarter", "2025Q4", "--seed", "coordinator"),
    ]
    procs = [
        subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
        for cmd in commands
    ]
    outputs = [p.communicate(timeout=PROCESS_TIMEOUT) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert all("Traceback" not in err and "IntegrityError" not in err for _, err in outputs)
    revisions = _revisions(world.url)
    filed = [r for r in revisions if r[1] != "draft"]
    assert filed == [(1, "superseded"), (2, "filed")]
    # The plan either ran first (and the replan dropped its draft) or ran after the
    # replan (and its draft waits on top of the filed revision 2).
    assert revisions in ([(1, "superseded"), (2, "filed")], [*filed, (3, "draft")])
