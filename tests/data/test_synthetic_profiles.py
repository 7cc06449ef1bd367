"""Stress profiles of the generator: each changes the shape it names and nothing else, the
default changes nothing, and every profile's district plans and files within the rules."""

import csv
import datetime as dt
from collections import Counter
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic.district import FILES, GeneratedDistrict, generate_district
from jointinspect.data.synthetic.profiles import PROFILES, Profile, UnknownProfileError
from jointinspect.data.synthetic.staff import officers_needed
from jointinspect.models.quarter import Quarter

QUARTER = Quarter(2025, 4)
SIZE = 3_000
runner = CliRunner()


def _rows(district: GeneratedDistrict, name: str) -> list[dict[str, str]]:
    with (district.bundle_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def districts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedDistrict]:
    root = tmp_path_factory.mktemp("profiles")
    return {
        name: generate_district(
            root / name, enterprises=SIZE, seed="shape", quarter=QUARTER, profile=name
        )
        for name in PROFILES
    }


def test_the_default_profile_is_the_generator_without_one(tmp_path: Path) -> None:
    generate_district(tmp_path / "plain", enterprises=300, seed="s", quarter=QUARTER)
    generate_district(
        tmp_path / "default", enterprises=300, seed="s", quarter=QUARTER, profile="default"
    )
    for name in FILES:
        plain = (tmp_path / "plain" / "bundle" / name).read_bytes()
        assert (tmp_path / "default" / "bundle" / name).read_bytes() == plain, name


def test_a_profile_keeps_the_register(districts: dict[str, GeneratedDistrict]) -> None:
    register = _rows(districts["default"], "enterprises.csv")
    for name in ("tight", "multi", "dense"):
        assert _rows(districts[name], "enterprises.csv") == register, name


def test_tight_sizes_officers_to_the_work_alone(districts: dict[str, GeneratedDistrict]) -> None:
    default = Counter(r["department"] for r in _rows(districts["default"], "inspectors.csv"))
    tight = Counter(r["department"] for r in _rows(districts["tight"], "inspectors.csv"))
    assert all(cat.MIN_OFFICERS <= tight[d] <= default[d] for d in default)
    # At district scale the standing force, not the work, sizes most departments.
    shape = PROFILES["tight"]
    load = {d.code: 5_000.0 for d in cat.DEPARTMENTS}
    urgent = {d.code: 300.0 for d in cat.DEPARTMENTS}
    plentiful = officers_needed(load, urgent, 62, 650_000)
    scarce = officers_needed(load, urgent, 62, 650_000, shape.max_utilisation, shape.officer_floor)
    assert all(scarce[d] < plentiful[d] for d in plentiful)


def test_multi_asks_more_of_each_enterprise(districts: dict[str, GeneratedDistrict]) -> None:
    def departments_per_enterprise(district: GeneratedDistrict) -> float:
        seen: dict[str, set[str]] = {}
        for row in _rows(district, "demands.csv"):
            seen.setdefault(row["uscc"], set()).add(row["department"])
        return sum(len(s) for s in seen.values()) / len(seen)

    assert len(_rows(districts["multi"], "demands.csv")) > 2 * len(
        _rows(districts["default"], "demands.csv")
    )
    assert departments_per_enterprise(districts["multi"]) > departments_per_enterprise(
        districts["default"]
    )
    for plain, more in zip(
        _rows(districts["default"], "sampling_rules.csv"),
        _rows(districts["multi"], "sampling_rules.csv"),
        strict=True,
    ):
        assert Decimal(more["ratio"]) == min(Decimal(1), 2 * Decimal(plain["ratio"]))


def test_dense_brings_ten_times_the_triggers(districts: dict[str, GeneratedDistrict]) -> None:
    plain = len(_rows(districts["default"], "triggers.csv"))
    assert len(_rows(districts["dense"], "triggers.csv")) > 6 * plain


def test_bigtown_puts_most_enterprises_in_two_towns(
    districts: dict[str, GeneratedDistrict],
) -> None:
    towns = Counter(r["town"] for r in _rows(districts["bigtown"], "enterprises.csv"))
    two = towns["南桥镇"] + towns["奉城镇"]
    assert two > 0.7 * SIZE
    assert set(towns) == {t.name for t in cat.TOWNS}
    homes = Counter(r["home_town"] for r in _rows(districts["bigtown"], "inspectors.csv"))
    assert homes["南桥镇"] + homes["奉城镇"] > 0.5 * sum(homes.values())


def test_every_carries_each_stress_at_once(districts: dict[str, GeneratedDistrict]) -> None:
    plain = Profile("plain", "")
    every = PROFILES["every"]
    for name in ("tight", "multi", "dense", "bigtown"):
        for field in fields(Profile):
            departs = getattr(PROFILES[name], field.name) != getattr(plain, field.name)
            if departs and field.name not in ("name", "summary"):
                assert getattr(every, field.name) == getattr(PROFILES[name], field.name), (
                    name,
                    field.name,
                )
    assert len(_rows(districts["every"], "triggers.csv")) > 6 * len(
        _rows(districts["default"], "triggers.csv")
    )
    towns = Counter(r["town"] for r in _rows(districts["every"], "enterprises.csv"))
    assert towns["南桥镇"] + towns["奉城镇"] > 0.7 * SIZE
    assert _rows(districts["every"], "enterprises.csv") == _rows(
        districts["bigtown"], "enterprises.csv"
    )


def test_unknown_profile_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UnknownProfileError, match="unknown profile 'huge'") as caught:
        generate_district(tmp_path, enterprises=100, seed="x", quarter=QUARTER, profile="huge")
    assert caught.value.hint == f"choose one of {', '.join(PROFILES)}"
    assert list(tmp_path.iterdir()) == []


def test_generate_command_takes_a_profile(tmp_path: Path) -> None:
    out = tmp_path / "district"
    result = runner.invoke(
        app, ["generate", str(out), "-n", "200", "--quarter", "2025Q4", "--profile", "dense"]
    )
    assert result.exit_code == 0, result.output
    assert "profile dense" in result.stdout
    help_text = runner.invoke(app, ["generate", "--help"], env={"COLUMNS": "120"}).output
    lines = [" ".join(line.split()) for line in help_text.splitlines()]
    for p in PROFILES.values():
        assert f"{p.name} {p.summary}" in lines, p.name


@pytest.mark.slow
@pytest.mark.parametrize("name", [p for p in PROFILES if p != "default"])
def test_every_profile_plans_and_files_within_the_hard_rules(
    name: str, districts: dict[str, GeneratedDistrict], tmp_path: Path
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'shape.db'}"]
    env = {"JOINTINSPECT_KEY_FILE": str(tmp_path / "shape.key")}
    as_of = (QUARTER.first_day - dt.timedelta(days=1)).isoformat()
    for args in (
        ["init"],
        ["import", str(districts[name].bundle_dir)],
        ["grade", "--as-of", as_of],
        ["plan", "--quarter", str(QUARTER), "--seed", f"{QUARTER}-{name}"],
        ["file", "--quarter", str(QUARTER)],  # refuses a plan that breaks a hard rule
    ):
        result = runner.invoke(app, [*args, *db], env=env)
        assert result.exit_code == 0, f"{args}: {result.output}"
