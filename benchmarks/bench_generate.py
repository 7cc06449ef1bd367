"""Benchmark: generate a synthetic district of 650,000 enterprises; time, peak memory, rows.

    /tmp/venv/bin/python benchmarks/bench_generate.py
    /tmp/venv/bin/python benchmarks/bench_generate.py --enterprises 100000 --keep /tmp/district

Goal: 650,000 enterprises in well under a minute, peak memory under 3 GiB. The output goes
to a temporary folder (removed afterwards) unless ``--keep`` names one.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from jointinspect.data.synthetic.district import generate_district
from jointinspect.models.quarter import Quarter


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=650_000)
    parser.add_argument("--seed", default="bench")
    parser.add_argument("--quarter", default="2025Q4")
    parser.add_argument("--keep", type=Path, help="write here and keep the files")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "district"
        started = time.perf_counter()
        made = generate_district(
            out, enterprises=args.enterprises, seed=args.seed, quarter=Quarter.parse(args.quarter)
        )
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in made.bundle_dir.glob("*.csv"))

    print(f"enterprises: {args.enterprises:,}  quarter: {args.quarter}  seed: {args.seed!r}")
    print(
        f"time: {seconds:.1f} s  peak RSS: {_peak_rss_mib():,.0f} MiB"
        f"  bundle: {size / 2**20:,.0f} MiB"
    )
    for name, count in made.rows.items():
        print(f"  {name:<22} {count:>10,}")


if __name__ == "__main__":
    main()
