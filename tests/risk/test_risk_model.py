"""The learned risk model (issue 11): features as of a day, the scorecard fit, its
determinism, monotonicity, and clear refusals of data it cannot learn from."""

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.grading_world import AS_OF, CATERING, World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.grading.tables import GradingTables, load_grading_tables
from jointinspect.data.synthetic.district import generate_district
from jointinspect.grading import inputs_from_tables
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.risk.calibration import calibrate, examples
from jointinspect.risk.config import GradingConfig, load_config
from jointinspect.risk.features import FEATURE_NAMES, SPECS, features_at
from jointinspect.risk.grade import grade
from jointinspect.risk.inputs import GradingInputs
from jointinspect.risk.scorecard import Scorecard, scorecard_from_json, scorecard_toml
from jointinspect.risk.scorecard_fit import TooLittleHistoryError, fit_scorecard

ENTERPRISES = 3000
DISTRICT_AS_OF = dt.date(2025, 6, 30)


@dataclasses.dataclass(frozen=True)
class District:
    engine: Engine
    tables: GradingTables
    inputs: GradingInputs
    config: GradingConfig
    model: Scorecard


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    root = tmp_path_factory.mktemp("risk-model")
    made = generate_district(
        root / "out", enterprises=ENTERPRISES, seed="risk-model", quarter=Quarter.parse("2025Q3")
    )
    engine = make_engine(f"sqlite:///{root / 'district.db'}")
    create_schema(engine)
    import_bundle(made.bundle_dir, engine=engine)
    tables = load_grading_tables(engine=engine, as_of=DISTRICT_AS_OF)
    inputs = inputs_from_tables(tables, DISTRICT_AS_OF)
    config = load_config()
    matrix, violated = examples(inputs, config, DISTRICT_AS_OF)
    return District(engine, tables, inputs, config, fit_scorecard(matrix, violated, config.model))


def _features(world: World, uscc: str, day: dt.date) -> dict[str, float]:
    inputs = world.inputs()
    matrix = features_at(
        inputs,
        np.array([inputs.index_of(uscc)]),
        np.array([np.datetime64(day, "D")]),
        world.config,
    )
    return dict(zip(FEATURE_NAMES, matrix.values[0].tolist(), strict=True))


A, B = "91310120MA1H00001A", "91310120MA1H00002B"


def _world() -> World:
    return (
        World()
        .firm(A, CATERING)
        .firm(B, CATERING)
        .related(A, B, "legal_rep")
        .inspected(A, dt.date(2024, 3, 1), "violation")
        .inspected(A, dt.date(2024, 9, 1), "compliant")
        .inspected(B, dt.date(2025, 1, 10), "violation")
        .event(A, "penalty", dt.date(2024, 3, 5), 2)
        .trigger(A, "complaint", dt.date(2025, 2, 1))
        .record(A, "SCJ", "food", 55.0, dt.date(2024, 12, 1))
    )


def test_features_count_what_happened_up_to_the_day() -> None:
    f = _features(_world(), A, dt.date(2025, 3, 1))
    assert f["violations"] == 1 and f["clean"] == 1 and f["minors"] == 0
    assert f["last_was_violation"] == 0
    assert f["days_since_violation"] == (dt.date(2025, 3, 1) - dt.date(2024, 3, 1)).days
    assert f["days_since_clean"] == (dt.date(2025, 3, 1) - dt.date(2024, 9, 1)).days
    assert f["credit_penalty"] == 2  # one serious penalty, counted by severity
    assert f["complaints"] == 1 and f["alerts"] == 0
    assert f["industry_rating"] == 55.0
    assert f["related_violations"] == 1  # B's violation, through the legal representative
    assert np.isnan(f["age"])  # no opening date in this world


@pytest.mark.parametrize(
    "later",
    [
        lambda w: w.inspected(A, dt.date(2025, 3, 2), "violation"),
        lambda w: w.inspected(B, dt.date(2025, 3, 2), "violation"),
        lambda w: w.event(A, "serious_dishonest", dt.date(2025, 3, 2)),
        lambda w: w.trigger(A, "alert", dt.date(2025, 3, 2)),
        lambda w: w.record(A, "SCJ", "food", 5.0, dt.date(2025, 3, 2)),
    ],
    ids=["own-violation", "related-violation", "credit-event", "trigger", "industry-record"],
)
def test_an_event_after_the_day_changes_nothing(later: Any) -> None:
    day = dt.date(2025, 3, 1)
    before = _features(_world(), A, day)
    after = _features(later(_world()), A, day)
    assert after == pytest.approx(before, nan_ok=True)
    # The same event a day earlier does count: the test can see a change.
    moved = _features(later(_world()), A, day + dt.timedelta(days=1))
    assert moved != pytest.approx(_features(_world(), A, day + dt.timedelta(days=1)), nan_ok=True)


def test_a_trade_seen_once_is_pulled_toward_its_parent() -> None:
    world = World().firm(A, "6211").firm(B, "6291").inspected(A, dt.date(2024, 1, 1), "violation")
    f = _features(world, A, AS_OF)
    # One violation in one inspection is not a 100 % trade: shrunk toward 62 and the district.
    assert 0.5 < f["trade_rate"] < 0.8
    assert _features(world, B, AS_OF)["trade_rate"] < f["trade_rate"]


