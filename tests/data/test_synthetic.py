"""The synthetic district generator: deterministic, valid against the contract, realistic."""

import csv
import datetime as dt
import math
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic.district import (
    FILES,
    TRUTH_FILES,
    DistrictSizeError,
    GeneratedDistrict,
    OutputNotEmptyError,
    generate_district,
)
from jointinspect.models.enums import CreditEventKind, DemandSource, ItemMode, TriggerKind
from jointinspect.models.quarter import Quarter
from jointinspect.models.uscc import org_check_character, validate
from jointinspect.models.workdays import WorkingCalendar

QUARTER = Quarter(2025, 4)
SIZE = 2_000


def _rows(district: GeneratedDistrict, name: str) -> list[dict[str, str]]:
    path = district.bundle_dir / name
    if name in TRUTH_FILES:
        path = district.truth_path.parent / name
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDistrict:
    return generate_district(
        tmp_path_factory.mktemp("district"), enterprises=SIZE, seed="test", quarter=QUARTER
    )


@pytest.fixture(scope="module")
def tables(district: GeneratedDistrict) -> dict[str, list[dict[str, str]]]:
    return {name: _rows(district, name) for name in (*FILES, *TRUTH_FILES)}


def _bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    runs = []
    for name, seed in (("one", "s"), ("two", "s"), ("three", "t")):
        generate_district(tmp_path / name, enterprises=300, seed=seed, quarter=QUARTER)
        runs.append(_bytes(tmp_path / name))
    assert len(runs[0]) == len(FILES) + len(TRUTH_FILES)
    assert runs[0] == runs[1]
    assert runs[0]["bundle/enterprises.csv"] != runs[2]["bundle/enterprises.csv"]
    assert runs[0]["truth.csv"] != runs[2]["truth.csv"]


def test_truth_is_beside_the_bundle_never_inside(district: GeneratedDistrict) -> None:
    assert district.truth_path.parent == district.bundle_dir.parent
    assert sorted(p.name for p in district.bundle_dir.iterdir()) == sorted(FILES)
    assert district.rows["enterprises.csv"] == district.enterprises == SIZE


def test_row_counts_match_the_files(
    district: GeneratedDistrict, tables: dict[str, list[dict[str, str]]]
) -> None:
    assert district.rows == {name: len(rows) for name, rows in tables.items()}
    assert all(district.rows[name] > 0 for name in FILES)


def test_usccs_are_valid_unique_and_from_fengxian(tables: dict[str, list[dict[str, str]]]) -> None:
    codes = [r["uscc"] for r in tables["enterprises.csv"]]
    assert codes == sorted(set(codes))
    for code in codes:
        assert validate(code) is None, code
        assert code[2:8] == "310120"
        assert code[:2] in ("91", "92")
        assert org_check_character(code[8:16]) == code[16], code


def test_enterprises_are_plausible(tables: dict[str, list[dict[str, str]]]) -> None:
    rows = tables["enterprises.csv"]
    names = [r["name"] for r in rows]
    assert len(set(names)) == len(names)
    towns = {t.name: t for t in cat.TOWNS}
    industries = {i.code for i in cat.INDUSTRIES}
    as_of = QUARTER.first_day - dt.timedelta(days=1)
    for r in rows:
        town = towns[r["town"]]
        assert r["industry"] in industries
        assert r["address"].startswith(f"上海市奉贤区{town.name}")
        km_lat = (float(r["lat"]) - town.lat) * cat.EARTH_KM_PER_DEGREE
        km_lon = (
            (float(r["lon"]) - town.lon)
            * cat.EARTH_KM_PER_DEGREE
            * math.cos(math.radians(town.lat))
        )
        assert math.hypot(km_lat, km_lon) <= 2 * town.spread_km + 0.01
        assert dt.date.fromisoformat(r["opened_on"]) <= as_of
        assert r["status"] in ("active", "closed")
    closed = sum(r["status"] == "closed" for r in rows) / len(rows)
    assert 0.01 <= closed <= 0.06
    assert {"9011", "8051", "1411", "5222", "5239", "2682", "6210"} <= {r["industry"] for r in rows}
    reps = Counter(r["legal_rep"] for r in rows)
    assert any(count > 1 for count in reps.values())


