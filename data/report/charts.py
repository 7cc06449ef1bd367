"""The report's charts, drawn with matplotlib and written as self-contained SVG.

Text is written as glyph outlines (``svg.fonttype = "path"``), so a chart looks the same in
any browser whether or not the viewer has a Chinese font: the font only has to be present
where the report is made. Figures are made with the object API (no pyplot state), under an
``rc_context`` that fixes the font, and with a fixed hash salt and no date, so that the
same data gives the same SVG.
"""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from jointinspect.data.report.figures import ModelMetrics, ReportData
from jointinspect.data.report.fonts import FontChoice
from jointinspect.data.report.notes import empty_key
from jointinspect.data.report.style import ReportStyle
from jointinspect.data.report.text import Lang, source_label, text

#: Salt for matplotlib's SVG ids: fixed, so that the same chart gives the same bytes.
SVG_SALT = "jointinspect-report"
#: Stars on the rating chart.
STARS = (1, 2, 3, 4, 5)
#: Room for this many revisions on the history chart, however few there are.
MIN_REVISION_SLOTS = 4


@dataclass(frozen=True)
class Chart:
    id: str
    svg: str


@dataclass(frozen=True)
class ChartContext:
    data: ReportData
    lang: Lang  # language of the chart labels (English when no CJK font was found)
    style: ReportStyle
    font: FontChoice | None

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)


ChartMaker = Callable[[ChartContext, Figure], None]


