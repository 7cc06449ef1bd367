"""Benchmark: grade a district of 650,000 enterprises; report time and peak memory.

    /tmp/venv/bin/python benchmarks/bench_grade.py [--enterprises N] [--seed S]
        [--source generator|memory] [--keep DIR]
    /tmp/venv/bin/python benchmarks/bench_grade.py --db sqlite:///PATH [--as-of DATE]

``--source generator`` (default) grades the synthetic district of ``data/synthetic.py``
(generated in a child process into DIR, or reused from it, and read from its CSV files);
``--source memory`` synthesises columns in memory with volumes per enterprise like a
Shanghai district's. The timed part is what ``jointinspect grade`` does after loading:
building the inputs, credit, the relation graph, risk, grades, the choice of reasons and
the words of every reason (as ``--out`` writes them). Goal (issue 3): ≤ 20 s, ≤ 4 GiB.

``--db URL`` times the whole of ``jointinspect grade --as-of DATE --out FILE`` on an
imported district instead, phase by phase (load, build inputs, grade, then storing the
grades and writing the CSV in one pass, the CSV in a second process as the command does)
in this process, then the command itself in a child process (wall clock, CPU of it and
its children, and peak memory, start-up included). Goal (issue 15): the command ≤ 10 s
at 650,000 enterprises on two cores. Make the database once, e.g. ``jointinspect generate
DIR -n 650000 --seed bench-grade --quarter 2025Q3``, ``init`` and ``import DIR/bundle`` (a
few minutes), and reuse it: the grades are upserted, so runs can be repeated.
"""

import argparse
import csv
import datetime as dt
import hashlib
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from jointinspect.data.grading.tables import load_grading_tables
from jointinspect.grading import inputs_from_tables, store_grades
from jointinspect.models import make_engine
from jointinspect.models.timezones import CHINA
from jointinspect.risk.config import load_config
from jointinspect.risk.grade import grade
from jointinspect.risk.inputs import (
    CREDIT_KINDS,
    RELATION_KINDS,
    TRIGGER_KINDS,
    CreditEventColumns,
    EnterpriseColumns,
    IndustryRecordColumns,
    InspectionColumns,
    RelationColumns,
    TriggerColumns,
    build_inputs,
)
from jointinspect.risk.reasons import reason_cells

AS_OF = dt.date(2025, 6, 30)
YEARS_OF_HISTORY = 5
# Volumes per enterprise, roughly a Shanghai district's registers.
CREDIT_EVENTS_PER_ENTERPRISE = 0.3
INDUSTRY_RECORDS_PER_ENTERPRISE = 0.5
INSPECTIONS_PER_ENTERPRISE = 2.0
TRIGGERS_PER_ENTERPRISE = 0.05
RELATIONS_PER_ENTERPRISE = 0.6
INDUSTRIES = np.array(
    ["8911", "8051", "6210", "6220", "5212", "5221", "6511", "7212", "1491", "2451", "4710"]
)
INDUSTRY_SHARES = np.array([0.01, 0.01, 0.15, 0.1, 0.05, 0.1, 0.2, 0.2, 0.02, 0.02, 0.14])


def _rng(seed: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]))


