"""Exports a clerk opens as they are: the filed revision unless another is asked for, named
in every file; CSV as Excel reads it (BOM, off-site rows, USCCs kept exact); XLSX with
real dates and numbers, Chinese words beside the codes, each visit's partner departments
and a sheet that says which plan this is."""

import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers.plan_factory import (
    ENTERPRISES,
    USCC,
    RevisionSpec,
    VisitSpec,
    add_revision,
    sample_plan,
    sample_spec,
    seed_reference,
)
from icalendar import Calendar
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.codes.filing import file_plan
from jointinspect.data.exports.plan import export_plan
from jointinspect.data.plans.document import NoFiledRevisionError, PlanNotFoundError
from jointinspect.models import Enterprise, session_scope
from jointinspect.models.codes import CodeKey
from jointinspect.models.uscc import complete

KEY = CodeKey("k1", bytes.fromhex("11" * 32))
FILED_AT = dt.datetime(2025, 6, 20, 1, 30, tzinfo=dt.UTC)  # 09:30 China time
#: A USCC of digits only (its check character is a digit too): Excel would make it a number.
DIGITS = complete("91310120000000001")


def _ok(_s: Session, _r: int) -> Sequence[str]:
    return []


def _file(engine: Engine, now: dt.datetime = FILED_AT) -> None:
    file_plan("2025Q3", engine=engine, key=KEY, filed_by="王科长", now=now, check=_ok)


def _with_digit_enterprise(engine: Engine) -> None:
    """The sample plan, and a visit to an enterprise whose USCC is all digits."""
    spec = sample_spec()
    spec.visits.append(
        VisitSpec(
            DIGITS,
            dt.date(2025, 9, 2),
            [("D-000500", "SCJ", "SCJ-FOOD-01", "alert")],
            ["SCJ-017", "SCJ-044"],
            town="柘林镇",
        )
    )
    with session_scope(engine) as session:
        seed_reference(session)
        session.add(
            Enterprise(
                uscc=DIGITS,
                name="上海柘林数字工厂",
                industry="1419",
                town="柘林镇",
                address="柘林镇1号",
            )
        )
        session.flush()
        add_revision(session, spec)
    _file(engine)


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The file as Excel reads a UTF-8 CSV with a BOM: header and rows by header name."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return table[0], [dict(zip(table[0], row, strict=True)) for row in table[1:]]