@contextmanager
def chart_rc(style: ReportStyle, font: FontChoice | None) -> Iterator[None]:
    families = [font.family, style.latin_family] if font else [style.latin_family]
    with matplotlib.rc_context(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": SVG_SALT,
            "font.family": families,
            "font.size": style.font_size,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        yield


def draw_charts(ctx: ChartContext) -> tuple[Chart, ...]:
    """Every chart of the report, in page order."""
    out = []
    wanted = set(chart_ids(ctx.data))
    with chart_rc(ctx.style, ctx.font):
        for chart_id, maker, tall in CHARTS:
            if chart_id not in wanted:
                continue
            height = ctx.style.map_height_inches if tall else ctx.style.height_inches
            fig = Figure(figsize=(ctx.style.width_inches, height), layout="constrained")
            maker(ctx, fig)
            out.append(Chart(chart_id, _svg(fig, ctx.style.raster_dpi)))
    return tuple(out)


def _svg(fig: Figure, dpi: int) -> str:
    FigureCanvasSVG(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", dpi=dpi, metadata={"Date": None})
    svg = buffer.getvalue()
    # Drop the XML declaration and DOCTYPE: the SVG is embedded in a page.
    return svg[svg.index("<svg") :]


def _no_data(ctx: ChartContext, fig: Figure, key: str = "no_data") -> None:
    """An empty chart: the words of ``key`` before its dash ("暂无数据 — what fills it").

    The whole sentence is on the page beside the chart, where its commands can be copied;
    the chart only heads it.
    """
    head = ctx.t(key).split(" — ", 1)[0]
    fig.text(0.5, 0.5, head, ha="center", va="center", fontsize=ctx.style.font_size + 3)


def consolidation(ctx: ChartContext, fig: Figure) -> None:
    c = ctx.data.consolidation
    ax = fig.add_subplot()
    names = [ctx.t("alone"), ctx.t("plan"), ctx.t("bound")]
    values = [c.departments_alone, c.onsite_visits, c.lower_bound]
    colors = [ctx.style.colors[5], ctx.style.colors[0], ctx.style.colors[2]]
    bars = ax.barh(names[::-1], values[::-1], color=colors[::-1])
    ax.bar_label(bars, labels=[f"{v:,}" for v in values[::-1]], padding=3)
    ax.set_xlabel(ctx.t("visits"))
    ax.margins(x=0.15)


def offsite_share(ctx: ChartContext, fig: Figure) -> None:
    empty = empty_key(ctx.data, "chart-offsite")
    if empty is not None:
        _no_data(ctx, fig, empty)
        return
    rows = [d for d in ctx.data.departments if d.demands]
    ax = fig.add_subplot()
    names = [d.department for d in rows][::-1]
    left = [0.0] * len(rows)
    for key, color in (("onsite", 0), ("offsite", 2), ("unscheduled", 5)):
        shares = [getattr(d, key) / d.demands for d in rows][::-1]
        ax.barh(names, shares, left=left, label=ctx.t(key), color=ctx.style.colors[color])
        left = [a + b for a, b in zip(left, shares, strict=True)]
    for y, d in enumerate(rows[::-1]):
        share = d.offsite_share or 0.0
        ax.text(1.01, y, f"{share:.0%}", va="center", fontsize=ctx.style.font_size - 1)
    ax.set_xlim(0, 1.1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25%", "50%", "75%", "100%"])
    ax.set_xlabel(ctx.t("share"))
    ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)


def no_disturb(ctx: ChartContext, fig: Figure) -> None:
    nd = ctx.data.no_disturb
    rows = [
        ("nd_listed", nd.listed_enterprises, 0),
        ("nd_items", nd.flagged_items, 0),
        ("nd_offsite_ent", nd.offsite_at_listed, 2),
        ("nd_offsite_item", nd.offsite_of_items, 2),
        ("nd_unsched_ent", nd.unscheduled_enterprise, 5),
        ("nd_unsched_item", nd.unscheduled_item, 5),
        ("nd_triggered", nd.triggered_visits_at_listed, 1),
    ]
    ax = fig.add_subplot()
    names = [ctx.t(k) for k, _, _ in rows][::-1]
    values = [v for _, v, _ in rows][::-1]
    colors = [ctx.style.colors[c] for _, _, c in rows][::-1]
    bars = ax.barh(names, values, color=colors)
    ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=3)
    ax.set_title(
        f"{ctx.t('nd_violations')}: {nd.violations}",
        color=ctx.style.highlight if nd.violations else ctx.style.colors[2],
        loc="left",
        fontsize=ctx.style.font_size + 1,
    )
    ax.margins(x=0.15)


def burden(ctx: ChartContext, fig: Figure) -> None:
    empty = empty_key(ctx.data, "chart-burden")
    if empty is not None:
        _no_data(ctx, fig, empty)
        return
    rows = [b for b in ctx.data.burden if b.enterprises or b.visits]
    left, right = fig.subplots(1, 2)
    names = [ctx.t("grade_x", g=b.grade) for b in rows]
    per = [b.visits_per_enterprise or 0.0 for b in rows]
    bars = left.bar(names, per, color=ctx.style.colors[0])
    left.bar_label(bars, labels=[f"{v:.2f}" for v in per], padding=2)
    left.set_ylabel(ctx.t("per_enterprise"))
    left.margins(y=0.2)
    x = range(len(rows))
    width = 0.4
    right.bar(
        [i - width / 2 for i in x],
        [b.multi_department for b in rows],
        width,
        label=ctx.t("multi_dept"),
        color=ctx.style.colors[5],
    )
    right.bar(
        [i + width / 2 for i in x],
        [b.repeat for b in rows],
        width,
        label=ctx.t("repeat"),
        color=ctx.style.colors[1],
    )
    right.set_xticks(list(x), names)
    right.set_ylabel(ctx.t("enterprises"))
    right.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize="small")


