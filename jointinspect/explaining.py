"""``explain --visit`` / ``--demand``: the planner's side of ``explain``.

Reads the newest stored revision that holds the visit or demand (``data/plan_lookup``),
rebuilds the demand facts as the planner saw them, and lets ``scheduler/explain`` say why.
``--visit`` takes an inspection code, or — for drafts, which have no codes yet — the
visit's id as stored.
"""

from dataclasses import dataclass

import numpy as np
from sqlalchemy.engine import Engine

from jointinspect.data.grading.risk_models import last_grading_model, load_model
from jointinspect.data.grading.tables import StoredGrade, enterprise_name, load_grade
from jointinspect.data.plans.lookup import (
    demand_rows,
    find_demand,
    find_visit,
    item_rows,
    no_disturb_of,
)
from jointinspect.data.plans.planning_inputs import ItemRow
from jointinspect.models.enums import ItemMode
from jointinspect.models.errors import JointInspectError
from jointinspect.models.plan_problem import EnterpriseInfo, ItemInfo
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.risk.config import GRADES, GradingConfig
from jointinspect.risk.grade import (
    band_of_credit,
    band_of_risk,
    grade_from_matrix,
    grade_from_probability,
    odds_thresholds,
)
from jointinspect.risk.scorecard import scorecard_from_json
from jointinspect.scheduler.explain import explain_demand, explain_visit


class UnknownDemandError(JointInspectError):
    """The demand is in a plan but no longer among the stored demands or triggers."""


def _item(row: ItemRow) -> ItemInfo:
    return ItemInfo(row.code, row.department, ItemMode(row.mode), row.no_disturb, row.minutes)


def explain_demand_lines(
    demand_id: str, *, engine: Engine, calendar: WorkingCalendar, trigger_response_days: int
) -> list[str]:
    placement = find_demand(demand_id, engine=engine)
    ref = placement.revision
    quarter = Quarter.parse(ref.quarter)
    rows = demand_rows(
        [demand_id],
        quarter,
        engine=engine,
        calendar=calendar,
        trigger_response_days=trigger_response_days,
    )
    if demand_id not in rows:
        raise UnknownDemandError(f"demand {demand_id} is in plan {ref.plan_id} but not stored")
    demand = rows[demand_id]
    item = _item(item_rows([demand.item], engine=engine)[demand.item])
    visit = placement.visit
    header = f"From {ref.plan_id} revision {ref.revision} ({ref.status}, seed {ref.seed!r}):"
    return [
        header,
        *explain_demand(
            demand,
            item,
            workdays=calendar.workdays(quarter.first_day, quarter.last_day),
            quarter_last=quarter.last_day,
            seed=ref.seed,
            visit=visit,
            visit_name=(visit.code or f"id {visit.id}") if visit else "",
            offsite_due=placement.offsite_due,
            unscheduled=placement.unscheduled,
        ),
    ]


def explain_visit_lines(
    ref_text: str, *, engine: Engine, calendar: WorkingCalendar, trigger_response_days: int
) -> list[str]:
    ref, visit = find_visit(ref_text, engine=engine)
    quarter = Quarter.parse(ref.quarter)
    rows = demand_rows(
        [t.demand_id for t in visit.tasks],
        quarter,
        engine=engine,
        calendar=calendar,
        trigger_response_days=trigger_response_days,
    )
    enterprise = EnterpriseInfo(
        visit.uscc, visit.town, None, None, "", tuple(no_disturb_of(visit.uscc, engine=engine))
    )
    header = f"From {ref.plan_id} revision {ref.revision} ({ref.status}, seed {ref.seed!r}):"
    return [
        header,
        *explain_visit(
            visit,
            name=visit.code or f"id {visit.id}",
            demands=rows,
            enterprise=enterprise,
            seed=ref.seed,
        ),
    ]


CREDIT_BAND_NAMES = (("良好", "good"), ("一般", "fair"), ("较差", "poor"), ("差", "bad"))
RISK_BAND_NAMES = (("低", "low"), ("中", "medium"), ("较高", "high"), ("高", "very high"))


class ExplainUsageError(JointInspectError):
    """``explain`` needs exactly one of --visit, --enterprise, --demand."""


class UnknownEnterpriseError(JointInspectError):
    """The enterprise is not in the register."""


class NotGradedError(JointInspectError):
    """The enterprise has no stored grade yet."""


@dataclass(frozen=True)
class GradedBy:
    """The learned model that made the stored grades."""

    id: int
    base_rate: float


def _band_name(names: tuple[tuple[str, str], ...], band: int, bands: int) -> str:
    if bands == len(names):
        zh, en = names[band]
        return f"{en} ({zh})"
    return f"band {band + 1} of {bands}"


