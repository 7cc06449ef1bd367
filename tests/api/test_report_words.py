"""The efficiency report in words: an empty section says what fills it, a department's
load far from the others' comes with why, every table column has a header, and a report
drawn without a Chinese font says so (on stderr and on the page)."""

import dataclasses
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from helpers.plan_factory import sample_plan
from matplotlib.figure import Figure
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.report import render
from jointinspect.data.report.charts import ChartContext, outcomes, ratings, towns, workload
from jointinspect.data.report.figures import (
    DepartmentModes,
    ModelMetrics,
    OfficerLoad,
    ReportData,
    RiskModelFigures,
)
from jointinspect.data.report.notes import FAR, load_outliers, workload_notes
from jointinspect.data.report.render import render_report
from jointinspect.data.report.style import ReportStyle
from jointinspect.data.report.text import LANGS, TEXT
from jointinspect.reporting import build_report_data

XHTML = "{http://www.w3.org/1999/xhtml}"
QUARTER = "2025Q3"


@pytest.fixture
def data(sqlite_engine: Engine) -> ReportData:
    """The three-visit sample plan: no grades, no findings, no ratings, no replans."""
    sample_plan(sqlite_engine)
    return build_report_data(QUARTER, engine=sqlite_engine, revision=1)


@pytest.fixture
def no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """The font lookup finds nothing, as on a machine without fonts-noto-cjk."""
    monkeypatch.setattr(render, "find_cjk_font", lambda _families, _chars: None)


def _page(html: str) -> ET.Element:
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>\n"))


def _words(root: ET.Element, element_id: str) -> str:
    found = root.find(f".//*[@id='{element_id}']")
    assert found is not None, f"no #{element_id} on the page"
    return "".join(found.itertext())


def _chart_words(maker: Any, data: ReportData) -> list[str]:
    fig = Figure()
    maker(ChartContext(data, "en", ReportStyle.default(), None), fig)
    return [t.get_text() for t in fig.texts]


# --- an empty section says what fills it ------------------------------------------------


def test_empty_sections_say_what_fills_them(data: ReportData) -> None:
    assert data.outcomes_total.visits == 0 and data.ratings.rated == 0 and not data.replanned
    root = _page(render_report(data).html)
    outcomes_words = _words(root, "empty-outcomes")
    assert outcomes_words == TEXT["empty_outcomes"][0]
    assert "outcomes.csv" in outcomes_words and "jointinspect import" in outcomes_words
    assert "jointinspect report" in outcomes_words
    assert "feedback.csv" in _words(root, "empty-ratings")
    assert "/v/CODE" in _words(root, "empty-ratings")
    assert "jointinspect replan" in _words(root, "empty-revisions")
    assert "jointinspect grade" in _words(root, "empty-grades")  # nothing graded yet
    # No bare "no data" anywhere on the page: every one goes on to say what fills it.
    bare = TEXT["no_data"][0]
    for element in root.iter():
        words = (element.text or "").strip()
        if words.startswith(bare) or words.startswith("暂无评价"):
            assert " — " in words and len(words) > len(bare) + 10, words


def test_english_empty_sections_too(data: ReportData) -> None:
    root = _page(render_report(data, lang="en").html)
    words = _words(root, "empty-outcomes")
    assert words.startswith("No data yet — outcomes arrive with `import` of outcomes.csv")
    assert "run report again then" in words


def test_empty_charts_head_the_words_beside_them(data: ReportData) -> None:
    assert _chart_words(outcomes, data) == ["No data yet"]
    assert _chart_words(ratings, data) == ["No ratings yet"]


def test_a_plan_without_visits_or_officers_says_which(data: ReportData) -> None:
    no_officers = dataclasses.replace(data, workload=())
    page = _page(render_report(no_officers, lang="en").html)
    assert "inspectors.csv" in _words(page, "empty-workload")
    assert _chart_words(workload, no_officers) == ["No data yet"]
    idle = tuple(dataclasses.replace(w, visits=(0,) * w.officers) for w in data.workload)
    no_visits = dataclasses.replace(data, workload=idle, points=(), towns=())
    no_visits = dataclasses.replace(
        no_visits, consolidation=dataclasses.replace(data.consolidation, visits_stored=0)
    )
    page = _page(render_report(no_visits, lang="en").html)
    assert "no on-site visits" in _words(page, "empty-workload")
    assert "no on-site visits" in _words(page, "empty-towns")
    unmapped = dataclasses.replace(data, points=())
    page = _page(render_report(unmapped, lang="en").html)
    assert "lat and lon columns of enterprises.csv" in _words(page, "empty-towns")
    assert _chart_words(towns, unmapped) == ["No data yet"]


