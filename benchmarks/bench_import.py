"""Benchmark: import a district of 650,000 enterprises (with their rows) into SQLite.

    /tmp/venv/bin/python benchmarks/bench_import.py                # 650,000 enterprises
    /tmp/venv/bin/python benchmarks/bench_import.py --enterprises 50000 --keep /tmp/b

The bundle comes from the synthetic district generator (``data/synthetic*.py``) when it
offers ``generate_district``; otherwise (``--source stdlib``, or when the generator is not
there) it is written here with the standard library: plausible sizes and values, every row
valid. Generation runs in a child process, so that the peak memory printed is the
import's own. Goal (issue 2): 100,000+ enterprise rows per second including validation,
peak memory under 4 GiB.
"""

import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from jointinspect.data.bundle.errors import BundleInvalid
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.bundle.validation import ImportProgress
from jointinspect.models import create_schema, make_engine
from jointinspect.models.uscc import complete

TOWNS = ["南桥镇", "奉城镇", "庄行镇", "金汇镇", "四团镇", "青村镇", "柘林镇", "海湾镇"]
TOWNS += ["西渡街道", "奉浦街道", "金海街道", "海湾旅游区"]
INDUSTRIES = ["1411", "5222", "9011", "8051", "5225", "6210", "2682", "5136", "7010", "4813"]
DEPARTMENTS = ["SCJ", "XF", "WJ", "WL", "YJ", "HB", "RS", "JW"]
MODES = ["onsite", "offsite", "either"]
SOURCES = ["plan", "key", "license", "complaint", "alert", "referral"]
KINDS = ["complaint", "alert", "referral"]
ENTERPRISE_COLUMNS = [
    "uscc",
    "name",
    "industry",
    "town",
    "address",
    "lat",
    "lon",
    "opened_on",
    "status",
    "legal_rep",
]
CREDIT_KINDS = ["penalty", "abnormal_list", "tax_grade_a", "tax_grade_d", "commendation"]


