"""Exports a spreadsheet cannot be turned against: text that would start a formula is
neutralised in every CSV and XLSX the product writes (OWASP CSV injection), and any
department name makes a valid, unique sheet title."""

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from helpers.grading_world import World
from helpers.plan_factory import USCC, RevisionSpec, UnscheduledSpec, add_revision, sample_plan
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

import jointinspect.grading as grading
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.exports.csv_file import rows
from jointinspect.data.exports.files import safe_text
from jointinspect.data.exports.plan import export_plan
from jointinspect.data.exports.view import load_names
from jointinspect.data.exports.xlsx import SHEET_NAME_CHARS, sheet_title
from jointinspect.data.plans.document import load_plan_document
from jointinspect.models import Department, Enterprise, Inspector, Item, session_scope
from jointinspect.models.codes import CodeKey
from jointinspect.risk.grade import GradingResult
from jointinspect.risk.reasons import ReasonCells, ReasonTexts

KEY = CodeKey("k1", bytes.fromhex("11" * 32))
#: Enterprise names a hostile registration could carry, each a formula in a spreadsheet.
HOSTILE = {
    USCC[0]: '=HYPERLINK("http://x","y")',
    USCC[1]: "-1+2",
    USCC[2]: "@SUM(A1)",
    USCC[3]: "+cmd|' /C calc'!A0",
}


def _ok(_s: Session, _r: int) -> Sequence[str]:
    return []


def _file(engine: Engine) -> None:
    file_plan(
        "2025Q3",
        engine=engine,
        key=KEY,
        filed_by="t",
        now=dt.datetime(2025, 6, 20, tzinfo=dt.UTC),
        check=_ok,
    )


def _hostile_plan(engine: Engine) -> int:
    rid = sample_plan(engine)
    with session_scope(engine) as session:
        for uscc, name in HOSTILE.items():
            enterprise = session.get(Enterprise, uscc)
            assert enterprise is not None
            enterprise.name = name
            session.add(enterprise)
        first = session.get(Enterprise, USCC[0])
        assert first is not None
        first.address = "\r奉贤区南桥镇"
        item = session.get(Item, "XF-FIRE-01")
        assert item is not None
        item.name = "\t消防安全检查"
        officer = session.get(Inspector, "SCJ-017")
        assert officer is not None
        officer.name = "=1+1"
    _file(engine)
    return rid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+86 21", "'+86 21"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("上海=公司", "上海=公司"),
        ("A-1", "A-1"),
        ("", ""),
        ("'=already", "'=already"),
    ],
)
def test_safe_text_prefixes_only_a_leading_formula_character(text: str, expected: str) -> None:
    assert safe_text(text) == expected


def test_csv_fields_that_would_be_formulas_start_with_a_quote(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _hostile_plan(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "p.csv").paths[0]
    table = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    head, body = table[0], table[1:]
    names = {r[head.index("统一社会信用代码")]: r[head.index("企业名称")] for r in body}
    assert names == {uscc: "'" + name for uscc, name in HOSTILE.items()}
    addresses = {r[head.index("地址")] for r in body if r[3] == USCC[0]}
    assert addresses == {"'\r奉贤区南桥镇"}
    fire = {
        r[head.index("检查事项")] for r in body if r[head.index("检查事项代码")] == "XF-FIRE-01"
    }
    assert fire == {"'\t消防安全检查"}
    # No field of any row starts with a character a spreadsheet reads as a formula.
    assert not [f for r in body for f in r if f[:1] in {"=", "+", "-", "@", "\t", "\r"}]


def test_the_shared_rows_that_push_sends_are_neutralised(sqlite_engine: Engine) -> None:
    rid = _hostile_plan(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        doc = load_plan_document(session=session, revision_id=rid)
        names = load_names(session=session, doc=doc)
    fields = [f for row in rows(doc, names) for f in row]
    assert "'" + HOSTILE[USCC[0]] in fields and HOSTILE[USCC[0]] not in fields


def test_xlsx_cells_that_would_be_formulas_are_quoted_strings(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _hostile_plan(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "p.xlsx").paths[0]
    book = load_workbook(path)
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in {"=", "+", "-", "@", "\t", "\r"}
                    seen.add(cell.value)
    assert {"'" + name for name in HOSTILE.values()} <= seen
    assert "'\t消防安全检查" in seen


def test_grades_csv_reasons_are_neutralised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World().firm(USCC[0]).firm(USCC[1])
    result = world.grade()
    # Reasons are the CSV's free text; make them hostile to see the writer defuse them.
    hostile = ReasonCells(
        words=[("=1+2", "a, b"), ("@x", '"y"')],
        text_of_row=np.array([0, 1], dtype=np.int64),
        bounds=np.array([0, 1, 2], dtype=np.int64),
    )
    real = grading.ReasonTexts

    def with_hostile_words(graded: GradingResult) -> ReasonTexts:
        texts = real(graded)
        texts.cells = hostile
        return texts

    monkeypatch.setattr(grading, "ReasonTexts", with_hostile_words)
    out = tmp_path / "grades.csv"
    grading.write_csv(result, out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r[5] for r in table[1:]] == ["'=1+2 / a, b", '\'@x / "y"']
    assert [r[0] for r in table[1:]] == sorted([USCC[0], USCC[1]])


# --------------------------------------------------------------------------- sheet titles

ODD_DEPARTMENTS = {
    "Q:1": "质量[监督]/检查?科*",
    "Q?1": "质量[监督]/检查?科*",  # the same title as Q:1 once the characters are replaced
    "LONG": "奉贤区" + "非常长的部门名称" * 5,
    "BS\\": "反斜杠",
}


def test_sheet_title_is_valid_and_unique() -> None:
    taken: set[str] = set()
    first = sheet_title("A:B [x]", taken)
    second = sheet_title("A?B /x\\", taken)
    assert first == "A_B _x_" and second != first
    assert second.casefold() not in {first.casefold()}
    long = sheet_title("很" * 40, taken)
    again = sheet_title("很" * 40, taken)
    assert len(long) == len(again) == SHEET_NAME_CHARS and long != again
    assert sheet_title("'quoted'", taken) == "quoted"
    assert sheet_title("plan", taken) != sheet_title("PLAN", taken)  # Excel ignores case


def test_any_department_name_makes_a_sheet(sqlite_engine: Engine, tmp_path: Path) -> None:
    with session_scope(sqlite_engine) as session:
        for code, name in ODD_DEPARTMENTS.items():
            session.add(Department(code=code, name=name))
        session.flush()
        spec = RevisionSpec(
            unscheduled=[
                UnscheduledSpec(f"U-{n}", USCC[0], code, "SCJ-FOOD-01")
                for n, code in enumerate(ODD_DEPARTMENTS)
            ]
        )
        add_revision(session, spec)
    _file(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "p.xlsx").paths[0]
    titles = load_workbook(path).sheetnames
    assert len(titles) == len(ODD_DEPARTMENTS) + 1  # and the plan's own sheet
    assert len({t.casefold() for t in titles}) == len(titles)
    for title in titles:
        assert len(title) <= SHEET_NAME_CHARS
        assert not set(title) & set("[]:*?/\\"), title
