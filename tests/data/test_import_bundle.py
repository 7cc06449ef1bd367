"""Importing valid bundles: values as stored, idempotent re-import, later partial imports,
warnings, and the shapes of CSV that must be accepted (BOM, quoted line breaks)."""

import datetime as dt
from pathlib import Path

import pytest
from helpers.bundle_factory import E1, E2, E3, full_bundle, snapshot, uscc, write_bundle
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from jointinspect.data.bundle.errors import BundleInvalid, BundleNotFound
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.bundle.validation import ImportProgress, _uscc_problems
from jointinspect.models import (
    Demand,
    Enterprise,
    Feedback,
    InspectionCode,
    Inspector,
    Item,
    Outcome,
    Plan,
    PlanRevision,
    SamplingRule,
    Trigger,
    Visit,
    VisitTask,
    create_schema,
    make_engine,
)
from jointinspect.models.codes import check_character, format_code
from jointinspect.models.uscc import validate


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    create_schema(engine)
    yield engine  # type: ignore[misc]
    engine.dispose()


def test_full_bundle_is_stored_as_given_with_defaults(engine: Engine, tmp_path: Path) -> None:
    report = import_bundle(write_bundle(tmp_path / "b", full_bundle()), engine=engine)
    assert report.warnings == ()
    rows = {s.file: (s.rows, s.inserted, s.updated) for s in report.files}
    assert rows["enterprises.csv"] == (3, 3, 0)
    assert rows["demands.csv"] == (2, 2, 0)
    with Session(engine) as session:
        second = session.get(Enterprise, E2)
        assert second is not None
        assert (second.status, second.address, second.lat, second.opened_on) == (
            "active",
            None,
            None,
            None,
        )
        first = session.get(Enterprise, E1)
        assert first is not None and first.opened_on == dt.date(2015, 3, 2)
        assert first.lat == pytest.approx(30.918)
        inspector = session.get(Inspector, "SCJ-001")
        assert inspector is not None and inspector.max_visits_per_day == 4
        item = session.get(Item, "XF-FIRE")
        assert item is not None and item.no_disturb is True
        demand = session.get(Demand, "D-1")
        assert demand is not None
        assert (demand.priority, demand.onsite_required, demand.earliest) == (
            3,
            False,
            dt.date(2025, 7, 1),
        )
        rule = session.exec(select(SamplingRule)).one()[0]  # type: ignore[call-overload]
        assert rule.ratio == "0.07"  # the exact decimal text
        trigger = session.get(Trigger, "T-1")
        assert trigger is not None
        received = trigger.received_at
        if received.tzinfo is None:  # SQLite keeps no offset: the importer stores UTC
            received = received.replace(tzinfo=dt.UTC)
        assert received == dt.datetime(2025, 7, 3, 1, 30, tzinfo=dt.UTC)


def test_reimport_is_idempotent(engine: Engine, tmp_path: Path) -> None:
    folder = write_bundle(tmp_path / "b", full_bundle())
    import_bundle(folder, engine=engine)
    before = snapshot(engine)
    report = import_bundle(folder, engine=engine)
    after = snapshot(engine)
    # The data is as it was, and so is the journal of changes to planning inputs
    # (data.plans.basis): the next replan need not replan the whole district for it.
    assert after == before
    assert all(s.inserted == 0 and s.updated == s.rows and s.changed == 0 for s in report.files)


@pytest.mark.parametrize(
    ("file", "column", "value"),
    [
        ("enterprises.csv", "name", "上海南桥糕点有限公司（新）"),
        ("inspectors.csv", "max_visits_per_day", "5"),
        ("demands.csv", "latest", "2025-09-30"),
    ],
)
def test_a_changed_row_is_journalled_and_an_unchanged_file_is_not(
    engine: Engine, tmp_path: Path, file: str, column: str, value: str
) -> None:
    """A planning file sent again as it was changes no planning input; one changed row of
    it (or of a demand already there) does, and the journal says which file."""
    bundle = full_bundle()
    import_bundle(write_bundle(tmp_path / "a", bundle), engine=engine)
    journal = snapshot(engine)["input_change"]
    again = import_bundle(write_bundle(tmp_path / "b", {file: bundle[file]}), engine=engine)
    assert snapshot(engine)["input_change"] == journal
    assert again.files[0].changed == 0
    assert bundle[file][0][column] != value
    bundle[file][0][column] = value
    changed = import_bundle(write_bundle(tmp_path / "c", {file: bundle[file]}), engine=engine)
    assert changed.files[0].changed == 1 and changed.files[0].updated == len(bundle[file])
    added = snapshot(engine)["input_change"][len(journal) :]
    assert len(added) == 1 and f"{file} 1 rows" in str(added[0])


