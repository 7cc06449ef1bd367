"""`demo`: a newcomer's first run works end to end, twice, and never touches a real district."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.report import render
from jointinspect.data.report.text import TEXT

pytestmark = pytest.mark.slow

runner = CliRunner()


def _demo(tmp_path: Path, db: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "demo",
            "--enterprises",
            "300",
            "--quarter",
            "2025Q4",
            "--out",
            str(tmp_path / "out"),
            "--db",
            db,
        ],
        env={"JOINTINSPECT_KEY_FILE": str(tmp_path / "demo.key")},
    )
    return result.exit_code, result.output


def test_demo_runs_the_whole_pipeline_and_reruns_cleanly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    code, output = _demo(tmp_path, db)
    assert code == 0, output
    assert "Filed revision 1" in output
    exports = tmp_path / "out" / "exports"
    for name in ("plan.json", "plan.csv", "plan.xlsx"):
        assert (exports / name).stat().st_size > 0
    assert any((exports / "qr").iterdir())
    assert any((exports / "calendars").iterdir())
    assert (tmp_path / "demo.key").exists()
    report = tmp_path / "out" / "report.html"
    assert report.stat().st_size > 0
    assert f"Efficiency report (效能评估): {report}" in output.replace("\n", "")

    code, output = _demo(tmp_path, db)
    assert code == 0, output
    assert "unchanged since the last demo run" in output
    verify = output.split("Try: jointinspect verify ")[1].split()[0]
    result = runner.invoke(
        app,
        ["verify", verify, "--db", db],
        env={"JOINTINSPECT_KEY_FILE": str(tmp_path / "demo.key")},
    )
    assert result.exit_code == 0, result.output


def test_demo_refuses_a_database_holding_another_district(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'real.db'}"
    first = runner.invoke(
        app,
        [
            "generate",
            str(tmp_path / "other"),
            "--enterprises",
            "100",
            "--seed",
            "other",
            "--quarter",
            "2025Q4",
        ],
    )
    assert first.exit_code == 0, first.output
    made = runner.invoke(
        app, ["init", "--db", db], env={"JOINTINSPECT_KEY_FILE": str(tmp_path / "real.key")}
    )
    assert made.exit_code == 0, made.output
    imported = runner.invoke(app, ["import", str(tmp_path / "other" / "bundle"), "--db", db])
    assert imported.exit_code == 0, imported.output
    code, output = _demo(tmp_path, db)
    assert code == 1
    assert "Error: the database already holds enterprises the demo did not generate" in output


def test_demo_says_when_charts_fall_back_to_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a machine without fonts-noto-cjk: the font lookup finds nothing.
    monkeypatch.setattr(render, "find_cjk_font", lambda _families, _chars: None)
    result = runner.invoke(
        app,
        [
            "demo",
            "--enterprises",
            "300",
            "--quarter",
            "2025Q4",
            "--out",
            str(tmp_path / "out"),
            "--db",
            f"sqlite:///{tmp_path / 'demo.db'}",
        ],
    )
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "fonts-noto-cjk" in line]
    assert said == [f"Note: {TEXT['warn_no_cjk'][1]}"]
    assert said[0] in result.stdout  # in the summary, after the report's path
    summary = result.stdout.splitlines()
    report_line = next(k for k, line in enumerate(summary) if "Efficiency report" in line)
    assert summary[report_line + 1] == said[0]
