"""Schema migrations: a 0.1.0 database upgrades with nothing lost, the migrations build
exactly the models' schema (so a change to the models without a migration fails here),
and an upgrade is all or nothing."""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from fixtures.schema import (
    FAILING_REVISION,
    SHORT_NAME_REVISION,
    all_rows,
    as_before,
    code_with_revision,
    copy_of_migrations,
    load_0_1_0,
    next_revision,
)
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from jointinspect.data.grading.tables import load_grade
from jointinspect.database import (
    SchemaOutdatedError,
    SchemaStatus,
    open_database,
    schema_state,
    upgrade_database,
)
from jointinspect.models import create_schema, make_engine, migrations, schema_revision
from jointinspect.models.migrations import MigrationFailedError
from jointinspect.models.planning import GRADE_FILLFACTOR

CST = dt.timezone(dt.timedelta(hours=8))
T = TypeVar("T")
HOW_TO_FIX = (
    "the models and the migrations differ: write a migration for the change "
    '(python -m jointinspect.models.migrations "what changed"), review it and commit it: '
)


def _differences(url: str, metadata: MetaData = SQLModel.metadata) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return migrations.schema_differences(conn, metadata)
    finally:
        engine.dispose()


def _models_and(*tables: Table) -> MetaData:
    """The models' metadata with ``tables`` (built on a fresh MetaData) added."""
    metadata = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)
    for table in tables:
        table.to_metadata(metadata)
    return metadata


def _down_and_up(
    db_url: str, state: Callable[[Connection], T], revision: str, before: str
) -> tuple[T, T, T]:
    """A 0.1.0 database upgraded to the head, then down to ``before`` and up to
    ``revision``: ``state`` of it at the head, at ``before`` and at ``revision``."""
    from alembic import command

    load_0_1_0(db_url)
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        with migrations._migrating(engine) as conn:
            config = migrations._config(migrations.LOCATION, connection=conn)
            head = state(conn)
            command.downgrade(config, before)
            down = state(conn)
            command.upgrade(config, revision)
            return head, down, state(conn)
    finally:
        engine.dispose()


def test_the_first_revision_is_the_0_1_0_baseline() -> None:
    assert migrations.BASELINE == "0001"
    assert migrations.pending(None)[0] == migrations.Revision(
        "0001", "Baseline: the schema of jointinspect 0.1.0"
    )


def test_the_head_every_command_checks_without_alembic_is_alembic_s() -> None:
    assert migrations.head() == schema_revision.HEAD, (
        f"a revision was added: set HEAD = {migrations.head()!r} in models/schema_revision.py"
    )


def test_a_database_behind_the_head_is_older_though_the_fast_check_knows_only_the_head(
    sqlite_url: str,
) -> None:
    engine = make_engine(sqlite_url)
    try:
        create_schema(engine)
        before = f"{int(migrations.head()) - 1:04d}"
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": before})
        state = schema_state(engine)
    finally:
        engine.dispose()
    assert (state.revision, state.head, state.status) == (
        before,
        migrations.head(),
        SchemaStatus.OLDER,
    )


def test_a_0_1_0_database_upgrades_with_nothing_lost(db_url: str) -> None:
    load_0_1_0(db_url)
    engine = make_engine(db_url)
    before = all_rows(engine)
    assert schema_state(engine).status is SchemaStatus.BEFORE_MIGRATIONS
    engine.dispose()
    assert len(before) == 28 and all(before.values())  # rows in every table of 0.1.0

    result = upgrade_database(db_url)

    assert (result.before, result.stamped, result.after) == (None, "0001", migrations.head())
    engine = open_database(db_url)  # no longer refused
    after = all_rows(engine)
    with engine.connect() as conn:
        name, town = conn.execute(
            text("SELECT name, town FROM enterprise WHERE uscc = '91310120MA1HK1234A'")
        ).one()
        received = conn.execute(text('SELECT received_at FROM "trigger"')).scalar_one()
        visit_id = conn.execute(
            text("SELECT visit_id FROM inspection_code WHERE code = 'APMEP-CX467-B579W-8WGXY'")
        ).scalar_one()
    assert {t: len(rows) for t, rows in as_before(after, before).items()} == {
        t: len(rows) for t, rows in before.items()
    }
    assert as_before(after, before) == before
    assert (name, town) == ("奉贤南桥面包房", "南桥镇")
    graded = load_grade(engine=engine, uscc="91310120MA1JL1234L")
    engine.dispose()
    assert graded is not None and graded.reasons[0]["zh"] == "近三年违法 2 次"
    if isinstance(received, str):  # SQLite keeps the wall time as written, without offset
        received = dt.datetime.fromisoformat(received).replace(tzinfo=CST)
    assert received == dt.datetime(2025, 7, 3, 9, 30, tzinfo=CST)
    assert visit_id == 1
    assert _differences(db_url) == []


