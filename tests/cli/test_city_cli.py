"""The command line of a city's database: ``init --district``, ``--district`` and its
error listing the districts, ``--all-districts`` with a broken district, ``verify`` naming
the district, ``generate --city``."""

import csv
import json
import re
from pathlib import Path

import pytest
from helpers import city_world as world
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.options import Options

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def test_init_adds_districts_each_with_its_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    code, out = _run("init", "--district", "310120", "--db", url)
    assert code == 0
    assert out.splitlines() == [
        f"District 310120 奉贤区 ready: sqlite:///{tmp_path / 'ji.310120.db'}",
        f"Secret key created: {tmp_path / 'ji.310120.key'} (key k1, bound to this district)",
    ]
    assert _run("init", "--district", "310104", "--db", url)[0] == 0
    code, out = _run("plan", "--quarter", "2025Q3", "--seed", "s", "--db", url)
    assert code == 1
    assert out.splitlines() == [
        "Error: the database holds 2 districts (310104 徐汇区, 310120 奉贤区): say which",
        "Hint: give --district CODE, or --all-districts where the command takes it",
    ]
    code, out = _run("init", "--district", "31012", "--db", url)
    assert code == 1 and "Error: '31012' is not a district's area code" in out


def test_the_engine_goes_with_all_districts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    code, out = _run("grade", "--engine", "ray", "--db", url)
    assert code == 2 and "these run a city's districts: give --all-districts too" in out
    assert _run("plan", "--quarter", "2025Q3", "--seed", "s", "--redo", "--db", url)[0] == 2
    code, out = _run("grade", "--all-districts", "--district", "310120", "--db", url)
    assert code == 2 and "one district or all of them: not both" in out
    code, out = _run("grade", "--all-districts", "--engine", "spark", "--db", url)
    assert code == 2 and "choose one of local, ray" in out


@pytest.mark.slow
def test_plan_all_districts_reports_the_broken_one_and_files_the_others(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    city = world.generate(tmp_path_factory.mktemp("city") / "city", 3)
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    codes = world.build_city(url, city, Options())
    blocked = world.block_a_complaint(url, codes[2], city, tmp_path)
    code, out = _run(
        "plan", "--all-districts", "--quarter", "2025Q3", "--seed", world.SEED, "--db", url
    )
    assert code == 1
    assert "2 of 3 districts done" in out
    assert (
        f"Error: 1 of 3 districts failed: 310105 长宁区: demand {blocked} cannot be placed" in out
    )
    assert "Hint: mend what is said and run the same command again" in out
    for district in codes[:2]:
        filed = _run("file", "--quarter", "2025Q3", "--district", district, "--db", url)
        assert filed[0] == 0, filed[1]
    export = tmp_path / "hp.json"
    assert (
        _run("export", "--quarter", "2025Q3", "--format", "json", "--out", str(export))[0] == 1
    )  # several districts: say which
    args = ("--district", "310101", "--format", "json", "--out", str(export), "--db", url)
    assert _run("export", "--quarter", "2025Q3", *args)[0] == 0
    plan = json.loads(export.read_text(encoding="utf-8"))
    assert plan["plan_id"] == "HP-2025Q3"
    code, out = _run("verify", plan["visits"][0]["code"], "--db", url)
    assert code == 0
    assert "区 district: 310101 黄浦区" in out


def test_generate_city_writes_a_district_bundle_per_area_code(tmp_path: Path) -> None:
    out_dir = tmp_path / "city"
    code, out = _run("generate", str(out_dir), "--city", "2", "-n", "100", "--quarter", "2025Q3")
    assert code == 0, out
    with (out_dir / "districts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"code": "310101", "name": "黄浦区", "prefix": "HP", "bundle": "310101/bundle"},
        {"code": "310104", "name": "徐汇区", "prefix": "XH", "bundle": "310104/bundle"},
    ]
    assert (out_dir / "310104" / "bundle" / "enterprises.csv").exists()
    assert re.search(r"Synthetic city for 2025Q3: 2 districts of 100 enterprises", out)
    code, out = _run("generate", str(out_dir), "--city", "17", "-n", "100")
    assert code == 1 and "Error: cannot generate 17 districts: the city has 16" in out