def test_reimport_updates_changed_rows_by_key(engine: Engine, tmp_path: Path) -> None:
    import_bundle(write_bundle(tmp_path / "a", full_bundle()), engine=engine)
    bundle = full_bundle()
    bundle["enterprises.csv"][0]["name"] = "上海南桥糕点有限公司（新）"
    bundle["enterprises.csv"][0]["address"] = ""  # blank: not given, so the default (none)
    bundle["enterprises.csv"].append(dict(bundle["enterprises.csv"][1], uscc=uscc(4)))
    report = import_bundle(write_bundle(tmp_path / "b", bundle), engine=engine)
    summary = next(s for s in report.files if s.file == "enterprises.csv")
    assert (summary.rows, summary.inserted, summary.updated) == (4, 1, 3)
    with Session(engine) as session:
        first = session.get(Enterprise, E1)
        assert first is not None
        assert (first.name, first.address) == ("上海南桥糕点有限公司（新）", None)


def test_a_column_the_file_lacks_keeps_its_stored_value(engine: Engine, tmp_path: Path) -> None:
    import_bundle(write_bundle(tmp_path / "a", full_bundle()), engine=engine)
    rows = [
        {"uscc": row["uscc"], "name": row["name"], "industry": row["industry"], "town": "南桥镇"}
        for row in full_bundle()["enterprises.csv"]
    ]
    import_bundle(write_bundle(tmp_path / "b", {"enterprises.csv": rows}), engine=engine)
    with Session(engine) as session:
        first = session.get(Enterprise, E1)
        third = session.get(Enterprise, E3)
        assert first is not None and third is not None
        assert (first.town, first.address, first.legal_rep) == (
            "南桥镇",
            "南桥镇解放中路1号",
            "LR-1",
        )
        assert third.status == "closed"


def test_later_import_of_only_triggers_refers_to_the_database(
    engine: Engine, tmp_path: Path
) -> None:
    import_bundle(write_bundle(tmp_path / "a", full_bundle()), engine=engine)
    before = snapshot(engine)
    trigger = {
        "id": "T-2",
        "uscc": E3,
        "kind": "accident",
        "received_at": "2025-07-10T23:45:00+08:00",
        "department": "XF",
        "item": "XF-FIRE",
        "severity": "",
        "detail": "",
    }
    report = import_bundle(write_bundle(tmp_path / "b", {"triggers.csv": [trigger]}), engine=engine)
    assert [(s.file, s.inserted) for s in report.files] == [("triggers.csv", 1)]
    after = snapshot(engine)
    assert {name: rows for name, rows in after.items() if name != "trigger"} == {
        name: rows for name, rows in before.items() if name != "trigger"
    }
    assert len(after["trigger"]) == 2


def test_later_import_with_an_unknown_reference_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    import_bundle(write_bundle(tmp_path / "a", full_bundle()), engine=engine)
    before = snapshot(engine)
    trigger = dict(full_bundle()["triggers.csv"][0], id="T-9", item="XF-NONE")
    with pytest.raises(BundleInvalid) as failed:
        import_bundle(write_bundle(tmp_path / "b", {"triggers.csv": [trigger]}), engine=engine)
    assert [str(p).split(": ")[:2] for p in failed.value.problems] == [["triggers.csv:2", "item"]]
    assert snapshot(engine) == before


def test_bom_is_accepted_and_ignored(sqlite_engine: Engine, tmp_path: Path) -> None:
    bundle = full_bundle()
    folder = write_bundle(tmp_path / "b", dict(bundle))
    for name in ("departments.csv", "enterprises.csv"):
        path = folder / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = import_bundle(folder, engine=sqlite_engine)
    assert report.warnings == ()
    assert {s.file: s.rows for s in report.files}["departments.csv"] == 2


