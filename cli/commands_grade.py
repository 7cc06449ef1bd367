"""``grade [--as-of DATE] [--out FILE] [--evaluate] [--config FILE]``: grade every enterprise.

The work is in plain functions (``grade_district``, ``evaluate_district``, ``write_csv``)
so that other commands (``demo``) and tests call them directly.
"""

import csv
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.cli.model_tables import print_validation
from jointinspect.cli.settings import Settings
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
from jointinspect.risk.config import GRADES, GradingConfig, load_config
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

CSV_HEADER = ("uscc", "credit", "risk", "grade", "p_violation", "reasons")
#: p_violation is the ranking score: written with enough digits to keep ranks apart.
P_DECIMALS = 6
REASON_SEPARATOR = "; "
LANGUAGE_SEPARATOR = " / "


class GradingConfigFileError(JointInspectError):
    """The user's grading configuration file cannot be read."""


class NothingToEvaluateError(JointInspectError):
    """There are no inspections after the evaluation's cut-off date."""


#: ``--config`` of the commands that grade (read by :func:`grading_config`).
GradingConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML overriding the shipped grading weights."),
]


def grading_config(settings: Settings, config_file: Path | None = None) -> GradingConfig:
    """The shipped grading weights, overridden by ``--config`` or the settings' file."""
    path = config_file or settings.grading_file
    if path is None:
        return load_config()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GradingConfigFileError(
            f"cannot read the grading configuration {path}: {exc}",
            hint="give a UTF-8 TOML file; see risk/grading.toml for every key",
        ) from exc
    return load_config(text, source=str(path))


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
    USCC order; UTF-8 with a BOM so that Excel shows the Chinese reasons."""
    cells = reason_cells(result, join=REASON_SEPARATOR, between=LANGUAGE_SEPARATOR)
    decimals = result.config.grade.score_decimals
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerows(
            zip(
                result.inputs.uscc.tolist(),
                [f"{v:.{decimals}f}" for v in result.credit.tolist()],
                [f"{v:.{decimals}f}" for v in result.risk.tolist()],
                [GRADES[g] for g in result.grade.tolist()],
                [f"{p:.{P_DECIMALS}f}" for p in result.p_violation.tolist()],
                cells,
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


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from None


def print_mix(result: GradingResult, console: Console) -> None:
    n = result.inputs.size
    table = Table("grade", "enterprises", "share", title=f"Grades as of {result.inputs.as_of}")
    for letter, count in result.mix().items():
        table.add_row(letter, f"{count:,}", f"{count / n:.1%}" if n else "–")
    table.add_row("all", f"{n:,}", "100.0%" if n else "–")
    console.print(table)


def print_evaluation(
    evaluation: Evaluation, cutoff: dt.date, last: dt.date, console: Console
) -> None:
    table = Table(
        "grade",
        "enterprises",
        "inspected after T",
        "inspections",
        "violations",
        "violation rate",
        title=f"Grades as of T = {cutoff}, scored on inspections "
        f"{cutoff + dt.timedelta(days=1)} … {last}",
    )
    for row in evaluation.per_grade:
        rate = f"{row.rate:.1%}" if row.rate is not None else "–"
        table.add_row(
            row.grade,
            f"{row.enterprises:,}",
            f"{row.inspected:,}",
            f"{row.inspections:,}",
            f"{row.violations:,}",
            rate,
        )
    console.print(table)
    for label, value in (
        ("risk score", evaluation.auc),
        ("priority score (grade, then risk and credit)", evaluation.priority_auc),
    ):
        shown = f"{value:.3f}" if value is not None else "– (one class only)"
        console.print(f"AUC of the {label} (enterprise found violating after T): {shown}")
    console.print(
        "Violation rate rises strictly from A to D: "
        + ("yes" if evaluation.strictly_rising else "no")
    )
    grades = "+".join(evaluation.targeted_grades)
    if evaluation.hit_rate is not None and evaluation.base_rate is not None:
        lift = f"{evaluation.lift:.2f}×" if evaluation.lift is not None else "–"
        console.print(
            f"Graded selection ({grades}, {evaluation.selected:,} inspected enterprises): "
            f"{evaluation.hit_rate:.1%} found violating, against {evaluation.base_rate:.1%} for "
            f"a random selection of the same size — lift {lift}"
        )
    else:
        console.print(f"Graded selection ({grades}): no inspected enterprise in these grades")


def register(app: typer.Typer) -> None:
    @app.command("grade")
    @reports_errors
    def grade_command(
        ctx: typer.Context,
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="Grade as of this date (YYYY-MM-DD; default today): later events do not "
                "count. With --evaluate: the cut-off date T.",
                show_default=False,
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Write uscc,credit,risk,grade,reasons as CSV here."),
        ] = None,
        evaluate_flag: Annotated[
            bool,
            typer.Option(
                "--evaluate",
                help="Grade as of T (--as-of, default a year before the last inspection) from "
                "data up to T, and score the grades against the inspections after T. "
                "Stored grades are left as they are.",
            ),
        ] = False,
        config_file: GradingConfigOption = None,
        db: DbOption = None,
    ) -> None:
        """Grade every enterprise by credit and risk (A low … D high), with reasons."""
        settings = settings_for(ctx, db)
        config = grading_config(settings, config_file)
        day = parse_date(as_of, "--as-of")
        console = Console(soft_wrap=True)
        engine = open_engine(settings)
        try:
            if evaluate_flag:
                cutoff, last = evaluation_cutoff(engine=engine, as_of=day, config=config)
                result, evaluation = evaluate_district(engine=engine, cutoff=cutoff, config=config)
                print_mix(result, console)
                print_evaluation(evaluation, cutoff, last, console)
                if out is not None:
                    write_csv(result, out)
                    console.print(f"Grades as of {cutoff} written to {out}")
                stored_model = adopted_model(engine=engine)
                if stored_model is not None:
                    console.print(
                        f"Adopted risk model {stored_model.id}, as validated when it was "
                        f"calibrated (as of {stored_model.as_of}):"
                    )
                    print_validation(stored_model.validation, console)
                else:
                    console.print(
                        "Grades come from the shipped default model; `jointinspect calibrate` "
                        "compares a model learned from this district's inspections with it."
                    )
                console.print("Stored grades were not changed (evaluation only).")
                return
            today = day or dt.datetime.now(CHINA).date()
            model = grading_model(engine=engine)
            result = grade_district(engine=engine, as_of=today, config=config, model=model)
            stored = store_grades(result, engine=engine, model_id=model.id)
            if out is not None:
                write_csv(result, out)
        finally:
            engine.dispose()
        print_mix(result, console)
        console.print(f"{stored:,} grades stored; risk model: {model_name(model.id)}.")
        if out is not None:
            console.print(f"Written to {out}")