def _records(sheet: Worksheet) -> tuple[list[str], list[dict[str, Any]]]:
    header = [str(c.value) for c in sheet[1]]
    rows = [
        dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    return header, rows


# --------------------------------------------------------------------------- which revision


def _filed_then_draft(engine: Engine) -> None:
    sample_plan(engine)
    _file(engine)
    with session_scope(engine) as session:
        spec = RevisionSpec(visits=sample_spec().visits[:1])
        add_revision(session, spec, revision=2)


def test_export_takes_the_latest_filed_revision_not_a_newer_draft(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _filed_then_draft(sqlite_engine)
    result = export_plan("2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "p.csv")
    assert (result.revision, result.status) == (1, "filed")
    _, rows = _csv(result.paths[0])
    assert all(r["检查码"] for r in rows if r["检查方式"] == "onsite")
    assert {(r["计划编号"], r["修订版本"], r["状态"]) for r in rows} == {
        ("FX-2025Q3", "1", "filed")
    }
    assert {r["备案时间"] for r in rows} == {"2025-06-20T09:30:00+08:00"}


def test_revision_n_exports_that_revision_even_a_draft(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _filed_then_draft(sqlite_engine)
    result = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "d.csv", revision=2
    )
    assert (result.revision, result.status) == (2, "draft")
    _, rows = _csv(result.paths[0])
    assert {(r["修订版本"], r["状态"], r["备案时间"]) for r in rows} == {("2", "draft", "")}
    with pytest.raises(PlanNotFoundError, match="no revision 3") as info:
        export_plan("2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "x.csv", revision=3)
    assert "1–2" in (info.value.hint or "")


def test_no_filed_revision_is_an_error_that_says_what_to_do(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sample_plan(sqlite_engine)
    with pytest.raises(NoFiledRevisionError, match="no filed revision") as info:
        export_plan("2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "p.csv")
    hint = info.value.hint or ""
    assert "jointinspect file --quarter 2025Q3" in hint and "--revision" in hint
    assert not (tmp_path / "p.csv").exists()


# --------------------------------------------------------------------------- CSV


def test_csv_carries_off_site_checks_partners_and_exact_usccs(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _with_digit_enterprise(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "p.csv").paths[0]
    header, rows = _csv(path)
    assert header[:3] == ["检查码", "检查日期", "当日顺序"]
    assert header[-6:] == ["联合检查部门", "完成期限", "计划编号", "修订版本", "状态", "备案时间"]
    offsite = [r for r in rows if r["检查方式"] == "offsite"]
    assert len(offsite) == 1
    check = offsite[0]
    assert (check["统一社会信用代码"], check["部门代码"], check["检查事项代码"]) == (
        USCC[3],
        "WJ",
        "WJ-REMOTE-03",
    )
    assert check["完成期限"] == "2025-07-31" and check["检查日期"] == ""
    assert check["检查码"] and check["街镇"] == ENTERPRISES[USCC[3]][1]
    assert check["企业名称"] == ENTERPRISES[USCC[3]][0]
    joint = {r["部门代码"]: r["联合检查部门"] for r in rows if r["统一社会信用代码"] == USCC[0]}
    assert joint == {"SCJ": "XF 消防救援支队", "XF": "SCJ 市场监督管理局"}
    digit = next(r for r in rows if r["需求编号"] == "D-000500")
    assert digit["统一社会信用代码"] == DIGITS and DIGITS.isdigit()
    assert digit["当日顺序"] == "1" and digit["检查日期"] == "2025-09-02"


def test_csv_of_one_department_names_the_partners_of_its_joint_visits(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sample_plan(sqlite_engine)
    _file(sqlite_engine)
    path = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="csv", out=tmp_path / "xf.csv", department="XF"
    ).paths[0]
    _, rows = _csv(path)
    assert {r["统一社会信用代码"]: r["联合检查部门"] for r in rows} == {
        USCC[0]: "SCJ 市场监督管理局",
        USCC[1]: "",
    }


# --------------------------------------------------------------------------- XLSX


def test_xlsx_has_real_dates_numbers_words_partners_and_the_plan(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    _with_digit_enterprise(sqlite_engine)
    path = export_plan("2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "p.xlsx").paths[0]
    book = load_workbook(path)
    assert book.sheetnames[0] == "计划信息"
    info = {row[0].value: row[1] for row in book["计划信息"].iter_rows() if row[0].value}
    assert info["计划编号"].value == "FX-2025Q3"
    assert info["修订版本"].value == 1 and info["修订版本"].data_type == "n"
    assert info["状态"].value == "已备案"
    filed = info["备案时间"]
    assert filed.is_date and filed.value == dt.datetime(2025, 6, 20, 9, 30)
    assert "hh:mm" in filed.number_format
    assert info["备案人"].value == "王科长"

    header, scj = _records(book["SCJ 市场监督管理局"])
    assert header[:4] == ["检查码", "检查日期", "当日顺序", "统一社会信用代码"]
    joint = next(r for r in scj if r["统一社会信用代码"] == USCC[0])
    assert joint["检查方式"] == "现场" and joint["检查方式代码"] == "onsite"
    assert joint["来源"] == "双随机" and joint["来源代码"] == "random"
    assert joint["联合检查部门"] == "XF 消防救援支队"
    sheet = book["SCJ 市场监督管理局"]
    date_cell, order_cell, uscc_cell = sheet["B2"], sheet["C2"], sheet["D2"]
    assert date_cell.is_date and date_cell.value == dt.datetime(2025, 7, 8)
    assert date_cell.number_format == "yyyy-mm-dd"
    assert order_cell.data_type == "n" and order_cell.value == 1
    assert uscc_cell.data_type == "s" and uscc_cell.number_format == "@"
    digit = next(r for r in scj if r["需求编号"] == "D-000500")
    assert digit["统一社会信用代码"] == DIGITS and digit["来源"] == "非现场预警"

    _, xf = _records(book["XF 消防救援支队"])
    assert {r["统一社会信用代码"]: r["联合检查部门"] for r in xf} == {
        USCC[0]: "SCJ 市场监督管理局",
        USCC[1]: None,
    }
    assert {r["来源"] for r in xf} == {"部门计划", "投诉举报"}

    _, wj = _records(book["WJ 卫生健康委员会"])
    offsite = next(r for r in wj if r["检查方式代码"] == "offsite")
    assert offsite["检查方式"] == "非现场" and offsite["检查日期"] is None
    assert offsite["完成期限"] == dt.datetime(2025, 7, 31)
    assert offsite["当日顺序"] is None and offsite["检查码"]


def test_xlsx_of_a_draft_says_it_is_not_filed(sqlite_engine: Engine, tmp_path: Path) -> None:
    sample_plan(sqlite_engine)
    path = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "d.xlsx", revision=1
    ).paths[0]
    info = {r[0].value: r[1].value for r in load_workbook(path)["计划信息"].iter_rows()}
    assert info["状态"] == "草稿" and info["备案时间"] == "未备案"


def test_xlsx_with_english_headers(sqlite_engine: Engine, tmp_path: Path) -> None:
    sample_plan(sqlite_engine)
    _file(sqlite_engine)
    path = export_plan(
        "2025Q3", engine=sqlite_engine, fmt="xlsx", out=tmp_path / "en.xlsx", language="en"
    ).paths[0]
    book = load_workbook(path)
    assert book.sheetnames[0] == "Plan information"
    _, rows = _records(book["XF 消防救援支队"])
    complaint = next(r for r in rows if r["source code"] == "complaint")
    assert complaint["mode"] == "on-site" and complaint["source"] == "complaint"


# --------------------------------------------------------------------------- ICS


def test_calendars_name_the_plan_revision_and_filing(sqlite_engine: Engine, tmp_path: Path) -> None:
    sample_plan(sqlite_engine)
    _file(sqlite_engine)
    paths = export_plan("2025Q3", engine=sqlite_engine, fmt="ics", out=tmp_path / "ics").paths
    for path in paths:
        cal = Calendar.from_ical(path.read_bytes())
        about = str(cal["x-wr-caldesc"])
        assert "FX-2025Q3" in about and "1" in about and "2025-06-20T09:30:00+08:00" in about
