"""Benchmark: a city's districts fanned out, the local engine against Ray.

    .venv/bin/python benchmarks/bench_city.py [--districts 16] [--enterprises 40000]
        [--db postgresql://postgres@127.0.0.1:5432/ji_bench_city] [--cpus 2] [--work DIR]
        [--skip-prepare] [--project 650000 [--reference]] [--jobs grade,plan,replan]
        [--repeat N]

A synthetic city (``generate --city``: Shanghai's districts, each a synthetic district
with a seed of its own) is imported into a fresh PostgreSQL database (the database named
in ``--db`` is dropped and made anew), one schema per district. Then ``grade`` and
``plan`` run over every district, first on the local engine (one district after another,
in this process), then on a local Ray cluster of ``--cpus`` CPUs (the cluster's start is
timed apart: a standing cluster does not pay it). Each district's plan must come out
byte for byte the same on both engines; the benchmark stops if one does not.

``--jobs`` also takes ``replan``, the city's night: every district's draft is filed
(untimed), the filed city is kept as a template database, and each district gets complaint
triggers for 1 % of its filed visits' enterprises in its folder of the inbox; then
``replan --all-districts`` runs on each engine, the second on a fresh copy of the
template, and each district's new revision must come out byte for byte the same.

``--repeat N`` measures each job N times on each engine, the engines taking turns to go
first, and reports the median speedup beside every run's (the detail below is the median
run's): a shared machine's speed drifts by a quarter from one minute to the next, more
than the difference being measured. Every run's plans or revisions must be byte for byte
the first's.

Printed: wall time per engine and the speedup; per district, its task's time and its
worker's peak resident memory; the database server's CPU time per run, when it runs on
this machine; and a projection for ``--project`` enterprises a district on k machines of
``--cpus`` CPUs each, from the measured per-district times scaled linearly in the number
of enterprises (grading and planning are close to linear at district scale) or, with
``--reference``, from one district of that size measured here, and the measured
per-district cost of Ray. Every worker reads from and writes to the one database server,
so the projection also gives the server's own floor: the city's database CPU time over
``--db-cpus`` cores (a makespan below it is not reached, however many machines).
"""

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

QUARTER = "2025Q3"
SEED = "bench-city"
NOW = dt.datetime(2025, 6, 20, 2, 0, tzinfo=dt.UTC)
#: The night replanned (a Monday inside the quarter) and its run's moment, one for both
#: engines so that their revisions compare byte for byte.
REPLAN_AS_OF = dt.date(2025, 8, 4)
REPLAN_NOW = dt.datetime(2025, 8, 3, 18, 0, tzinfo=dt.UTC)
NIGHT_SHARE = 0.01
JOBS = ("grade", "plan", "replan")


def database_cpu(url: str) -> float | None:
    """CPU seconds the PostgreSQL server's processes have used so far, when it runs on
    this machine (Linux): its backends' own, and those of the backends that have ended
    (the postmaster's reaped children). None when the server is elsewhere."""
    from sqlalchemy import make_url

    if make_url(url).host not in ("127.0.0.1", "localhost", "::1", None):
        return None
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if not (proc / "comm").read_text().startswith("postgres"):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile: the postmaster's children's times hold it
            continue
        total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / tick if total else None


def fresh_database(url: str, template: str | None = None) -> None:
    """The database of ``url`` made anew: empty, or a copy of ``template`` (a database on
    the same server); whoever is connected to either is disconnected first."""
    from sqlalchemy import create_engine, make_url, text

    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in (name, template):
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": database},
            )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        copied = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    admin.dispose()