def outcomes(ctx: ChartContext, fig: Figure) -> None:
    empty = empty_key(ctx.data, "chart-outcomes")
    if empty is not None:
        _no_data(ctx, fig, empty)
        return
    by_grade = [o for o in ctx.data.outcomes_by_grade if o.visits]
    by_source = [o for o in ctx.data.outcomes_by_source if o.visits]
    left, right = fig.subplots(1, 2, width_ratios=(2, 3))
    overall = ctx.data.outcomes_total.violations_per_visit or 0.0
    violation_color, minor_color = ctx.style.colors[4], ctx.style.colors[1]
    line = {"color": ctx.style.colors[5], "linestyle": "--", "linewidth": 1}
    # By grade: upright bars, violations with the 轻微不罚 findings stacked on top.
    names = [ctx.t("grade_x", g=o.key) for o in by_grade]
    values = [o.violations_per_visit or 0.0 for o in by_grade]
    bars = left.bar(names, values, color=violation_color, label=ctx.t("violations"))
    left.bar(
        names,
        [o.minor / o.visits for o in by_grade],
        bottom=values,
        color=minor_color,
        label=ctx.t("minor"),
    )
    left.bar_label(bars, labels=[f"{v:.2f}" for v in values], label_type="center", color="white")
    left.axhline(overall, label=ctx.t("overall_rate"), **line)
    left.set_ylabel(ctx.t("per_visit"))
    left.set_title(ctx.t("by_grade"), fontsize=ctx.style.font_size)
    # By source: sideways bars, so the sources' names stay readable.
    names = [source_label(o.key, ctx.lang) for o in by_source][::-1]
    values = [o.violations_per_visit or 0.0 for o in by_source][::-1]
    minor = [o.minor / o.visits for o in by_source][::-1]
    bars = right.barh(names, values, color=violation_color)
    right.barh(names, minor, left=values, color=minor_color)
    right.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=2)
    right.axvline(overall, **line)
    right.set_xlabel(ctx.t("per_visit"))
    right.set_title(ctx.t("by_source"), fontsize=ctx.style.font_size)
    right.margins(x=0.15)
    handles, labels = left.get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside upper center", ncols=3, frameon=False, fontsize="small"
    )


def workload(ctx: ChartContext, fig: Figure) -> None:
    empty = empty_key(ctx.data, "chart-workload")
    if empty is not None:
        _no_data(ctx, fig, empty)
        return
    rows = [w for w in ctx.data.workload if w.officers]
    ax = fig.add_subplot()
    ax.boxplot(
        [list(w.visits) for w in rows],
        orientation="horizontal",
        tick_labels=[w.department for w in rows],
        showmeans=True,
    )
    ax.set_xlabel(ctx.t("visits_per_officer"))
    ax.invert_yaxis()


def towns(ctx: ChartContext, fig: Figure) -> None:
    empty = empty_key(ctx.data, "chart-towns")
    if empty is not None:
        _no_data(ctx, fig, empty)
        return
    points = ctx.data.points
    ax = fig.add_subplot()
    raster = len(points) > ctx.style.rasterize_points_above
    for flag, key, color in ((False, "routine", 0), (True, "triggered", 4)):
        mine = [p for p in points if p.triggered == flag]
        if mine:
            ax.scatter(
                [p.lon for p in mine],
                [p.lat for p in mine],
                s=ctx.style.point_size,
                alpha=0.6,
                color=ctx.style.colors[color],
                label=f"{ctx.t(key)} ({len(mine):,})",
                rasterized=raster,
                linewidths=0,
            )
    if ctx.font is not None and ctx.lang == "zh":
        # Town names are Chinese data: drawn only where a Chinese font is known to cover them.
        for town in ctx.data.towns:
            if town.lat is not None and town.lon is not None:
                ax.annotate(
                    f"{town.town} {town.visits:,}",
                    (town.lon, town.lat),
                    ha="center",
                    fontsize=ctx.style.font_size - 1,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.7, "lw": 0},
                )
    ax.set_xlabel(ctx.t("lon"))
    ax.set_ylabel(ctx.t("lat"))
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize="small")