# --- a load far from the others' comes with why -----------------------------------------

#: (department, officers' visits, on-site, off-site, unscheduled tasks, visits served)
LOADS = (
    ("CG", (1, 1, 1, 1), 2, 67, 0, 2),
    ("HB", (10, 11, 12, 13), 30, 10, 0, 23),
    ("RS", (12, 14, 16, 18), 35, 20, 0, 30),
    ("SCJ", (63, 98, 112, 145), 218, 406, 0, 209),
    ("WJ", (15, 15, 17, 17), 40, 38, 0, 32),
)


def _with_loads(data: ReportData, loads: tuple[tuple[Any, ...], ...]) -> ReportData:
    return dataclasses.replace(
        data,
        workload=tuple(
            OfficerLoad(code, f"{code} 局", visits, len(visits), served)
            for code, visits, _, _, _, served in loads
        ),
        departments=tuple(
            DepartmentModes(code, f"{code} 局", on, off, un) for code, _, on, off, un, _ in loads
        ),
    )


def test_far_loads_are_found_and_ordinary_ones_are_not(data: ReportData) -> None:
    found = load_outliers(_with_loads(data, LOADS))
    # Medians 1, 11.5, 15, 16, 105: the middle department's is 15.
    assert [(o.load.department, o.high, o.typical) for o in found] == [
        ("SCJ", True, 15.0),
        ("CG", False, 15.0),
    ]
    assert found[0].ratio == 105 / 15 >= FAR
    # Loads within a factor of three of each other are ordinary: no words.
    even = tuple(row for row in LOADS if row[0] not in ("CG", "SCJ"))
    assert load_outliers(_with_loads(data, even)) == ()
    assert workload_notes(_with_loads(data, even), "zh") == []


def test_far_loads_are_explained_from_the_figures(data: ReportData) -> None:
    far = _with_loads(data, LOADS)
    notes = workload_notes(far, "en")
    assert notes == [
        "Every department has 4 officers: the loads differ with the on-site tasks.",
        "SCJ 局 (SCJ): visits per officer 105 (median), 7.0× the median department's 15 — "
        "its 4 officers carry 218 on-site tasks, 209 visits with two of them on each.",
        "CG 局 (CG): visits per officer 1 (median), far below the median department's 15 — "
        "its 4 officers have 2 on-site tasks (2 visits); its other 67 tasks this quarter are "
        "off-site.",
    ]
    root = _page(render_report(far, lang="en").html)
    listed = root.find(f".//{XHTML}ul[@id='workload-notes']")
    assert listed is not None
    assert ["".join(li.itertext()) for li in listed] == notes
    zh = workload_notes(far, "zh")
    assert "是各部门中位数 15 次的 7.0 倍" in zh[1] and "218 项现场任务" in zh[1]
    assert "其余 67 项任务为非现场检查" in zh[2]
    # Without a far load the page says nothing more.
    even = tuple(row for row in LOADS if row[0] not in ("CG", "SCJ"))
    page = _page(render_report(_with_loads(data, even), lang="en").html)
    assert page.find(f".//{XHTML}ul[@id='workload-notes']") is None


