"""Exports round-trip: JSON reads back as the plan, CSV keeps Chinese (BOM), XLSX and ICS
open with their libraries and hold every visit, QR images per visit."""

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers.plan_factory import ENTERPRISES, USCC, sample_plan
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.codes.filing import file_plan
from jointinspect.data.exports.plan import UnknownDepartmentError, UnknownFormatError, export_plan
from jointinspect.data.exports.qr import NoCodesError, VerifyUrlError, qr_payload
from jointinspect.data.exports.xlsx import display_width
from jointinspect.data.plans.document import PlanDocument, load_plan_document, parse_plan_document
from jointinspect.models import session_scope
from jointinspect.models.codes import CodeKey

KEY = CodeKey("k1", bytes.fromhex("11" * 32))


def _ok(_s: Session, _r: int) -> Sequence[str]:
    return []


def _filed(engine: Engine) -> PlanDocument:
    rid = sample_plan(engine)
    file_plan(
        "2025Q3",
        engine=engine,
        key=KEY,
        filed_by="t",
        now=dt.datetime(2025, 6, 20, tzinfo=dt.UTC),
        check=_ok,
    )
    with session_scope(engine) as session:
        return load_plan_document(session=session, revision_id=rid)


def test_json_reads_back_as_the_plan(sqlite_engine: Engine, tmp_path: Path) -> None:
    doc = _filed(sqlite_engine)
    result = export_plan("2025Q3", engine=sqlite_engine, fmt="json", out=tmp_path / "p.json")
    assert result.status == "filed" and result.revision == 1
    assert parse_plan_document(result.paths[0].read_text(encoding="utf-8")) == doc


def test_json_of_a_draft(sqlite_engine: Engine, tmp_path: Path) -> None:
    sample_plan(sqlite_engine)
    result = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="json", out=tmp_path / "d.json", revision=1
    )
    back = parse_plan_document(result.paths[0].read_bytes())
    assert back.status == "draft" and all(v.code is None for v in back.visits)


def test_csv_has_bom_and_chinese(sqlite_engine: Engine, tmp_path: Path) -> None:
    doc = _filed(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "p.csv").paths[0]
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:5] == ["检查码", "检查日期", "当日顺序", "统一社会信用代码", "企业名称"]
    body = [r for r in table[1:] if r[7] == "onsite"]
    assert len(body) == sum(len(v.tasks) for v in doc.visits) == 4
    assert {r[0] for r in body} == {v.code for v in doc.visits}
    assert [r[0] for r in table[1:] if r[7] == "offsite"] == [o.code for o in doc.offsite]
    assert ENTERPRISES[USCC[0]][0] in {r[4] for r in body}
    joint_fire = next(r for r in body if r[4] == ENTERPRISES[USCC[0]][0] and r[8] == "XF")
    assert joint_fire[14] == "XF-003 李强; XF-008 刘洋"
    english = export_plan(
        "2025Q3",
        engine=sqlite_engine,
        fmt="csv",
        out=tmp_path / "en.csv",
        department="XF",
        language="en",
    ).paths[0]
    rows = list(csv.reader(io.StringIO(english.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "code" and len(rows) == 3
    assert {r[8] for r in rows[1:]} == {"XF"}


def test_xlsx_sheet_per_department_holds_every_visit(sqlite_engine: Engine, tmp_path: Path) -> None:
    doc = _filed(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "p.xlsx").paths[0]
    book = load_workbook(path)
    assert book.sheetnames == [
        "计划信息",
        "SCJ 市场监督管理局",
        "WJ 卫生健康委员会",
        "XF 消防救援支队",
    ]
    codes = set()
    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes == "A2"
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[0][4] == "企业名称"
        codes.update(r[0] for r in values[1:])
        widest = max(display_width(str(r[4] or "")) for r in values)
        assert (sheet.column_dimensions["E"].width or 0) >= widest
    assert {v.code for v in doc.visits} <= codes
    assert {o.code for o in doc.offsite} <= codes
    only = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "wj.xlsx", department="WJ"
    ).paths[0]
    assert load_workbook(only).sheetnames == ["计划信息", "WJ 卫生健康委员会"]


def test_ics_per_officer_holds_that_officers_visits(sqlite_engine: Engine, tmp_path: Path) -> None:
    doc = _filed(sqlite_engine)
    paths = export_plan("2025Q3", engine=sqlite_engine, fmt="ics", out=tmp_path / "ics").paths
    names = sorted(p.name for p in paths)
    assert "officer-XF-003.ics" in names and "department-SCJ.ics" in names
    for officer in ("XF-003", "SCJ-017", "WJ-001"):
        cal = Calendar.from_ical((tmp_path / "ics" / f"officer-{officer}.ics").read_bytes())
        events = cal.walk("VEVENT")
        expected = [v for v in doc.visits if any(o.id == officer for o in v.inspectors)]
        assert sorted(str(e["uid"]) for e in events) == sorted(
            f"{v.code}@jointinspect" for v in expected
        )
        for e in events:
            code = str(e["x-jointinspect-code"])
            visit = next(v for v in expected if v.code == code)
            assert e.decoded("dtstart") == visit.date
            assert ENTERPRISES[visit.uscc][2] == str(e["location"])
            assert code in str(e["description"])
    only = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="ics", out=tmp_path / "xf", department="XF"
    ).paths
    assert sorted(p.name for p in only) == [
        "department-XF.ics",
        "officer-XF-003.ics",
        "officer-XF-008.ics",
    ]


def test_qr_per_visit(sqlite_engine: Engine, tmp_path: Path) -> None:
    doc = _filed(sqlite_engine)
    pngs = export_plan("2025Q3", engine=sqlite_engine, fmt="qr", out=tmp_path / "qr").paths
    assert sorted(p.stem for p in pngs) == sorted(v.code or "" for v in doc.visits)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    svgs = export_plan(
        "2025Q3",
        engine=sqlite_engine,
        fmt="qr",
        out=tmp_path / "svg",
        qr_kind="svg",
        verify_base_url="https://jc.example.gov.cn/",
        department="WJ",
    ).paths
    assert len(svgs) == 1 and b"<svg" in svgs[0].read_bytes()
    assert qr_payload("AB", "https://x.cn/") == "https://x.cn/v/AB"
    assert qr_payload("AB", None) == "AB"
    with pytest.raises(VerifyUrlError):
        qr_payload("AB", "javascript:alert(1)")


def test_qr_needs_a_filed_plan_and_bad_arguments(sqlite_engine: Engine, tmp_path: Path) -> None:
    sample_plan(sqlite_engine)
    with pytest.raises(NoCodesError, match="is a draft: its visits have no") as info:
        export_plan("2025Q3", engine=sqlite_engine, fmt="qr", out=tmp_path / "qr", revision=1)
    assert "file it first" in (info.value.hint or "")
    with pytest.raises(UnknownFormatError):
        export_plan("2025Q3", engine=sqlite_engine, fmt="pdf", out=tmp_path / "x")
    with pytest.raises(UnknownDepartmentError):
        export_plan(
            "2025Q3",
            engine=sqlite_engine,
            fmt="csv",
            out=tmp_path / "x.csv",
            department="NO",
            revision=1,
        )