def ratings(ctx: ChartContext, fig: Figure) -> None:
    empty = empty_key(ctx.data, "chart-ratings")
    if empty is not None:
        _no_data(ctx, fig, empty)
        return
    r = ctx.data.ratings
    ax = fig.add_subplot()
    names = [ctx.t("stars", n=n) for n in STARS]
    bars = ax.bar(names, r.counts, color=ctx.style.colors[2])
    ax.bar_label(bars, labels=[f"{c:,}" for c in r.counts], padding=2)
    ax.set_ylabel(ctx.t("count"))
    mean = r.mean or 0.0
    ax.set_title(f"{ctx.t('mean_rating')}: {mean:.2f}", loc="left", fontsize=ctx.style.font_size)
    ax.margins(y=0.15)


def revisions(ctx: ChartContext, fig: Figure) -> None:
    revs = ctx.data.revisions
    ax = fig.add_subplot()
    x = list(range(len(revs)))
    width = 0.25
    series = (
        ("onsite", [r.onsite_visits or 0 for r in revs], 0),
        ("offsite", [r.offsite_checks or 0 for r in revs], 2),
        ("unscheduled", [r.unscheduled or 0 for r in revs], 5),
    )
    for k, (key, values, color) in enumerate(series):
        bars = ax.bar(
            [i + (k - 1) * width for i in x],
            values,
            width,
            label=ctx.t(key),
            color=ctx.style.colors[color],
        )
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], padding=2)
    ax.set_xticks(x, [f"r{r.revision}" for r in revs])
    # Keep bars narrow when there are few revisions.
    ax.set_xlim(-0.6, max(len(revs), MIN_REVISION_SLOTS) - 0.4)
    ax.set_xlabel(ctx.t("revision"))
    if not ctx.data.replanned:
        ax.set_title(ctx.t("no_replans"), loc="left", fontsize=ctx.style.font_size)
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    ax.margins(y=0.2)


def _model_series(ctx: ChartContext) -> list[tuple[str, ModelMetrics, str, str]]:
    """(label, metrics, colour, marker) of the stored models: learned, default, history."""
    m = ctx.data.risk_model
    if m is None:
        return []
    styles = (
        (m.learned, "learned", 0, "o"),
        (m.default, "default_model", 1, "s"),
        (m.history, "history_alone", 3, "^"),
    )
    return [
        (ctx.t(key), metrics, ctx.style.colors[color], marker)
        for metrics, key, color, marker in styles
        if metrics is not None
    ]


