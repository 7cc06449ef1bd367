"""Benchmark: ``plan``, ``file``, ``replan`` and ``grade`` as whole commands, per profile.

    .venv/bin/python benchmarks/bench_profiles.py [--enterprises 650000]
        [--profiles default,tight,multi,dense,bigtown,every] [--steps plan,file,replan,grade]
        [--keep DIR] [--code DIR] [--against DIR] [--runs N] [--postgres URL]

For each stress profile of the generator (``generate --profile``) a district is prepared
once and kept in ``DIR/PROFILE-N/`` (generate → init → import → grade as of the day
before the quarter; minutes at full scale, reused when there). Then each step runs the
``jointinspect`` command itself in a child process, start-up included, on a fresh copy:

- ``plan``: ``plan --quarter 2025Q4 --seed S`` on a copy of the graded database;
- ``file``: ``file --quarter 2025Q4`` of that draft (first filing, hard-rule check);
- ``replan``: complaint triggers for 1 % of the filed visits' enterprises dropped into the
  inbox, then ``replan --as-of 2025-11-03`` (import, regrade, replan, file);
- ``grade``: ``grade --as-of 2025-10-01 --out grades.csv`` on a copy of the graded database:
  the next day's grading, which rewrites every enterprise's grade (its day at least), as
  a district's regular grading does. (The same day's again would rewrite nothing.)

Printed: how fast the machine is (:func:`machine_seconds`: a fixed piece of Python work,
so that tables taken on different machines, or in a slower hour of one, can be set side
by side), then one table per profile with each step's wall time, CPU time (user + system
of the child: on a shared machine the fairer figure) and peak memory, and the machine's
pace before each run (the same reference work: a shared machine's pace changes by half
within minutes); ``--runs N`` repeats each step and keeps the fastest. ``--code DIR``
runs the commands from another copy of the package (a folder holding ``jointinspect/``
as installed, e.g. a snapshot taken before a change), so that before and after can be
measured back to back on the same districts (``code_snapshot.py REV DIR`` makes one from a
commit). ``--against DIR`` measures that copy too, beside each of the code's runs (first and
second in turns, as a pair's second run was slower by itself), and prints its table and
each step's differences run by run: on a machine whose pace drifts within the hour, pairs
taken minutes apart tell a change from the drift where two tables taken one after the
other do not.

``--postgres postgresql://USER@HOST/NAME`` runs the steps on that PostgreSQL server
instead: each profile's district is imported and graded once into the database
``NAME_PROFILE_graded`` (kept, reused when there), and each step runs on a fresh copy of
it, ``NAME_PROFILE_work`` (``CREATE DATABASE … TEMPLATE``), the server's own work included
in the wall time.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_city import fresh_database
from bench_replan import copy_database, write_triggers  # the same night's complaints

ROOT = Path(__file__).resolve().parent.parent
QUARTER = "2025Q4"
SEED = "2025Q4-bench"
GRADED_AS_OF = "2025-09-30"
#: The grade step's day: the day after the prepared grades'.
REGRADE_AS_OF = "2025-10-01"
#: The replan's date: a Monday inside the quarter (history, pinned days and the rest).
REPLAN_AS_OF = dt.date(2025, 11, 3)
TRIGGER_SHARE = 0.01
STEPS = ("plan", "file", "replan", "grade")
PROFILES = ("default", "tight", "multi", "dense", "bigtown", "every")


#: A SQLite database file, or a PostgreSQL database's URL.
Database = Path | str


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float
    peak_mib: float


class Runner:
    """Runs ``jointinspect`` commands in child processes in one district folder."""

    def __init__(self, folder: Path, code: Path | None, key: str = "bench.key") -> None:
        self.folder = folder
        self.env = dict(os.environ)
        self.env["JOINTINSPECT_KEY_FILE"] = str(folder / key)
        self.env.pop("JOINTINSPECT_DB", None)
        # The package's bytecode is written by the first (untimed) command and read by the
        # timed ones, as an installed package's is: where the environment forbids writing
        # it (PYTHONDONTWRITEBYTECODE), every command would compile the package anew.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        if code is not None:
            self.env["PYTHONPATH"] = str(code)

    def run(
        self,
        *args: str,
        db: Database | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> Timed:
        command = [sys.executable, "-c", "from jointinspect.cli.app import main; main()", *args]
        if db is not None:
            command += ["--db", db if isinstance(db, str) else f"sqlite:///{db}"]
        started = time.monotonic()
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(
                command,
                cwd=self.folder,
                env={**self.env, **(env or {})},
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
            # wait4: this child's own CPU time and peak memory, not all children's.
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.monotonic() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0 and check:
                errors.seek(0)
                raise SystemExit(
                    f"jointinspect {' '.join(args)} failed ({child.returncode}):\n"
                    + errors.read().decode(errors="replace")[-3000:]
                )
        return Timed(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def prepare(folder: Path, enterprises: int, profile: str) -> Path:
    """``DIR/PROFILE-N/graded.db``, made once (with the installed code)."""
    graded = folder / "graded.db"
    if graded.exists():
        return graded
    folder.mkdir(parents=True, exist_ok=True)
    runner = Runner(folder, None)
    made = folder / "making.db"
    made.unlink(missing_ok=True)
    shutil.rmtree(folder / "district", ignore_errors=True)
    marks = [time.monotonic()]
    runner.run("init", db=made)
    runner.run(
        "generate",
        str(folder / "district"),
        "-n",
        str(enterprises),
        "--seed",
        f"bench-{profile}",
        "--quarter",
        QUARTER,
        "--profile",
        profile,
    )
    marks.append(time.monotonic())
    runner.run("import", str(folder / "district" / "bundle"), db=made)
    marks.append(time.monotonic())
    runner.run("grade", "--as-of", GRADED_AS_OF, db=made)
    marks.append(time.monotonic())
    made.rename(graded)
    took = ", ".join(
        f"{stage} {b - a:.0f} s"
        for stage, a, b in zip(("generate", "import", "grade"), marks, marks[1:], strict=False)
    )
    print(f"prepared {profile} ({enterprises:,} enterprises): {took}", file=sys.stderr)
    return graded


def prepare_postgres(
    folder: Path, url: str, enterprises: int, profile: str, code: Path | None
) -> str:
    """The URL of ``NAME_PROFILE_graded`` on the server of ``url``, made once by ``code``
    (so that a newer code's ``db upgrade`` of each copy brings it to its schema); the
    bundle is the SQLite preparation's, the key file its own (``bench-pg.key``)."""
    from sqlalchemy import create_engine, make_url, text

    graded = _named(url, f"{profile}_graded")
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        name = make_url(graded).database
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        exists = found.first() is not None
    admin.dispose()
    if exists:
        return graded
    prepare(folder, enterprises, profile)
    runner = Runner(folder, code, key="bench-pg.key")
    (folder / "bench-pg.key").unlink(missing_ok=True)
    making = _named(url, f"{profile}_making")
    fresh_database(making)
    started = time.monotonic()
    runner.run("init", db=making)
    runner.run("import", str(folder / "district" / "bundle"), db=making)
    runner.run("grade", "--as-of", GRADED_AS_OF, db=making)
    fresh_database(graded, template=make_url(making).database)
    took = time.monotonic() - started
    print(f"prepared {profile} on PostgreSQL: import and grade {took:.0f} s", file=sys.stderr)
    return graded


def _named(url: str, suffix: str) -> str:
    from sqlalchemy import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def fresh_copy(runner: Runner, graded: Database, copy: Database) -> None:
    """``copy`` of the graded database, its schema brought to the code's (untimed; a
    code without ``db upgrade`` reads the schema as it is)."""
    if isinstance(graded, str) and isinstance(copy, str):
        from sqlalchemy import make_url

        fresh_database(copy, template=make_url(graded).database)
    else:
        assert isinstance(graded, Path) and isinstance(copy, Path)
        copy_database(graded, copy)
    runner.run("db", "upgrade", db=copy, check=False)
    # The copy's gigabyte is written out before the clock starts: a district's database
    # is not written just before each command, and the write-back of the copy made the
    # next step vary by seconds.
    os.sync()


def measure(
    folder: Path, graded: Database, code: Path | None, steps: list[str]
) -> dict[str, Timed]:
    on_server = isinstance(graded, str)
    runner = Runner(folder, code, key="bench-pg.key" if on_server else "bench.key")
    work: Database = _work(graded, "work") if isinstance(graded, str) else folder / "work.db"
    out: dict[str, Timed] = {}
    if {"plan", "file", "replan"} & set(steps):
        fresh_copy(runner, graded, work)
        out["plan"] = runner.run("plan", "--quarter", QUARTER, "--seed", SEED, db=work)
    if {"file", "replan"} & set(steps):
        out["file"] = runner.run("file", "--quarter", QUARTER, db=work)
    if "replan" in steps:
        inbox = folder / "inbox"
        write_triggers(work, inbox, TRIGGER_SHARE)
        out["replan"] = runner.run(
            "replan",
            "--quarter",
            QUARTER,
            "--as-of",
            REPLAN_AS_OF.isoformat(),
            db=work,
            env={"JOINTINSPECT_INBOX_DIR": str(inbox)},
        )
    if "grade" in steps:
        copy: Database = _work(graded, "grade") if isinstance(graded, str) else folder / "grade.db"
        fresh_copy(runner, graded, copy)
        out["grade"] = runner.run(
            "grade", "--as-of", REGRADE_AS_OF, "--out", str(folder / "grades.csv"), db=copy
        )
        if isinstance(copy, Path):
            copy.unlink()
    return {step: out[step] for step in steps if step in out}


def _work(graded: str, kind: str) -> str:
    """``NAME_PROFILE_work`` (or ``_grade``) beside ``NAME_PROFILE_graded``."""
    return graded.removesuffix("_graded") + f"_{kind}"


def shape(db: Database) -> str:
    """What the district's first plan looks like (officers, demands, visits …)."""
    if isinstance(db, str):
        from sqlalchemy import text

        from jointinspect.models import make_engine

        engine = make_engine(db)
        with engine.connect() as server:
            officers = server.execute(text("SELECT count(*) FROM inspector")).scalar_one()
            found = server.execute(text("SELECT metrics FROM plan_revision ORDER BY id LIMIT 1"))
            metrics = found.scalar()
        engine.dispose()
    else:
        with sqlite3.connect(db) as conn:
            officers = conn.execute("SELECT count(*) FROM inspector").fetchone()[0]
            row = conn.execute("SELECT metrics FROM plan_revision ORDER BY id LIMIT 1").fetchone()
        metrics = None if row is None else row[0]
    if metrics is None:
        return f"{officers:,} officers"
    m = json.loads(metrics) if isinstance(metrics, str) else metrics
    return (
        f"{officers:,} officers, {m['demands']:,} demands, {m['onsite_visits']:,} visits "
        f"(bound {m['consolidation_lower_bound']:,}), {m['officer_days']:,} officer-days, "
        f"{m['unscheduled']:,} unscheduled"
    )


def machine_seconds(repeats: int = 3) -> float:
    """The fewest seconds of ``repeats`` runs of a fixed piece of work like the commands'
    own: a Python loop over integers, 300,000 SHA-256 digests of short strings (as the
    draw and the codes make) and their sort. The steps are bound by one core's speed
    (two at most), and so is this."""
    took = []
    for _ in range(repeats):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i * i % 7
        digests = [hashlib.sha256(b"%d" % i).digest() for i in range(300_000)]
        digests.sort()
        took.append(time.perf_counter() - started)
    return min(took)


def best(runs: list[dict[str, Timed]]) -> dict[str, Timed]:
    """Per step, the run with the least wall time (the one least disturbed)."""
    return {step: min((r[step] for r in runs), key=lambda t: t.wall) for step in runs[0]}


def pairs(before: list[dict[str, Timed]], after: list[dict[str, Timed]]) -> str:
    """Per step, each pair's wall times (``--against``'s, then the code's) and the code's
    difference from it, with the median difference."""
    lines = ["  wall s, run by run (against → code; difference):"]
    for step in after[0]:
        diffs = [a[step].wall - b[step].wall for b, a in zip(before, after, strict=True)]
        shown = ", ".join(
            f"{b[step].wall:.1f} → {a[step].wall:.1f}" for b, a in zip(before, after, strict=True)
        )
        lines.append(
            f"  {step:<8} {shown}; {', '.join(f'{d:+.1f}' for d in diffs)}"
            f" (median {statistics.median(diffs):+.2f})"
        )
    return "\n".join(lines)


def table(profile: str, enterprises: int, figures: dict[str, Timed], about: str) -> str:
    lines = [
        f"{profile} ({enterprises:,} enterprises): {about}",
        f"  {'step':<8} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9}",
    ]
    lines += [
        f"  {step:<8} {t.wall:>8.1f} {t.cpu:>8.1f} {t.peak_mib:>9.0f}"
        for step, t in figures.items()
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--keep", type=Path, default=ROOT / "benchmarks" / "out" / "profiles")
    parser.add_argument("--code", type=Path, help="run the commands of this copy of the package")
    parser.add_argument(
        "--against", type=Path, help="also run this copy, alternating with the code measured"
    )
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--postgres", metavar="URL", help="run on this PostgreSQL server (databases URL_…)"
    )
    args = parser.parse_args()
    steps = args.steps.split(",")
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps: {', '.join(unknown)}")
    print(f"machine: {machine_seconds():.2f} s for the reference work (machine_seconds)")
    sys.stdout.flush()
    for profile in args.profiles.split(","):
        folder = args.keep / f"{profile}-{args.enterprises}"
        graded: Database = (
            prepare_postgres(folder, args.postgres, args.enterprises, profile, args.code)
            if args.postgres
            else prepare(folder, args.enterprises, profile)
        )
        runs = []
        before: list[dict[str, Timed]] = []  # --against's, each run just before its pair's
        speeds = []  # the machine's pace before each run: how disturbed the runs were
        for run in range(args.runs):
            speeds.append(machine_seconds())
            if args.against is None:
                runs.append(measure(folder, graded, args.code, steps))
                continue
            # In turns first and second (ABBA): a pair's second run was slower by itself.
            pair = [(before, args.against), (runs, args.code)][:: 1 if run % 2 == 0 else -1]
            for kept, code in pair:
                kept.append(measure(folder, graded, code, steps))
        if isinstance(graded, str):
            about = shape(_work(graded, "work")) if {"plan", "file", "replan"} & set(steps) else ""
        else:
            about = shape(folder / "work.db") if (folder / "work.db").exists() else ""
        engine = "PostgreSQL" if args.postgres else "SQLite"
        print(table(profile, args.enterprises, best(runs), f"{engine}; {about}"))
        print(f"  machine before each run: {', '.join(f'{x:.2f}' for x in speeds)} s")
        if before:
            print(table(profile, args.enterprises, best(before), f"{engine}; {args.against}"))
            print(pairs(before, runs))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
