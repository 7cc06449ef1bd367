"""``publish`` as a Python call: the public disclosure (一公开) of a quarter's filed plan.

What is published is the 双随机 part of the latest filed revision — items, departments,
ratios per credit-risk grade, enterprises drawn per grade and item, the seed and how to
redo the draw — and, once outcomes are in, each random check's result. Nothing private:
see ``data.publish`` (its types cannot hold an officer, a code, a trigger or a grade).

The per-grade figures (N in each population, k drawn) are taken, in this order, from the
record the plan stored with its revision (``metrics["draw"]``, see :func:`draw_record`),
or from redoing the draw now with the plan's seed — used only when it gives exactly the
enterprises the filed plan drew; otherwise grades changed since (a replan regrades), and
the figures per grade are left out with a warning rather than published wrong.

A 专项检查 plan is published with its approval. Shanghai publishes a special plan within
a month of its approval; later than that, publishing is refused unless ``late`` is given
(the reason must be a deliberate choice, and the page shows both dates), and then it
goes with a warning.
"""

import calendar
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from jointinspect.data.publish.assemble import assemble
from jointinspect.data.publish.content import (
    Disclosure,
    DrawFigure,
    DrawSource,
    SpecialApproval,
)
from jointinspect.data.publish.csv_tables import plan_csv, results_csv
from jointinspect.data.publish.files import PublishFolderError, redo_script, write_files
from jointinspect.data.publish.gather import (
    FiledPlan,
    NoFiledPlanError,
    PublicationInputs,
    read_population,
    read_publication_inputs,
)
from jointinspect.data.publish.html_page import render_page
from jointinspect.data.publish.text import REDO_SCRIPT
from jointinspect.models.enums import ItemMode
from jointinspect.models.errors import JointInspectError
from jointinspect.models.industry import applies
from jointinspect.models.quarter import Quarter
from jointinspect.risk.sampling import Candidate, Draw, SamplingRuleSpec, draw

__all__ = [
    "DRAW_RECORD",
    "ApprovalDateError",
    "Disclosure",
    "LateSpecialPlanError",
    "NoFiledPlanError",
    "PublishFolderError",
    "PublishRun",
    "SpecialApproval",
    "draw_record",
    "draw_with_figures",
    "file_names",
    "publication_deadline",
    "publish_quarter",
]

#: The key of ``PlanRevision.metrics`` under which a plan may record its draw's figures.
DRAW_RECORD = "draw"


class LateSpecialPlanError(JointInspectError):
    """A special plan's approval is more than a month old and ``late`` was not given."""


class ApprovalDateError(JointInspectError):
    """A special plan's approval date is after the day of publication."""


@dataclass(frozen=True)
class PublishRun:
    disclosure: Disclosure
    paths: list[Path]
    #: What the coordinator should know: a late special plan, figures left out.
    warnings: list[str]


def publication_deadline(approved_on: dt.date) -> dt.date:
    """The last day a special plan approved on ``approved_on`` may be published: the same
    day of the next month, or that month's last day when it is shorter (31 Jan → 28 Feb)."""
    # Months counted from year 0 (January is 0): the one after approval is year*12 + month.
    year, index = divmod(approved_on.year * 12 + approved_on.month, 12)
    month = index + 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(approved_on.day, last))


def draw_with_figures(
    seed: str, rules: Sequence[SamplingRuleSpec], candidates: Sequence[Candidate]
) -> tuple[list[Draw], list[DrawFigure]]:
    """The draw of contract §3 (``risk.sampling.draw``) with each rule's N and k."""
    drawn = draw(seed, rules, candidates)
    grade_of = {c.uscc: c.grade for c in candidates}
    k = Counter((d.department, d.item, grade_of[d.uscc]) for d in drawn)
    # Populations counted by (grade, industry, no-disturb) class: a district has hundreds
    # of industries but hundreds of thousands of enterprises.
    classes = Counter(
        (c.grade, c.industry, c.no_disturb_on_quarter_start) for c in candidates if c.active
    )
    figures = []
    for rule in sorted(rules, key=lambda r: (r.department, r.item, r.grade)):
        population = sum(
            n
            for (grade, industry, quiet), n in classes.items()
            if grade == rule.grade
            and applies(rule.item_industries, industry)
            and not (rule.item_onsite_only and quiet)
        )
        figures.append(
            DrawFigure(
                rule.department,
                rule.item,
                rule.grade,
                rule.ratio,
                population,
                k[(rule.department, rule.item, rule.grade)],
            )
        )
    return drawn, figures


def draw_record(figures: Sequence[DrawFigure]) -> list[dict[str, Any]]:
    """The figures as JSON data, for a plan to keep in ``metrics[DRAW_RECORD]``."""
    return [
        {
            "department": f.department,
            "item": f.item,
            "grade": f.grade,
            "ratio": f.ratio,
            "population": f.population,
            "drawn": f.drawn,
        }
        for f in sorted(figures)
    ]


