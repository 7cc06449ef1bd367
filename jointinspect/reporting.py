"""``report`` as a Python call: gather the figures, add the hit-rate evaluation, render.

The figures come from ``data.report_data`` (one place); the evaluation of findings against
grades is ``risk.evaluation`` — the same function ``grade --evaluate`` uses — applied to
this plan's on-site findings, so the report and the evaluation cannot disagree. Joining
``data`` and ``risk`` is why this lives in the library API, not in ``data``.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from jointinspect.data.report.figures import EvaluationFigures, ModelMetrics, ReportData
from jointinspect.data.report.gather import load_report_data
from jointinspect.data.report.render import RenderedReport, render_report, write_html
from jointinspect.data.report.text import Lang
from jointinspect.models.enums import InspectionResult
from jointinspect.models.quarter import Quarter
from jointinspect.risk.config import GRADES, EvaluationConfig, GradingConfig, load_config
from jointinspect.risk.evaluation import Evaluation, evaluate, grade_numbers

Progress = Callable[[str], None]


__all__ = [
    "ModelMetrics",
    "ReportData",
    "ReportRun",
    "build_report_data",
    "evaluation_figures",
    "make_report",
    "plan_evaluation",
    "write_report",
]


@dataclass(frozen=True)
class ReportRun:
    path: Path
    data: ReportData
    rendered: RenderedReport
    bytes_written: int


def plan_evaluation(data: ReportData, config: EvaluationConfig) -> Evaluation | None:
    """``risk.evaluation.evaluate`` on the plan's on-site findings and the current grades."""
    grades = data.grades
    number = {u: i for i, u in enumerate(grades.uscc) if grades.grade[i] in GRADES}
    known = [(number[u], r) for u, r in data.inspections if u in number]
    if not known:
        return None
    letters = [g if g in GRADES else GRADES[0] for g in grades.grade]
    ent = np.array([k for k, _ in known], dtype=np.int64)
    violation = np.array([r == InspectionResult.VIOLATION.value for _, r in known], dtype=bool)
    risk = np.array(grades.risk, dtype=np.float64)
    return evaluate(grade_numbers(letters), risk, ent, violation, config)


def evaluation_figures(evaluation: Evaluation) -> EvaluationFigures:
    return EvaluationFigures(
        per_grade=tuple((r.grade, r.inspections, r.violations) for r in evaluation.per_grade),
        auc=evaluation.auc,
        inspected=evaluation.inspected,
        violators=evaluation.violators,
        selected=evaluation.selected,
        selected_violators=evaluation.selected_violators,
        targeted_grades=evaluation.targeted_grades,
        base_rate=evaluation.base_rate,
        hit_rate=evaluation.hit_rate,
        lift=evaluation.lift,
    )


def build_report_data(
    quarter: Quarter | str,
    *,
    engine: Engine,
    config: GradingConfig | None = None,
    revision: int | None = None,
) -> ReportData:
    """Every figure of the report (of the latest filed revision, or ``revision``), the
    evaluation included."""
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    data = load_report_data(q, engine=engine, revision=revision)
    evaluation = plan_evaluation(data, (config or load_config()).evaluation)
    if evaluation is None:
        return data
    return replace(data, evaluation=evaluation_figures(evaluation))


def make_report(
    quarter: Quarter | str,
    *,
    engine: Engine,
    out: Path,
    lang: Lang = "zh",
    config: GradingConfig | None = None,
    progress: Progress | None = None,
    revision: int | None = None,
) -> ReportRun:
    say = progress or (lambda _message: None)
    say("gathering the figures")
    data = build_report_data(quarter, engine=engine, config=config, revision=revision)
    say("drawing the charts")
    rendered = render_report(data, lang=lang)
    say(f"writing {out}")
    path = write_html(rendered, Path(out))
    return ReportRun(path, data, rendered, path.stat().st_size)


def write_report(
    quarter: Quarter | str,
    *,
    engine: Engine,
    out: Path,
    lang: Lang = "zh",
    warn: Callable[[str], None] | None = None,
    revision: int | None = None,
) -> Path:
    """Write the efficiency report of ``quarter``'s latest filed plan revision (or
    ``revision``) to ``out``.

    ``warn`` hears what the reader should know (no Chinese font: English chart labels).
    """
    run = make_report(quarter, engine=engine, out=out, lang=lang, revision=revision)
    for message in run.rendered.warnings:
        if warn is not None:
            warn(message)
    return run.path