def test_relations_are_consistent(tables: dict[str, list[dict[str, str]]]) -> None:
    enterprises = {r["uscc"]: r for r in tables["enterprises.csv"]}
    relations = tables["relations.csv"]
    keys = [(r["uscc_a"], r["uscc_b"], r["kind"]) for r in relations]
    assert len(set(keys)) == len(keys)
    assert {k for _, _, k in keys} == {"legal_rep", "shareholder", "address", "branch"}
    for a, b, kind in keys:
        assert a != b
        if kind == "legal_rep":
            assert enterprises[a]["legal_rep"] == enterprises[b]["legal_rep"]
        if kind == "address":
            assert enterprises[a]["address"] == enterprises[b]["address"]
        if kind == "branch":
            assert enterprises[b]["name"].startswith(enterprises[a]["name"])
            assert enterprises[b]["name"].endswith("分公司")
    # Every shared legal representative shows up as a relation.
    linked = {(a, b) for a, b, kind in keys if kind == "legal_rep"}
    by_rep: dict[str, list[str]] = defaultdict(list)
    for code, row in enterprises.items():
        by_rep[row["legal_rep"]].append(code)
    for members in by_rep.values():
        for other in members[1:]:
            assert (members[0], other) in linked


def test_ids_are_unique_and_never_look_drawn(tables: dict[str, list[dict[str, str]]]) -> None:
    for name in ("credit_events.csv", "industry_records.csv", "history.csv", "demands.csv"):
        ids = [r["id"] for r in tables[name]]
        assert len(set(ids)) == len(ids), name
    demand_ids = {r["id"] for r in tables["demands.csv"]}
    trigger_ids = {r["id"] for r in tables["triggers.csv"]}
    assert not demand_ids & trigger_ids
    assert not any(i.startswith("R:") for i in demand_ids | trigger_ids)


