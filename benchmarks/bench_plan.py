"""Benchmark: the whole ``plan`` at district scale; quality figures, time and peak memory.

    .venv/bin/python benchmarks/bench_plan.py --enterprises 650000 [--source district|memory]
        [--profile default|tight|multi|dense|bigtown|every]

``district`` (default): the synthetic district generator writes a bundle, it is imported
into a fresh SQLite database and graded (as ``jointinspect grade`` does, as of the day
before the quarter), and then ``jointinspect plan`` runs in a child process — timed, with
its peak memory (ru_maxrss of the child); ``--profile`` chooses the generator's stress
profile (``generate --profile``). ``memory``: a
PlanningProblem synthesised in memory at the same scale (tests/helpers/planning_builders.py), to
time the scheduler alone.

"""

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def prepare_district(
    folder: Path, enterprises: int, quarter: str, seed: str, profile: str = "default"
) -> str:
    from jointinspect.data.bundle.importer import import_bundle
    from jointinspect.data.synthetic.district import generate_district
    from jointinspect.grading import grade_district, store_grades
    from jointinspect.models import create_schema, make_engine
    from jointinspect.models.quarter import Quarter
    from jointinspect.risk.config import load_config

    url = f"sqlite:///{folder / 'bench.db'}"
    started = time.monotonic()
    district = generate_district(
        folder / "district",
        enterprises=enterprises,
        seed=seed,
        quarter=Quarter.parse(quarter),
        profile=profile,
    )
    generated = time.monotonic()
    engine = make_engine(url)
    create_schema(engine)
    import_bundle(district.bundle_dir, engine=engine)
    imported = time.monotonic()
    as_of = Quarter.parse(quarter).first_day - dt.timedelta(days=1)
    graded = grade_district(engine=engine, as_of=as_of, config=load_config())
    store_grades(graded, engine=engine)
    engine.dispose()
    print(
        f"prepared: generate {generated - started:.1f} s, import {imported - generated:.1f} s, "
        f"grades {time.monotonic() - imported:.1f} s",
        file=sys.stderr,
    )
    return url


def run_plan_command(url: str, quarter: str, seed: str) -> dict[str, Any]:
    """``jointinspect plan`` in a child process; its time, peak memory and metrics."""
    code = (
        "import json, sys\n"
        "from jointinspect.planning import make_plan\n"
        "from jointinspect.models import make_engine\n"
        "from jointinspect.models.quarter import Quarter\n"
        "from jointinspect.models.workdays import WorkingCalendar\n"
        "from jointinspect.scheduler.params import SchedulerParams\n"
        "run = make_plan(Quarter.parse(sys.argv[2]), sys.argv[3], engine=make_engine(sys.argv[1]),"
        " calendar=WorkingCalendar(), trigger_response_days=10, prefix='FX',"
        " params=SchedulerParams.default())\n"
        "json.dump({'metrics': run.result.metrics, 'timing': run.result.timing,"
        " 'stages': run.seconds, 'drawn': run.drawn}, sys.stdout)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, url, quarter, seed],
        check=True,
        capture_output=True,
        text=True,
    )
    wall = time.monotonic() - started
    out: dict[str, Any] = json.loads(done.stdout)
    out["wall_seconds"] = round(wall, 2)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["peak_rss_mib"] = round(child.ru_maxrss / 1024, 1)
    # CPU seconds of the plan process: on a shared machine a fairer measure than wall time.
    out["cpu_seconds"] = round(child.ru_utime + child.ru_stime, 1)
    return out


def run_in_memory(enterprises: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.planning_builders import random_problem  # type: ignore[import-not-found]

    from jointinspect.scheduler.checker import check
    from jointinspect.scheduler.solve import solve

    problem = random_problem(enterprises)
    started = time.monotonic()
    result = solve(problem)
    wall = time.monotonic() - started
    violations = check(problem, result)
    return {
        "metrics": result.metrics,
        "timing": result.timing,
        "wall_seconds": round(wall, 2),
        "violations": len(violations),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def summary(figures: dict[str, Any]) -> str:
    m = figures["metrics"]
    bound = m["consolidation_lower_bound"] or 1
    ratio = m["onsite_visits"] / bound
    stages = figures.get("stages", figures["timing"])
    lines = [
        f"on-site visits       {m['onsite_visits']:>10,}  ({ratio:.4f} × lower bound "
        f"{m['consolidation_lower_bound']:,})",
        f"departments alone    {m['visits_if_departments_alone']:>10,}  "
        f"(saved {m['visits_saved']:,})",
        f"off-site checks      {m['offsite_checks']:>10,}",
        f"officer-days         {m['officer_days']:>10,}",
        f"km (great-circle)    {m['km']:>12,.0f}",
        f"unscheduled          {m['unscheduled']:>10,}  {m['unscheduled_by_reason']}",
        f"CP-SAT               {m['improvement']}",
        f"wall time            {figures['wall_seconds']:>10} s  {stages}",
        f"solver timing        {figures['timing']}",
        f"CPU time             {figures.get('cpu_seconds', '-'):>10} s",
        f"peak memory          {figures['peak_rss_mib']:>10} MiB",
    ]
    if "violations" in figures:
        lines.append(f"checker violations       {figures['violations']:>10}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--source", choices=("district", "memory"), default="district")
    parser.add_argument("--quarter", default="2025Q4")
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--profile", default="default", help="the generator's stress profile")
    parser.add_argument(
        "--keep", type=Path, help="keep the database in this folder (reused when there)"
    )
    args = parser.parse_args()
    if args.source == "memory":
        figures = run_in_memory(args.enterprises)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            db = folder / "bench.db"
            if args.keep and db.exists():  # reuse a prepared district (fresh plan only)
                url = f"sqlite:///{db}"
            else:
                url = prepare_district(
                    folder, args.enterprises, args.quarter, args.seed, args.profile
                )
            figures = run_plan_command(url, args.quarter, args.seed)
    print(f"{args.enterprises:,} enterprises ({args.source}, profile {args.profile})")
    print(summary(figures))


if __name__ == "__main__":
    main()