def prepare(url: str, work: Path, districts: int, enterprises: int) -> list[str]:
    """Generate the city (reused when ``work`` holds it) and import it district by
    district into a fresh database."""
    from jointinspect.data.synthetic.city import INDEX_FILE, generate_city
    from jointinspect.database import open_database
    from jointinspect.districts import init_district
    from jointinspect.importing import import_bundle
    from jointinspect.models.quarter import Quarter
    from jointinspect.options import Options

    city = work / f"city-{districts}x{enterprises}"
    started = time.monotonic()
    if not (city / INDEX_FILE).exists():
        generate_city(
            city,
            districts=districts,
            enterprises=enterprises,
            seed="bench-city",
            quarter=Quarter.parse(QUARTER),
        )
    generated = time.monotonic()
    fresh_database(url)
    codes = sorted(p.name for p in city.iterdir() if p.is_dir())
    options = Options(config_dir=work / "keys")
    for code in codes:
        init_district(url, code, options=options)
        engine = open_database(url, district=code)
        import_bundle(city / code / "bundle", engine=engine)
        engine.dispose()
    print(
        f"prepared {len(codes)} districts × {enterprises:,}: generate "
        f"{generated - started:.1f} s, import {time.monotonic() - generated:.1f} s",
        file=sys.stderr,
    )
    return codes


def timed_run(job: str, url: str, work: Path, engine: str, cpus: int) -> tuple[Any, float | None]:
    """:func:`run`, and the database server's CPU seconds during it (None: not here)."""
    before = database_cpu(url)
    result = run(job, url, work, engine, cpus)
    after = database_cpu(url)
    return result, None if before is None or after is None else after - before


def run(job: str, url: str, work: Path, engine: str, cpus: int) -> Any:
    from jointinspect.city import Fanout, grade_districts, plan_districts, replan_districts
    from jointinspect.models.quarter import Quarter
    from jointinspect.options import Options

    options = Options(config_dir=work / "keys", inbox_dir=work / "inbox")
    fanout = Fanout(engine=engine, ray_cpus=cpus, redo=True)
    if job == "grade":
        as_of = Quarter.parse(QUARTER).first_day - dt.timedelta(days=1)
        result = grade_districts(url=url, as_of=as_of, options=options, fanout=fanout)
    elif job == "plan":
        result = plan_districts(QUARTER, SEED, url=url, options=options, fanout=fanout, now=NOW)
    else:
        result = replan_districts(
            QUARTER, url=url, as_of=REPLAN_AS_OF, options=options, fanout=fanout, now=REPLAN_NOW
        )
    failed = result.failed
    if failed:
        raise SystemExit(f"{job} on {engine}: {failed[0].district.label}: {failed[0].detail}")
    return result


def clear_grades(url: str, codes: list[str]) -> None:
    """Every district without grades, so that each engine grades as for the first time:
    the upsert leaves a row that would not change alone, and the second engine would
    otherwise find its work done. Then VACUUM ANALYZE, so that no engine's run shares
    the machine with autovacuum catching up."""
    from sqlalchemy import create_engine, text

    from jointinspect.database import open_database

    for code in codes:
        engine = open_database(url, district=code)
        try:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM enterprise_grade"))
        finally:
            engine.dispose()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    admin.dispose()


def drafts(url: str, codes: list[str], folder: Path, revision: int | None = 1) -> dict[str, bytes]:
    """Each district's revision ``revision`` (None: its latest filed) as its JSON export."""
    from jointinspect.database import open_database
    from jointinspect.exporting import export_plan

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for code in codes:
        engine = open_database(url, district=code)
        path = folder / f"{code}.json"
        export_plan(QUARTER, engine=engine, fmt="json", out=path, revision=revision)
        engine.dispose()
        out[code] = path.read_bytes()
    return out


def file_every_district(url: str, codes: list[str], work: Path) -> float:
    """File each district's draft (as its coordinator would, one by one); the time."""
    from jointinspect.database import open_database
    from jointinspect.filing import file_quarter
    from jointinspect.options import Options

    started = time.monotonic()
    for code in codes:
        engine = open_database(url, district=code)
        try:
            file_quarter(
                QUARTER,
                engine=engine,
                options=Options(config_dir=work / "keys"),
                filed_by="bench",
                now=NOW,
            )
        finally:
            engine.dispose()
    return time.monotonic() - started