def _write(path: Path, header: list[str], rows: Iterator[list[object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_stdlib_bundle(out: Path, enterprises: int, seed: int = 7) -> None:
    """A valid bundle with ``enterprises`` enterprises and proportionate other files."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    usccs = [complete(f"91310120{i:09d}") for i in range(enterprises)]
    items = [(f"{d}-{k:02d}", d, MODES[k % 3]) for d in DEPARTMENTS for k in range(6)]
    inspectors = [f"{d}-{k:03d}" for d in DEPARTMENTS for k in range(60)]
    day = dt.date(2023, 1, 1)

    def date(span: int = 900) -> str:
        return (day + dt.timedelta(days=rng.randrange(span))).isoformat()

    _write(out / "departments.csv", ["code", "name"], ([d, f"{d}局"] for d in DEPARTMENTS))
    _write(
        out / "enterprises.csv",
        ENTERPRISE_COLUMNS,
        (
            [
                code,
                f"上海{TOWNS[i % 12][:2]}第{i}号企业有限公司",
                INDUSTRIES[i % len(INDUSTRIES)],
                TOWNS[i % 12],
                f"{TOWNS[i % 12]}某某路{i % 997}号",
                f"{30.85 + rng.random() * 0.15:.6f}",
                f"{121.35 + rng.random() * 0.25:.6f}",
                (dt.date(2000, 1, 1) + dt.timedelta(days=i % 8000)).isoformat(),
                "active" if i % 20 else "closed",
                f"LR-{i // 3}",
            ]
            for i, code in enumerate(usccs)
        ),
    )
    _write(
        out / "items.csv",
        ["code", "department", "name", "industries", "minutes", "mode", "no_disturb"],
        (
            [c, d, f"{c} 检查", "1411;52;9011" if i % 2 else "*", 30 + i, m, int(i % 5 == 0)]
            for i, (c, d, m) in enumerate(items)
        ),
    )
    _write(
        out / "inspectors.csv",
        ["id", "department", "name", "cert_no", "cert_valid_until", "home_town"],
        (
            [p, p.split("-")[0], f"执法员{p}", f"C{n:06d}", "2027-12-31", TOWNS[n % 12]]
            for n, p in enumerate(inspectors)
        ),
    )
    _write(
        out / "relations.csv",
        ["uscc_a", "uscc_b", "kind"],
        ([usccs[i], usccs[i + 1], "legal_rep"] for i in range(0, enterprises - 1, 3)),
    )
    _write(
        out / "credit_events.csv",
        ["id", "uscc", "kind", "date", "severity", "department", "detail"],
        (
            [
                f"CE-{n}",
                usccs[rng.randrange(enterprises)],
                CREDIT_KINDS[n % 5],
                date(),
                1 + n % 3,
                DEPARTMENTS[n % 8],
                "",
            ]
            for n in range(enterprises // 3)
        ),
    )
    _write(
        out / "industry_records.csv",
        ["id", "uscc", "department", "indicator", "value", "date"],
        (
            [f"IR-{n}", usccs[n * 5], "SCJ", "食品安全", f"{rng.random() * 100:.1f}", date()]
            for n in range(enterprises // 5)
        ),
    )
    _write(
        out / "availability.csv",
        ["inspector_id", "date", "available"],
        (
            [p, (day + dt.timedelta(days=k * 7)).isoformat(), 0]
            for p in inspectors
            for k in range(10)
        ),
    )
    _write(
        out / "conflicts.csv",
        ["inspector_id", "uscc", "reason"],
        ([p, usccs[n * 97 % enterprises], "亲属"] for n, p in enumerate(inspectors)),
    )
    _write(
        out / "no_disturb.csv",
        ["uscc", "since", "until", "reason"],
        ([usccs[n], "2024-01-01", "", "A级"] for n in range(0, enterprises, 20)),
    )
    _write(
        out / "sampling_rules.csv",
        ["department", "item", "grade", "ratio"],
        (
            [d, c, g, r]
            for c, d, _ in items
            for g, r in zip("ABCD", ["0.03", "0.05", "0.1", "0.2"], strict=True)
        ),
    )
    onsite = [(c, d) for c, d, m in items if m != "offsite"]
    _write(
        out / "demands.csv",
        ["id", "department", "item", "uscc", "source", "earliest", "latest", "priority"],
        (
            [
                f"D-{n}",
                onsite[n % len(onsite)][1],
                onsite[n % len(onsite)][0],
                usccs[rng.randrange(enterprises)],
                SOURCES[n % 6],
                "2025-07-01",
                "2025-09-30",
                1 + n % 5,
            ]
            for n in range(enterprises // 20)
        ),
    )
    _write(
        out / "triggers.csv",
        ["id", "uscc", "kind", "received_at", "department", "item", "severity", "detail"],
        (
            [
                f"T-{n}",
                usccs[rng.randrange(enterprises)],
                KINDS[n % 3],
                f"{date(180)}T{n % 24:02d}:15:00+08:00",
                onsite[n % len(onsite)][1],
                onsite[n % len(onsite)][0],
                1 + n % 3,
                "12345 投诉",
            ]
            for n in range(enterprises // 100)
        ),
    )
    _write(
        out / "history.csv",
        ["id", "uscc", "department", "date", "result", "item", "detail"],
        (
            [
                f"H-{n}",
                usccs[n % enterprises],
                items[n % len(items)][1],
                date(),
                ("compliant", "minor", "violation")[n % 3],
                items[n % len(items)][0],
                "",
            ]
            for n in range(enterprises)
        ),
    )


def _generate(out: Path, enterprises: int, source: str) -> str:
    """Write the bundle in a child process; returns which generator wrote it."""
    code = (
        "import sys; from pathlib import Path; "
        "sys.path.insert(0, str(Path(sys.argv[1]).parent)); import bench_import as b; "
        "print(b._generate_here(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, __file__, str(out), str(enterprises), source],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _generate_here(out: Path, enterprises: int, source: str) -> str:
    if source in ("auto", "synthetic"):
        try:
            from jointinspect.data.synthetic.district import generate_district
        except ImportError:
            if source == "synthetic":
                raise
        else:
            from jointinspect.models.quarter import Quarter

            district = generate_district(
                out, enterprises=enterprises, seed="bench", quarter=Quarter.parse("2025Q3")
            )
            return f"synthetic:{district.bundle_dir}"
    write_stdlib_bundle(out, enterprises)
    return f"stdlib:{out}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--source", choices=["auto", "synthetic", "stdlib"], default="auto")
    parser.add_argument("--keep", type=Path, help="write the bundle and database here and keep")
    parser.add_argument("--bundle", type=Path, help="import this bundle instead of generating")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="ji-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.bundle is not None:
        bundle = args.bundle
    else:
        started = time.perf_counter()
        made = _generate(work / "district", args.enterprises, args.source)
        kind, _, where = made.partition(":")
        bundle = Path(where)
        print(f"generated ({kind}) {bundle} in {time.perf_counter() - started:.1f} s")

    db = work / "bench.db"
    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    create_schema(engine)

    last = [0.0]

    def progress(event: ImportProgress) -> None:
        now = time.perf_counter()
        if event.phase == "validate" or now - last[0] > 5 or event.done == event.total:
            last[0] = now
            print(f"  {event.phase:8} {event.file:22} {event.done:>9,}/{event.total:,}")

    load_before = os.getloadavg()[0]
    cpu_before = os.times()
    try:
        report = import_bundle(bundle, engine=engine, progress=progress)
    except BundleInvalid as exc:
        print(f"{exc}:", *exc.problems[:20], sep="\n")
        raise SystemExit(1) from None
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"\n{'file':22} {'rows':>10} {'check s':>8} {'write s':>8} {'rows/s':>9} {'rows/CPU s':>10}"
    )
    for f in report.files:
        spent = f.validate_seconds + f.write_seconds
        cpu_spent = f.validate_cpu_seconds + f.write_cpu_seconds
        per_second = f.rows / spent if spent else 0.0
        per_cpu_second = f.rows / cpu_spent if cpu_spent else 0.0
        print(
            f"{f.file:22} {f.rows:>10,} {f.validate_seconds:>8.2f} {f.write_seconds:>8.2f}"
            f" {per_second:>9,.0f} {per_cpu_second:>10,.0f}"
        )
    ent = next(f for f in report.files if f.file == "enterprises.csv")
    wall = ent.validate_seconds + ent.write_seconds
    cpu_spent = ent.validate_cpu_seconds + ent.write_cpu_seconds
    print(
        f"\nenterprise rows/s (check + write): {ent.rows / wall:,.0f} wall-clock,"
        f" {ent.rows / cpu_spent:,.0f} per CPU second"
    )
    rate = report.rows / report.seconds
    print(f"all rows: {report.rows:,} in {report.seconds:.1f} s ({rate:,.0f}/s)")
    print(f"CPU time of the import: {cpu:.1f} s (wall {report.seconds:.1f} s)")
    print(f"load average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on 2 cores")
    print(f"warnings: {len(report.warnings)}")
    print(f"peak RSS of the import process: {peak_kib / 1024**2:.2f} GiB")
    engine.dispose()


if __name__ == "__main__":
    main()
