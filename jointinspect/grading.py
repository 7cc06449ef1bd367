"""Grading as a library call: grade a district (or a few enterprises) with the adopted
risk model or the shipped default, store the grades, write them as CSV, and evaluate them
against later inspections."""

import csv
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.exports.view import safe_text, written_whole
from jointinspect.data.grading.risk_models import adopted_model, record_grading
from jointinspect.data.grading.tables import (
    GradingTables,
    last_inspection_date,
    load_grading_tables,
    load_inspections,
    load_relation_pairs,
    load_trade_history,
    write_grades,
)
from jointinspect.models.errors import JointInspectError
from jointinspect.models.timezones import CHINA
from jointinspect.options import Options, grading_config
from jointinspect.risk.config import GRADES, GradingConfig
from jointinspect.risk.contagion import neighbourhood
from jointinspect.risk.evaluation import Evaluation, evaluate
from jointinspect.risk.grade import GradingResult, grade
from jointinspect.risk.inputs import (
    CreditEventColumns,
    EnterpriseColumns,
    GradingInputs,
    IndustryRecordColumns,
    InspectionColumns,
    RelationColumns,
    TradeHistory,
    TriggerColumns,
    build_inputs,
)
from jointinspect.risk.reasons import reason_cells, reason_json
from jointinspect.risk.scorecard import Scorecard, scorecard_from_json

__all__ = [
    "CSV_HEADER",
    "LANGUAGE_SEPARATOR",
    "P_DECIMALS",
    "REASON_SEPARATOR",
    "Evaluation",
    "GradingModel",
    "GradingResult",
    "NothingToEvaluateError",
    "adopted_model",
    "evaluate_district",
    "evaluation_cutoff",
    "grade_and_store",
    "grade_district",
    "grade_enterprises",
    "grading_model",
    "inputs_from_tables",
    "model_name",
    "store_grades",
    "write_csv",
]

CSV_HEADER = ("uscc", "credit", "risk", "grade", "p_violation", "reasons")
#: p_violation is the ranking score: written with enough digits to keep ranks apart.
P_DECIMALS = 6
REASON_SEPARATOR = "; "
LANGUAGE_SEPARATOR = " / "


class NothingToEvaluateError(JointInspectError):
    """There are no inspections after the evaluation's cut-off date."""


def inputs_from_tables(
    tables: GradingTables, as_of: dt.date, trade_history: TradeHistory | None = None
) -> GradingInputs:
    return build_inputs(
        as_of=as_of,
        enterprises=EnterpriseColumns(**tables.enterprises),
        credit_events=CreditEventColumns(**tables.credit_events),
        industry_records=IndustryRecordColumns(**tables.industry_records),
        inspections=InspectionColumns(**tables.inspections),
        triggers=TriggerColumns(**tables.triggers),
        relations=RelationColumns(**tables.relations),
        trade_history=trade_history,
    )


@dataclass(frozen=True)
class GradingModel:
    """The model grading uses: an adopted scorecard with its id, or the default (None)."""

    id: int | None
    scorecard: Scorecard | None


def grading_model(*, engine: Engine) -> GradingModel:
    """The risk model adopted last (``calibrate --adopt``), else the shipped default."""
    stored = adopted_model(engine=engine)
    if stored is None:
        return GradingModel(None, None)
    return GradingModel(stored.id, scorecard_from_json(stored.scorecard))


def grade_district(
    *,
    engine: Engine,
    as_of: dt.date,
    config: GradingConfig,
    model: GradingModel | None = None,
) -> GradingResult:
    """Grade every enterprise in the database as of ``as_of`` (later events do not count),
    with ``model`` (default: the adopted one)."""
    chosen = model or grading_model(engine=engine)
    with no_cyclic_gc():  # the district's columns and reasons: millions of objects, no cycles
        tables = load_grading_tables(engine=engine, as_of=as_of)
        return grade(inputs_from_tables(tables, as_of), config, chosen.scorecard)


def grade_enterprises(
    *, engine: Engine, as_of: dt.date, config: GradingConfig, usccs: Collection[str]
) -> GradingResult:
    """Grade ``usccs`` exactly as :func:`grade_district` would, reading only their relation
    neighbourhood (``contagion.hops`` relations; at least one, for the reasons' count of
    marked neighbours). The result also holds the neighbours: take the ``usccs`` rows."""
    chosen = grading_model(engine=engine)
    uscc_a, uscc_b = load_relation_pairs(engine=engine)
    # A learned model reads the whole relation group (features.group_*): every
    # enterprise connected to a seed; the default, ``contagion.hops`` relations.
    hops = None if chosen.scorecard is not None else max(config.risk.contagion.hops, 1)
    scope = neighbourhood(uscc_a, uscc_b, usccs, hops=hops)
    tables = load_grading_tables(engine=engine, as_of=as_of, only=scope)
    trades = None
    if chosen.scorecard is not None:
        # A trade's violation rate is learned from every enterprise of the trade.
        history = load_trade_history(engine=engine, as_of=as_of)
        trades = TradeHistory(
            industry=np.asarray(history["industry"], dtype=str),
            day=history["date"],
            violation=np.asarray(history["violation"], dtype=bool),
        )
    return grade(inputs_from_tables(tables, as_of, trades), config, chosen.scorecard)


