"""``jointinspect import DIR [--strict]``: exit codes and exactly what it prints."""

from pathlib import Path

import pytest
from helpers.bundle_factory import E1, full_bundle, snapshot, write_bundle
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.models import create_schema, make_engine

runner = CliRunner()


@pytest.fixture
def initialised(sqlite_url: str) -> None:
    """``import`` needs a database made by ``init``: make its schema."""
    engine = make_engine(sqlite_url)
    create_schema(engine)
    engine.dispose()


@pytest.mark.usefixtures("initialised")
def test_import_prints_a_summary_and_exits_0(sqlite_url: str, tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", full_bundle())
    result = runner.invoke(app, ["import", str(folder), "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "enterprises.csv" in result.stdout and "total" in result.stdout
    assert "Done in" in result.stdout
    assert result.stderr == ""
    again = runner.invoke(app, ["--db", sqlite_url, "import", str(folder)])
    assert again.exit_code == 0
    enterprises = next(line for line in again.stdout.splitlines() if "enterprises.csv" in line)
    cells = [cell.strip() for cell in enterprises.strip("│ ").split("│")]
    assert cells == ["enterprises.csv", "3", "0", "3"]  # rows, inserted, updated


@pytest.mark.usefixtures("initialised")
def test_invalid_bundle_prints_every_problem_and_exits_1(sqlite_url: str, tmp_path: Path) -> None:
    assert (
        runner.invoke(
            app, ["import", str(write_bundle(tmp_path / "a", full_bundle())), "--db", sqlite_url]
        ).exit_code
        == 0
    )
    engine = make_engine(sqlite_url)
    before = snapshot(engine)
    bundle = full_bundle()
    bundle["departments.csv"][0]["name"] = ""
    bundle["demands.csv"][0]["earliest"] = "2025-10-01"
    folder = write_bundle(tmp_path / "b", dict(bundle))
    result = runner.invoke(app, ["import", str(folder), "--db", sqlite_url])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: the bundle has 2 problems; nothing was imported",
        "departments.csv:2: name: required value is empty; fill it in",
        "demands.csv:2: earliest: earliest 2025-10-01 is after latest 2025-08-31;"
        " swap them or correct one",
    ]
    assert snapshot(engine) == before
    engine.dispose()


@pytest.mark.usefixtures("initialised")
def test_warnings_are_shown_and_strict_turns_the_check_character_into_an_error(
    sqlite_url: str, tmp_path: Path
) -> None:
    bundle = full_bundle()
    bundle["enterprises.csv"].append(
        dict(bundle["enterprises.csv"][1], uscc=E1[:16] + "91")  # wrong check character
    )
    folder = write_bundle(tmp_path / "b", dict(bundle))
    strict = runner.invoke(app, ["import", str(folder), "--strict", "--db", sqlite_url])
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[0] == "Error: the bundle has 1 problem; nothing was imported"
    assert strict.stderr.splitlines()[1].startswith("enterprises.csv:5: uscc: USCC")
    relaxed = runner.invoke(app, ["import", str(folder), "--db", sqlite_url])
    assert relaxed.exit_code == 0
    assert relaxed.stderr.splitlines()[0] == "1 warning (imported all the same):"
    assert relaxed.stderr.splitlines()[1].startswith("  enterprises.csv:5: uscc: USCC")


def test_missing_folder_is_a_clear_error(sqlite_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", str(tmp_path / "nowhere"), "--db", sqlite_url])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"Error: bundle folder {tmp_path / 'nowhere'} does not exist"
    )
    assert not (tmp_path / "test.db").exists(), "no database is created for a missing folder"
