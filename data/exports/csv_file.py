"""``export --format csv``: the plan's visits, one row per (visit, task), then its off-site
checks, one row each (``mode`` = ``offsite``: no date, slot or officers; a due date), UTF-8
with a BOM so that Excel shows Chinese text correctly (contract §4). Every row names the
plan, the revision and when it was filed, so a file passed around says what it is.

USCCs are written exactly as they are. Excel turns an all-digit USCC (possible: the check
character may be a digit) into a number when it opens a CSV by double-click, and no CSV
spelling stops that without either showing in the cell or being a formula: ``="…"`` is a
formula (what :func:`safe_text` exists to defuse), a leading tab or quote stays in the
value that other programs read. So the CSV stays exact for the systems that read it, and
clerks are pointed to what Excel users do: open the XLSX export (USCCs are text cells
there), or import the CSV with Data → From Text/CSV and set the USCC column to Text.
"""

import csv
from collections.abc import Iterator
from pathlib import Path

from jointinspect.data.exports.files import safe_text, written_whole
from jointinspect.data.exports.view import Names, TaskRow, task_rows
from jointinspect.data.plans.document import PlanDocument, format_timestamp

#: (English header, Chinese header) for each column, in order. Columns are only ever added
#: at the end: department systems read these files by position as well as by name.
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
    ("partners", "联合检查部门"),
    ("due", "完成期限"),
    ("plan_id", "计划编号"),
    ("revision", "修订版本"),
    ("status", "状态"),
    ("filed_at", "备案时间"),
)
HEADER_LANGUAGES = ("en", "zh")


def header(language: str) -> list[str]:
    if language not in HEADER_LANGUAGES:
        raise ValueError(f"header language must be one of {HEADER_LANGUAGES}, not {language!r}")
    return [en if language == "en" else zh for en, zh in COLUMNS]


def _or_blank(value: object) -> str:
    return "" if value is None else str(value)


def _fields(row: TaskRow) -> list[str]:
    return [
        row.code,
        _or_blank(row.date),
        _or_blank(row.order),
        row.uscc,
        row.enterprise,
        row.town,
        row.address,
        row.mode,
        row.department,
        row.department_name,
        row.item,
        row.item_name,
        row.demand_id,
        row.source,
        row.inspectors,
        row.partners,
        _or_blank(row.due),
    ]


def rows(doc: PlanDocument, names: Names) -> Iterator[list[str]]:
    """One row per visit task, then one per off-site check, every field made safe for a
    spreadsheet (:func:`safe_text`); ``push`` sends the same rows."""
    filed_at = "" if names.filed_at is None else format_timestamp(names.filed_at)
    plan = [doc.plan_id, str(doc.revision), doc.status, filed_at]
    for row in task_rows(doc, names):
        yield [safe_text(value) for value in (*_fields(row), *plan)]


def write_csv(doc: PlanDocument, names: Names, out: Path, *, language: str = "zh") -> Path:
    """Write the CSV to ``out`` whole (see :func:`written_whole`); returns the path."""
    with written_whole(out, "csv") as temp, temp.open("w", encoding="utf-8-sig", newline="") as f:
        # utf-8-sig writes the BOM Excel needs to read the file as UTF-8.
        writer = csv.writer(f)
        writer.writerow(header(language))
        writer.writerows(rows(doc, names))
    return out