def model_gains(ctx: ChartContext, fig: Figure) -> None:
    """Share of violations found against share inspected, riskiest first: each model, and
    random selection (the diagonal)."""
    series = _model_series(ctx)
    if not any(metrics.gains_points for _, metrics, _, _ in series):
        _no_data(ctx, fig)
        return
    ax = fig.add_subplot()
    ax.plot(
        [0, 1],
        [0, 1],
        color=ctx.style.colors[5],
        linestyle="--",
        linewidth=1,
        label=ctx.t("random_choice"),
    )
    for label, metrics, color, marker in series:
        points = metrics.gains_points
        auc = "" if metrics.auc is None else f" (AUC {metrics.auc:.3f})"
        # The stored curve starts from nothing inspected, nothing found; lift points alone
        # (a model stored before the curve was kept) are drawn as markers only.
        xs = [0.0, *(x for x, _ in points)] if metrics.gains else [x for x, _ in points]
        ys = [0.0, *(y for _, y in points)] if metrics.gains else [y for _, y in points]
        ax.plot(
            xs,
            ys,
            color=color,
            marker=marker,
            markersize=3,
            linestyle="-" if metrics.gains else "none",
            label=f"{label}{auc}",
        )
    if any(not metrics.gains for _, metrics, _, _ in series):
        ax.set_title(ctx.t("model_no_gains"), loc="left", fontsize=ctx.style.font_size - 1)
    ticks = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    labels = [f"{t:.0%}" for t in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(ctx.t("share_inspected"))
    ax.set_ylabel(ctx.t("share_found"))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")


def model_calibration(ctx: ChartContext, fig: Figure) -> None:
    """Observed violation rate against predicted probability per decile, learned and
    default, with the diagonal of a perfectly calibrated model."""
    series = [s for s in _model_series(ctx)[:2] if s[1].calibration]
    if not series:
        _no_data(ctx, fig, "model_one_class")
        return
    ax = fig.add_subplot()
    top = max(max(p, o) for _, metrics, _, _ in series for p, o in metrics.calibration)
    top = min(1.0, top * 1.08) or 1.0
    ax.plot(
        [0, top],
        [0, top],
        color=ctx.style.colors[5],
        linestyle="--",
        linewidth=1,
        label=ctx.t("perfect"),
    )
    for label, metrics, color, marker in series:
        ax.plot(
            [p for p, _ in metrics.calibration],
            [o for _, o in metrics.calibration],
            color=color,
            marker=marker,
            markersize=4,
            label=label,
        )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(ctx.t("predicted_axis"))
    ax.set_ylabel(ctx.t("observed_axis"))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")


def model_grades(ctx: ChartContext, fig: Figure) -> None:
    """Violation rate of the held-out inspections per grade A–D, learned beside default."""
    series = [s for s in _model_series(ctx)[:2] if s[1].per_grade]
    if not series:
        _no_data(ctx, fig, "model_no_grades")
        return
    ax = fig.add_subplot()
    grades = [g for g, _, _ in series[0][1].per_grade]
    width = 0.8 / len(series)
    for k, (label, metrics, color, _) in enumerate(series):
        rates = [metrics.grade_rate(g) for g in grades]
        x = [i + (k - (len(series) - 1) / 2) * width for i in range(len(grades))]
        bars = ax.bar(x, [r or 0.0 for r in rates], width, color=color, label=label)
        ax.bar_label(
            bars,
            labels=["–" if r is None else f"{r:.0%}" for r in rates],
            padding=2,
            fontsize=ctx.style.font_size - 1,
        )
    base = series[0][1].base_rate
    if base is not None:
        ax.axhline(
            base,
            color=ctx.style.colors[5],
            linestyle="--",
            linewidth=1,
            label=f"{ctx.t('held_out_rate')} {base:.0%}",
        )
    ax.set_xticks(range(len(grades)), [ctx.t("grade_x", g=g) for g in grades])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(ctx.t("violation_rate"))
    ax.margins(y=0.2)
    ax.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize="small", frameon=False
    )


#: (id, drawing function, tall) in page order.
CHARTS: tuple[tuple[str, ChartMaker, bool], ...] = (
    ("chart-consolidation", consolidation, False),
    ("chart-offsite", offsite_share, False),
    ("chart-no-disturb", no_disturb, False),
    ("chart-burden", burden, False),
    ("chart-outcomes", outcomes, False),
    # The risk model's section: drawn only when a learned model is adopted (else words).
    ("chart-model-gains", model_gains, False),
    ("chart-model-calibration", model_calibration, False),
    ("chart-model-grades", model_grades, False),
    ("chart-workload", workload, False),
    ("chart-towns", towns, True),
    ("chart-ratings", ratings, False),
    ("chart-revisions", revisions, False),
)
#: Every chart the report can have, in page order.
CHART_IDS: tuple[str, ...] = tuple(c[0] for c in CHARTS)
MODEL_CHART_IDS: tuple[str, ...] = (
    "chart-model-gains",
    "chart-model-calibration",
    "chart-model-grades",
)


def chart_ids(data: ReportData) -> tuple[str, ...]:
    """The charts of the report of ``data``, in page order: the risk model's only when a
    learned model is adopted."""
    return tuple(c for c in CHART_IDS if data.risk_model is not None or c not in MODEL_CHART_IDS)


def chart_texts(data: ReportData) -> list[str]:
    """Data strings the charts draw (town names), for the font's coverage check."""
    return [t.town for t in data.towns]
