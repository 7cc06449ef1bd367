"""``calibrate`` from the command line: the side-by-side validation, adoption only when the
learned model beats the default (or --force), the stored and exported model, grading with
it, and clear refusals."""

import csv
import dataclasses
import tomllib
from pathlib import Path

import pytest
from helpers.imported_district import imported_district
from sqlalchemy import text
from typer.testing import CliRunner

from jointinspect import calibration
from jointinspect.cli.app import app
from jointinspect.models import create_schema, make_engine
from jointinspect.risk.calibration import Calibration, calibrate

runner = CliRunner()
ENTERPRISES = 2000


@pytest.fixture(scope="module")
def district_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("calibrate-cli")
    return imported_district(root, enterprises=ENTERPRISES, seed="calibrate-cli")


@pytest.fixture
def url(district_db: Path, tmp_path: Path) -> str:
    copy = tmp_path / "district.db"
    copy.write_bytes(district_db.read_bytes())
    return f"sqlite:///{copy}"


def _scalar(url: str, sql: str) -> object:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def test_calibrate_prints_three_models_side_by_side_and_stores_unadopted(url: str) -> None:
    result = runner.invoke(app, ["calibrate", "--db", url])
    assert result.exit_code == 0, result.output
    for words in (
        "learned",
        "default",
        "history alone",
        "AUC",
        "average precision",
        "Brier score",
        "lift, riskiest 10%",
        "lift, riskiest 20%",
        "grade D: violations",
        "Calibration (held-out inspections by decile",
    ):
        assert words in result.output
    assert "Model 1 stored; --adopt makes grading use it." in result.output
    assert _scalar(url, "SELECT count(*) FROM risk_model") == 1
    assert _scalar(url, "SELECT count(*) FROM risk_model WHERE adopted_at IS NOT NULL") == 0


def test_adopt_then_grade_uses_and_records_the_model(url: str, tmp_path: Path) -> None:
    out = tmp_path / "model.toml"
    adopted = runner.invoke(app, ["calibrate", "--db", url, "--adopt", "--export", str(out)])
    assert adopted.exit_code == 0, adopted.output
    assert "The learned model beats the default" in adopted.output
    assert "Adopted model 1: `jointinspect grade` now grades with it." in adopted.output
    exported = tomllib.loads(out.read_text(encoding="utf-8"))
    assert exported["model_id"] == 1 and exported["adopted"] == "yes"
    assert exported["features"]
    assert _scalar(url, "SELECT adopted_by FROM risk_model WHERE id = 1")
    grades = tmp_path / "grades.csv"
    graded = runner.invoke(
        app, ["grade", "--db", url, "--as-of", "2025-06-30", "--out", str(grades)]
    )
    assert graded.exit_code == 0, graded.output
    assert "risk model: learned model 1." in graded.output
    assert _scalar(url, "SELECT model_id FROM grading_run ORDER BY id DESC LIMIT 1") == 1
    with grades.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["grade"] for r in rows} == {"A", "B", "C", "D"}
    for r in rows[:50]:
        assert abs(100 * float(r["p_violation"]) - float(r["risk"])) < 0.051
    worst = max(rows, key=lambda r: float(r["p_violation"]))
    explained = runner.invoke(app, ["explain", "--db", url, "--enterprise", worst["uscc"]])
    assert explained.exit_code == 0, explained.output
    assert "learned risk model 1 gives a" in explained.output
    evaluated = runner.invoke(app, ["grade", "--db", url, "--evaluate"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "Adopted risk model 1, as validated when it was calibrated" in evaluated.output


def _losing(*args: object, **kwargs: object) -> Calibration:
    """A calibration whose learned model ranks worse than the default."""
    real = calibrate(*args, **kwargs)  # type: ignore[arg-type]
    worse = dataclasses.replace(real.validation.learned, auc=real.validation.default.auc - 0.01)  # type: ignore[operator]
    return dataclasses.replace(real, validation=dataclasses.replace(real.validation, learned=worse))


def test_a_model_that_does_not_beat_the_default_is_not_adopted(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibration, "calibrate", _losing)
    refused = runner.invoke(app, ["calibrate", "--db", url, "--adopt"])
    assert refused.exit_code == 0, refused.output
    assert "does not beat the default" in refused.output
    assert "stored but not adopted; grading keeps the default model" in refused.output
    assert _scalar(url, "SELECT count(*) FROM risk_model WHERE adopted_at IS NOT NULL") == 0
    forced = runner.invoke(app, ["calibrate", "--db", url, "--adopt", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Adopted model 2 (forced)" in forced.output
    assert _scalar(url, "SELECT forced FROM risk_model WHERE id = 2") in (1, True)


def test_force_without_adopt_is_a_usage_error(url: str) -> None:
    result = runner.invoke(app, ["calibrate", "--db", url, "--force"])
    assert result.exit_code == 2
    assert "--force goes with --adopt" in result.output


def test_export_must_be_toml(url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["calibrate", "--db", url, "--export", str(tmp_path / "m.json")])
    assert result.exit_code == 1
    assert (
        "Error: --export" in result.output and "the scorecard is written as TOML" in result.output
    )
    assert _scalar(url, "SELECT count(*) FROM risk_model") == 0  # refused before any work


def test_a_district_without_history_gets_a_clear_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    result = runner.invoke(app, ["calibrate", "--db", url])
    assert result.exit_code == 1
    assert "Error: there are no inspections to learn the risk model from" in result.output
    assert "Traceback" not in result.output


def test_too_short_a_history_gets_a_clear_message(url: str) -> None:
    result = runner.invoke(app, ["calibrate", "--db", url, "--as-of", "2022-09-01"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "to learn a risk model" in result.output
    assert "Traceback" not in result.output