def synthesise(n: int, seed: str) -> dict[str, object]:
    """Columns for ``build_inputs``: a hidden propensity drives events and violations."""
    rng = _rng(seed)
    uscc = np.char.add("91310120", np.char.zfill(np.arange(n).astype(str), 10))
    industry = rng.choice(INDUSTRIES, size=n, p=INDUSTRY_SHARES / INDUSTRY_SHARES.sum())
    propensity = rng.beta(1.2, 8.0, size=n)
    days = YEARS_OF_HISTORY * 365

    def pick(count: int) -> np.ndarray:
        weights = propensity / propensity.sum()
        return rng.choice(n, size=count, p=weights)

    def dates(count: int) -> np.ndarray:
        return np.datetime64(AS_OF, "D") - rng.integers(0, days, size=count)

    ce = int(n * CREDIT_EVENTS_PER_ENTERPRISE)
    ce_who = pick(ce)
    ir = int(n * INDUSTRY_RECORDS_PER_ENTERPRISE)
    ir_who = rng.integers(0, n, size=ir)
    ins = int(n * INSPECTIONS_PER_ENTERPRISE)
    ins_who = rng.integers(0, n, size=ins)
    violated = rng.random(ins) < propensity[ins_who]
    tr = int(n * TRIGGERS_PER_ENTERPRISE)
    tr_who = pick(tr)
    rel = int(n * RELATIONS_PER_ENTERPRISE)
    a = rng.integers(0, n, size=rel)
    b = np.clip(a + rng.integers(-50, 50, size=rel), 0, n - 1)
    return {
        "enterprises": EnterpriseColumns(uscc, industry, np.ones(n, dtype=bool)),
        "credit_events": CreditEventColumns(
            uscc[ce_who],
            np.array([k.value for k in CREDIT_KINDS])[rng.integers(0, len(CREDIT_KINDS), ce)],
            dates(ce),
            rng.integers(1, 4, size=ce),
        ),
        "industry_records": IndustryRecordColumns(
            uscc[ir_who],
            rng.choice(np.array(["SCJ", "WJ", "XF"]), size=ir),
            rng.choice(np.array(["food", "hygiene", "fire"]), size=ir),
            np.clip(100 - 100 * propensity[ir_who] + rng.normal(0, 10, ir), 0, 100),
            dates(ir),
        ),
        "inspections": InspectionColumns(
            uscc[ins_who], dates(ins), np.where(violated, "violation", "compliant")
        ),
        "triggers": TriggerColumns(
            uscc[tr_who],
            np.array([k.value for k in TRIGGER_KINDS])[rng.integers(0, len(TRIGGER_KINDS), tr)],
            dates(tr),
            rng.integers(1, 4, size=tr),
        ),
        "relations": RelationColumns(
            uscc[a],
            uscc[b],
            np.array([k.value for k in RELATION_KINDS])[rng.integers(0, len(RELATION_KINDS), rel)],
        ),
    }


