"""Reading one bundle file: UTF-8 (a BOM is ignored), a header row, records with line numbers.

A record that spans lines (a quoted cell with a line break) is named by the line it
starts on; the header is line 1. Blank lines, and rows whose cells are all empty (what
spreadsheets leave at the end of a sheet), are skipped.
"""

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from jointinspect.data.bundle.errors import WHOLE_FILE, WHOLE_ROW, Problem


@dataclass(slots=True)
class CsvTable:
    """The header and records of one file, each record with the line it starts on."""

    name: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _decode(name: str, data: bytes) -> str | Problem:
    """The text of ``data``, or the problem naming the line of the first bad byte."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(
            name,
            line,
            WHOLE_ROW,
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02X} at byte {column} of the"
            " line); save it as UTF-8 (in Excel: 'CSV UTF-8'), not GBK/GB18030",
        )


def _records_with_lines(text: str) -> tuple[list[list[str]], list[int]]:
    """Records after the header, each with the line it starts on (for quoted line breaks)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next(reader)
    rows: list[list[str]] = []
    lines: list[int] = []
    previous = reader.line_num
    for row in reader:
        if any(row):
            rows.append(row)
            lines.append(previous + 1)
        previous = reader.line_num
    return rows, lines


def _report_bad_quoting(name: str, text: str, exc: csv.Error, problems: list[Problem]) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous = 0  # lines read before the record being read
    try:
        for _row in reader:
            previous = reader.line_num
    except csv.Error:
        pass
    problems.append(
        Problem(
            name,
            previous + 1,
            WHOLE_ROW,
            f"the CSV cannot be read from here on ({exc}); check the quotes: a quoted cell"
            ' must end with a quote, and a quote inside a cell is written twice ("")',
        )
    )


def read_table(path: Path, problems: list[Problem]) -> CsvTable | None:
    """The table in ``path``; None (with the reason appended to ``problems``) if unreadable."""
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(name, WHOLE_FILE, WHOLE_ROW, f"cannot read the file: {exc}"))
        return None
    text = _decode(name, data)
    del data
    if isinstance(text, Problem):
        problems.append(text)
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        # Read again record by record to name the line the bad record starts on.
        _report_bad_quoting(name, text, exc, problems)
        return None
    if not records or not any(cell.strip() for cell in records[0]):
        problems.append(
            Problem(name, 1, WHOLE_ROW, "the first line must be the header row; it is empty")
        )
        return None
    table = CsvTable(name, [cell.strip() for cell in records[0]])
    if reader.line_num == len(records):
        # No record spans lines (the usual case): record i is on line i + 1.
        body = records[1:]
        del records
        blank = [i for i, row in enumerate(body) if not any(row)]
        if not blank:
            table.rows, table.lines = body, list(range(2, len(body) + 2))
        else:
            skip = set(blank)
            table.rows = [row for i, row in enumerate(body) if i not in skip]
            table.lines = [i + 2 for i in range(len(body)) if i not in skip]
        return table
    del records
    table.rows, table.lines = _records_with_lines(text)
    return table
