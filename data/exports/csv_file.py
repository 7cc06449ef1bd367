"""``export --format csv``: the plan's visits, one row per (visit, task), UTF-8 with a BOM
so that Excel shows Chinese text correctly (contract §4)."""

import csv
from collections.abc import Iterator
from pathlib import Path

from jointinspect.data.exports.view import Names
from jointinspect.data.plans.document import PlanDocument

#: (English header, Chinese header) for each column, in order.
COLUMNS = (
    ("code", "检查码"),
    ("date", "检查日期"),
    ("order", "当日顺序"),
    ("uscc", "统一社会信用代码"),
    ("enterprise", "企业名称"),
    ("town", "街镇"),
    ("address", "地址"),
    ("mode", "检查方式"),
    ("department", "部门代码"),
    ("department_name", "部门"),
    ("item", "检查事项代码"),
    ("item_name", "检查事项"),
    ("demand_id", "需求编号"),
    ("source", "来源"),
    ("inspectors", "检查人员"),
)
HEADER_LANGUAGES = ("en", "zh")


def header(language: str) -> list[str]:
    if language not in HEADER_LANGUAGES:
        raise ValueError(f"header language must be one of {HEADER_LANGUAGES}, not {language!r}")
    return [en if language == "en" else zh for en, zh in COLUMNS]


def rows(doc: PlanDocument, names: Names) -> Iterator[list[str]]:
    """One row per (visit, task); the officers listed are the task's department's."""
    for v in doc.visits:
        for t in v.tasks:
            officers = "; ".join(
                f"{o.id} {names.officer(o.id)}"
                for o in v.inspectors
                if o.department == t.department
            )
            yield [
                v.code or "",
                v.date.isoformat(),
                str(v.order),
                v.uscc,
                names.enterprise(v.uscc),
                v.town,
                names.address(v.uscc),
                v.mode,
                t.department,
                names.department(t.department),
                t.item,
                names.item(t.item),
                t.demand_id,
                t.source,
                officers,
            ]


def write_csv(doc: PlanDocument, names: Names, out: Path, *, language: str = "zh") -> Path:
    """Write the CSV to ``out``; returns the path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig writes the BOM Excel needs to read the file as UTF-8.
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header(language))
        writer.writerows(rows(doc, names))
    return out