def test_the_fit_refuses_a_history_of_one_result(district: District) -> None:
    matrix, _ = examples(district.inputs, district.config, DISTRICT_AS_OF)
    clean = np.zeros(len(matrix.values), dtype=bool)
    with pytest.raises(TooLittleHistoryError, match="only 0 inspections with a violation"):
        fit_scorecard(matrix, clean, district.config.model)


def test_the_fit_refuses_too_few_inspections(district: District) -> None:
    matrix, violated = examples(district.inputs, district.config, DISTRICT_AS_OF)
    few = dataclasses.replace(matrix, values=matrix.values[:50])
    with pytest.raises(TooLittleHistoryError, match="50 inspections, fewer than the 200"):
        fit_scorecard(few, violated[:50], district.config.model)


def test_features_with_nothing_to_tell_weigh_nothing(district: District) -> None:
    matrix, violated = examples(district.inputs, district.config, DISTRICT_AS_OF)
    values = matrix.values.copy()
    values[:, FEATURE_NAMES.index("age")] = np.nan  # no opening dates at all
    values[:, FEATURE_NAMES.index("alerts")] = 0.0  # no alerts in the district
    model = fit_scorecard(
        dataclasses.replace(matrix, values=values), violated, district.config.model
    )
    names = {f.name for f in model.features}
    assert "age" not in names and "alerts" not in names
    assert names  # the rest still learn


def test_same_inputs_give_the_same_model_byte_for_byte(district: District) -> None:
    # Rows in another order: the inputs are canonicalised, so the model must not change.
    tables = district.tables
    reversed_tables = GradingTables(
        **{
            name: {k: v[::-1] for k, v in getattr(tables, name).items()}
            for name in (
                "enterprises",
                "credit_events",
                "industry_records",
                "inspections",
                "triggers",
                "relations",
            )
        }
    )
    again = inputs_from_tables(reversed_tables, DISTRICT_AS_OF)
    matrix, violated = examples(again, district.config, DISTRICT_AS_OF)
    model = fit_scorecard(matrix, violated, district.config.model)
    assert model.to_json() == district.model.to_json()
    assert scorecard_from_json(model.to_json()) == model


def test_points_follow_the_known_direction(district: District) -> None:
    assert district.model.features
    for feature in district.model.features:
        direction = SPECS[feature.name].direction
        steps = np.diff(feature.points)
        if direction > 0:
            assert (steps >= 0).all(), feature
        elif direction < 0:
            assert (steps <= 0).all(), feature


def test_the_toml_export_reads_back(district: District, tmp_path: Path) -> None:
    text = scorecard_toml(district.model, {"model_id": 7})
    data = tomllib.loads(text)
    assert data["model_id"] == 7
    assert [f["name"] for f in data["features"]] == [f.name for f in district.model.features]
    first = district.model.features[0]
    assert data["features"][0]["logit"] == list(first.points)
    assert data["intercept"] == district.model.intercept


def _with_row(columns: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray):
            out[name] = np.concatenate((values, np.array([row[name]], dtype=values.dtype)))
        else:
            out[name] = [*values, row[name]]
    return out


def _p(district: District, tables: GradingTables, uscc: str) -> float:
    result = grade(inputs_from_tables(tables, DISTRICT_AS_OF), district.config, district.model)
    return float(result.p_violation[result.inputs.index_of(uscc)])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(who=st.integers(min_value=0, max_value=ENTERPRISES - 1), days_back=st.integers(0, 1500))
def test_a_violation_never_lowers_p_violation(district: District, who: int, days_back: int) -> None:
    uscc = str(district.inputs.uscc[who])
    day = np.datetime64(DISTRICT_AS_OF - dt.timedelta(days=days_back), "D")
    tables = dataclasses.replace(
        district.tables,
        inspections=_with_row(
            district.tables.inspections, {"uscc": uscc, "date": day, "result": "violation"}
        ),
    )
    assert _p(district, tables, uscc) >= _p(district, district.tables, uscc)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    who=st.integers(min_value=0, max_value=ENTERPRISES - 1),
    kind=st.sampled_from(["penalty", "serious_dishonest", "court_dishonest", "tax_grade_d"]),
    days_back=st.integers(0, 700),
)
def test_a_serious_credit_event_never_lowers_p_violation(
    district: District, who: int, kind: str, days_back: int
) -> None:
    uscc = str(district.inputs.uscc[who])
    day = np.datetime64(DISTRICT_AS_OF - dt.timedelta(days=days_back), "D")
    tables = dataclasses.replace(
        district.tables,
        credit_events=_with_row(
            district.tables.credit_events,
            {"uscc": uscc, "kind": kind, "date": day, "severity": 3},
        ),
    )
    assert _p(district, tables, uscc) >= _p(district, district.tables, uscc)


def test_the_learned_model_beats_the_default_here_and_grades_apart(district: District) -> None:
    result = calibrate(district.inputs, district.config, 365)
    v = result.validation
    assert v.learned.auc is not None and v.default.auc is not None
    assert v.beats_default
    assert v.learned.rates_rise
    assert len(v.learned.gains) == 20 and v.learned.gains[-1] == pytest.approx(1.0)
    graded = grade(district.inputs, district.config, result.model)
    assert set(np.unique(graded.grade).tolist()) == {0, 1, 2, 3}
    assert np.allclose(graded.risk, np.round(100 * graded.p_violation, 1))