def test_quoted_line_breaks_and_commas_are_kept(sqlite_engine: Engine, tmp_path: Path) -> None:
    bundle = full_bundle()
    bundle["enterprises.csv"][0]["address"] = "南桥镇解放中路1号,\n2号楼"
    import_bundle(write_bundle(tmp_path / "b", dict(bundle)), engine=sqlite_engine)
    with Session(sqlite_engine) as session:
        first = session.get(Enterprise, E1)
        assert first is not None and first.address == "南桥镇解放中路1号,\n2号楼"


def test_unknown_columns_and_files_are_warnings(sqlite_engine: Engine, tmp_path: Path) -> None:
    bundle = full_bundle()
    for row in bundle["departments.csv"]:
        row["head"] = "某某"
    folder = write_bundle(tmp_path / "b", dict(bundle))
    (folder / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    (folder / "README.txt").write_text("not a CSV, not looked at", encoding="utf-8")
    report = import_bundle(folder, engine=sqlite_engine)
    assert [str(w).split(": ")[:2] for w in report.warnings] == [
        ["departments.csv:1", "head"],
        ["notes.csv:0", "-"],
    ]
    assert "unknown column, ignored" in str(report.warnings[0])


def test_header_only_files_are_fine(sqlite_engine: Engine, tmp_path: Path) -> None:
    bundle = full_bundle()
    folder = write_bundle(tmp_path / "b", dict(bundle))
    (folder / "history.csv").write_text("id,uscc,department,date,result\n", encoding="utf-8")
    report = import_bundle(folder, engine=sqlite_engine)
    assert {s.file: s.rows for s in report.files}["history.csv"] == 0


def test_credit_event_from_an_outside_authority_is_a_warning(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    bundle = full_bundle()
    bundle["credit_events.csv"][0]["department"] = "区法院"
    report = import_bundle(write_bundle(tmp_path / "b", dict(bundle)), engine=sqlite_engine)
    assert [str(w).split(": ")[:2] for w in report.warnings] == [
        ["credit_events.csv:2", "department"]
    ]


def test_progress_is_reported(sqlite_engine: Engine, tmp_path: Path) -> None:
    events: list[ImportProgress] = []
    import_bundle(
        write_bundle(tmp_path / "b", full_bundle()), engine=sqlite_engine, progress=events.append
    )
    phases = {(e.phase, e.file) for e in events}
    assert ("validate", "enterprises.csv") in phases and ("write", "history.csv") in phases
    assert all(0 <= e.done <= e.total for e in events)


def test_missing_folder(sqlite_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(BundleNotFound, match="does not exist"):
        import_bundle(tmp_path / "nowhere", engine=sqlite_engine)


def test_large_file_into_empty_table_defers_and_rebuilds_indexes(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jointinspect.data.bundle import importer

    monkeypatch.setattr(importer, "DEFER_INDEXES_ROWS", 2)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 1)
    import_bundle(write_bundle(tmp_path / "b", full_bundle()), engine=sqlite_engine)
    with sqlite_engine.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
    assert {"ix_enterprise_industry", "ix_enterprise_town", "ix_history_date"} <= names


def test_a_write_that_fails_after_dropping_indexes_rolls_everything_back(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import Index
    from sqlalchemy.exc import DataError

    from jointinspect.data.bundle import importer

    monkeypatch.setattr(importer, "DEFER_INDEXES_ROWS", 2)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 1)

    def refuse(self: Index, bind: object, checkfirst: bool = False) -> None:
        raise DataError("CREATE INDEX", {}, Exception("disk full"))

    monkeypatch.setattr(Index, "create", refuse)
    before = snapshot(sqlite_engine)
    with sqlite_engine.connect() as conn:
        schema = sorted(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    with pytest.raises(importer.ImportWriteFailed, match="disk full"):
        import_bundle(write_bundle(tmp_path / "b", full_bundle()), engine=sqlite_engine)
    assert snapshot(sqlite_engine) == before
    with sqlite_engine.connect() as conn:
        assert sorted(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars()) == schema


def test_batch_uscc_check_agrees_with_the_reference() -> None:
    import random

    rng = random.Random(3)
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXYZIOSVa"
    values: list[str | None] = [uscc(n) for n in range(50)]
    values += [
        "".join(rng.choice(chars) for _ in range(rng.choice((17, 18, 18, 19)))) for _ in range(300)
    ]
    values += ["９１３１０１２００００００００１３", "", None]
    found = _uscc_problems(values)
    expected = {i: validate(v) for i, v in enumerate(values) if v and validate(v)}
    assert found == expected


def _code(n: int) -> str:
    body = f"1{n:018d}"
    return format_code(body + check_character(body))


def _file_codes(engine: Engine) -> tuple[str, str, str]:
    """A filed plan with one visit for SCJ-FOOD at E1: (valid code, revoked code, its
    replacement)."""
    valid, revoked, replacement = _code(1), _code(2), _code(3)
    now = dt.datetime(2025, 6, 20, 2, 0, tzinfo=dt.UTC)
    with Session(engine) as session:
        session.add(Plan(id="FX-2025Q3", quarter="2025Q3"))
        session.flush()
        revision = PlanRevision(plan_id="FX-2025Q3", revision=1, seed="s", generated_at=now)
        session.add(revision)
        session.flush()
        assert revision.id is not None
        visit = Visit(revision_id=revision.id, uscc=E1, date=dt.date(2025, 7, 8), town="南桥镇")
        visit.order = 1
        visit.code = valid
        session.add(visit)
        session.flush()
        assert visit.id is not None
        session.add(
            VisitTask(
                visit_id=visit.id, demand_id="D-1", department="SCJ", item="SCJ-FOOD", source="plan"
            )
        )
        for code, status, replaced in (
            (valid, "valid", None),
            (revoked, "revoked", replacement),
            (replacement, "valid", None),
        ):
            session.add(
                InspectionCode(
                    code=code,
                    key_id="k1",
                    revision_id=revision.id,
                    visit_id=visit.id if code == valid else None,
                    status=status,
                    replaced_by=replaced,
                    issued_at=now,
                )
            )
        session.commit()
    return valid, revoked, replacement


def test_outcomes_and_feedback_refer_to_issued_codes(engine: Engine, tmp_path: Path) -> None:
    import_bundle(write_bundle(tmp_path / "a", full_bundle()), engine=engine)
    valid, revoked, _ = _file_codes(engine)
    typed = valid.replace("-", "").lower()  # as a department system may have recorded it
    outcomes = [
        {"code": typed, "item": "SCJ-FOOD", "result": "violation", "date": "2025-07-08"},
        {"code": valid, "item": "XF-FIRE", "result": "compliant", "date": "2025-07-08"},
        {"code": revoked, "item": "SCJ-FOOD", "result": "not_done", "date": "2025-07-09"},
    ]
    feedback = [{"code": valid, "rating": "5", "date": "2025-07-09", "comment": "好"}]
    folder = write_bundle(tmp_path / "b", {"outcomes.csv": outcomes, "feedback.csv": feedback})
    report = import_bundle(folder, engine=engine)
    assert [str(w).split(": ")[:2] for w in report.warnings] == [
        ["outcomes.csv:3", "item"],  # XF-FIRE was not planned for that code
        ["outcomes.csv:4", "code"],  # revoked
    ]
    with Session(engine) as session:
        outcome = session.get(Outcome, (valid, "SCJ-FOOD"))
        assert outcome is not None and outcome.result == "violation"
        assert session.get(Feedback, valid) is not None

    before = snapshot(engine)
    with pytest.raises(BundleInvalid) as failed:
        import_bundle(folder, engine=engine, strict=True)
    assert [str(p).split(": ")[:2] for p in failed.value.problems] == [["outcomes.csv:4", "code"]]
    assert snapshot(engine) == before


def test_outcome_with_an_unknown_or_malformed_code(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_bundle(write_bundle(tmp_path / "a", full_bundle()), engine=sqlite_engine)
    outcomes = [
        {"code": _code(7), "item": "SCJ-FOOD", "result": "violation", "date": "2025-07-08"},
        {"code": "ABC", "item": "SCJ-FOOD", "result": "violation", "date": "2025-07-08"},
    ]
    with pytest.raises(BundleInvalid) as failed:
        import_bundle(
            write_bundle(tmp_path / "b", {"outcomes.csv": outcomes}), engine=sqlite_engine
        )
    lines = [str(p) for p in failed.value.problems]
    assert lines[0].startswith("outcomes.csv:2: code: unknown inspection code"), lines
    assert lines[1].startswith("outcomes.csv:3: code: 'ABC' is not an inspection code"), lines
