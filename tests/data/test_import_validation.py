"""Every invalid case of spec §1: the exact ``file:line: column:`` and an unchanged database.

Each case starts from a database holding the valid ``full_bundle()``, imports that bundle
with one cell (or the file's shape) changed, and checks the problem list and that every
table still holds exactly what it held before.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.bundle_factory import (
    E1,
    Bundle,
    csv_text,
    full_bundle,
    minimal_bundle,
    snapshot,
    uscc,
    write_bundle,
)
from sqlalchemy.engine import Engine

from jointinspect.data.bundle.errors import BundleInvalid, Problem
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.models import make_engine

Mutation = Callable[[Bundle], None]


def cell(file: str, row: int, column: str, value: str) -> Mutation:
    """Set one cell; ``row`` 0 is on line 2."""

    def mutate(bundle: Bundle) -> None:
        bundle[file][row][column] = value

    return mutate


def cells(file: str, row: int, **values: str) -> Mutation:
    def mutate(bundle: Bundle) -> None:
        bundle[file][row].update(values)

    return mutate


def repeat_row(file: str, row: int) -> Mutation:
    def mutate(bundle: Bundle) -> None:
        bundle[file].append(dict(bundle[file][row]))

    return mutate


CASES: list[tuple[str, Mutation, str]] = [
    # malformed USCC (length and character set are fatal)
    ("uscc_short", cell("enterprises.csv", 0, "uscc", E1[:17]), "enterprises.csv:2: uscc:"),
    ("uscc_long", cell("enterprises.csv", 2, "uscc", E1 + "0"), "enterprises.csv:4: uscc:"),
    (
        "uscc_letter_outside_set",
        cell("enterprises.csv", 1, "uscc", "91310120000000000I"),
        "enterprises.csv:3: uscc:",
    ),
    (
        "uscc_lower_case",
        cell("enterprises.csv", 0, "uscc", E1[:8] + "a" + E1[9:]),
        "enterprises.csv:2: uscc:",
    ),
    # unknown references
    (
        "unknown_department",
        cell("inspectors.csv", 1, "department", "NOPE"),
        "inspectors.csv:3: department: unknown department 'NOPE'",
    ),
    (
        "unknown_department_of_item",
        cell("items.csv", 0, "department", "NOPE"),
        "items.csv:2: department:",
    ),
    ("unknown_item", cell("demands.csv", 0, "item", "NOPE"), "demands.csv:2: item: unknown item"),
    ("unknown_item_in_history", cell("history.csv", 0, "item", "NOPE"), "history.csv:2: item:"),
    (
        "unknown_enterprise",
        cell("triggers.csv", 0, "uscc", uscc(99)),
        "triggers.csv:2: uscc: unknown enterprise",
    ),
    (
        "unknown_enterprise_b",
        cell("relations.csv", 0, "uscc_b", uscc(98)),
        "relations.csv:2: uscc_b:",
    ),
    (
        "unknown_inspector",
        cell("availability.csv", 0, "inspector_id", "NOPE"),
        "availability.csv:2: inspector_id: unknown inspector",
    ),
    (
        "unknown_inspector_conflict",
        cell("conflicts.csv", 0, "inspector_id", "X"),
        "conflicts.csv:2:",
    ),
    # duplicate keys inside one file
    ("duplicate_key", repeat_row("departments.csv", 0), "departments.csv:4: code: duplicate key"),
    ("duplicate_uscc", repeat_row("enterprises.csv", 1), "enterprises.csv:5: uscc: duplicate key"),
    (
        "duplicate_composite_key",
        repeat_row("relations.csv", 0),
        "relations.csv:3: uscc_a: duplicate key",
    ),
    ("duplicate_demand", repeat_row("demands.csv", 1), "demands.csv:4: id: duplicate key"),
    # dates and timestamps
    (
        "bad_date",
        cell("inspectors.csv", 0, "cert_valid_until", "2027-02-30"),
        "inspectors.csv:2: cert_valid_until:",
    ),
    (
        "date_with_slashes",
        cell("credit_events.csv", 0, "date", "2024/05/06"),
        "credit_events.csv:2: date:",
    ),
    ("date_basic_format", cell("history.csv", 0, "date", "20240304"), "history.csv:2: date:"),
    (
        "timestamp_without_offset",
        cell("triggers.csv", 0, "received_at", "2025-07-03T09:30:00"),
        "triggers.csv:2: received_at:",
    ),
    (
        "timestamp_date_only",
        cell("triggers.csv", 0, "received_at", "2025-07-03"),
        "triggers.csv:2:",
    ),
    ("timestamp_text", cell("triggers.csv", 0, "received_at", "yesterday"), "triggers.csv:2:"),
    (
        "earliest_after_latest",
        cells("demands.csv", 0, earliest="2025-09-01", latest="2025-08-01"),
        "demands.csv:2: earliest:",
    ),
    (
        "since_after_until",
        cells("no_disturb.csv", 0, since="2025-09-01", until="2025-08-01"),
        "no_disturb.csv:2: since:",
    ),
    # ratio
    (
        "ratio_above_one",
        cell("sampling_rules.csv", 0, "ratio", "1.5"),
        "sampling_rules.csv:2: ratio:",
    ),
    (
        "ratio_negative",
        cell("sampling_rules.csv", 0, "ratio", "-0.1"),
        "sampling_rules.csv:2: ratio:",
    ),
    ("ratio_percent", cell("sampling_rules.csv", 0, "ratio", "5%"), "sampling_rules.csv:2: ratio:"),
    # off-site items
    (
        "offsite_item_onsite_required",
        cells("demands.csv", 0, item="SCJ-REMOTE", onsite_required="1"),
        "demands.csv:2: onsite_required:",
    ),
    (
        "offsite_item_followup_demand",
        cells("demands.csv", 1, department="SCJ", item="SCJ-REMOTE", onsite_required="0"),
        "demands.csv:3: item:",
    ),
    (
        "offsite_item_accident_demand",
        cells("demands.csv", 0, item="SCJ-REMOTE", source="accident"),
        "demands.csv:2: item:",
    ),
    (
        "offsite_item_accident_trigger",
        cells("triggers.csv", 0, kind="accident", department="SCJ", item="SCJ-REMOTE"),
        "triggers.csv:2: item:",
    ),
    # an item of another department
    (
        "item_of_other_department_demand",
        cell("demands.csv", 0, "department", "XF"),
        "demands.csv:2: item: item 'SCJ-FOOD' belongs to department 'SCJ', not 'XF'",
    ),
    (
        "item_of_other_department_trigger",
        cell("triggers.csv", 0, "department", "SCJ"),
        "triggers.csv:2: item:",
    ),
    (
        "item_of_other_department_rule",
        cell("sampling_rules.csv", 0, "department", "XF"),
        "sampling_rules.csv:2: item:",
    ),
    (
        "item_of_other_department_history",
        cell("history.csv", 0, "department", "XF"),
        "history.csv:2: item:",
    ),
    # demand ids
    (
        "demand_id_also_a_trigger_id",
        cell("triggers.csv", 0, "id", "D-1"),
        "triggers.csv:2: id: id 'D-1' is also used in demands.csv line 2",
    ),
    ("drawn_id_in_demands", cell("demands.csv", 0, "id", "R:SCJ:SCJ-FOOD:x"), "demands.csv:2: id:"),
    ("drawn_id_in_triggers", cell("triggers.csv", 0, "id", "R:1"), "triggers.csv:2: id:"),
    (
        "random_source_in_demands",
        cell("demands.csv", 0, "source", "random"),
        "demands.csv:2: source:",
    ),
    # empty required cells
    (
        "empty_required_cell",
        cell("enterprises.csv", 1, "name", ""),
        "enterprises.csv:3: name: required value is empty",
    ),
    ("empty_required_key", cell("departments.csv", 1, "code", "  "), "departments.csv:3: code:"),
    ("empty_required_date", cell("history.csv", 0, "date", ""), "history.csv:2: date:"),
    # enumerations and numbers
    ("status", cell("enterprises.csv", 0, "status", "open"), "enterprises.csv:2: status:"),
    (
        "status_upper_case",
        cell("enterprises.csv", 0, "status", "Active"),
        "enterprises.csv:2: status:",
    ),
    ("relation_kind", cell("relations.csv", 0, "kind", "friend"), "relations.csv:2: kind:"),
    (
        "credit_event_kind",
        cell("credit_events.csv", 0, "kind", "fine"),
        "credit_events.csv:2: kind:",
    ),
    ("item_mode", cell("items.csv", 1, "mode", "remote"), "items.csv:3: mode:"),
    ("demand_source", cell("demands.csv", 1, "source", "whim"), "demands.csv:3: source:"),
    ("trigger_kind", cell("triggers.csv", 0, "kind", "followup"), "triggers.csv:2: kind:"),
    ("history_result", cell("history.csv", 0, "result", "not_done"), "history.csv:2: result:"),
    ("grade", cell("sampling_rules.csv", 0, "grade", "E"), "sampling_rules.csv:2: grade:"),
    ("severity_4", cell("credit_events.csv", 0, "severity", "4"), "credit_events.csv:2: severity:"),
    ("severity_0", cell("triggers.csv", 0, "severity", "0"), "triggers.csv:2: severity:"),
    ("priority_6", cell("demands.csv", 0, "priority", "6"), "demands.csv:2: priority:"),
    ("priority_decimal", cell("demands.csv", 0, "priority", "2.5"), "demands.csv:2: priority:"),
    (
        "flag_yes",
        cell("demands.csv", 0, "onsite_required", "yes"),
        "demands.csv:2: onsite_required:",
    ),
    ("flag_2", cell("items.csv", 0, "no_disturb", "2"), "items.csv:2: no_disturb:"),
    (
        "available_true",
        cell("availability.csv", 0, "available", "true"),
        "availability.csv:2: available:",
    ),
    (
        "value_above_100",
        cell("industry_records.csv", 0, "value", "101"),
        "industry_records.csv:2: value:",
    ),
    (
        "value_nan",
        cell("industry_records.csv", 0, "value", "nan"),
        "industry_records.csv:2: value:",
    ),
    ("minutes_0", cell("items.csv", 0, "minutes", "0"), "items.csv:2: minutes:"),
    ("minutes_decimal", cell("items.csv", 0, "minutes", "1.5"), "items.csv:2: minutes:"),
    ("visits_per_day_0", cell("inspectors.csv", 0, "max_visits_per_day", "0"), "inspectors.csv:2:"),
    (
        "industry_3_digits",
        cell("enterprises.csv", 0, "industry", "141"),
        "enterprises.csv:2: industry:",
    ),
    (
        "industry_letters",
        cell("enterprises.csv", 0, "industry", "C141"),
        "enterprises.csv:2: industry:",
    ),
    ("industries_letters", cell("items.csv", 0, "industries", "14a"), "items.csv:2: industries:"),
    (
        "industries_5_digits",
        cell("items.csv", 0, "industries", "14110"),
        "items.csv:2: industries:",
    ),
    (
        "industries_empty_part",
        cell("items.csv", 0, "industries", "1411;;"),
        "items.csv:2: industries:",
    ),
    ("latitude", cell("enterprises.csv", 0, "lat", "91"), "enterprises.csv:2: lat:"),
    ("longitude_text", cell("enterprises.csv", 0, "lon", "东经121"), "enterprises.csv:2: lon:"),
    ("too_long_key", cell("departments.csv", 0, "code", "X" * 33), "departments.csv:2: code:"),
]


@pytest.fixture
def loaded(sqlite_engine: Engine, tmp_path: Path) -> Engine:
    """A database holding the valid full bundle."""
    import_bundle(write_bundle(tmp_path / "base", full_bundle()), engine=sqlite_engine)
    return sqlite_engine


def _problems(engine: Engine, folder: Path, *, strict: bool = False) -> list[str]:
    """Import a bundle that must fail; its problems as lines; the database unchanged."""
    before = snapshot(engine)
    with pytest.raises(BundleInvalid) as failed:
        import_bundle(folder, engine=engine, strict=strict)
    assert snapshot(engine) == before, "a failed import changed the database"
    assert failed.value.problems, "BundleInvalid without problems"
    return [str(problem) for problem in failed.value.problems]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_cell_is_reported_and_nothing_written(
    loaded: Engine, tmp_path: Path, mutate: Mutation, expected: str
) -> None:
    bundle = full_bundle()
    mutate(bundle)
    lines = _problems(loaded, write_bundle(tmp_path / "bad", dict(bundle)))
    assert any(line.startswith(expected) for line in lines), lines
    assert all(line.split(": ", 2)[2] for line in lines), "every problem has a message"


def test_wrong_check_character_is_a_warning_then_an_error_under_strict(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    bundle = full_bundle()
    bad = E1[:17] + ("1" if E1[17] != "1" else "2")
    bundle["enterprises.csv"][0]["uscc"] = bad
    for file in ("relations.csv", "industry_records.csv", "no_disturb.csv", "demands.csv"):
        for row in bundle[file]:
            for column in ("uscc", "uscc_a"):
                if row.get(column) == E1:
                    row[column] = bad
    bundle["history.csv"][0]["uscc"] = bad
    folder = write_bundle(tmp_path / "b", dict(bundle))
    lines = _problems(sqlite_engine, folder, strict=True)
    assert len(lines) == 1 and lines[0].startswith("enterprises.csv:2: uscc: USCC"), lines
    assert "import --strict" in lines[0]
    report = import_bundle(folder, engine=sqlite_engine)
    assert [str(w).split(": ")[:2] for w in report.warnings] == [["enterprises.csv:2", "uscc"]]
    assert "check character" in str(report.warnings[0])


def test_row_with_more_or_fewer_cells(loaded: Engine, tmp_path: Path) -> None:
    text = "code,name\nSCJ,市场监管局\nXF,消防,extra\nWJ\n"
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": text}))
    assert lines == [
        "departments.csv:3: -: the row has 3 cells but the header has 2; check for a missing"
        " or extra comma, or quote a cell that contains a comma",
        "departments.csv:4: -: the row has 1 cells but the header has 2; check for a missing"
        " or extra comma, or quote a cell that contains a comma",
    ]


def test_file_that_is_not_utf8(loaded: Engine, tmp_path: Path) -> None:
    rows = minimal_bundle()["enterprises.csv"]
    data = csv_text(rows).encode("gb18030")
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"enterprises.csv": data}))
    assert len(lines) == 1
    assert lines[0].startswith("enterprises.csv:2: -: the file is not UTF-8"), lines


def test_not_utf8_names_the_line_of_the_bad_byte(loaded: Engine, tmp_path: Path) -> None:
    data = "code,name\nSCJ,市场监管局\n".encode() + "XF,消防\n".encode("gbk")
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": data}))
    assert lines[0].startswith("departments.csv:3: -: the file is not UTF-8")


def test_missing_required_column(loaded: Engine, tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "mode"} for row in minimal_bundle()["items.csv"]]
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"items.csv": rows}))
    assert lines == [
        'items.csv:1: mode: required column is missing; add a "mode" column to the header'
    ]


def test_first_import_needs_the_four_required_files(sqlite_engine: Engine, tmp_path: Path) -> None:
    bundle = minimal_bundle()
    del bundle["inspectors.csv"]
    lines = _problems(sqlite_engine, write_bundle(tmp_path / "b", dict(bundle)))
    assert lines == [
        "inspectors.csv:0: -: the file is missing; the first import into an empty database"
        " needs departments.csv, enterprises.csv, items.csv, inspectors.csv"
    ]


def test_demand_id_used_by_a_trigger_in_the_database(loaded: Engine, tmp_path: Path) -> None:
    demand = dict(full_bundle()["demands.csv"][0], id="T-1")
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"demands.csv": [demand]}))
    assert lines[0].startswith("demands.csv:2: id: id 'T-1' is already a trigger's id"), lines


def test_trigger_id_used_by_a_demand_in_the_database(loaded: Engine, tmp_path: Path) -> None:
    trigger = dict(full_bundle()["triggers.csv"][0], id="D-2")
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"triggers.csv": [trigger]}))
    assert lines[0].startswith("triggers.csv:2: id: id 'D-2' is already a demand's id"), lines


def test_every_problem_is_reported_not_only_the_first(loaded: Engine, tmp_path: Path) -> None:
    bundle = full_bundle()
    bundle["enterprises.csv"][2]["industry"] = "99"
    bundle["enterprises.csv"][0]["lat"] = "north"
    bundle["items.csv"][1]["mode"] = "remote"
    bundle["demands.csv"][1]["priority"] = "9"
    bundle["demands.csv"][0]["uscc"] = uscc(77)
    bundle["triggers.csv"][0]["received_at"] = "2025-07-03 09:30"
    lines = _problems(loaded, write_bundle(tmp_path / "b", dict(bundle)))
    assert [line.split(": ")[:2] for line in lines] == [
        ["enterprises.csv:2", "lat"],
        ["enterprises.csv:4", "industry"],
        ["items.csv:3", "mode"],
        ["demands.csv:2", "uscc"],
        ["demands.csv:3", "priority"],
        ["triggers.csv:2", "received_at"],
    ]


def test_multi_line_record_is_named_by_the_line_it_starts_on(
    loaded: Engine, tmp_path: Path
) -> None:
    text = (
        "code,name\n"
        'SCJ,"市场监管局\n（奉贤分局）"\n'  # lines 2-3
        '"",消防\n'  # line 4: empty key
        'WJ,"卫健委\n\n备注"\n'  # lines 5-7
        "YJ,\n"  # line 8: empty name
    )
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": text}))
    assert [line.split(": ")[:2] for line in lines] == [
        ["departments.csv:4", "code"],
        ["departments.csv:8", "name"],
    ]


def test_blank_lines_keep_physical_line_numbers(loaded: Engine, tmp_path: Path) -> None:
    text = "code,name\n\nSCJ,市场监管局\n,\n\nXF,\n"
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": text}))
    assert [line.split(": ")[:2] for line in lines] == [["departments.csv:6", "name"]]


def test_bad_quoting_names_the_line(loaded: Engine, tmp_path: Path) -> None:
    text = 'code,name\nSCJ,市场监管局\nXF,"消防"x\n'
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": text}))
    assert lines[0].startswith("departments.csv:3: -: the CSV cannot be read"), lines


def test_an_empty_key_is_reported_once_not_as_a_duplicate(loaded: Engine, tmp_path: Path) -> None:
    text = "code,name\n,市场监管局\n,消防\n"
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": text}))
    assert [line.split(": ")[:2] for line in lines] == [
        ["departments.csv:2", "code"],
        ["departments.csv:3", "code"],
    ]


def test_duplicate_column_in_header(loaded: Engine, tmp_path: Path) -> None:
    text = "code,name,name\nSCJ,a,b\n"
    lines = _problems(loaded, write_bundle(tmp_path / "b", {"departments.csv": text}))
    assert lines == ["departments.csv:1: name: the column appears twice; keep only one"]


def test_problem_format() -> None:
    assert str(Problem("a.csv", 3, "uscc", "bad")) == "a.csv:3: uscc: bad"


def test_on_postgres_too_nothing_is_written(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    from jointinspect.models import create_schema

    create_schema(engine)
    try:
        import_bundle(write_bundle(tmp_path / "base", full_bundle()), engine=engine)
        bundle = full_bundle()
        bundle["enterprises.csv"][0]["name"] = "改名"  # valid change, must not be written
        bundle["triggers.csv"][0]["item"] = "SCJ-FOOD"  # of another department
        lines = _problems(engine, write_bundle(tmp_path / "bad", dict(bundle)))
        assert lines[0].startswith("triggers.csv:2: item:")
    finally:
        engine.dispose()