def night_inbox(url: str, codes: list[str], inbox: Path) -> int:
    """Each district's night: complaints for ``NIGHT_SHARE`` of its filed visits'
    enterprises in its folder of the inbox (emptied first); how many in all."""
    import shutil

    from bench_replan import FILED_TASKS, write_complaints
    from sqlalchemy import text

    from jointinspect.database import open_database

    shutil.rmtree(inbox, ignore_errors=True)
    total = 0
    for code in codes:
        engine = open_database(url, district=code)
        try:
            with engine.connect() as conn:
                tasks = list(conn.execute(text(FILED_TASKS)))
        finally:
            engine.dispose()
        total += write_complaints(inbox / code / "night-1", tasks, NIGHT_SHARE, REPLAN_AS_OF)
    return total


def ray_start(cpus: int) -> tuple[float, float]:
    """Start the cluster with a worker per CPU ready; the time it took, and a ready
    worker's resident memory (MiB) before any district's task."""
    import ray

    started = time.monotonic()
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)

    @ray.remote(num_cpus=1)
    def warm() -> float:
        import jointinspect.city  # noqa: F401  (what a task imports first)

        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    # Workers start lazily: have one per CPU up and importing before the clock runs.
    idle = ray.get([warm.remote() for _ in range(cpus)])
    return time.monotonic() - started, max(idle)


def table(job: str, local: Any, on_ray: Any) -> list[str]:
    lines = [
        f"{job}: per district: task wall s local / ray, task CPU s local / ray, worker peak "
        "MiB on ray"
    ]
    for a, b in zip(local.outcomes, on_ray.outcomes, strict=True):
        lines.append(
            f"  {a.district.label:<10} {a.seconds:6.2f} / {b.seconds:6.2f}   "
            f"{a.cpu_seconds:6.2f} / {b.cpu_seconds:6.2f}   {b.peak_mib or 0:5.0f}   {b.detail}"
        )
    lines.append(
        f"  tasks' CPU seconds: local {sum(o.cpu_seconds for o in local.outcomes):.1f}, "
        f"ray {sum(o.cpu_seconds for o in on_ray.outcomes):.1f}"
    )
    return lines


def projection(
    job: str,
    local: Any,
    on_ray: Any,
    *,
    cpus: int,
    enterprises: int,
    project: int,
    districts: int,
    idle_mib: float,
    reference: Any | None,
    db_cpu: float | None,
    db_cpus: int,
) -> list[str]:
    """Makespan of ``districts`` districts of ``project`` enterprises on k machines of
    ``cpus`` CPUs: tasks in waves of k × cpus, each as long as a district's task at that
    size (``reference``: measured on one such district; else the measured task scaled
    linearly) times the slowdown measured here of ``cpus`` tasks sharing a machine, plus
    Ray's measured cost per district (its wall time beyond the tasks' own, spread).
    ``db_cpu``: the database server's CPU seconds in the local engine's run of every
    district, scaled like a task; the floor is the city's share of it over ``db_cpus``."""
    local_task = statistics.mean(o.seconds for o in local.outcomes)
    ray_task = statistics.mean(o.seconds for o in on_ray.outcomes)
    sharing = ray_task / local_task
    waves_here = math.ceil(len(on_ray.outcomes) / cpus)
    overhead = max(on_ray.seconds - waves_here * ray_task, 0.0) / len(on_ray.outcomes)
    if reference is not None:
        task, peak, basis = reference.seconds, reference.peak_mib or 0.0, "measured"
    else:
        scale = project / enterprises
        added = max(o.peak_mib or 0 for o in on_ray.outcomes) - idle_mib
        task, peak = local_task * scale, idle_mib + max(added, 0.0) * scale
        basis = f"scaled linearly from {enterprises:,}"
    floor = None
    if db_cpu is not None:
        per_district = db_cpu / len(local.outcomes) * (project / enterprises)
        floor = districts * per_district / db_cpus
    lines = [
        f"{job}: {districts} × {project:,} projected: a district's task {task:.0f} s alone "
        f"({basis}), ×{sharing:.2f} with {cpus} on a machine (measured here), Ray's cost "
        f"{overhead:.2f} s a district; the local engine {districts * task:.0f} s; a "
        f"worker's peak {peak / 1024:.1f} GiB",
    ]
    if floor is not None:
        lines.append(
            f"   the database server: {floor * db_cpus / districts:.0f} CPU s a district, "
            f"{floor:.0f} s for the city on {db_cpus} cores (scaled linearly)"
        )
    lines.append("   machines  workers  waves   makespan")
    for k in (1, 2, 4, 8, 16):
        workers = k * cpus
        waves = math.ceil(districts / workers)
        makespan = waves * task * sharing + (districts / workers) * overhead
        bound = " (the database's floor)" if floor is not None and floor > makespan else ""
        shown = max(makespan, floor or 0.0)
        lines.append(f"   {k:>8}  {workers:>7}  {waves:>5}  {shown:>8.0f} s{bound}")
    return lines