def store_grades(result: GradingResult, *, engine: Engine, model_id: int | None = None) -> int:
    """Upsert the grades (with their reasons) into ``enterprise_grade``, and record which
    model graded (``model_id``; None: the default)."""
    inputs = result.inputs
    with no_cyclic_gc():
        rows = zip(
            inputs.uscc.tolist(),
            result.credit.tolist(),
            result.risk.tolist(),
            [GRADES[g] for g in result.grade.tolist()],
            reason_json(result),
            strict=True,
        )
        stored = write_grades(engine=engine, as_of=inputs.as_of, rows=rows)
    record_grading(
        engine=engine,
        as_of=inputs.as_of,
        model_id=model_id,
        enterprises=stored,
        now=dt.datetime.now(CHINA),
    )
    return stored


def write_csv(result: GradingResult, path: Path) -> None:
    """``uscc,credit,risk,grade,p_violation,reasons`` (spec §7), one row per enterprise in
    USCC order; UTF-8 with a BOM so that Excel shows the Chinese reasons. Text cells are
    made safe for spreadsheets (:func:`safe_text`) and the file is written whole."""
    decimals = result.config.grade.score_decimals
    target = Path(path)
    with (
        no_cyclic_gc(),
        written_whole(target, "csv") as temp,
        temp.open("w", encoding="utf-8", newline="") as handle,
    ):
        cells = reason_cells(result, join=REASON_SEPARATOR, between=LANGUAGE_SEPARATOR)
        # The BOM written by hand: the same bytes as encoding="utf-8-sig", whose encoder
        # is Python code called for every row (seconds for a district), where UTF-8's is C.
        handle.write("\ufeff")
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerows(
            zip(
                [safe_text(u) for u in result.inputs.uscc.tolist()],
                [f"{v:.{decimals}f}" for v in result.credit.tolist()],
                [f"{v:.{decimals}f}" for v in result.risk.tolist()],
                [GRADES[g] for g in result.grade.tolist()],
                [f"{p:.{P_DECIMALS}f}" for p in result.p_violation.tolist()],
                [safe_text(c) for c in cells],
                strict=True,
            )
        )


def evaluation_cutoff(
    *, engine: Engine, as_of: dt.date | None, config: GradingConfig
) -> tuple[dt.date, dt.date]:
    """(T, last inspection date): T defaults to ``holdout_days`` before the last inspection."""
    last = last_inspection_date(engine=engine)
    if last is None:
        raise NothingToEvaluateError(
            "there are no inspections to evaluate the grades against",
            hint="import history.csv or outcomes.csv first",
        )
    cutoff = as_of or last - dt.timedelta(days=config.evaluation.holdout_days)
    if cutoff >= last:
        raise NothingToEvaluateError(
            f"there are no inspections after {cutoff} (the last is on {last})",
            hint="choose an earlier --as-of",
        )
    return cutoff, last


def evaluate_district(
    *, engine: Engine, cutoff: dt.date, config: GradingConfig
) -> tuple[GradingResult, Evaluation]:
    """Grade as of ``cutoff`` from data up to it; score against inspections after it."""
    result = grade_district(engine=engine, as_of=cutoff, config=config)
    later = load_inspections(engine=engine, after=cutoff)
    number = {u: i for i, u in enumerate(result.inputs.uscc.tolist())}
    known = [k for k, u in enumerate(later["uscc"]) if u in number]
    ent = np.array([number[later["uscc"][k]] for k in known], dtype=np.int64)
    violation = np.array([later["result"][k] == "violation" for k in known], dtype=bool)
    return result, evaluate(
        result.grade, result.risk, ent, violation, config.evaluation, result.priority()
    )


def model_name(model_id: int | None) -> str:
    return "the shipped default" if model_id is None else f"learned model {model_id}"


def grade_and_store(
    *, engine: Engine, as_of: dt.date, options: Options | None = None
) -> GradingResult:
    """Grade every enterprise as of ``as_of`` with the adopted model (else the default)
    and the grading weights of ``options``, and store the grades."""
    model = grading_model(engine=engine)
    config = grading_config(options or Options())
    result = grade_district(engine=engine, as_of=as_of, config=config, model=model)
    store_grades(result, engine=engine, model_id=model.id)
    return result
