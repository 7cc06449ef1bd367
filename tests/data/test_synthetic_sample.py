"""The shipped sample bundle, the ``generate`` command, and generated bundles importing."""

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.synthetic.district import FILES, generate_district
from jointinspect.data.synthetic.sample import (
    SAMPLE_QUARTER,
    generate_sample,
    sample_bundle_path,
    sample_truth_path,
)
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar

runner = CliRunner()


def test_shipped_sample_is_what_the_generator_makes_now(tmp_path: Path) -> None:
    fresh = generate_sample(tmp_path)
    shipped = sample_bundle_path()
    assert sorted(p.name for p in shipped.glob("*.csv")) == sorted(FILES)
    stale = [
        name
        for name in FILES
        if (shipped / name).read_bytes() != (fresh.bundle_dir / name).read_bytes()
    ]
    assert not stale, (
        f"data/synthetic/sample is stale ({', '.join(stale)}); "
        "refresh it with sample_bundle.regenerate_sample()"
    )
    assert sample_truth_path().read_bytes() == fresh.truth_path.read_bytes()
    assert sample_truth_path().parent == shipped.parent


def test_sample_quarter_is_one_the_holiday_calendar_knows() -> None:
    assert WorkingCalendar().covers(SAMPLE_QUARTER.year)


def test_generate_command_writes_a_bundle(tmp_path: Path) -> None:
    out = tmp_path / "district"
    result = runner.invoke(
        app, ["generate", str(out), "--enterprises", "100", "--seed", "cli", "--quarter", "2025Q4"]
    )
    assert result.exit_code == 0, result.output
    assert "enterprises.csv" in result.stdout
    assert sorted(p.name for p in (out / "bundle").iterdir()) == sorted(FILES)
    assert (out / "truth.csv").exists()


def test_generate_command_refuses_a_bad_quarter(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path), "--quarter", "2025Q5"])
    assert result.exit_code == 1
    assert "Error: quarter '2025Q5' is not of the form YYYYQn" in result.stderr
    assert not (tmp_path / "bundle").exists()


def test_generate_command_refuses_a_size_out_of_range(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path), "-n", "10", "--quarter", "2025Q4"])
    assert result.exit_code == 1
    assert "Error: cannot generate 10 enterprises" in result.stderr
    assert "Hint: choose --enterprises between 100 and 650,000" in result.stderr


@pytest.mark.parametrize("which", ["sample", "generated"])
def test_bundle_imports_strictly_without_problems(
    which: str, tmp_path: Path, sqlite_engine: Engine
) -> None:
    importer = pytest.importorskip("jointinspect.data.bundle.importer")
    if which == "sample":
        bundle = sample_bundle_path()
    else:
        made = generate_district(tmp_path, enterprises=3_000, seed="imp", quarter=Quarter(2026, 2))
        bundle = made.bundle_dir
    report = importer.import_bundle(bundle, engine=sqlite_engine, strict=True)
    assert report.warnings == ()
    expected = sum(sum(1 for _ in (bundle / name).open(encoding="utf-8")) - 1 for name in FILES)
    assert report.rows == expected
