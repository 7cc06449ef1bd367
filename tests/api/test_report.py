"""The efficiency report: its figures equal the planner's metrics and the outcome
evaluation, the page is well-formed XML with every chart, Chinese is drawn with real
glyphs (or, without a Chinese font, in English with a warning), and a real headless
browser renders it."""

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers.headless_chromium import HEADLESS_FLAGS
from helpers.plan_factory import USCC, sample_plan
from helpers.report_world import ADOPTED_BY, QUARTER, ReportWorld, build_model_world, build_world
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.cli.commands_report import risk_model_summary
from jointinspect.data.grading.risk_models import StoredModel, adopted_model
from jointinspect.data.grading.tables import load_inspections
from jointinspect.data.report.charts import (
    CHART_IDS,
    MODEL_CHART_IDS,
    ChartContext,
    ChartMaker,
    chart_ids,
    chart_texts,
    model_calibration,
    model_gains,
    model_grades,
)
from jointinspect.data.report.figures import ReportData
from jointinspect.data.report.fonts import cjk_characters, find_cjk_font, missing_glyphs
from jointinspect.data.report.gather import load_report_data
from jointinspect.data.report.render import RenderedReport, render_report
from jointinspect.data.report.risk_model import risk_model_figures
from jointinspect.data.report.style import ReportStyle
from jointinspect.data.report.text import TEXT
from jointinspect.models import EnterpriseGrade, Item, NoDisturb, session_scope
from jointinspect.models.quarter import Quarter
from jointinspect.reporting import build_report_data, write_report
from jointinspect.risk.config import load_config
from jointinspect.risk.evaluation import evaluate, grade_numbers

XHTML = "{http://www.w3.org/1999/xhtml}"
#: What matplotlib draws (and says) when a font has no glyph for a character: a box.
TOFU_FONT = "LastResort"
MISSING_GLYPH = "missing from font"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportWorld]:
    w = build_world(tmp_path_factory.mktemp("report-world"))
    yield w
    w.engine.dispose()


@pytest.fixture(scope="module")
def data(world: ReportWorld) -> ReportData:
    return build_report_data(QUARTER, engine=world.engine)


@pytest.fixture(scope="module")
def rendered(data: ReportData) -> RenderedReport:
    return _render_quietly(data)


@pytest.fixture(scope="module")
def model_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportWorld]:
    """A district whose learned risk model is adopted (``calibrate`` with adopt and force)."""
    w = build_model_world(tmp_path_factory.mktemp("report-model-world"))
    yield w
    w.engine.dispose()


@pytest.fixture(scope="module")
def stored(model_world: ReportWorld) -> StoredModel:
    model = adopted_model(engine=model_world.engine)
    assert model is not None
    return model


@pytest.fixture(scope="module")
def model_data(model_world: ReportWorld) -> ReportData:
    return build_report_data(QUARTER, engine=model_world.engine)


@pytest.fixture(scope="module")
def model_rendered(model_data: ReportData) -> RenderedReport:
    return _render_quietly(model_data)