def test_the_served_visits_are_counted_once_per_department(data: ReportData) -> None:
    # The sample plan: SCJ on one visit, XF on two, WJ on one (two officers each).
    served = {w.department: w.department_visits for w in data.workload}
    officer_visits = {w.department: sum(w.visits) for w in data.workload}
    assert served == {d: n // 2 for d, n in officer_visits.items()}
    assert served == {"SCJ": 1, "WJ": 1, "XF": 2}


# --- every column has a header ----------------------------------------------------------


def _metrics(model: str) -> ModelMetrics:
    return ModelMetrics(
        model=model,
        inspections=100,
        violations=20,
        auc=0.71,
        average_precision=0.4,
        brier=0.15,
        lift=((0.1, 2.0), (0.2, 1.7)),
        gains=tuple((k + 1) / 20 for k in range(20)),
        calibration=tuple((k / 10, k / 10 + 0.01) for k in range(10)),
        per_grade=(("A", 50, 5), ("B", 30, 6), ("C", 15, 6), ("D", 5, 3)),
    )


def _with_a_model(data: ReportData) -> ReportData:
    model = RiskModelFigures(
        id=1,
        as_of=data.generated_at.date(),
        inspections=400,
        violations=60,
        features=("violations", "credit"),
        adopted_at=data.generated_at,
        adopted_by="tester",
        forced=False,
        beats_default=True,
        holdout_days=365,
        cutoff=data.generated_at.date(),
        validated_to=data.generated_at.date(),
        fitted_inspections=300,
        fitted_violations=40,
        learned=_metrics("learned"),
        default=_metrics("default"),
        history=_metrics("history"),
        graded_by=1,
    )
    return dataclasses.replace(data, risk_model=model)


def _header_grid(table: ET.Element) -> list[list[str | None]]:
    """The header rows as a grid of column texts (a cell spanning rows or columns fills
    every place it covers; None: a place no header covers)."""
    rows = list(table.iter(f"{XHTML}tr"))
    head = table.find(f"{XHTML}thead")
    assert head is not None
    header_rows = list(head.iter(f"{XHTML}tr"))
    body = [r for r in rows if r not in header_rows]
    width = max(len(r) for r in body) if body else None
    grid: list[list[str | None]] = [[] for _ in header_rows]
    for r, row in enumerate(header_rows):
        column = 0
        for cell in row:
            while column < len(grid[r]) and grid[r][column] is not None:
                column += 1
            words = "".join(cell.itertext()).strip()
            for dr in range(int(cell.get("rowspan", "1"))):
                for dc in range(int(cell.get("colspan", "1"))):
                    place = grid[r + dr]
                    while len(place) <= column + dc:
                        place.append(None)
                    place[column + dc] = words
            column += int(cell.get("colspan", "1"))
    if width is not None:
        for place in grid:
            place.extend([None] * (width - len(place)))
    return grid


def test_every_table_column_has_a_header(data: ReportData) -> None:
    tables_seen: set[str] = set()
    for each in (data, _with_a_model(_with_loads(data, LOADS))):
        for lang in LANGS:
            root = _page(render_report(each, lang=lang).html)
            for table in root.iter(f"{XHTML}table"):
                table_id = table.get("id") or "?"
                tables_seen.add(table_id)
                grid = _header_grid(table)
                for place in grid:
                    assert all(place), f"{table_id} ({lang}): a column without a header {grid}"
    # The tables that had a column without one: the departments' full names, the model's
    # figures, and the columns under the group headings.
    assert {"table-offsite", "table-workload", "table-model-validation"} <= tables_seen
    assert {"table-model-calibration", "table-model-grades"} <= tables_seen


def test_group_headings_leave_no_empty_cell() -> None:
    html = render._table(
        ["grade", "n", "bad", "n", "bad"],
        [["A", "1", "0", "2", "1"]],
        "t",
        groups=[("", 1), ("learned", 2), ("default", 2)],
    )
    table = ET.fromstring(html.replace("<table", f'<table xmlns="{XHTML[1:-1]}"', 1))
    assert _header_grid(table) == [
        ["grade", "learned", "learned", "default", "default"],
        ["grade", "n", "bad", "n", "bad"],
    ]


# --- no Chinese font: said, not silent --------------------------------------------------


def test_without_a_chinese_font_the_page_says_why_charts_are_english(
    data: ReportData, no_cjk_font: None
) -> None:
    rendered = render_report(data)
    assert rendered.font is None and rendered.chart_lang == "en"
    assert rendered.warnings == (TEXT["warn_no_cjk"][1],)
    assert "apt-get install fonts-noto-cjk" in rendered.warnings[0]
    root = _page(rendered.html)
    assert _words(root, "font-fallback") == TEXT["warn_no_cjk"][0]
    # English asked for, English drawn: nothing to warn about.
    english = render_report(data, lang="en")
    assert not english.warnings and "font-fallback" not in english.html


def test_report_command_says_so_on_one_line_of_stderr(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path, no_cjk_font: None
) -> None:
    sample_plan(sqlite_engine)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app,
        ["report", "--quarter", QUARTER, "--out", str(out), "--db", sqlite_url, "--revision", "1"],
    )
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "fonts-noto-cjk" in line]
    assert warned == [f"Warning: {TEXT['warn_no_cjk'][1]}"]
    assert "fonts-noto-cjk" not in result.stdout
    assert re.search(r"chart font\s+│\s+none \(English\)", result.stdout)
    assert 'id="font-fallback"' in out.read_text(encoding="utf-8")