def generated(n: int, seed: str, keep: Path) -> tuple[dt.date, dict[str, object]]:
    """Columns read from the generator's bundle in ``keep`` (generated there if absent)."""
    bundle = keep / "bundle"
    if not (bundle / "enterprises.csv").exists():
        subprocess.run(
            [
                str(Path(sys.executable).parent / "jointinspect"),
                "generate",
                str(keep),
                "-n",
                str(n),
                "--seed",
                seed,
                "--quarter",
                "2025Q3",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    as_of = dt.date(2025, 6, 30)  # the day before the quarter: the generator's last day

    def read(name: str, *fields: str) -> list[list[str]]:
        path = bundle / name
        if not path.exists():
            return [[] for _ in fields]
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return [[r[f] for r in rows] for f in fields]

    def days(texts: list[str]) -> np.ndarray:
        return np.array(texts, dtype="datetime64[D]")

    uscc, industry, status = read("enterprises.csv", "uscc", "industry", "status")
    cu, ck, cd, cs = read("credit_events.csv", "uscc", "kind", "date", "severity")
    iu, idp, ii, iv, idt = read(
        "industry_records.csv", "uscc", "department", "indicator", "value", "date"
    )
    hu, hd, hr = read("history.csv", "uscc", "date", "result")
    tu, tk, tr, ts = read("triggers.csv", "uscc", "kind", "received_at", "severity")
    ra, rb, rk = read("relations.csv", "uscc_a", "uscc_b", "kind")
    china = [dt.datetime.fromisoformat(t).astimezone(CHINA).date() for t in tr]
    return as_of, {
        "enterprises": EnterpriseColumns(uscc, industry, [s != "closed" for s in status]),
        "credit_events": CreditEventColumns(cu, ck, days(cd), [int(s) if s else None for s in cs]),
        "industry_records": IndustryRecordColumns(
            iu, idp, ii, np.array(iv, dtype=np.float64), days(idt)
        ),
        "inspections": InspectionColumns(hu, days(hd), hr),
        "triggers": TriggerColumns(tu, tk, china, [int(s) if s else None for s in ts]),
        "relations": RelationColumns(ra, rb, rk),
    }


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def command_phases(url: str, as_of: dt.date, out: Path) -> None:
    """Time what ``grade --as-of --out`` does, phase by phase, then the command itself."""
    config = load_config()
    engine = make_engine(url)
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    children0 = _cpu_seconds(resource.RUSAGE_CHILDREN)
    tables = load_grading_tables(engine=engine, as_of=as_of)
    t1 = time.perf_counter()
    inputs = inputs_from_tables(tables, as_of)
    del tables
    t2 = time.perf_counter()
    result = grade(inputs, config)
    t3 = time.perf_counter()
    stored = store_grades(result, engine=engine, out=out)
    t4 = time.perf_counter()
    cpu4 = _cpu_seconds()
    children = _cpu_seconds(resource.RUSAGE_CHILDREN) - children0
    engine.dispose()
    print(f"enterprises            {inputs.size:>12,} ({stored:,} grades stored)")
    print(f"load from the database {t1 - t0:>10.2f} s")
    print(f"build inputs           {t2 - t1:>10.2f} s")
    print(f"grade (scores+reasons) {t3 - t2:>10.2f} s")
    print(f"store grades + the CSV {t4 - t3:>10.2f} s (the CSV's process: {children:.2f} s CPU)")
    print(f"in-process total       {t4 - t0:>10.2f} s wall, {cpu4 - cpu0:.2f} s CPU")
    print(f"peak RSS (this process){_peak_rss_mib():>10.0f} MiB")
    command = [
        str(Path(sys.executable).parent / "jointinspect"),
        "grade",
        "--db",
        url,
        "--as-of",
        as_of.isoformat(),
        "--out",
        str(out),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t6 = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    t7 = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"`grade --out` command  {t7 - t6:>10.2f} s wall, {cpu:.2f} s CPU, "
        f"peak RSS {after.ru_maxrss / 1024:.0f} MiB (start-up included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--seed", default="bench-grade")
    parser.add_argument("--source", choices=("generator", "memory"), default="generator")
    parser.add_argument("--keep", type=Path, default=Path("benchmarks/out/grade"))
    parser.add_argument("--db", help="time the whole `grade --out` on this imported database")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF)
    args = parser.parse_args()
    if args.db:
        args.keep.mkdir(parents=True, exist_ok=True)
        command_phases(args.db, args.as_of, args.keep / "grades.csv")
        return

    config = load_config()
    t0 = time.perf_counter()
    if args.source == "generator":
        as_of, columns = generated(args.enterprises, args.seed, args.keep)
    else:
        as_of, columns = AS_OF, synthesise(args.enterprises, args.seed)
    t1 = time.perf_counter()
    cpu1 = _cpu_seconds()
    inputs = build_inputs(as_of=as_of, **columns)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    result = grade(inputs, config)
    t3 = time.perf_counter()
    cells = reason_cells(result, join="; ", between=" / ")  # what --out writes
    words = len(result.reasons.ent)
    t4 = time.perf_counter()
    cpu4 = _cpu_seconds()
    n = inputs.size
    print(f"enterprises            {n:>12,}")
    print(f"credit events          {len(inputs.credit_events.ent):>12,}")
    print(f"industry records       {len(inputs.industry_records.ent):>12,}")
    print(f"inspections            {len(inputs.inspections.ent):>12,}")
    print(f"triggers               {len(inputs.triggers.ent):>12,}")
    print(f"relations              {len(inputs.relations.a):>12,}")
    print(f"source                 {args.source:>12}")
    print(f"load inputs            {t1 - t0:>10.2f} s (generation/CSV reading, not grading)")
    print(f"build inputs           {t2 - t1:>10.2f} s")
    print(f"grade (scores+reasons) {t3 - t2:>10.2f} s")
    print(f"reason words ({words:,}, {len(cells):,} cells)  {t4 - t3:>10.2f} s")
    print(f"grading total          {t4 - t1:>10.2f} s wall, {cpu4 - cpu1:.2f} s CPU")
    print(f"peak RSS               {_peak_rss_mib():>10.0f} MiB")
    print(
        "grade mix              " + "  ".join(f"{g} {c / n:.1%}" for g, c in result.mix().items())
    )


if __name__ == "__main__":
    main()