def _render_quietly(data: ReportData, **kwargs: object) -> RenderedReport:
    """Render, failing on any matplotlib warning (a missing glyph is one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render_report(data, **kwargs)  # type: ignore[arg-type]


def _cjk_font_or_skip() -> None:
    style = ReportStyle.default()
    if find_cjk_font(style.cjk_families, "检查") is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")


def _page(html: str) -> ET.Element:
    """Parse the page strictly as XML (the DOCTYPE line is HTML-only)."""
    assert html.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(html.removeprefix("<!DOCTYPE html>\n"))


# --- the figures are the planner's and the evaluation's ----------------------------------


def test_figures_equal_the_plan_metrics(data: ReportData) -> None:
    m = data.metrics
    c = data.consolidation
    assert c.onsite_visits == m["onsite_visits"] == c.visits_stored
    assert c.lower_bound == m["consolidation_lower_bound"]
    assert c.departments_alone == m["visits_if_departments_alone"]
    assert c.visits_saved == m["visits_saved"] == c.departments_alone - c.onsite_visits
    assert c.departments_alone > c.onsite_visits >= c.lower_bound > 0
    by_mode = Counter[str]()
    for counts in m["demands_by_source"].values():
        by_mode.update(counts)
    assert sum(d.onsite for d in data.departments) == by_mode["onsite"]
    assert sum(d.offsite for d in data.departments) == by_mode["offsite"] == m["offsite_checks"]
    assert sum(d.unscheduled for d in data.departments) == m["unscheduled"]
    assert sum(d.demands for d in data.departments) == m["demands"]
    reasons = m["unscheduled_by_reason"]
    assert data.no_disturb.unscheduled_enterprise == reasons.get("no_disturb_enterprise", 0)
    assert data.no_disturb.unscheduled_item == reasons.get("no_disturb_item", 0)
    assert data.no_disturb.violations == 0
    assert sum(w.officer_days for w in data.workload) == m["officer_days"]
    # Every visit has two officers per department it serves.
    assert sum(sum(w.visits) for w in data.workload) >= 2 * c.onsite_visits
    assert sum(b.visits for b in data.burden) == c.onsite_visits
    assert sum(data.visits_per_enterprise.values()) == sum(b.visited for b in data.burden)
    assert sum(t.visits for t in data.towns) == c.onsite_visits
    assert len(data.points) == c.onsite_visits
    assert [r.revision for r in data.revisions] == [1]
    assert data.revisions[0].onsite_visits == m["onsite_visits"]
    assert not data.replanned


def test_findings_equal_the_outcome_evaluation(world: ReportWorld, data: ReportData) -> None:
    # The evaluation recomputed on its own path: grading_io's outcome join, stored grades.
    later = load_inspections(engine=world.engine, after=QUARTER.first_day - dt.timedelta(days=1))
    with session_scope(world.engine) as session:
        graded = session.exec(
            select(EnterpriseGrade.uscc, EnterpriseGrade.grade, EnterpriseGrade.risk).order_by(
                EnterpriseGrade.uscc
            )
        ).all()
    number = {u: i for i, (u, _, _) in enumerate(graded)}
    ent = np.array([number[u] for u in later["uscc"]], dtype=np.int64)
    violation = np.array([r == "violation" for r in later["result"]], dtype=bool)
    expected = evaluate(
        grade_numbers([g for _, g, _ in graded]),
        np.array([r for _, _, r in graded]),
        ent,
        violation,
        load_config().evaluation,
    )
    got = data.evaluation
    assert got is not None and expected.inspected > 0
    assert got.per_grade == tuple(
        (r.grade, r.inspections, r.violations) for r in expected.per_grade
    )
    assert got.lift == expected.lift and got.auc == expected.auc
    assert got.hit_rate == expected.hit_rate and got.base_rate == expected.base_rate
    # The findings tables count the same checks and violations per grade.
    table = {o.key: (o.checks, o.violations) for o in data.outcomes_by_grade}
    for grade, inspections, violations in got.per_grade:
        assert table.get(grade, (0, 0)) == (inspections, violations)
    total = data.outcomes_total
    assert total.checks == len(later["uscc"]) and total.violations == int(violation.sum())
    assert sum(o.checks for o in data.outcomes_by_source) == total.checks
    assert 0 < total.minor < total.checks and total.not_done > 0
    assert data.ratings.rated > 0 and 1 <= (data.ratings.mean or 0) <= 5


# --- the page ------------------------------------------------------------------------------


def _chart_images(root: ET.Element) -> dict[str | None, ET.Element]:
    return {img.get("id"): img for img in root.iter(f"{XHTML}img") if img.get("class") == "chart"}


def _tables(root: ET.Element) -> dict[str, list[list[str]]]:
    """Every table of the page by id: its body rows as lists of cell texts."""
    out = {}
    for table in root.iter(f"{XHTML}table"):
        body = table.find(f"{XHTML}tbody")
        assert body is not None
        out[table.get("id") or ""] = [
            [cell.text or "" for cell in row] for row in body.iter(f"{XHTML}tr")
        ]
    return out


def test_page_is_well_formed_with_every_chart_and_table(rendered: RenderedReport) -> None:
    root = _page(rendered.html)
    images = _chart_images(root)
    # Without an adopted risk model, its section has words instead of charts.
    assert list(images) == [c for c in CHART_IDS if c not in MODEL_CHART_IDS]
    for chart in rendered.charts:
        assert images[chart.id].get("src", "").startswith("data:image/svg+xml;base64,")
        svg = ET.fromstring(chart.svg)  # each chart is well-formed SVG too
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert len(list(svg.iter("{http://www.w3.org/2000/svg}path"))) > 10
    tables = {t.get("id") for t in root.iter(f"{XHTML}table")}
    assert {"table-consolidation", "table-offsite", "table-no-disturb", "table-burden"} <= tables
    assert {"table-outcomes-grade", "table-outcomes-source", "table-lift"} <= tables
    assert {"table-workload", "table-towns", "table-ratings", "table-revisions"} <= tables
    # Nothing is fetched from anywhere: no external src/href.
    assert not re.search(r'(src|href)="(https?:)?//', rendered.html)
    assert root.get("lang") == "zh-CN"


def test_page_numbers_are_the_figures(data: ReportData, rendered: RenderedReport) -> None:
    root = _page(rendered.html)
    table = next(t for t in root.iter(f"{XHTML}table") if t.get("id") == "table-consolidation")
    cells = {
        row[0].text: row[1].text
        for row in table.iter(f"{XHTML}tr")
        if len(row) == 2 and row[0].text
    }
    c = data.consolidation
    assert cells[TEXT["alone"][0]] == f"{c.departments_alone:,}"
    assert cells[TEXT["plan"][0]] == f"{c.onsite_visits:,}"
    assert cells[TEXT["bound"][0]] == f"{c.lower_bound:,}"
    assert cells[TEXT["saved"][0]] == f"{c.visits_saved:,}"


def test_english_labels(data: ReportData) -> None:
    page = _render_quietly(data, lang="en")
    root = _page(page.html)
    assert root.get("lang") == "en"
    headings = [h.text for h in root.iter(f"{XHTML}h2")]
    assert "Joint visits: on-site visits" in headings and "Officer workload" in headings
    words = root.find(f".//{XHTML}p[@id='model-none']")
    assert words is not None and words.text == TEXT["model_none"][1]
    assert page.chart_lang == "en" and not page.warnings


def test_revision_history_shows_replans(data: ReportData) -> None:
    first = data.revisions[0]
    second = dataclasses.replace(
        first,
        revision=2,
        diff={"moved": ["a", "b"], "added": ["c"], "revoked_codes": 3},
    )
    replanned = dataclasses.replace(
        data, revisions=(dataclasses.replace(first, status="superseded"), second)
    )
    html = _render_quietly(replanned).html
    assert "added: 1; moved: 2; revoked_codes: 3" in html
    assert TEXT["no_replans"][0] not in html
    assert TEXT["no_replans"][0] in _render_quietly(data).html


# --- the risk model: the stored validation, or words ------------------------------------

MODELS = ("learned", "default", "history")


def test_risk_model_figures_are_the_stored_validation(
    stored: StoredModel, model_data: ReportData
) -> None:
    m = model_data.risk_model
    assert m is not None
    assert (m.id, m.as_of, m.adopted_by, m.forced) == (
        stored.id,
        stored.as_of,
        ADOPTED_BY,
        stored.forced,
    )
    assert m.adopted_at == stored.adopted_at and m.beats_default == stored.beats_default
    assert (m.inspections, m.violations) == (stored.inspections, stored.violations)
    assert m.features == tuple(stored.features) and m.features
    v = stored.validation
    assert m.cutoff is not None and m.cutoff.isoformat() == v["cutoff"]
    assert m.fitted_inspections == v["fitted_inspections"]
    # The world's grades were made before the model was adopted: by the default.
    assert m.graded_by is None and not m.grades_from_model
    for name in MODELS:
        got, want = getattr(m, name), v[name]
        assert got is not None and got.model == name
        assert (got.inspections, got.violations) == (want["inspections"], want["violations"])
        assert got.auc == want["auc"] and got.average_precision == want["average_precision"]
        assert got.brier == want["brier"]
        assert got.lift == tuple((s, x) for s, x in want["lift"])
        assert got.gains == tuple(want["gains"]) and len(got.gains) == 20
        assert got.calibration == tuple(
            (b["predicted"], b["observed"]) for b in want["calibration"]
        )
        assert got.per_grade == tuple(
            (g["grade"], g["inspections"], g["violations"]) for g in want["per_grade"]
        )
    assert m.learned is not None and m.learned.calibration and len(m.learned.per_grade) == 4
    assert m.history is not None and m.history.per_grade == ()


def _rate(grade: dict[str, int]) -> str:
    n = grade["inspections"]
    return f"{grade['violations'] / n:.1%}" if n else "–"


def test_risk_model_tables_show_the_stored_numbers(
    stored: StoredModel, model_rendered: RenderedReport
) -> None:
    root = _page(model_rendered.html)
    tables = _tables(root)
    v = stored.validation
    learned, default, history = (v[n] for n in MODELS)
    facts = {row[0]: row[1] for row in tables["table-model"]}
    assert facts[TEXT["model_id"][0]] == str(stored.id)
    assert facts[TEXT["model_as_of"][0]] == stored.as_of.isoformat()
    assert facts[TEXT["model_fitted"][0]] == f"{stored.inspections:,} ({stored.violations:,})"
    assert facts[TEXT["model_adopted_by"][0]] == ADOPTED_BY
    assert facts[TEXT["model_forced"][0]] == TEXT["yes" if stored.forced else "no"][0]
    assert facts[TEXT["model_grades_from"][0]] == TEXT["model_by_default"][0]
    rows = {row[0]: row[1:] for row in tables["table-model-validation"]}

    def each(fmt: str, key: str) -> list[str]:
        return ["–" if m[key] is None else format(m[key], fmt) for m in (learned, default, history)]

    assert rows[TEXT["model_auc"][0]] == each(".3f", "auc")
    assert rows[TEXT["average_precision"][0]] == each(".3f", "average_precision")
    assert rows[TEXT["brier"][0]] == each(".4f", "brier")
    for k, share in enumerate((10, 20)):
        label = TEXT["lift_at"][0].format(share=f"{share}%")
        assert rows[label] == [f"{m['lift'][k][1]:.2f}×" for m in (learned, default, history)]
    for g, grade in enumerate("ABCD"):
        label = TEXT["rate_of_grade"][0].format(g=grade)
        assert rows[label] == [_rate(learned["per_grade"][g]), _rate(default["per_grade"][g]), "–"]
    calibration = tables["table-model-calibration"]
    assert len(calibration) == max(len(learned["calibration"]), len(default["calibration"]))
    for k, row in enumerate(calibration):
        for col, m in ((1, learned), (3, default)):
            if k < len(m["calibration"]):
                b = m["calibration"][k]
                assert row[col : col + 2] == [f"{b['predicted']:.1%}", f"{b['observed']:.1%}"]
    grades = tables["table-model-grades"]
    for g, row in enumerate(grades[:4]):
        for col, m in ((1, learned), (4, default)):
            figures = m["per_grade"][g]
            want = [f"{figures['inspections']:,}", f"{figures['violations']:,}", _rate(figures)]
            assert row[col : col + 3] == want
    assert grades[4][1:3] == [f"{learned['inspections']:,}", f"{learned['violations']:,}"]
    gains = tables["table-model-gains"]
    assert [row[0] for row in gains] == [f"{(k + 1) / 20:.1%}" for k in range(20)]
    for k, row in enumerate(gains):
        assert row[1:4] == [f"{m['gains'][k]:.1%}" for m in (learned, default, history)]
    # The words around them: the validation window, and that grades predate the model.
    window = root.find(f".//{XHTML}p[@id='model-window']")
    assert window is not None and v["cutoff"] in (window.text or "")
    assert f"{learned['inspections']:,}" in (window.text or "")
    assert root.find(f".//{XHTML}p[@id='model-regrade']") is not None
    assert root.find(f".//{XHTML}p[@id='model-none']") is None


def _chart(maker: ChartMaker, data: ReportData) -> Figure:
    """The chart drawn on a figure of its own (English labels: no font needed)."""
    fig = Figure()
    maker(ChartContext(data, "en", ReportStyle.default(), None), fig)
    return fig


def _xy(line: Line2D, axis: str) -> list[float]:
    """The x or y values a line draws, as plain floats."""
    values = line.get_xdata() if axis == "x" else line.get_ydata()
    return [float(v) for v in np.asarray(values)]


def test_risk_model_charts_draw_the_stored_numbers(
    stored: StoredModel, model_data: ReportData
) -> None:
    v = stored.validation
    gains = {line.get_label(): line for line in _chart(model_gains, model_data).axes[0].lines}
    for name, label in (
        ("learned", "learned"),
        ("default", "default"),
        ("history", "history alone"),
    ):
        line = gains[f"{label} (AUC {v[name]['auc']:.3f})"]
        assert _xy(line, "y") == [0.0, *v[name]["gains"]]
        assert _xy(line, "x") == [0.0, *((k + 1) / 20 for k in range(20))]
    assert _xy(gains["random"], "y") == [0, 1]
    calibration = {
        line.get_label(): line for line in _chart(model_calibration, model_data).axes[0].lines
    }
    for name, label in (("learned", "learned"), ("default", "default")):
        bins = v[name]["calibration"]
        assert _xy(calibration[label], "x") == [b["predicted"] for b in bins]
        assert _xy(calibration[label], "y") == [b["observed"] for b in bins]
    assert "perfect" in calibration
    ax = _chart(model_grades, model_data).axes[0]
    heights = {c.get_label(): [bar.get_height() for bar in c] for c in ax.containers}
    for name, label in (("learned", "learned"), ("default", "default")):
        want = [g["violations"] / g["inspections"] for g in v[name]["per_grade"]]
        assert heights[label] == want


def test_a_model_stored_before_the_gains_curve_shows_its_lift_points(
    stored: StoredModel, model_data: ReportData
) -> None:
    # The stored JSON of such a model: no "gains" key in any model's figures.
    old = {
        key: {k: x for k, x in value.items() if k != "gains"} if key in MODELS else value
        for key, value in stored.validation.items()
    }
    figures = risk_model_figures(dataclasses.replace(stored, validation=old), graded_by=None)
    assert figures.learned is not None and figures.learned.gains == ()
    lift = stored.validation["learned"]["lift"]
    assert figures.learned.gains_points == tuple((s, x * s) for s, x in lift)
    fig = _chart(model_gains, dataclasses.replace(model_data, risk_model=figures))
    learned = next(
        line for line in fig.axes[0].lines if str(line.get_label()).startswith("learned")
    )
    assert _xy(learned, "x") == [0.1, 0.2]
    assert learned.get_linestyle() == "None"  # points, not a curve made up between them
    assert fig.axes[0].get_title(loc="left") == TEXT["model_no_gains"][1]


def test_with_a_model_every_chart_is_on_the_page(model_rendered: RenderedReport) -> None:
    root = _page(model_rendered.html)
    assert list(_chart_images(root)) == list(CHART_IDS)
    for chart in model_rendered.charts:
        svg = ET.fromstring(chart.svg)
        assert len(list(svg.iter("{http://www.w3.org/2000/svg}path"))) > 10
    headings = [h.text for h in root.iter(f"{XHTML}h3")]
    for key in ("model_gains", "model_calibration", "model_grades"):
        assert TEXT[key][0] in headings


def test_without_a_model_the_section_says_what_grades_come_from(
    data: ReportData, rendered: RenderedReport
) -> None:
    assert data.risk_model is None
    root = _page(rendered.html)
    headings = [h.text for h in root.iter(f"{XHTML}h2")]
    assert TEXT["sec_model"][0] in headings
    words = root.find(f".//{XHTML}p[@id='model-none']")
    assert words is not None and words.text == TEXT["model_none"][0]
    assert "jointinspect calibrate --adopt" in words.text
    # No empty chart stands in for the model: its charts are simply not drawn.
    assert not set(_chart_images(root)) & set(MODEL_CHART_IDS)
    assert not {c.id for c in rendered.charts} & set(MODEL_CHART_IDS)
    assert not {"table-model", "table-model-validation"} & set(_tables(root))


def test_report_summary_names_the_model(stored: StoredModel, model_data: ReportData) -> None:
    v = stored.validation
    assert risk_model_summary(model_data) == (
        f"learned model {stored.id}{', forced' if stored.forced else ''}: "
        f"AUC {v['learned']['auc']:.3f} vs default {v['default']['auc']:.3f}"
    )


# --- Chinese glyphs, not boxes -------------------------------------------------------------


def test_charts_draw_chinese_with_real_glyphs(
    model_data: ReportData, model_rendered: RenderedReport
) -> None:
    _cjk_font_or_skip()
    data, rendered = model_data, model_rendered  # every chart, the risk model's too
    assert [c.id for c in rendered.charts] == list(CHART_IDS)
    font = rendered.font
    assert font is not None and rendered.chart_lang == "zh" and not rendered.warnings
    used = cjk_characters([*(zh for zh, _ in TEXT.values()), *chart_texts(data)])
    assert "检" in used and not missing_glyphs(font, used)
    # matplotlib resolves the family to that very file.
    resolved = font_manager.fontManager.findfont(
        FontProperties(family=font.family), fallback_to_default=False
    )
    assert Path(resolved) == Path(font.path)
    glyph_ids = [i for c in rendered.charts for i in re.findall(r'<path id="([^"]+)"', c.svg)]
    assert any(i.startswith("NotoSansCJK") or "CJK" in i or "Han" in i for i in glyph_ids)
    assert not [i for i in glyph_ids if TOFU_FONT in i]


def test_the_tofu_detector_fires_on_a_latin_only_font(data: ReportData) -> None:
    # The check above can fail: forcing Chinese labels onto a Latin font draws boxes.
    from jointinspect.data.report.charts import ChartContext, draw_charts

    style = ReportStyle.default()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        charts = draw_charts(ChartContext(data, "zh", style, None))
    assert any(MISSING_GLYPH in str(w.message) for w in caught)
    assert any(TOFU_FONT in c.svg for c in charts)


def test_without_a_chinese_font_charts_fall_back_to_english(data: ReportData) -> None:
    style = dataclasses.replace(ReportStyle.default(), cjk_families=("No Such Font CJK",))
    page = _render_quietly(data, style=style)
    assert page.font is None and page.chart_lang == "en"
    assert page.warnings and "fonts-noto-cjk" in page.warnings[0]
    assert not any(TOFU_FONT in c.svg for c in page.charts)
    _page(page.html)  # still a complete page, all charts present
    assert [c.id for c in page.charts] == list(chart_ids(data))


# --- command line --------------------------------------------------------------------------


def test_report_command_writes_the_page_and_a_summary(world: ReportWorld, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = CliRunner().invoke(
        app, ["report", "--quarter", "2025q4", "--out", str(out), "--db", world.url]
    )
    assert result.exit_code == 0, result.output
    assert "visits if departments planned alone" in result.stdout
    assert "shipped default (none adopted)" in result.stdout
    assert "gathering the figures" in result.output
    _page(out.read_text(encoding="utf-8"))


def test_report_command_without_a_plan_says_so(world: ReportWorld, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--quarter", "2026Q1", "--out", str(tmp_path / "x.html"), "--db", world.url]
    )
    assert result.exit_code == 1
    assert "Error: there is no plan for 2026Q1" in result.output
    assert not (tmp_path / "x.html").exists()


def test_a_plan_without_grades_or_findings_still_reports(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sample_plan(sqlite_engine)
    path = write_report("2025Q3", engine=sqlite_engine, out=tmp_path / "s.html", revision=1)
    root = _page(path.read_text(encoding="utf-8"))
    data = build_report_data("2025Q3", engine=sqlite_engine, revision=1)
    assert list(_chart_images(root)) == list(chart_ids(data))
    assert data.evaluation is None and data.outcomes_total.checks == 0
    assert [b.grade for b in data.burden] == ["A", "B", "C", "D", "-"]


# --- a real browser ------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")


@pytest.mark.slow
def test_chromium_renders_every_chart(model_rendered: RenderedReport, tmp_path: Path) -> None:
    browser = _chromium()
    rendered = model_rendered  # every chart, the risk model's too
    page = tmp_path / "report.html"
    page.write_text(rendered.html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    common = [browser, *HEADLESS_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,6000", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    dom = subprocess.run(
        [*common, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
        text=True,
    ).stdout
    # Every chart image was decoded by the browser (the page's script marks them).
    for chart_id in CHART_IDS:
        tag = re.search(rf'<img[^>]*id="{chart_id}"[^>]*>', dom)
        assert tag is not None, f"{chart_id} missing from the rendered DOM"
        assert 'data-rendered="yes"' in tag.group(0), f"{chart_id} was not decoded"
    from matplotlib import image

    pixels = image.imread(shot)
    assert pixels.shape[0] >= 6000 and pixels.shape[1] >= 1280
    rgb = pixels[..., :3]
    not_white = (rgb < 0.95).any(axis=-1).mean()
    assert not_white > 0.03, f"screenshot nearly blank ({not_white:.1%} non-white)"
    colours = {tuple(c) for c in (rgb[::8, ::8].reshape(-1, 3) * 31).astype(int).tolist()}
    assert len(colours) > 20


# --- no-disturb: respected and broken ------------------------------------------------------


def _listed(engine: Engine, uscc: str, since: dt.date, until: dt.date | None) -> None:
    with session_scope(engine) as session:
        session.add(NoDisturb(uscc=uscc, since=since, until=until, reason="无感监管"))


def test_no_disturb_respected_counts_allowed_visits_only(sqlite_engine: Engine) -> None:
    sample_plan(sqlite_engine)
    # The routine visit of USCC[0] is on 2025-07-08: a listing ending the day before is kept.
    _listed(sqlite_engine, USCC[0], dt.date(2025, 1, 1), dt.date(2025, 7, 7))
    # USCC[1]'s visit on that day is a complaint: allowed on the list (rule 4).
    _listed(sqlite_engine, USCC[1], dt.date(2025, 7, 1), None)
    nd = load_report_data(Quarter.parse("2025Q3"), engine=sqlite_engine, revision=1).no_disturb
    assert (nd.listed_enterprises, nd.triggered_visits_at_listed) == (2, 1)
    assert nd.violations == 0


def test_no_disturb_broken_is_counted(sqlite_engine: Engine) -> None:
    sample_plan(sqlite_engine)
    # Listed from the very day of USCC[0]'s routine visit (since is inclusive) …
    _listed(sqlite_engine, USCC[0], dt.date(2025, 7, 8), None)
    # … and the drawn SCJ food check on that visit is a no-disturb item done on-site.
    with session_scope(sqlite_engine) as session:
        item = session.get(Item, "SCJ-FOOD-01")
        assert item is not None
        item.no_disturb = True
        session.add(item)
    data = load_report_data(Quarter.parse("2025Q3"), engine=sqlite_engine, revision=1)
    nd = data.no_disturb
    assert (nd.violations_enterprise, nd.violations_item) == (1, 1)
    assert nd.unscheduled_item == 1  # the sample's unscheduled SCJ food demand
    assert "bad" in _render_quietly(data).html


# --- PostgreSQL gives the same figures -----------------------------------------------------


@pytest.mark.postgres
def test_same_figures_on_postgresql(pg_url: str, data: ReportData, tmp_path: Path) -> None:
    world = build_world(tmp_path, url=pg_url)
    try:
        pg = build_report_data(QUARTER, engine=world.engine)
    finally:
        world.engine.dispose()
    for name in ("metrics", "consolidation", "departments", "no_disturb", "burden"):
        assert getattr(pg, name) == getattr(data, name), name
    for name in ("visits_per_enterprise", "outcomes_by_grade", "outcomes_by_source"):
        assert getattr(pg, name) == getattr(data, name), name
    for name in ("workload", "ratings", "points", "evaluation", "inspections"):
        assert getattr(pg, name) == getattr(data, name), name
    assert [(t.town, t.visits, t.triggered) for t in pg.towns] == [
        (t.town, t.visits, t.triggered) for t in data.towns
    ]


def test_the_report_is_of_the_filed_revision_unless_one_is_named(sqlite_engine: Engine) -> None:
    from jointinspect.data.plans.document import NoFiledRevisionError

    sample_plan(sqlite_engine)  # a draft only: a proposal, not what is being done
    with pytest.raises(NoFiledRevisionError, match="has no filed revision"):
        build_report_data("2025Q3", engine=sqlite_engine)
    assert build_report_data("2025Q3", engine=sqlite_engine, revision=1).status == "draft"