def _recorded(value: object) -> list[DrawFigure] | None:
    """The figures of a ``draw_record``, or None when there is none or it is malformed."""
    if not isinstance(value, list):
        return None
    figures = []
    for entry in value:
        if not isinstance(entry, Mapping):
            return None
        try:
            figures.append(
                DrawFigure(
                    str(entry["department"]),
                    str(entry["item"]),
                    str(entry["grade"]),
                    str(entry["ratio"]),
                    int(entry["population"]),
                    int(entry["drawn"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            return None
    return figures


def _per_item(pairs: Sequence[tuple[str, str, int]]) -> Counter[tuple[str, str]]:
    total: Counter[tuple[str, str]] = Counter()
    for department, item, n in pairs:
        total[(department, item)] += n
    return total


def _figures(
    inputs: PublicationInputs, quarter: Quarter, *, engine: Engine
) -> tuple[list[DrawFigure], DrawSource, list[str]]:
    plan = inputs.plan
    planned = _per_item([(d.department, d.item, 1) for d in plan.drawn])
    recorded = _recorded(plan.metrics.get(DRAW_RECORD))
    warnings: list[str] = []
    if recorded is not None:
        counted = _per_item([(f.department, f.item, f.drawn) for f in recorded])
        if +counted == +planned:  # unary + drops the items that drew nobody
            return recorded, DrawSource.RECORDED, warnings
        warnings.append(
            "the draw recorded with the plan does not add up to its drawn checks; "
            "it was redone instead"
        )
    drawn, figures = _redo(plan, inputs, quarter, engine=engine)
    now = {(d.department, d.item, d.uscc) for d in drawn}
    if now == plan.drawn_keys:
        return figures, DrawSource.REDONE, warnings
    missing = len(plan.drawn_keys - now)
    warnings.append(
        f"the draw cannot be redone as {plan.plan_id} drew it: {missing:,} of its "
        f"{len(plan.drawn_keys):,} drawn enterprises would not be drawn with today's grades "
        "and sampling rules, so the counts per grade are left out (counts per item are "
        "published)"
    )
    return [], DrawSource.UNAVAILABLE, warnings


def _redo(
    plan: FiledPlan, inputs: PublicationInputs, quarter: Quarter, *, engine: Engine
) -> tuple[list[Draw], list[DrawFigure]]:
    population = read_population(quarter.first_day, engine=engine)
    candidates = [
        Candidate(p.uscc, p.industry, p.grade, p.active, p.no_disturb) for p in population
    ]
    rules = [
        SamplingRuleSpec(
            r.department,
            r.item,
            r.grade,
            r.ratio,
            inputs.items[r.item].industries,
            inputs.items[r.item].mode == ItemMode.ONSITE.value,
        )
        for r in inputs.rules
        if r.item in inputs.items
    ]
    return draw_with_figures(plan.seed, rules, candidates)


def _check_special(special: SpecialApproval, published_on: dt.date, late: bool) -> list[str]:
    approved = special.approved_on
    if approved > published_on:
        raise ApprovalDateError(
            f"the approval date {approved.isoformat()} is after the day of publication "
            f"{published_on.isoformat()}",
            hint="give the date the special plan was approved as --approved-on YYYY-MM-DD",
        )
    deadline = publication_deadline(approved)
    if published_on <= deadline:
        return []
    message = (
        f"special plan {special.reference} was approved on {approved.isoformat()}; Shanghai "
        f"publishes a special plan within a month of approval, by {deadline.isoformat()}"
    )
    if not late:
        raise LateSpecialPlanError(
            message,
            hint="publish it anyway with --late (the page shows both dates)",
        )
    return [f"{message}: published late, as --late asks"]


def file_names(quarter: str, *, special: bool) -> tuple[str, str, str]:
    """The page's, the plan CSV's and the results CSV's names."""
    base = f"publish-{quarter}" + ("-special" if special else "")
    return f"{base}.html", f"{base}-plan.csv", f"{base}-results.csv"


def publish_quarter(
    quarter: Quarter | str,
    *,
    engine: Engine,
    out: Path,
    published_on: dt.date,
    special: SpecialApproval | None = None,
    late: bool = False,
) -> PublishRun:
    """Publish the latest filed revision of ``quarter`` into the folder ``out``.

    Writes the page (``publish-2025Q3.html``), the plan summary
    (``publish-2025Q3-plan.csv``), the results once outcomes are in
    (``publish-2025Q3-results.csv``) and ``redo_draw.py``; a special plan's files are
    named ``publish-2025Q3-special…``. ``published_on`` is the day of publication (China
    time), against which a special plan's approval is checked.
    """
    q = quarter if isinstance(quarter, Quarter) else Quarter.parse(quarter)
    warnings = _check_special(special, published_on, late) if special is not None else []
    inputs = read_publication_inputs(str(q), engine=engine)
    figures, source, notes = _figures(inputs, q, engine=engine)
    warnings += notes
    disclosure = assemble(
        inputs, figures=figures, source=source, published_on=published_on, special=special
    )
    script = redo_script()
    page, plan_file, results_file = file_names(str(q), special=special is not None)
    files = {
        page: render_page(disclosure, script=script.decode("utf-8")).encode("utf-8"),
        plan_file: plan_csv(disclosure),
    }
    if disclosure.results:
        files[results_file] = results_csv(disclosure)
    files[REDO_SCRIPT] = script
    paths = write_files(out, files)
    if not disclosure.results:
        # A results file left by an earlier publication would contradict the page.
        (out / results_file).unlink(missing_ok=True)
    return PublishRun(disclosure, paths, warnings)
