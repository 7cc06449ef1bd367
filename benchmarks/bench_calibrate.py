"""Benchmark: learn the risk model of a district (``jointinspect calibrate``) and grade with it.

    .venv/bin/python benchmarks/bench_calibrate.py --db sqlite:///PATH [--as-of DATE]

Make the database once (a few minutes), e.g.::

    jointinspect generate DIR -n 650000 --seed bench-grade --quarter 2025Q3
    jointinspect --db sqlite:///DIR.db init && jointinspect --db sqlite:///DIR.db import DIR/bundle

Prints, in this process, the phases of a calibration (load, the features of every past
inspection as of the day before it, the fits, the validation), then times the commands
themselves in child processes (wall clock and peak memory, start-up included):
``calibrate --adopt`` and then ``grade --out`` with the adopted model.
Goals (issue 11): calibrate ≤ 60 s and ≤ 4 GiB; grade ≤ 20 s.
"""

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jointinspect.data.grading.tables import last_inspection_date, load_grading_tables
from jointinspect.grading import inputs_from_tables
from jointinspect.models import make_engine
from jointinspect.risk.calibration import examples, validate
from jointinspect.risk.config import load_config
from jointinspect.risk.scorecard_fit import fit_scorecard


def _phases(url: str, as_of: dt.date | None) -> None:
    engine = make_engine(url)
    day = as_of or last_inspection_date(engine=engine)
    assert day is not None, "the database holds no inspections"
    config = load_config()
    started = time.perf_counter()
    tables = load_grading_tables(engine=engine, as_of=day)
    inputs = inputs_from_tables(tables, day)
    loaded = time.perf_counter()
    matrix, violated = examples(inputs, config, day)
    featured = time.perf_counter()
    model = fit_scorecard(matrix, violated, config.model)
    fitted = time.perf_counter()
    validation, _ = validate(inputs, config, config.model.holdout_days)
    validated = time.perf_counter()
    print(
        f"enterprises {inputs.size:,}; inspections to learn from {len(violated):,} "
        f"({int(violated.sum()):,} violations) up to {day}"
    )
    print(f"load + inputs      {loaded - started:6.1f} s")
    print(
        f"features           {featured - loaded:6.1f} s  "
        f"({len(violated):,} inspections × {matrix.values.shape[1]})"
    )
    print(f"fit (all history)  {fitted - featured:6.1f} s  ({len(model.features)} features kept)")
    print(
        f"validation         {validated - fitted:6.1f} s  (fit up to {validation.cutoff}, "
        "grade as of it with the learned and the default model)"
    )
    print(
        f"held-out AUC: learned {validation.learned.auc:.3f}, default "
        f"{validation.default.auc:.3f}, history alone {validation.history.auc:.3f}"
    )
    engine.dispose()


# Each command runs under a small Python parent of its own, so the peak memory reported
# is that command's (RUSAGE_CHILDREN keeps the largest child a process ever had).
_MEASURE = (
    "import resource, subprocess, sys;"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def _timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (GiB) of a command."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    return wall, int(done.stdout.strip()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an imported district's database URL")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    _phases(args.db, args.as_of)
    command = [str(Path(sys.executable).with_name("jointinspect")), "--db", args.db]
    day = ["--as-of", args.as_of.isoformat()] if args.as_of else []
    wall, peak = _timed([*command, "calibrate", "--adopt", "--force", *day])
    print(f"calibrate --adopt (whole command)   {wall:6.1f} s, peak {peak:.2f} GiB")
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "grades.csv")
        grade_day = day or []
        wall, peak = _timed([*command, "grade", *grade_day, "--out", out])
    print(f"grade --out, learned model (whole)  {wall:6.1f} s, peak {peak:.2f} GiB")


if __name__ == "__main__":
    main()
