"""Redo the 双随机 draw of a JointInspect plan from its published seed, with Python alone.

``jointinspect publish`` writes this file beside the disclosure, so that anyone holding
the district's files can check the draw without installing anything. It is the rule of
the interchange contract (§3), read word for word:

For each sampling rule (department, item, grade, ratio), the population is every active
enterprise of that grade to whose industry the item applies, less — for items of mode
``onsite`` — the enterprises on the no-disturb list on the first day of the quarter
(``since`` and ``until`` inclusive). Of N enterprises, the k = ceil(ratio × N) with the
smallest ``sha256("{seed}|{department}|{item}|{uscc}")`` hex digests are drawn (the ratio
is an exact decimal, so 0.07 × 100 is 7).

Usage::

    python3 redo_draw.py --seed SEED --quarter 2025Q4 --bundle DIR --grades grades.csv
    python3 redo_draw.py … --summary      # one row per rule: N and k

DIR holds ``enterprises.csv``, ``items.csv``, ``sampling_rules.csv`` and, where the
district has one, ``no_disturb.csv``, in the import bundle's format; ``grades.csv`` holds
the grades the draw used (columns ``uscc`` and ``grade``, as ``jointinspect grade --out``
writes them). The result is CSV on standard output: one row per drawn enterprise
(department, item, grade, rank, uscc, digest), or with ``--summary`` one row per rule.
"""

import argparse
import csv
import datetime as dt
import hashlib
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


class DrawInputError(Exception):
    """A file is missing or a value cannot be read."""


@dataclass(frozen=True)
class Rule:
    department: str
    item: str
    grade: str
    ratio: str
    industries: str  # the item's industries cell
    onsite_only: bool  # the item's mode is onsite


@dataclass(frozen=True)
class RuleDraw:
    rule: Rule
    population: int
    drawn: list[tuple[str, str]]  # (digest, uscc), smallest digest first


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a bundle CSV (a UTF-8 BOM is ignored, cells stripped as import does)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [
                {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(handle)
            ]
    except FileNotFoundError:
        raise DrawInputError(f"{path} does not exist") from None


def first_day(quarter: str) -> dt.date:
    match = _QUARTER.match(quarter.strip().upper())
    if not match:
        raise DrawInputError(f"quarter {quarter!r} is not of the form YYYYQn, e.g. 2025Q4")
    return dt.date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)


def applies(industries: str, industry: str) -> bool:
    """An item applies to an industry class when a listed prefix starts it, or on ``*``."""
    prefixes = tuple(p.strip() for p in industries.split(";") if p.strip())
    return "*" in prefixes or industry.startswith(prefixes)


def sample_size(ratio: str, population: int) -> int:
    return math.ceil(Decimal(ratio) * population)


def digest(seed: str, department: str, item: str, uscc: str) -> str:
    return hashlib.sha256(f"{seed}|{department}|{item}|{uscc}".encode()).hexdigest()


def load_rules(bundle: Path) -> list[Rule]:
    items = {row["code"]: row for row in read_rows(bundle / "items.csv")}
    rules = []
    for row in read_rows(bundle / "sampling_rules.csv"):
        item = items.get(row["item"])
        if item is None:
            raise DrawInputError(f"sampling rule names item {row['item']!r}, not in items.csv")
        rules.append(
            Rule(
                row["department"],
                row["item"],
                row["grade"],
                row["ratio"],
                item["industries"],
                item["mode"] == "onsite",
            )
        )
    return sorted(rules, key=lambda r: (r.department, r.item, r.grade))


def quiet_on(bundle: Path, day: dt.date) -> set[str]:
    """USCCs on the no-disturb list on ``day`` (none when the file is absent)."""
    path = bundle / "no_disturb.csv"
    if not path.exists():
        return set()
    quiet = set()
    for row in read_rows(path):
        since = dt.date.fromisoformat(row["since"])
        until = dt.date.fromisoformat(row["until"]) if row.get("until") else None
        if since <= day and (until is None or day <= until):
            quiet.add(row["uscc"])
    return quiet


def redo(seed: str, quarter: str, bundle: Path, grades_file: Path) -> list[RuleDraw]:
    day = first_day(quarter)
    grades = {row["uscc"]: row["grade"] for row in read_rows(grades_file)}
    quiet = quiet_on(bundle, day)
    enterprises = [
        (row["uscc"], row["industry"], grades.get(row["uscc"], ""))
        for row in read_rows(bundle / "enterprises.csv")
        if (row.get("status") or "active") == "active"
    ]
    result = []
    for rule in load_rules(bundle):
        pool = [
            uscc
            for uscc, industry, grade in enterprises
            if grade == rule.grade
            and applies(rule.industries, industry)
            and not (rule.onsite_only and uscc in quiet)
        ]
        k = sample_size(rule.ratio, len(pool))
        keyed = sorted((digest(seed, rule.department, rule.item, u), u) for u in pool)
        result.append(RuleDraw(rule, len(pool), keyed[:k]))
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Redo a JointInspect 双随机 draw.")
    parser.add_argument("--seed", required=True, help="the seed the disclosure publishes")
    parser.add_argument("--quarter", required=True, help="the plan's quarter, e.g. 2025Q4")
    parser.add_argument("--bundle", required=True, type=Path, help="folder of the CSV files")
    parser.add_argument("--grades", required=True, type=Path, help="grades the draw used")
    parser.add_argument("--summary", action="store_true", help="one row per rule: N and k")
    args = parser.parse_args(argv)
    try:
        draws = redo(args.seed, args.quarter, args.bundle, args.grades)
    except KeyError as exc:
        sys.stderr.write(f"Error: a file lacks the column {exc}\n")
        return 2
    except (DrawInputError, ValueError, ArithmeticError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 2
    out = csv.writer(sys.stdout, lineterminator="\n")
    if args.summary:
        out.writerow(["department", "item", "grade", "ratio", "population", "drawn"])
        for d in draws:
            r = d.rule
            out.writerow([r.department, r.item, r.grade, r.ratio, d.population, len(d.drawn)])
        return 0
    out.writerow(["department", "item", "grade", "rank", "uscc", "digest"])
    for d in draws:
        for rank, (hexdigest, uscc) in enumerate(d.drawn, start=1):
            out.writerow([d.rule.department, d.rule.item, d.rule.grade, rank, uscc, hexdigest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
