"""End to end on a generated district: generate → import → grade as of T from data up to
T → score against the inspections after T (no leakage).

The district's history follows each enterprise's hidden violation propensity, so a grade
that works finds more violations in C and D than in A and B.

The AUC target of issue 3 (0.75) is judged on the priority score coordinators rank by
(grade first, then the composite of risk and credit), in a district of 50,000: at 3,000
enterprises one district's AUC moves by ±0.04 with the seed (0.69–0.79 seen), so a small
district could pass or fail it by luck. Measured with the generator of this commit:
priority 0.739 at 50,000 and 0.740 at 650,000 (risk alone 0.636 and 0.644); 0.72–0.76
across 20,000-enterprise districts. The information the grader sees caps it (a logistic
fit of all its factors, in-sample, reaches 0.74 at 20,000; the hidden propensity itself
about 0.8), so the target stays an expected failure, not a number to tune weights to.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.grading.tables import load_inspections
from jointinspect.data.synthetic.district import generate_district
from jointinspect.grading import evaluate_district, evaluation_cutoff
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.risk.config import load_config
from jointinspect.risk.evaluation import Evaluation
from jointinspect.risk.grade import GradingResult

pytestmark = pytest.mark.slow

ENTERPRISES = 3000
SEED = "grading-e2e"
TARGET_ENTERPRISES = 50_000
AUC_TARGET = 0.75
AUC_FLOOR = 0.6  # clearly better than chance (0.5)


@dataclass(frozen=True)
class Run:
    evaluation: Evaluation
    cutoff: dt.date
    result: GradingResult
    later: dict[str, Any]


def _run(root: Path, enterprises: int) -> Run:
    district = generate_district(
        root / "out", enterprises=enterprises, seed=SEED, quarter=Quarter.parse("2025Q3")
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


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("district"), ENTERPRISES)


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


def test_priority_ranks_better_than_risk_alone(run: Run) -> None:
    evaluation = run.evaluation
    assert evaluation.auc is not None and evaluation.priority_auc is not None
    assert evaluation.priority_auc > evaluation.auc
    assert evaluation.priority_auc >= AUC_FLOOR


@pytest.mark.xfail(
    strict=True,
    reason="held-out AUC of the priority score is 0.739 at 50,000 enterprises (0.740 at "
    "650,000); the 0.75 target of issue 3 is not reached",
)
def test_priority_auc_reaches_the_target(tmp_path_factory: pytest.TempPathFactory) -> None:
    evaluation = _run(tmp_path_factory.mktemp("large"), TARGET_ENTERPRISES).evaluation
    assert evaluation.priority_auc is not None and evaluation.priority_auc >= AUC_TARGET