def test_the_migrations_build_the_models_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    steps = migrations.upgrade(engine)  # an empty database gets every migration
    engine.dispose()
    assert steps.stamped is None and steps.after == migrations.head()
    assert steps.applied == migrations.pending(None)
    differences = _differences(db_url)
    assert differences == [], HOW_TO_FIX + repr(differences)


def test_create_schema_makes_the_head_schema_and_stamps_it(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    state = schema_state(engine)
    engine.dispose()
    assert (state.revision, state.status) == (migrations.head(), SchemaStatus.CURRENT)
    assert _differences(db_url) == []


def test_the_comparison_sees_a_table_without_a_migration(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    create_schema(engine)
    engine.dispose()
    extra = Table("inspection_note", MetaData(), Column("id", String(16), primary_key=True))
    differences = _differences(sqlite_url, _models_and(extra))
    assert [d[0] for d in differences] == ["add_table"]  # type: ignore[index]


def test_create_schema_leaves_a_0_1_0_database_to_the_upgrade(sqlite_url: str) -> None:
    load_0_1_0(sqlite_url)
    engine = make_engine(sqlite_url)
    create_schema(engine)
    assert schema_state(engine).status is SchemaStatus.BEFORE_MIGRATIONS
    engine.dispose()
    with pytest.raises(SchemaOutdatedError, match="run `jointinspect db upgrade`"):
        open_database(sqlite_url)


def test_a_0_1_0_database_upgrades_through_a_later_revision(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    load_0_1_0(db_url)
    engine = make_engine(db_url)
    before = all_rows(engine)
    engine.dispose()
    baseline_head = migrations.head()
    revision = code_with_revision(monkeypatch, tmp_path, SHORT_NAME_REVISION)

    result = upgrade_database(db_url)

    assert (result.stamped, result.upgraded_from, result.after) == ("0001", "0001", revision)
    assert result.applied[-1] == migrations.Revision(revision, "Add department.short_name")
    assert len(result.applied) == int(baseline_head)  # every revision after the baseline
    engine = open_database(db_url)
    after = all_rows(engine)
    engine.dispose()
    assert [set(row) - {"code", "name"} for row in after["department"]] == [{"short_name"}] * 2
    assert as_before(after, before) == before


def test_a_failing_migration_leaves_the_database_as_it_was(
    db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    engine.dispose()
    head = migrations.head()
    revision = code_with_revision(monkeypatch, tmp_path, FAILING_REVISION)

    with pytest.raises(MigrationFailedError, match="no_such_table") as failed:
        upgrade_database(db_url)
    assert str(failed.value).startswith(f"migration {revision} (Make a table, then fail) failed")

    engine = make_engine(db_url)
    state = schema_state(engine)
    tables = inspect(engine).get_table_names()
    engine.dispose()
    assert (state.revision, state.status) == (head, SchemaStatus.OLDER)
    assert "half_done" not in tables


def test_write_revision_autogenerates_the_next_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    location = copy_of_migrations(tmp_path)
    extra = Table(
        "inspection_note",
        MetaData(),
        Column("id", String(16), primary_key=True),
        Column("uses", Integer, nullable=False),
    )
    metadata = _models_and(extra)
    revision = next_revision()

    path = migrations.write_revision("Add the inspection_note table", metadata, location=location)

    assert path.name == f"{revision}_add_the_inspection_note_table.py"
    source = path.read_text(encoding="utf-8")
    assert f"down_revision: str | None = {migrations.head()!r}" in source
    assert "op.create_table('inspection_note'" in source
    assert "sa.String(length=16)" in source and "sqlmodel" not in source
    assert "drop_" not in source.split("def downgrade")[0]  # nothing else changes
    # The revision makes a database that has the new table, and nothing else differs.
    monkeypatch.setattr(migrations, "LOCATION", location)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    engine = make_engine(url)
    assert migrations.upgrade(engine).after == revision
    engine.dispose()
    assert _differences(url, metadata) == []


def test_0005_drops_the_grades_key_named_or_not_and_its_downgrade_restores_it(
    db_url: str,
) -> None:
    """SQLite's baseline key has no name, PostgreSQL's has, and so has the one 0005's
    downgrade makes: the upgrade drops each (a key it could not name failed here)."""
    from alembic import command

    engine = make_engine(db_url)
    create_schema(engine)

    def keys(conn: object) -> list[str | None]:
        return [
            k["name"]
            for k in inspect(conn).get_foreign_keys("enterprise_grade")
            if k["referred_table"] == "enterprise"
        ]

    try:
        with migrations._migrating(engine) as conn:
            config = migrations._config(migrations.LOCATION, connection=conn)
            assert keys(conn) == []
            command.downgrade(config, "0004")
            assert len(keys(conn)) == 1
            command.upgrade(config, "0005")
            assert keys(conn) == []
    finally:
        engine.dispose()


def test_0007_lists_each_revision_s_own_rows_and_reads_them_back(db_url: str) -> None:
    """A revision of 0.1.0 reads the same visits and checks through 0007's lists as by
    the rows' own revision, and the downgrade refuses once a revision shares rows."""
    from alembic import command

    from jointinspect.data.plans.document import read_revision_rows

    load_0_1_0(db_url)
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            own = {
                kind: sorted(conn.execute(text(f"SELECT revision_id, id FROM {table}")).all())
                for kind, table in (("visit", "visit"), ("offsite", "offsite_check"))
            }
            listed = {
                kind: sorted(conn.execute(text(f"SELECT revision_id, {kind}_id FROM {table}")))
                for kind, table in (("visit", "revision_visit"), ("offsite", "revision_offsite"))
            }
            revision_id = own["visit"][0][0]
            rows = read_revision_rows(conn, revision_id)
        assert own["visit"] and own["offsite"] and listed == own
        assert sorted(v.id for v in rows.visits) == [i for r, i in own["visit"] if r == revision_id]
        with migrations._migrating(engine) as conn:
            config = migrations._config(migrations.LOCATION, connection=conn)
            # A second revision holding the first's visit: 0006 cannot say so.
            conn.execute(
                text(
                    "INSERT INTO plan_revision (plan_id, revision, status, seed, generated_at, "
                    "metrics) SELECT plan_id, revision + 100, 'draft', seed, generated_at, "
                    "metrics FROM plan_revision WHERE id = :r"
                ),
                {"r": revision_id},
            )
            conn.execute(
                text(
                    "INSERT INTO revision_visit (revision_id, visit_id) "
                    "SELECT max(id), :v FROM plan_revision"
                ),
                {"v": own["visit"][0][1]},
            )
            with pytest.raises(RuntimeError, match="held by revisions that did not write them"):
                command.downgrade(config, "0006")
    finally:
        engine.dispose()


def test_0008_drops_the_plan_rows_keys_and_its_downgrade_restores_them(db_url: str) -> None:
    """The downgrade makes each key of the plan rows again, and the upgrade drops them
    (named on PostgreSQL, unnamed on SQLite), rows, indexes and SQLite's WITHOUT ROWID
    kept."""
    tables = ("visit", "visit_officer", "offsite_check", "revision_visit", "inspection_code")

    def state(conn: Connection) -> dict[str, tuple[int, int, int]]:
        found = {}
        for table in tables:
            keys = len(inspect(conn).get_foreign_keys(table))
            indexes = len(inspect(conn).get_indexes(table))
            rows = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            found[table] = (keys, indexes, rows)
        if conn.dialect.name == "sqlite":
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'revision_offsite'")
            ).scalar_one()
            assert "WITHOUT ROWID" in sql
        return found

    head, before, after = _down_and_up(db_url, state, "0008", before="0007")
    assert all(keys > 0 and rows > 0 for keys, _, rows in before.values()), before
    assert after == {t: (0, i, n) for t, (_, i, n) in before.items()}
    # The head has the same keys and rows (0011 drops an index of the codes since).
    assert {t: (k, n) for t, (k, _, n) in head.items()} == {
        t: (k, n) for t, (k, _, n) in after.items()
    }


def test_0011_drops_the_codes_status_index_and_its_downgrade_restores_it(db_url: str) -> None:
    """The codes keep indexes on what their queries name them by (revision, visit,
    off-site check), not on the two-valued status; the codes themselves are kept."""

    def state(conn: Connection) -> tuple[set[tuple[str, ...]], int]:
        indexed = {tuple(i["column_names"]) for i in inspect(conn).get_indexes("inspection_code")}
        rows = conn.execute(text("SELECT count(*) FROM inspection_code")).scalar_one()
        return indexed, rows

    head, before, after = _down_and_up(db_url, state, "0011", before="0010")
    assert head == after
    assert head[0] == {("revision_id",), ("visit_id",), ("offsite_id",)}
    assert before == (head[0] | {("status",)}, head[1]) and head[1] > 0


def test_0012_stores_reasons_by_wording_and_its_downgrade_writes_them_in_full(
    db_url: str,
) -> None:
    """The upgrade keeps every grade's reasons, their words once in ``reason_wording``
    (SQLite: the grades' table becomes its key); the downgrade writes them back as 0.1.0
    stored them, to the character."""

    def state(conn: Connection) -> tuple[list[tuple[str, str]], list[tuple[object, ...]], str]:
        reasons = [
            (uscc, r if isinstance(r, str) else json.dumps(r, ensure_ascii=False))
            for uscc, r in conn.execute(
                text("SELECT uscc, CAST(reasons AS TEXT) FROM enterprise_grade ORDER BY uscc")
            )
        ]
        tables = inspect(conn).get_table_names()
        words = (
            [tuple(r) for r in conn.execute(text("SELECT * FROM reason_wording ORDER BY id"))]
            if "reason_wording" in tables
            else []
        )
        return reasons, words, _grades_storage(conn)

    head, before, after = _down_and_up(db_url, state, "0012", before="0011")
    assert head == after
    violations = (
        "["
        + json.dumps(
            {"code": "violations", "zh": "近三年违法 2 次", "en": "2 violations", "weight": 0.4},
            ensure_ascii=False,
        )
        + "]"
    )
    # As the 0.1.0 fixture holds them.
    assert before == ([("91310120MA1HK1234A", "[]"), ("91310120MA1JL1234L", violations)], [], "")
    reasons, words, storage = head
    assert words == [(1, "violations", "近三年违法 2 次", "2 violations")]
    assert [(u, json.loads(r)) for u, r in reasons] == [
        ("91310120MA1HK1234A", []),
        ("91310120MA1JL1234L", [[1, 0.4, None]]),
    ]
    sqlite = db_url.startswith("sqlite")
    assert storage == ("WITHOUT ROWID" if sqlite else f"fillfactor={GRADE_FILLFACTOR}")


def _grades_storage(conn: Connection) -> str:
    """How ``enterprise_grade`` is stored beyond its columns: SQLite's ``WITHOUT ROWID``,
    PostgreSQL's storage parameters ("" for neither)."""
    if conn.dialect.name == "sqlite":
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'enterprise_grade'")
        ).scalar_one()
        return "WITHOUT ROWID" if "WITHOUT ROWID" in sql else ""
    options = conn.execute(
        text("SELECT reloptions FROM pg_class WHERE oid = 'enterprise_grade'::regclass")
    ).scalar_one()
    return ",".join(options or [])


def test_a_new_database_stores_its_grades_as_an_upgraded_one(db_url: str, tmp_path: Path) -> None:
    """create_schema (the models) and the migrations make the same storage for grades,
    which the schema comparison does not see."""
    engine = make_engine(db_url)
    create_schema(engine)
    with engine.connect() as conn:
        new = _grades_storage(conn)
    engine.dispose()
    sqlite = db_url.startswith("sqlite")
    assert new == ("WITHOUT ROWID" if sqlite else f"fillfactor={GRADE_FILLFACTOR}")
    if sqlite:
        upgraded = f"sqlite:///{tmp_path / 'old.db'}"
    else:  # one PostgreSQL database per test: this one, emptied
        engine = make_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgraded = db_url
    load_0_1_0(upgraded)
    upgrade_database(upgraded)
    engine = make_engine(upgraded)
    with engine.connect() as conn:
        assert _grades_storage(conn) == new
    engine.dispose()
