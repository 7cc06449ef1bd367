"""``export --format xlsx``: a workbook a clerk opens as it is. The first sheet says which
plan it is (plan id, revision, status, when and by whom it was filed); then a sheet per
department with its visit tasks and off-site checks: dates are date cells, the slot a
number, USCCs and codes text cells (an all-digit USCC stays text), mode and source in
words beside their codes, and each visit's partner departments (the others on the same
joint visit). Headers are frozen and columns fit Chinese text."""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from jointinspect.data.exports.files import safe_text, written_whole
from jointinspect.data.exports.view import Names, TaskRow, task_rows
from jointinspect.data.plans.document import PlanDocument, department_share, departments_of
from jointinspect.data.report.text import TEXT, Lang, source_label, text
from jointinspect.models.timezones import CHINA

#: Excel's limit on sheet names.
SHEET_NAME_CHARS = 31
#: Characters Excel refuses in a sheet name (and control characters, which it cannot show).
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
#: Bounds on a column's width, in Excel character units.
MIN_WIDTH = 6
MAX_WIDTH = 60
#: Padding added to the widest cell of a column.
WIDTH_PADDING = 2
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Excel's "Text" number format: the cell stays text when a clerk edits it.
TEXT_FORMAT = "@"
BOLD = Font(bold=True)

Value = str | int | dt.date | dt.datetime | None


def display_width(text: str) -> int:
    """Width in Excel character units: a Chinese (wide or full-width) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def sheet_title(text: str, taken: set[str]) -> str:
    """A sheet name Excel accepts for ``text``: forbidden characters become ``_``, at most 31
    characters, no quote at either end, and unlike every name in ``taken`` (compared
    without case, as Excel does), which it joins."""
    base = _SHEET_UNSAFE.sub("_", text).strip().strip("'").strip() or "sheet"
    title = base[:SHEET_NAME_CHARS].rstrip().rstrip("'")
    number = 2
    while title.casefold() in taken:
        suffix = f" ({number})"
        title = base[: SHEET_NAME_CHARS - len(suffix)].rstrip().rstrip("'") + suffix
        number += 1
    taken.add(title.casefold())
    return title


def _text(value: str) -> str:
    # Characters XML cannot hold go first, so that what is left is what safe_text judges.
    return safe_text(ILLEGAL_CHARACTERS_RE.sub("", value))


def _label(key: str, lang: Lang, code: str) -> str:
    """The report's words for ``key`` (one vocabulary across outputs), else the code."""
    return text(key, lang) if key in TEXT else code


#: (Chinese header, English header, the row's value) for each column of a department sheet.
Column = tuple[str, str, Callable[[TaskRow, Lang], Value]]
SHEET_COLUMNS: tuple[Column, ...] = (
    ("检查码", "code", lambda r, _: r.code),
    ("检查日期", "date", lambda r, _: r.date),
    ("当日顺序", "order", lambda r, _: r.order),
    ("统一社会信用代码", "uscc", lambda r, _: r.uscc),
    ("企业名称", "enterprise", lambda r, _: r.enterprise),
    ("街镇", "town", lambda r, _: r.town),
    ("地址", "address", lambda r, _: r.address),
    ("检查方式", "mode", lambda r, lang: _label(r.mode, lang, r.mode)),
    ("检查方式代码", "mode code", lambda r, _: r.mode),
    ("部门代码", "department", lambda r, _: r.department),
    ("部门", "department name", lambda r, _: r.department_name),
    ("检查事项代码", "item", lambda r, _: r.item),
    ("检查事项", "item name", lambda r, _: r.item_name),
    ("需求编号", "demand id", lambda r, _: r.demand_id),
    ("来源", "source", lambda r, lang: source_label(r.source, lang)),
    ("来源代码", "source code", lambda r, _: r.source),
    ("检查人员", "inspectors", lambda r, _: r.inspectors),
    ("联合检查部门", "partner departments", lambda r, _: r.partners),
    ("完成期限", "due", lambda r, _: r.due),
)


