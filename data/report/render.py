"""The efficiency report as one self-contained HTML page.

Everything is inside the file: CSS inline, charts as SVG data URIs (their text drawn as
outlines), no script or font fetched from anywhere, so the page opens offline. The page is
XHTML-compatible (every element closed, only XML's own entities), so that a strict XML
parser reads it as well as a browser. Each chart sits beside a table of the numbers it
draws. A few lines of inline script mark each chart image the browser has decoded
(``data-rendered``), which the browser test reads back.
"""

import base64
import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from jointinspect.data.report.charts import Chart, ChartContext, chart_texts, draw_charts
from jointinspect.data.report.figures import (
    GRADES,
    RATINGS,
    ModelMetrics,
    OutcomeCounts,
    ReportData,
)
from jointinspect.data.report.fonts import FontChoice, cjk_characters, find_cjk_font
from jointinspect.data.report.notes import empty_key, workload_notes
from jointinspect.data.report.style import ReportStyle
from jointinspect.data.report.text import TEXT, Lang, source_label, text
from jointinspect.models.timezones import CHINA

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", "DejaVu Sans", sans-serif; margin: 24px auto; max-width: 1200px;
  color: #1a202c; background: #ffffff; padding: 0 16px; }
h1 { font-size: 26px; margin: 0 0 4px 0; }
h2 { font-size: 19px; margin: 32px 0 8px 0; border-bottom: 2px solid #2b6cb0;
  padding-bottom: 4px; }
