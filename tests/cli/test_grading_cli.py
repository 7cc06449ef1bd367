"""``grade`` and ``explain`` from the command line: exact CSV shape, --as-of, --evaluate,
--config errors, and explain's answers and errors."""

import csv
from pathlib import Path

from helpers.grading_district import A, B, small_district
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.models import make_engine

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    engine = make_engine(url)
    small_district(engine)
    engine.dispose()
    return url


def test_grade_writes_the_contract_csv_and_stores_grades(tmp_path: Path) -> None:
    url = _db(tmp_path)
    out = tmp_path / "grades.csv"
    result = runner.invoke(app, ["grade", "--db", url, "--as-of", "2025-06-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 grades stored; risk model: the shipped default." in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["uscc", "credit", "risk", "grade", "p_violation", "reasons"]
    assert [r[0] for r in rows[1:]] == [A, B]
    first = rows[1]
    assert first[3] in "ABCD" and 0 <= float(first[1]) <= 100 and 0 <= float(first[2]) <= 100
    assert abs(float(first[4]) * 100 - float(first[2])) < 0.06  # risk = 100 × p, rounded
    assert first[5].startswith(
        "2025-03 行政处罚（严重） / 2025-03 administrative penalty (serious)"
    )
    explained = runner.invoke(app, ["explain", "--db", url, "--enterprise", A])
    assert explained.exit_code == 0, explained.output
    assert explained.output.splitlines()[0] == f"{A} 甲餐饮有限公司"
    assert f"Grade {first[3]} (信用风险分类 {first[3]}) as of 2025-06-30." in explained.output
    assert (
        "1. 2025-03 行政处罚（严重） — 2025-03 administrative penalty (serious)" in explained.output
    )


def test_as_of_ignores_later_events(tmp_path: Path) -> None:
    url = _db(tmp_path)  # B is put on the serious-dishonesty list on 2025-07-01
    before = tmp_path / "before.csv"
    after = tmp_path / "after.csv"
    assert (
        runner.invoke(
            app, ["grade", "--db", url, "--as-of", "2025-06-30", "--out", str(before)]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            app, ["grade", "--db", url, "--as-of", "2025-07-01", "--out", str(after)]
        ).exit_code
        == 0
    )

    def grade_of(path: Path, uscc: str) -> str:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return next(r["grade"] for r in csv.DictReader(handle) if r["uscc"] == uscc)

    assert grade_of(before, B) != "D"
    assert grade_of(after, B) == "D"


def test_evaluate_grades_as_of_t_and_scores_later_inspections(tmp_path: Path) -> None:
    url = _db(tmp_path)
    result = runner.invoke(app, ["grade", "--db", url, "--evaluate", "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    assert (
        "Grades as of T = 2025-06-30, scored on inspections 2025-07-01 … 2025-09-01"
        in result.output
    )
    assert "AUC of the risk score" in result.output
    assert "AUC of the priority score (grade, then risk and credit)" in result.output
    assert "Stored grades were not changed" in result.output
    too_late = runner.invoke(app, ["grade", "--db", url, "--evaluate", "--as-of", "2025-09-01"])
    assert too_late.exit_code == 1
    assert (
        "Error: there are no inspections after 2025-09-01 (the last is on 2025-09-01)"
        in too_late.output
    )


def test_a_bad_config_is_an_error_naming_the_key(tmp_path: Path) -> None:
    url = _db(tmp_path)
    config = tmp_path / "mine.toml"
    config.write_text("[risk.contagion]\ndamping = 1.5\n", encoding="utf-8")
    result = runner.invoke(app, ["grade", "--db", url, "--config", str(config)])
    assert result.exit_code == 1
    assert "Error: grading.risk.contagion.damping must be <= 1, not 1.5" in result.output
    missing = runner.invoke(app, ["grade", "--db", url, "--config", str(tmp_path / "no.toml")])
    assert missing.exit_code == 1
    assert "Error: cannot read the grading configuration" in missing.output


def test_a_bad_date_is_rejected(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", "--db", _db(tmp_path), "--as-of", "30/06/2025"])
    assert result.exit_code != 0


def test_explain_errors(tmp_path: Path) -> None:
    url = _db(tmp_path)
    cases = {
        (
            "--enterprise",
            "91310120MA1H99999X",
        ): "Error: enterprise 91310120MA1H99999X is not in the register",
        ("--enterprise", A): f"Error: enterprise {A} has not been graded yet",
        (): "Error: give exactly one of --visit CODE, --enterprise USCC, --demand ID",
        ("--visit", "K1", "--enterprise", A): "Error: give exactly one of --visit CODE, "
        "--enterprise USCC, --demand ID (got --visit, --enterprise)",
    }
    for args, message in cases.items():
        result = runner.invoke(app, ["explain", "--db", url, *args])
        assert result.exit_code == 1, args
        assert result.output.splitlines()[0] == message, args