def _cell(sheet: WriteOnlyWorksheet, value: Value, *, bold: bool = False) -> Cell:
    """A typed cell: dates as dates, numbers as numbers, text as text (never a formula)."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_text(value))
        cell.number_format = TEXT_FORMAT
    elif isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        # Excel stores a date as a day number either way; midnight of the day is that day.
        cell = WriteOnlyCell(sheet, value=dt.datetime.combine(value, dt.time()))
        cell.number_format = DATE_FORMAT
    else:
        cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = BOLD
    return cell


def _shown(value: Value) -> str:
    """Text as wide as ``value`` shows in its cell (dates in their number format)."""
    if isinstance(value, dt.datetime):
        return "0000-00-00 00:00:00"
    if isinstance(value, dt.date):
        return "0000-00-00"
    return "" if value is None else str(value)


def _write_table(sheet: WriteOnlyWorksheet, table: Sequence[Sequence[Value]]) -> None:
    """The table with a bold, frozen first row and widths that fit each column (set before
    any row: a write-only sheet writes its columns first)."""
    for index in range(len(table[0])):
        widest = max(display_width(_shown(row[index])) for row in table)
        width = min(MAX_WIDTH, max(MIN_WIDTH, widest + WIDTH_PADDING))
        # Worksheet._setup gives a write-only sheet its column dimensions; the stubs miss it.
        sheet.column_dimensions[get_column_letter(index + 1)].width = width  # type: ignore[attr-defined]
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, value, bold=True) for value in table[0]])
    for row in table[1:]:
        sheet.append([_cell(sheet, value) for value in row])


def _department_table(share: PlanDocument, names: Names, lang: Lang) -> list[list[Value]]:
    head: list[Value] = [zh if lang == "zh" else en for zh, en, _ in SHEET_COLUMNS]
    body: list[list[Value]] = [
        [value(row, lang) for _, _, value in SHEET_COLUMNS] for row in task_rows(share, names)
    ]
    return [head, *body]


def _wall_clock(moment: dt.datetime) -> dt.datetime:
    """China time to the second, without the zone: Excel has no time zones (the sheet says
    the times are China time)."""
    return moment.astimezone(CHINA).replace(tzinfo=None, microsecond=0)


def _plan_table(doc: PlanDocument, names: Names, lang: Lang) -> list[list[Value]]:
    """The plan's own sheet: what this workbook is a copy of."""
    zh = lang == "zh"
    filed = names.filed_at
    share = (
        f"{doc.department} {names.department(doc.department)}"
        if doc.department
        else ("全部部门" if zh else "all departments")
    )
    metrics = doc.metrics
    rows: list[tuple[str, str, Value]] = [
        ("计划编号", "plan id", doc.plan_id),
        ("季度", "quarter", doc.quarter),
        ("修订版本", "revision", doc.revision),
        ("状态", "status", _label(f"status_{doc.status}", lang, doc.status)),
        ("状态代码", "status code", doc.status),
        (
            "备案时间",
            "filed at",
            _wall_clock(filed) if filed else ("未备案" if zh else "not filed"),
        ),
        ("备案人", "filed by", names.filed_by or ""),
        ("生成时间", "generated at", _wall_clock(doc.generated_at)),
        ("随机种子", "seed", doc.seed),
        ("部门", "department", share),
        ("现场检查", "on-site visits", metrics.get("onsite_visits", len(doc.visits))),
        ("非现场检查", "off-site checks", metrics.get("offsite_checks", len(doc.offsite))),
        ("未安排", "unscheduled", metrics.get("unscheduled", len(doc.unscheduled))),
        ("说明", "note", "时间均为北京时间（UTC+8）" if zh else "times are China time (UTC+8)"),
    ]
    head: list[Value] = ["项目", "内容"] if zh else ["field", "value"]
    return [head, *([z if zh else e, value] for z, e, value in rows)]


def write_xlsx(doc: PlanDocument, names: Names, out: Path, *, language: str = "zh") -> Path:
    """Write the workbook (the plan's sheet, then one per department in ``doc``) to ``out``
    whole (see :func:`written_whole`)."""
    lang: Lang = "en" if language == "en" else "zh"
    # Built inside the block: a write-only workbook left unsaved (the target refused)
    # would complain when collected.
    with written_whole(out, "xlsx") as temp:
        workbook = Workbook(write_only=True)
        taken: set[str] = set()
        plan_title = "计划信息" if lang == "zh" else "Plan information"
        _write_table(
            workbook.create_sheet(sheet_title(plan_title, taken)), _plan_table(doc, names, lang)
        )
        for department in departments_of(doc):
            share = department_share(doc, department)
            title = sheet_title(f"{department} {names.department(department)}", taken)
            _write_table(workbook.create_sheet(title), _department_table(share, names, lang))
        workbook.save(temp)
    return out
