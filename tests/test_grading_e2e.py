"""End to end on a generated district: generate → import → grade as of T from data up to
T → score against the inspections after T (no leakage).

The district's history follows each enterprise's hidden violation propensity, so a grade
that works finds more violations in C and D than in A and B.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from jointinspect.cli.commands_grade import evaluate_district, evaluation_cutoff
from jointinspect.data.grading_io import load_inspections
from jointinspect.data.importer import import_bundle
from jointinspect.data.synthetic import generate_district
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.risk.config import load_config
from jointinspect.risk.evaluation import Evaluation
from jointinspect.risk.grade import GradingResult

ENTERPRISES = 3000
SEED = "grading-e2e"
AUC_TARGET = 0.75
AUC_FLOOR = 0.6  # clearly better than chance (0.5)


@dataclass(frozen=True)
class Run:
    evaluation: Evaluation
    cutoff: dt.date
    result: GradingResult
    later: dict[str, Any]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("district")
    district = generate_district(
        root / "out", enterprises=ENTERPRISES, seed=SEED, quarter=Quarter.parse("2025Q3")
    )
    engine = make_engine(f"sqlite:///{root / 'district.db'}")
    create_schema(engine)
    import_bundle(district.bundle_dir, engine=engine)
    config = load_config()
    cutoff, _ = evaluation_cutoff(engine=engine, as_of=None, config=config)
    result, evaluation = evaluate_district(engine=engine, cutoff=cutoff, config=config)
    later = load_inspections(engine=engine, after=cutoff)
    engine.dispose()
    return Run(evaluation, cutoff, result, later)


def test_grades_use_only_data_up_to_t(run: Run) -> None:
    inputs = run.result.inputs
    for events in (inputs.credit_events, inputs.inspections, inputs.triggers):
        if len(events.day):
            assert events.day.max() <= run.cutoff
    later = run.later["date"]
    assert len(later) > 0
    assert later.min() > np.datetime64(run.cutoff, "D")
    assert run.evaluation.inspected > 0


def test_violation_rate_rises_strictly_from_a_to_d(run: Run) -> None:
    evaluation = run.evaluation
    rates = [r.rate for r in evaluation.per_grade]
    assert all(rate is not None for rate in rates), rates
    assert evaluation.strictly_rising, rates


def test_graded_selection_beats_a_random_one(run: Run) -> None:
    evaluation = run.evaluation
    assert evaluation.auc is not None and evaluation.auc >= AUC_FLOOR
    assert evaluation.lift is not None and evaluation.lift > 2


@pytest.mark.xfail(
    strict=True,
    reason="the risk score's held-out AUC is 0.65–0.71 on synthetic districts; "
    "the 0.75 target of issue 3 is not reached yet",
)
def test_risk_auc_reaches_the_target(run: Run) -> None:
    evaluation = run.evaluation
    assert evaluation.auc is not None and evaluation.auc >= AUC_TARGET