def _band_limits(thresholds: tuple[float, ...], band: int, descending: bool) -> str:
    edges = list(thresholds)
    if descending:  # credit: band 0 is ≥ the first threshold
        upper = edges[band - 1] if band > 0 else None
        lower = edges[band] if band < len(edges) else None
    else:  # risk: band 0 is < the first threshold
        lower = edges[band - 1] if band > 0 else None
        upper = edges[band] if band < len(edges) else None
    if lower is not None and upper is not None:
        return f"{lower:g} ≤ x < {upper:g}"
    if lower is not None:
        return f"x ≥ {lower:g}"
    return f"x < {upper:g}"


def _learned_lines(
    stored: StoredGrade, model: GradedBy, config: GradingConfig, credit_band: str, cb: int
) -> tuple[list[str], str]:
    """How a learned model's probability and the credit floor made the grade."""
    g = config.grade
    thresholds = odds_thresholds(model.base_rate, config.model)
    ratios = ", ".join(
        f"{letter} from {t:.1%}" for letter, t in zip(GRADES[1:], thresholds.tolist(), strict=True)
    )
    from_model = GRADES[
        int(
            grade_from_probability(
                np.array([stored.risk / 100]), np.array([stored.credit]), model.base_rate, config
            )[0]
        )
    ]
    return [
        f"Credit {stored.credit:g} of 100 (higher is better): {credit_band}, "
        f"{_band_limits(g.credit_bands, cb, descending=True).replace('x', 'credit')}; "
        f"it allows no grade better than {config.model.credit_floor[cb]}.",
        f"Risk {stored.risk:g} of 100: learned risk model {model.id} gives a {stored.risk:g}% "
        f"chance that the next inspection finds a violation (the district's rate is "
        f"{model.base_rate:.1%}); {ratios}.",
    ], from_model


def explain_grade(
    stored: StoredGrade, name: str, config: GradingConfig, model: GradedBy | None = None
) -> list[str]:
    """The lines that say why an enterprise has its grade (graded by ``model``; None: the
    shipped default)."""
    g = config.grade
    credit = np.array([stored.credit])
    risk = np.array([stored.risk])
    cb = int(band_of_credit(credit, g)[0])
    credit_band = _band_name(CREDIT_BAND_NAMES, cb, len(g.credit_bands) + 1)
    lines = [
        f"{stored.uscc} {name}",
        f"Grade {stored.grade} (信用风险分类 {stored.grade}) as of {stored.as_of}.",
    ]
    if model is not None:
        learned, from_matrix = _learned_lines(stored, model, config, credit_band, cb)
        lines += learned
    else:
        rb = int(band_of_risk(risk, g)[0])
        from_matrix = GRADES[int(grade_from_matrix(credit, risk, g)[0])]
        risk_band = _band_name(RISK_BAND_NAMES, rb, len(g.risk_bands) + 1)
        lines += [
            f"Credit {stored.credit:g} of 100 (higher is better): {credit_band}, "
            f"{_band_limits(g.credit_bands, cb, descending=True).replace('x', 'credit')}.",
            f"Risk {stored.risk:g} of 100 (higher is riskier): {risk_band}, "
            f"{_band_limits(g.risk_bands, rb, descending=False).replace('x', 'risk')}.",
            f"The grading matrix puts {credit_band.split(' (')[0]} credit with "
            f"{risk_band.split(' (')[0]} risk at {from_matrix}.",
        ]
    if GRADES.index(stored.grade) > GRADES.index(from_matrix):
        gates = g.worst_by_kind if model is None else config.model.worst_by_kind
        floors = [
            f"{kind.value} (at least {worst})"
            for kind, worst in gates.items()
            # A learned model names the feature (credit_<kind>), the default the kind.
            if any(r.get("code") in (kind.value, f"credit_{kind.value}") for r in stored.reasons)
        ]
        because = f": {', '.join(floors)}" if floors else ""
        lines.append(
            f"It is {stored.grade}, not {from_matrix}, because an event in effect sets a "
            f"floor on the grade{because}."
        )
    if stored.reasons:
        lines.append("Strongest reasons:")
        for k, r in enumerate(stored.reasons, start=1):
            sign = "+" if r.get("adverse", True) else "−"
            weight = f"{sign}{r.get('weight', 0):g} points"
            lines.append(f"  {k}. {r.get('zh', '')} — {r.get('en', '')} ({weight})")
    else:
        lines.append("No single event or factor stands out.")
    return lines


def explain_enterprise(uscc: str, *, engine: Engine, config: GradingConfig) -> list[str]:
    name = enterprise_name(engine=engine, uscc=uscc)
    if name is None:
        raise UnknownEnterpriseError(f"enterprise {uscc} is not in the register")
    stored = load_grade(engine=engine, uscc=uscc)
    if stored is None:
        raise NotGradedError(
            f"enterprise {uscc} has not been graded yet", hint="run `jointinspect grade` first"
        )
    model_id = last_grading_model(engine=engine)
    graded_by = None
    if model_id is not None:
        graded_by = GradedBy(
            model_id, scorecard_from_json(load_model(model_id, engine=engine).scorecard).base_rate
        )
    return explain_grade(stored, name, config, graded_by)
