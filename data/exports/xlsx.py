"""``export --format xlsx``: a workbook with a sheet per department — its visit tasks and
off-site checks — with a frozen header and column widths that fit Chinese text."""

import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from jointinspect.data.exports.csv_file import header, rows
from jointinspect.data.exports.view import Names
from jointinspect.data.plans.document import PlanDocument, department_share, departments_of

#: Excel's limit on sheet names.
SHEET_NAME_CHARS = 31
#: Bounds on a column's width, in Excel character units.
MIN_WIDTH = 6
MAX_WIDTH = 60
#: Padding added to the widest cell of a column.
WIDTH_PADDING = 2


def display_width(text: str) -> int:
    """Width in Excel character units: a Chinese (wide or full-width) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _sheet_rows(doc: PlanDocument, names: Names) -> list[list[str]]:
    table = list(rows(doc, names))
    for o in doc.offsite:
        table.append(
            [
                o.code or "",
                o.due.isoformat(),
                "",
                o.uscc,
                names.enterprise(o.uscc),
                "",
                names.address(o.uscc),
                "offsite",
                o.department,
                names.department(o.department),
                o.item,
                names.item(o.item),
                o.demand_id,
                o.source,
                "",
            ]
        )
    return table


def write_xlsx(doc: PlanDocument, names: Names, out: Path, *, language: str = "zh") -> Path:
    """Write the workbook (one sheet per department in ``doc``) to ``out``."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    head = header(language)
    for department in departments_of(doc):
        share = department_share(doc, department)
        title = f"{department} {names.department(department)}"[:SHEET_NAME_CHARS]
        sheet = workbook.create_sheet(title=title.replace("/", "_"))
        table = [head, *_sheet_rows(share, names)]
        for row in table:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index in range(len(head)):
            widest = max(display_width(row[index]) for row in table)
            width = min(MAX_WIDTH, max(MIN_WIDTH, widest + WIDTH_PADDING))
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
    if not workbook.sheetnames:
        workbook.create_sheet(title="plan").append(head)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out