h3 { font-size: 15px; margin: 12px 0 4px 0; }
.sub { color: #4a5568; margin: 0 0 2px 0; }
.section { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
figure { margin: 0; flex: 1 1 600px; max-width: 660px; }
figure img { width: 100%; height: auto; display: block; }
.tables { flex: 1 1 380px; }
table { border-collapse: collapse; font-size: 13px; margin: 0 0 10px 0; }
th, td { border: 1px solid #cbd5e0; padding: 3px 8px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #edf2f7; }
td:first-child, th:first-child { white-space: nowrap; }
tr.total td { font-weight: bold; }
.ok { color: #2f855a; font-weight: bold; }
.bad { color: #c53030; font-weight: bold; }
.note { color: #4a5568; font-size: 12px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.kpi { border: 1px solid #cbd5e0; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 22px; }
.explain { max-width: 900px; line-height: 1.6; }
details summary { cursor: pointer; font-size: 13px; color: #2b6cb0; margin: 0 0 6px 0; }
"""

# Marks every chart image the browser decoded (no "<" or "&": the page stays XML).
SCRIPT = """
window.addEventListener("load", function () {
  document.querySelectorAll("img.chart").forEach(function (img) {
    img.setAttribute("data-rendered", img.naturalWidth > 0 ? "yes" : "no");
  });
});
"""


@dataclass(frozen=True)
class RenderedReport:
    html: str
    charts: tuple[Chart, ...]
    #: The font the charts' Chinese is drawn with (None: no CJK font, English labels).
    font: FontChoice | None
    chart_lang: Lang
    #: What the person running the report should know, in English (no Chinese font …).
    warnings: tuple[str, ...]


def render_report(
    data: ReportData, *, lang: Lang = "zh", style: ReportStyle | None = None
) -> RenderedReport:
    """The page for ``data`` in ``lang``; charts fall back to English without a CJK font."""
    style = style or ReportStyle.default()
    needed = cjk_characters([*(zh for zh, _ in TEXT.values()), *chart_texts(data)])
    font = find_cjk_font(style.cjk_families, needed)
    warnings: list[str] = []
    chart_lang: Lang = lang
    if font is None and lang == "zh":
        chart_lang = "en"
        # For the terminal, in English like every message of the command line; the page
        # says it in its own language.
        warnings.append(text("warn_no_cjk", "en"))
    charts = draw_charts(ChartContext(data, chart_lang, style, font))
    page = _Page(data, lang, font, fell_back=chart_lang != lang)
    return RenderedReport(page.html(charts), charts, font, chart_lang, tuple(warnings))


def write_html(rendered: RenderedReport, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(rendered.html, encoding="utf-8")
    return out


def _int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _dec(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:,.{places}f}"


def _china(stamp: dt.datetime | None) -> str:
    if stamp is None:
        return "–"
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _at(points: Mapping[float, float], x: float) -> float | None:
    """The value at ``x`` of a curve given by points (None: no point there)."""
    return next((y for px, y in points.items() if abs(px - x) < 1e-9), None)


def _cell(value: object) -> str:
    if isinstance(value, tuple):  # (text, css class)
        return f'<td class="{escape(value[1])}">{escape(str(value[0]))}</td>'
    cls = ' class="n"' if isinstance(value, str) and _numeric(value) else ""
    return f"<td{cls}>{escape(str(value))}</td>"


def _numeric(value: str) -> bool:
    stripped = value.replace(",", "").replace("%", "").replace(".", "").replace("×", "")
    return stripped.lstrip("-").isdigit() or value == "–"


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[object]],
    table_id: str,
    total: bool = False,
    groups: Sequence[tuple[str, int]] = (),
) -> str:
    """A table; ``groups`` (label, columns spanned) make a header row above ``head``.

    A group without a label is no group: its columns' headers span both header rows, so
    that every column has a header of its own and none sits under an empty cell.
    """
    body = list(rows)
    lines = [f'<table id="{table_id}">', "<thead>"]
    below = list(head)
    if groups:
        lines.append('<tr class="groups">')
        below, column = [], 0
        for label, span in groups:
            mine = head[column : column + span]
            column += span
            if label:
                lines.append(f'<th colspan="{span}">{escape(label)}</th>')
                below += mine
            else:
                lines += [f'<th rowspan="2">{escape(h)}</th>' for h in mine]
        lines.append("</tr>")
    lines.append("<tr>")
    lines += [f"<th>{escape(h)}</th>" for h in below]
    lines.append("</tr></thead><tbody>")
    for k, row in enumerate(body):
        is_total = total and k == len(body) - 1
        lines.append('<tr class="total">' if is_total else "<tr>")
        lines += [_cell(v) for v in row]
        lines.append("</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def _diff_summary(diff: Mapping[str, Any] | None) -> str:
    if not diff:
        return ""
    parts = []
    for key in sorted(diff):
        value = diff[key]
        if isinstance(value, list | dict | tuple):
            parts.append(f"{key}: {len(value)}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


class _Page:
    def __init__(
        self, data: ReportData, lang: Lang, font: FontChoice | None, *, fell_back: bool
    ) -> None:
        self.d = data
        self.lang = lang
        self.font = font
        self.fell_back = fell_back  # charts in English for want of a Chinese font

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def empty(self, chart_id: str) -> str | None:
        """The words saying what fills the section of ``chart_id``, when it is empty."""
        key = empty_key(self.d, chart_id)
        if key is None:
            return None
        section = chart_id.removeprefix("chart-")
        return f'<p class="explain" id="empty-{section}">{escape(self.t(key))}</p>'

    def html(self, charts: Sequence[Chart]) -> str:
        by_id = {c.id: c for c in charts}
        sections = [
            ("sec_consolidation", "chart-consolidation", self.consolidation()),
            ("sec_offsite", "chart-offsite", self.departments()),
            ("sec_no_disturb", "chart-no-disturb", self.no_disturb()),
            ("sec_burden", "chart-burden", self.burden()),
            ("sec_outcomes", "chart-outcomes", self.outcomes()),
            ("sec_workload", "chart-workload", self.workload()),
            ("sec_towns", "chart-towns", self.towns()),
            ("sec_ratings", "chart-ratings", self.ratings()),
            ("sec_revisions", "chart-revisions", self.revisions()),
        ]
        lang_attr = "zh-CN" if self.lang == "zh" else "en"
        title = f"{self.t('title')} · {self.d.quarter}"
        out = [
            "<!DOCTYPE html>",
            f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{lang_attr}">',
            '<head><meta charset="utf-8"/>',
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            "</head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="sub">{escape(self.subtitle())}</p>',
            f'<p class="sub">{escape(self.t("generated", when=_china(self.d.generated_at)))}</p>',
        ]
        if self.fell_back:
            # The reader sees English charts on a Chinese page: say why, and the fix.
            warning = escape(self.t("warn_no_cjk"))
            out.append(f'<p class="note bad" id="font-fallback">{warning}</p>')
        out.append(self.kpis())
        for key, chart_id, tables in sections:
            chart = by_id[chart_id]
            out.append(f'<h2 id="{chart_id}-title">{escape(self.t(key))}</h2>')
            out.append(_block(chart, self.t(key), tables))
            if chart_id == "chart-outcomes":
                out.append(self.risk_model(by_id))
        font = self.font.family if self.font else "DejaVu Sans"
        out.append(f'<p class="note">{escape(self.t("font_note", font=font))}</p>')
        out.append(f"<script>{SCRIPT}</script>")
        out.append("</body></html>")
        return "\n".join(out) + "\n"

    def subtitle(self) -> str:
        status_key = f"status_{self.d.status}"
        status = self.t(status_key) if status_key in TEXT else self.d.status
        return self.t(
            "subtitle",
            plan_id=self.d.plan_id,
            revision=self.d.revision,
            status=status,
            seed=self.d.seed,
        )

    def kpis(self) -> str:
        c = self.d.consolidation
        m = self.d.metrics
        demands = int(m.get("demands", 0))
        offsite = int(m.get("offsite_checks", 0))
        items = [
            (self.t("visits"), _int(c.onsite_visits)),
            (self.t("saved"), _int(c.visits_saved)),
            (self.t("offsite_share"), _pct(offsite / demands if demands else None)),
            (self.t("nd_violations"), _int(self.d.no_disturb.violations)),
            (self.t("per_visit"), _dec(self.d.outcomes_total.violations_per_visit)),
            (self.t("mean_rating"), _dec(self.d.ratings.mean)),
        ]
        boxes = "".join(
            f'<div class="kpi">{escape(label)}<b>{escape(value)}</b></div>'
            for label, value in items
        )
        return f'<div class="kpis" id="kpis">{boxes}</div>'

    def consolidation(self) -> str:
        c = self.d.consolidation
        m = self.d.metrics
        ratio = c.onsite_visits / c.lower_bound if c.lower_bound else None
        rows: list[tuple[str, str]] = [
            (self.t("alone"), _int(c.departments_alone)),
            (self.t("plan"), _int(c.onsite_visits)),
            (self.t("bound"), _int(c.lower_bound)),
            (self.t("saved"), _int(c.visits_saved)),
            (self.t("ratio_bound"), _dec(ratio, 3)),
            (self.t("demands"), _int(m.get("demands"))),
            (self.t("drawn"), _int(m.get("drawn"))),
            (self.t("officer_days"), _int(m.get("officer_days"))),
            (self.t("km"), _dec(m.get("km"), 1)),
        ]
        if "solve_seconds" in m:  # stored by planners that keep their timing with the metrics
            rows.append((self.t("solve_time"), _dec(m["solve_seconds"], 1)))
        sources = m.get("demands_by_source", {})
        source_rows = [
            (
                source_label(s, self.lang),
                _int(c.get("onsite")),
                _int(c.get("offsite")),
                _int(c.get("unscheduled")),
            )
            for s, c in sources.items()
        ]
        return _table([self.t("item"), self.t("value")], rows, "table-consolidation") + _table(
            [self.t("source"), self.t("onsite"), self.t("offsite"), self.t("unscheduled")],
            source_rows,
            "table-sources",
        )

    def departments(self) -> str:
        empty = self.empty("chart-offsite")
        if empty is not None:
            return empty
        rows: list[Sequence[object]] = [
            (
                d.department,
                d.name,
                _int(d.onsite),
                _int(d.offsite),
                _int(d.unscheduled),
                _pct(d.offsite_share),
            )
            for d in self.d.departments
        ]
        on = sum(d.onsite for d in self.d.departments)
        off = sum(d.offsite for d in self.d.departments)
        un = sum(d.unscheduled for d in self.d.departments)
        total = on + off + un
        rows.append(
            (
                self.t("total"),
                "",
                _int(on),
                _int(off),
                _int(un),
                _pct(off / total if total else None),
            )
        )
        head = [
            self.t("department"),
            self.t("department_name"),
            self.t("onsite"),
            self.t("offsite"),
            self.t("unscheduled"),
            self.t("offsite_share"),
        ]
        return _table(head, rows, "table-offsite", total=True)

    def no_disturb(self) -> str:
        nd = self.d.no_disturb
        verdict = ("0 ✓", "ok") if nd.violations == 0 else (f"{nd.violations:,}", "bad")
        rows: list[Sequence[object]] = [
            (self.t("nd_listed"), _int(nd.listed_enterprises)),
            (self.t("nd_items"), _int(nd.flagged_items)),
            (self.t("nd_offsite_ent"), _int(nd.offsite_at_listed)),
            (self.t("nd_offsite_item"), _int(nd.offsite_of_items)),
            (self.t("nd_unsched_ent"), _int(nd.unscheduled_enterprise)),
            (self.t("nd_unsched_item"), _int(nd.unscheduled_item)),
            (self.t("nd_triggered"), _int(nd.triggered_visits_at_listed)),
            (self.t("nd_violations"), verdict),
        ]
        return _table([self.t("item"), self.t("count")], rows, "table-no-disturb")

    def burden(self) -> str:
        empty = self.empty("chart-burden")
        if empty is not None:
            return empty
        rows = [
            (
                self.t("grade_x", g=b.grade),
                _int(b.enterprises),
                _int(b.visited),
                _int(b.visits),
                _dec(b.visits_per_enterprise, 3),
                _int(b.repeat),
                _int(b.multi_department),
            )
            for b in self.d.burden
        ]
        head = [
            self.t("grade"),
            self.t("enterprises"),
            self.t("visited"),
            self.t("visits"),
            self.t("per_enterprise"),
            self.t("repeat"),
            self.t("multi_dept"),
        ]
        spread = [
            (self.t("visits_n", n=n), _int(count))
            for n, count in sorted(self.d.visits_per_enterprise.items())
        ]
        ungraded = ""
        if not any(b.enterprises for b in self.d.burden if b.grade in GRADES):
            words = escape(self.t("burden_ungraded"))
            ungraded = f'<p class="explain" id="empty-grades">{words}</p>'
        return (
            ungraded
            + _table(head, rows, "table-burden")
            + _table([self.t("item"), self.t("enterprises")], spread, "table-repeat")
        )

    def _outcome_rows(self, rows: Sequence[OutcomeCounts], label: Any) -> list[Sequence[object]]:
        return [
            (
                label(o.key),
                _int(o.visits),
                _int(o.checks),
                _int(o.violations),
                _int(o.minor),
                _int(o.compliant),
                _int(o.not_done),
                _dec(o.violations_per_visit),
                _pct(o.violation_rate),
                _pct(o.minor_share),
            )
            for o in rows
        ]

    def outcomes(self) -> str:
        empty = self.empty("chart-outcomes")
        if empty is not None:
            return empty
        head = [
            "",
            self.t("visits"),
            self.t("checks"),
            self.t("violations"),
            self.t("minor"),
            self.t("compliant"),
            self.t("not_done"),
            self.t("per_visit"),
            self.t("violation_rate"),
            self.t("minor_share"),
        ]
        total = self.d.outcomes_total
        by_grade = self._outcome_rows(
            [*self.d.outcomes_by_grade, total],
            lambda k: self.t("total") if k == "all" else self.t("grade_x", g=k),
        )
        by_source = self._outcome_rows(
            self.d.outcomes_by_source, lambda k: source_label(k, self.lang)
        )
        parts = [
            f"<h3>{escape(self.t('by_grade'))}</h3>",
            _table([self.t("grade"), *head[1:]], by_grade, "table-outcomes-grade", total=True),
            f"<h3>{escape(self.t('by_source'))}</h3>",
            _table([self.t("source"), *head[1:]], by_source, "table-outcomes-source"),
        ]
        e = self.d.evaluation
        if e is not None:
            grades = "+".join(e.targeted_grades)
            rows = [
                (self.t("inspected"), _int(e.inspected)),
                (self.t("targeted", grades=grades), _pct(e.hit_rate)),
                (self.t("base_rate"), _pct(e.base_rate)),
                (self.t("lift"), "–" if e.lift is None else f"{e.lift:.2f}×"),
                (self.t("auc"), _dec(e.auc, 3)),
            ]
            parts.append(f"<h3>{escape(self.t('lift_title'))}</h3>")
            parts.append(_table([self.t("item"), self.t("value")], rows, "table-lift"))
        else:
            parts.append(f"<h3>{escape(self.t('lift_title'))}</h3>")
            parts.append(f'<p class="explain" id="empty-lift">{escape(self.t("empty_lift"))}</p>')
        return "".join(parts)

    def risk_model(self, charts: Mapping[str, Chart]) -> str:
        """The adopted learned model and its validation beside the default's; without one,
        in words, what grades come from and what fills this section."""
        out = [f'<h2 id="sec-model-title">{escape(self.t("sec_model"))}</h2>']
        m = self.d.risk_model
        if m is None:
            out.append(f'<p class="explain" id="model-none">{escape(self.t("model_none"))}</p>')
            return "\n".join(out)
        held = m.learned or m.default
        if m.cutoff is not None and held is not None:
            window = self.t(
                "model_window",
                cutoff=m.cutoff.isoformat(),
                fitted=_int(m.fitted_inspections),
                to=m.validated_to.isoformat() if m.validated_to else "–",
                held=_int(held.inspections),
                found=_int(held.violations),
            )
            out.append(f'<p class="sub" id="model-window">{escape(window)}</p>')
        if not m.grades_from_model:
            out.append(
                f'<p class="note" id="model-regrade">'
                f"{escape(self.t('model_regrade', by=self._graded_by(), id=m.id))}</p>"
            )
        blocks = (
            ("chart-model-gains", "model_gains", self.model_summary() + self.model_gains()),
            ("chart-model-calibration", "model_calibration", self.model_calibration()),
            ("chart-model-grades", "model_grades", self.model_grades()),
        )
        for chart_id, key, tables in blocks:
            out.append(f'<h3 id="{chart_id}-title">{escape(self.t(key))}</h3>')
            out.append(_block(charts[chart_id], self.t(key), tables))
        return "\n".join(out)

    def _graded_by(self) -> str:
        m = self.d.risk_model
        assert m is not None
        if m.graded_by is None:
            return self.t("model_by_default")
        return self.t("model_by_other", id=m.graded_by)

    def _columns(self) -> list[tuple[str, ModelMetrics | None]]:
        m = self.d.risk_model
        assert m is not None
        return [
            (self.t("learned"), m.learned),
            (self.t("default_model"), m.default),
            (self.t("history_alone"), m.history),
        ]

    def model_summary(self) -> str:
        m = self.d.risk_model
        assert m is not None
        yes, no = self.t("yes"), self.t("no")
        facts: list[Sequence[object]] = [
            (self.t("model_id"), _int(m.id)),
            (self.t("model_as_of"), m.as_of.isoformat()),
            (self.t("model_fitted"), f"{m.inspections:,} ({m.violations:,})"),
            (self.t("model_features"), _int(len(m.features))),
            (self.t("model_adopted_by"), m.adopted_by or "–"),
            (self.t("model_adopted_at"), _china(m.adopted_at)),
            (self.t("model_forced"), (yes, "bad") if m.forced else no),
            (self.t("model_beats"), (yes, "ok") if m.beats_default else (no, "bad")),
            (
                self.t("model_grades_from"),
                self.t("model_by_other", id=m.id) if m.grades_from_model else self._graded_by(),
            ),
        ]
        columns = self._columns()
        source = m.learned or m.default
        shares = [s for s, _ in source.lift] if source else []

        def row(label: str, show: Callable[[ModelMetrics], str]) -> Sequence[object]:
            return (label, *("–" if c is None else show(c) for _, c in columns))

        rows = [
            row(self.t("model_auc"), lambda c: _dec(c.auc, 3)),
            row(self.t("average_precision"), lambda c: _dec(c.average_precision, 3)),
            row(self.t("brier"), lambda c: _dec(c.brier, 4)),
        ]
        for share in shares:
            rows.append(
                (
                    self.t("lift_at", share=f"{share:.0%}"),
                    *("–" if c is None else _times(c.lift_at(share)) for _, c in columns),
                )
            )
        for grade in GRADES:
            rows.append(
                (
                    self.t("rate_of_grade", g=grade),
                    *("–" if c is None else _pct(c.grade_rate(grade)) for _, c in columns),
                )
            )
        rows.append(row(self.t("held_out_n"), lambda c: _int(c.inspections)))
        head = [self.t("item"), *(name for name, _ in columns)]
        return _table([self.t("item"), self.t("value")], facts, "table-model") + _table(
            head, rows, "table-model-validation"
        )

    def model_gains(self) -> str:
        columns = self._columns()
        points = {name: dict(c.gains_points) if c else {} for name, c in columns}
        shares = sorted({x for p in points.values() for x in p})
        rows = [
            (
                _pct(x),
                *(_pct(_at(points[name], x)) for name, _ in columns),
                _pct(x),
            )
            for x in shares
        ]
        head = [self.t("share_inspected"), *(n for n, _ in columns), self.t("random_choice")]
        return (
            f"<details><summary>{escape(self.t('gains_table'))}</summary>"
            f"{_table(head, rows, 'table-model-gains')}</details>"
        )

    def model_calibration(self) -> str:
        columns = self._columns()[:2]
        bins = [c.calibration if c else () for _, c in columns]
        rows = []
        for k in range(max(len(b) for b in bins)):
            cells: list[str] = [str(k + 1)]
            for b in bins:
                cells += [_pct(b[k][0]), _pct(b[k][1])] if k < len(b) else ["–", "–"]
            rows.append(cells)
        head = [self.t("decile"), *[self.t("predicted"), self.t("observed")] * len(columns)]
        groups = [("", 1), *((name, 2) for name, _ in columns)]
        return _table(head, rows, "table-model-calibration", groups=groups)

    def model_grades(self) -> str:
        columns = [(n, c) for n, c in self._columns()[:2] if c is not None and c.per_grade]
        rows: list[Sequence[object]] = []
        for grade in GRADES:
            cells: list[object] = [self.t("grade_x", g=grade)]
            for _, c in columns:
                n, bad = next(((i, v) for g, i, v in c.per_grade if g == grade), (0, 0))
                cells += [_int(n), _int(bad), _pct(bad / n if n else None)]
            rows.append(cells)
        total: list[object] = [self.t("total")]
        for _, c in columns:
            total += [_int(c.inspections), _int(c.violations), _pct(c.base_rate)]
        rows.append(total)
        each = [self.t("held_out"), self.t("violations"), self.t("violation_rate")]
        head = [self.t("grade"), *each * len(columns)]
        groups = [("", 1), *((name, 3) for name, _ in columns)]
        return _table(head, rows, "table-model-grades", total=True, groups=groups)

    def workload(self) -> str:
        empty = self.empty("chart-workload")
        if not any(w.officers for w in self.d.workload):
            return empty or ""
        rows: list[Sequence[object]] = []
        for w in self.d.workload:
            v = w.visits
            rows.append(
                (
                    w.department,
                    w.name,
                    _int(w.officers),
                    _int(sum(v)),
                    _int(min(v)) if v else "–",
                    _dec(statistics.median(v), 1) if v else "–",
                    _int(max(v)) if v else "–",
                    _int(w.officer_days),
                )
            )
        rows.append(
            (
                self.t("total"),
                "",
                _int(sum(w.officers for w in self.d.workload)),
                _int(sum(sum(w.visits) for w in self.d.workload)),
                "",
                "",
                "",
                _int(sum(w.officer_days for w in self.d.workload)),
            )
        )
        head = [
            self.t("department"),
            self.t("department_name"),
            self.t("officers"),
            self.t("visits"),
            self.t("min"),
            self.t("median"),
            self.t("max"),
            self.t("officer_days"),
        ]
        table = _table(head, rows, "table-workload", total=True)
        notes = workload_notes(self.d, self.lang)
        if notes:
            items = "".join(f"<li>{escape(n)}</li>" for n in notes)
            table += f'<ul class="explain note" id="workload-notes">{items}</ul>'
        return (empty or "") + table

    def towns(self) -> str:
        empty = self.empty("chart-towns")
        if empty is not None and not self.d.towns:
            return empty
        rows: list[Sequence[object]] = [
            (t.town, _int(t.visits), _int(t.triggered), _int(t.enterprises)) for t in self.d.towns
        ]
        rows.append(
            (
                self.t("total"),
                _int(sum(t.visits for t in self.d.towns)),
                _int(sum(t.triggered for t in self.d.towns)),
                _int(sum(t.enterprises for t in self.d.towns)),
            )
        )
        head = [self.t("town"), self.t("visits"), self.t("triggered"), self.t("visited")]
        return (empty or "") + _table(head, rows, "table-towns", total=True)

    def ratings(self) -> str:
        r = self.d.ratings
        rows: list[Sequence[object]] = [
            (self.t("stars", n=n), _int(c), _pct(c / r.rated if r.rated else None))
            for n, c in zip(RATINGS, r.counts, strict=True)
        ]
        rows.append((self.t("rated"), _int(r.rated), ""))
        summary = [
            (self.t("rateable"), _int(r.rateable)),
            (self.t("response_rate"), _pct(r.response_rate)),
            (self.t("mean_rating"), _dec(r.mean)),
        ]
        figures = _table([self.t("item"), self.t("value")], summary, "table-ratings-summary")
        empty = self.empty("chart-ratings")
        if empty is not None:
            return empty + figures  # how many visits may be rated still tells something
        return (
            _table(
                [self.t("rating"), self.t("count"), self.t("share")],
                rows,
                "table-ratings",
                total=True,
            )
            + figures
        )

    def revisions(self) -> str:
        rows = [
            (
                f"r{r.revision}",
                self.t(f"status_{r.status}") if f"status_{r.status}" in TEXT else r.status,
                _china(r.generated_at),
                _china(r.filed_at),
                _int(r.onsite_visits),
                _int(r.offsite_checks),
                _int(r.unscheduled),
                _diff_summary(r.diff) or "–",
            )
            for r in self.d.revisions
        ]
        head = [
            self.t("revision"),
            self.t("status"),
            self.t("generated_at"),
            self.t("filed_at"),
            self.t("onsite"),
            self.t("offsite"),
            self.t("unscheduled"),
            self.t("changes"),
        ]
        note = (
            ""
            if self.d.replanned
            else f'<p class="explain" id="empty-revisions">{escape(self.t("empty_revisions"))}</p>'
        )
        return _table(head, rows, "table-revisions") + note


def _block(chart: Chart, caption: str, tables: str) -> str:
    """A chart beside the tables of its numbers."""
    return f'<div class="section">{_figure(chart, caption)}<div class="tables">{tables}</div></div>'


def _figure(chart: Chart, caption: str) -> str:
    payload = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return (
        f'<figure id="{chart.id}-figure"><img class="chart" id="{chart.id}" '
        f'alt="{escape(caption)}" src="data:image/svg+xml;base64,{payload}"/></figure>'
    )