def measure_reference(url: str, work: Path, enterprises: int, cpus: int) -> dict[str, Any]:
    """One district of ``enterprises`` in a database of its own: its grade and plan
    tasks on the local engine (time, peak memory)."""
    from sqlalchemy import make_url

    name = make_url(url).database
    ref_url = make_url(url).set(database=f"{name}_ref").render_as_string(hide_password=False)
    prepare(ref_url, work, 1, enterprises)
    outcomes = {
        job: run(job, ref_url, work, "local", cpus).outcomes[0] for job in ("grade", "plan")
    }
    for job, o in outcomes.items():
        print(
            f"reference district of {enterprises:,}: {job} {o.seconds:.1f} s "
            f"(CPU {o.cpu_seconds:.1f} s), peak {o.peak_mib or 0:.0f} MiB — {o.detail}",
            file=sys.stderr,
        )
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=16)
    parser.add_argument("--enterprises", type=int, default=40_000)
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/ji_bench_city")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ji-bench-city"))
    parser.add_argument("--project", type=int, default=650_000)
    parser.add_argument("--skip-prepare", action="store_true", help="reuse the database")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each job this many times on each engine, alternating which goes first; "
        "the median speedup is reported (a shared machine's speed drifts between runs)",
    )
    parser.add_argument(
        "--jobs", default=",".join(JOBS), help="which of grade, plan, replan to run (in order)"
    )
    parser.add_argument(
        "--db-cpus",
        type=int,
        default=os.cpu_count() or 1,
        help="cores of the city's database server, for the projection (default: this machine's)",
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="measure one district of --project enterprises for the projection (else the "
        "measured times are scaled linearly)",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.skip_prepare:
        from jointinspect.database import database_districts

        codes = [d.code for d in database_districts(args.db)]
    else:
        codes = prepare(args.db, args.work, args.districts, args.enterprises)

    figures: dict[str, Any] = {}
    report: list[str] = []
    references = (
        measure_reference(args.db, args.work, args.project, args.cpus) if args.reference else {}
    )
    # Wall times mean little on a machine others are using: say how busy it was.
    jobs = [job for job in JOBS if job in args.jobs.split(",")]
    load_before = os.getloadavg()[0]
    from sqlalchemy import make_url

    name = make_url(args.db).database or ""
    for job in jobs:
        night = 0
        if job == "replan":
            took = file_every_district(args.db, codes, args.work)
            print(f"filed {len(codes)} districts' drafts in {took:.1f} s", file=sys.stderr)
            filed = make_url(args.db).set(database=f"{name}_filed")
            fresh_database(filed.render_as_string(hide_password=False), template=name)
        expected: dict[str, bytes] | None = None
        pairs: list[tuple[Any, Any, float | None, float | None]] = []
        for n in range(args.repeat):
            # Alternate which engine goes first, so that a machine speeding up or slowing
            # down during the runs does not favour one engine.
            order = ("local", "ray") if n % 2 == 0 else ("ray", "local")
            timed: dict[str, tuple[Any, float | None]] = {}
            for engine in order:
                if engine == "ray" and "ray_start" not in figures:
                    figures["ray_start"], idle_mib = ray_start(args.cpus)
                if job == "grade":
                    clear_grades(args.db, codes)
                if job == "replan":
                    if timed or n:  # the database as filed, before each run but the first
                        fresh_database(args.db, template=f"{name}_filed")
                    night = night_inbox(args.db, codes, args.work / "inbox")
                timed[engine] = timed_run(job, args.db, args.work, engine, args.cpus)
                # Every run's plans or revisions, on either engine, byte for byte the first's.
                if job in ("plan", "replan"):
                    made = drafts(
                        args.db,
                        codes,
                        args.work / f"{job}-{engine}",
                        revision=1 if job == "plan" else None,
                    )
                    if expected is None:
                        expected = made
                    elif made != expected:
                        raise SystemExit(
                            f"a district's {job} on {engine} differs from the first run's"
                        )
            (local, db_local), (on_ray, db_ray) = timed["local"], timed["ray"]
            pairs.append((local, on_ray, db_local, db_ray))
            if args.repeat > 1:
                print(
                    f"{job} run {n + 1}/{args.repeat}: local {local.seconds:.1f} s, ray "
                    f"{on_ray.seconds:.1f} s → {local.seconds / on_ray.seconds:.2f}×",
                    file=sys.stderr,
                )
        if job == "replan":
            report.append(
                f"replan: {night:,} complaints in all ({NIGHT_SHARE:.0%} of each district's "
                f"filed visits' enterprises), as of {REPLAN_AS_OF}; each district's new "
                "revision on Ray byte for byte the local engine's: yes"
            )
        speedups = [a.seconds / b.seconds for a, b, _, _ in pairs]
        # The run of the median speedup is the one reported in detail (of an even number,
        # the lower of the middle two).
        middle = sorted(range(len(pairs)), key=speedups.__getitem__)[(len(pairs) - 1) // 2]
        local, on_ray, db_local, db_ray = pairs[middle]
        speedup = local.seconds / on_ray.seconds
        figures[job] = {
            "local": local.seconds,
            "ray": on_ray.seconds,
            "speedup": speedup,
            "speedups": speedups,
        }
        report.append(
            f"{job}: local {local.seconds:.1f} s, ray ({args.cpus} CPUs) {on_ray.seconds:.1f} s "
            f"→ speedup {speedup:.2f}×"
            + (
                f" (the median of {len(pairs)} runs, engines alternating first: "
                f"{', '.join(f'{x:.2f}' for x in speedups)}×)"
                if len(pairs) > 1
                else ""
            )
        )
        if db_local is not None and db_ray is not None:
            report.append(
                f"  the database server's CPU: local {db_local:.1f} s, ray {db_ray:.1f} s; "
                f"the tasks' own: local {sum(o.cpu_seconds for o in local.outcomes):.1f} s"
            )
        report += table(job, local, on_ray)
        report += projection(
            job,
            local,
            on_ray,
            cpus=args.cpus,
            enterprises=args.enterprises,
            project=args.project,
            districts=len(codes),
            idle_mib=idle_mib,
            reference=references.get(job),
            db_cpu=db_local,
            db_cpus=args.db_cpus,
        )
    import ray

    ray.shutdown()
    print(
        f"{len(codes)} districts × {args.enterprises:,} enterprises, PostgreSQL; "
        f"Ray cluster start {figures['ray_start']:.1f} s (not counted); a ready worker "
        f"{idle_mib:.0f} MiB; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (on {os.cpu_count()} CPUs)"
    )
    if "plan" in jobs:  # a replan's revisions are said in its own report
        print("plans on Ray byte for byte the local engine's: yes")
    print("\n".join(report))
    print(json.dumps({k: v for k, v in figures.items() if k != "ray_start"}))


if __name__ == "__main__":
    main()