def test_references_and_modes_follow_the_contract(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    departments = {r["code"] for r in tables["departments.csv"]}
    items = {r["code"]: r for r in tables["items.csv"]}
    usccs = {r["uscc"] for r in tables["enterprises.csv"]}
    inspectors = {r["id"] for r in tables["inspectors.csv"]}
    assert {r["mode"] for r in items.values()} == {m.value for m in ItemMode}
    assert any(r["no_disturb"] == "1" for r in items.values())
    for r in items.values():
        assert r["department"] in departments
    for name in ("demands.csv", "triggers.csv", "sampling_rules.csv", "history.csv"):
        for r in tables[name]:
            assert items[r["item"]]["department"] == r["department"], (name, r)
    for r in tables["demands.csv"]:
        mode = items[r["item"]]["mode"]
        assert r["uscc"] in usccs
        if r["source"] in ("followup", "accident") or r["onsite_required"] == "1":
            assert mode != "offsite", r
    for r in tables["triggers.csv"]:
        if r["kind"] == "accident":
            assert items[r["item"]]["mode"] != "offsite", r
    for name in ("availability.csv", "conflicts.csv"):
        assert {r["inspector_id"] for r in tables[name]} <= inspectors
    for r in tables["credit_events.csv"]:
        assert r["department"] in departments | {""}
        assert r["uscc"] in usccs


def test_every_source_kind_and_event_appears(tables: dict[str, list[dict[str, str]]]) -> None:
    assert {r["source"] for r in tables["demands.csv"]} == {s.value for s in DemandSource} - {
        "random"
    }
    assert {r["kind"] for r in tables["triggers.csv"]} == {k.value for k in TriggerKind}
    assert {r["kind"] for r in tables["credit_events.csv"]} == {k.value for k in CreditEventKind}
    assert {r["result"] for r in tables["history.csv"]} == {"compliant", "minor", "violation"}


def test_dates_fall_where_the_quarter_needs_them(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    first, last = QUARTER.first_day, QUARTER.last_day
    as_of = first - dt.timedelta(days=1)
    calendar = WorkingCalendar()
    for r in tables["demands.csv"]:
        if r["earliest"] or r["latest"]:
            earliest = dt.date.fromisoformat(r["earliest"])
            latest = dt.date.fromisoformat(r["latest"])
            assert first <= earliest <= latest <= last
            assert calendar.workdays(earliest, latest), r
    for r in tables["triggers.csv"]:
        received = dt.datetime.fromisoformat(r["received_at"])
        assert received.utcoffset() == dt.timedelta(hours=8)
        assert first - dt.timedelta(days=7) <= received.date() <= first + dt.timedelta(days=28)
    for name in ("history.csv", "credit_events.csv", "industry_records.csv"):
        days = [dt.date.fromisoformat(r["date"]) for r in tables[name]]
        assert max(days) <= as_of
        assert min(days) >= as_of - dt.timedelta(days=3 * 366)
    for r in tables["availability.csv"]:
        assert first <= dt.date.fromisoformat(r["date"]) <= last
        assert r["available"] == "0"


def test_proportions_are_realistic(tables: dict[str, list[dict[str, str]]]) -> None:
    n = len(tables["enterprises.csv"])
    active = [r for r in tables["enterprises.csv"] if r["status"] == "active"]
    truth = Counter(r["latent_class"] for r in tables["truth.csv"])
    assert [truth[c] / n for c in "ABCD"] == pytest.approx(cat.LATENT_SHARES, abs=0.001)
    with_demand = {r["uscc"] for r in tables["demands.csv"]}
    assert 0.01 <= len(with_demand) / n <= 0.035
    assert 0.002 <= len(tables["triggers.csv"]) / n <= 0.012
    listed = tables["no_disturb.csv"]
    assert 0.01 <= len(listed) / len(active) <= 0.05
    assert any(r["until"] and dt.date.fromisoformat(r["until"]) in QUARTER for r in listed)
    assert {r["uscc"] for r in listed} <= {r["uscc"] for r in active}
    a_class = {r["uscc"] for r in tables["truth.csv"] if r["latent_class"] == "A"}
    assert {r["uscc"] for r in listed} <= a_class
    ratios = {(r["grade"], r["ratio"]) for r in tables["sampling_rules.csv"]}
    bands = {"A": (0, 0.05), "B": (0.05, 0.20), "C": (0.21, 0.60), "D": (0.61, 1.0)}
    for grade, ratio in ratios:
        low, high = bands[grade]
        assert low <= float(ratio) <= high


def test_officers_cover_the_quarter_with_a_margin(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    items = {r["code"]: r for r in tables["items.csv"]}
    workdays = len(WorkingCalendar().workdays(QUARTER.first_day, QUARTER.last_day))
    officers = Counter(r["department"] for r in tables["inspectors.csv"])
    capacity = defaultdict(int)
    for r in tables["inspectors.csv"]:
        capacity[r["department"]] += int(r["max_visits_per_day"]) * workdays
    onsite = Counter(
        r["department"]
        for r in tables["demands.csv"] + tables["triggers.csv"]
        if items[r["item"]]["mode"] != "offsite"
    )
    for d in cat.DEPARTMENTS:
        assert officers[d.code] >= cat.MIN_OFFICERS
        assert capacity[d.code] >= 1.5 * 2 * onsite[d.code]
    expiring = [
        r
        for r in tables["inspectors.csv"]
        if dt.date.fromisoformat(r["cert_valid_until"]) in QUARTER
    ]
    assert 1 <= len(expiring) <= 0.1 * len(tables["inspectors.csv"]) + 1
    assert all(
        dt.date.fromisoformat(r["cert_valid_until"]) >= QUARTER.first_day
        for r in tables["inspectors.csv"]
    )
    per_officer = Counter(r["inspector_id"] for r in tables["conflicts.csv"])
    assert set(per_officer) == {r["id"] for r in tables["inspectors.csv"]}
    assert max(per_officer.values()) <= 10


def test_grades_can_be_seen_in_what_is_visible(tables: dict[str, list[dict[str, str]]]) -> None:
    """Violations, adverse events and indicator values all track the hidden class."""
    truth = {r["uscc"]: r for r in tables["truth.csv"]}
    inspections: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    for r in tables["history.csv"]:
        cls = truth[r["uscc"]]["latent_class"]
        inspections[cls] += 1
        violations[cls] += r["result"] == "violation"
    rates = [violations[c] / inspections[c] for c in "ABCD"]
    assert rates == sorted(rates)
    assert rates[3] > 4 * rates[0]
    adverse: Counter[str] = Counter()
    for r in tables["credit_events.csv"]:
        if r["kind"] not in ("tax_grade_a", "commendation"):
            adverse[truth[r["uscc"]]["latent_class"]] += 1
    size = Counter(r["latent_class"] for r in tables["truth.csv"])
    per_enterprise = [adverse[c] / size[c] for c in "ABCD"]
    assert per_enterprise == sorted(per_enterprise)
    values: dict[str, list[float]] = defaultdict(list)
    for r in tables["industry_records.csv"]:
        values[truth[r["uscc"]]["latent_class"]].append(float(r["value"]))
        assert 0 <= float(r["value"]) <= 100
    means = [sum(values[c]) / len(values[c]) for c in "ABCD"]
    assert means == sorted(means, reverse=True)


def test_violation_rate_rises_with_the_hidden_propensity(
    tables: dict[str, list[dict[str, str]]],
) -> None:
    propensity = {r["uscc"]: float(r["propensity"]) for r in tables["truth.csv"]}
    rows = sorted(tables["history.csv"], key=lambda r: propensity[r["uscc"]])
    quarters = [rows[i * len(rows) // 4 : (i + 1) * len(rows) // 4] for i in range(4)]
    rates = [sum(r["result"] == "violation" for r in q) / len(q) for q in quarters]
    assert rates == sorted(rates)
    expected = sum(propensity[r["uscc"]] for r in rows) / len(rows)
    observed = sum(r["result"] == "violation" for r in rows) / len(rows)
    assert observed == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("size", [100, 5_000])
def test_small_and_larger_districts(tmp_path: Path, size: int) -> None:
    made = generate_district(tmp_path, enterprises=size, seed="size", quarter=Quarter(2026, 1))
    assert made.rows["enterprises.csv"] == size
    assert made.rows["inspectors.csv"] >= cat.MIN_OFFICERS * len(cat.DEPARTMENTS)
    assert made.rows["demands.csv"] >= len(DemandSource) - 1
    assert made.rows["triggers.csv"] >= len(TriggerKind)


def test_as_of_moves_the_history(tmp_path: Path) -> None:
    as_of = dt.date(2025, 8, 31)
    made = generate_district(tmp_path, enterprises=100, seed="x", quarter=QUARTER, as_of=as_of)
    days = [dt.date.fromisoformat(r["date"]) for r in _rows(made, "history.csv")]
    assert max(days) <= as_of


@pytest.mark.parametrize("size", [99, 650_001])
def test_size_outside_the_range_is_refused(tmp_path: Path, size: int) -> None:
    with pytest.raises(DistrictSizeError, match="between 100 and 650,000"):
        generate_district(tmp_path, enterprises=size, seed="x", quarter=QUARTER)
    assert not tmp_path.joinpath("bundle").exists()


def test_existing_output_is_not_overwritten(tmp_path: Path) -> None:
    generate_district(tmp_path, enterprises=100, seed="x", quarter=QUARTER)
    before = _bytes(tmp_path)
    with pytest.raises(OutputNotEmptyError):
        generate_district(tmp_path, enterprises=100, seed="y", quarter=QUARTER)
    assert _bytes(tmp_path) == before


def test_progress_reports_every_file(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    generate_district(
        tmp_path,
        enterprises=100,
        seed="x",
        quarter=QUARTER,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    assert [s for s, _, _ in seen] == [*FILES, *TRUTH_FILES]
    assert [d for _, d, _ in seen] == list(range(1, len(FILES) + len(TRUTH_FILES) + 1))
    assert {t for _, _, t in seen} == {len(FILES) + len(TRUTH_FILES)}
