"""A replan's revision shares the rows it leaves unchanged with the filed revision
(``data/plans/carry``, ``revision_visit``) and writes only the others; every revision it
leaves, every code and what verifying each code says must be exactly what writing and
filing every row anew gives."""

import datetime as dt
import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.replan_world import (
    AS_OF,
    QUARTER,
    World,
    busiest_officer_day,
    copy_world,
    planned_tasks,
    replan_world,
    table_digests,
    what_is_filed,
    write_bundle,
    write_complaints,
)
from sqlalchemy import text

import jointinspect.replanning as replanning
from jointinspect.data.plans.carry import CarriedRows, carried_rows
from jointinspect.data.plans.document import RevisionRows, read_plan_document
from jointinspect.data.plans.drafts import discard_drafts
from jointinspect.data.plans.replan_store import read_filed_revision
from jointinspect.data.plans.store import store_draft
from jointinspect.models import make_engine
from jointinspect.replanning import ReplanRun
from jointinspect.rules import plan_result

RECEIVED = "2025-11-03T09:00:00+08:00"
NOW = dt.datetime(2025, 11, 3, 1, tzinfo=dt.UTC)


def _news(world: World) -> None:
    """Complaints for 5 % of the planned enterprises, and one officer off sick on the
    busiest of their days after the replan's date (so visits move, lose and regain codes)."""
    rows = planned_tasks(world)
    busy = busiest_officer_day(world, AS_OF)
    first: dict[str, tuple[str, str]] = {}
    for uscc, dept, item in rows:
        first.setdefault(uscc, (dept, item))
    chosen = sorted(first, key=lambda u: hashlib.sha256(u.encode()).hexdigest())
    chosen = chosen[: max(1, len(chosen) // 20)]
    write_complaints(world, "complaints", chosen, first, RECEIVED)
    write_bundle(
        world.district / "inbox" / "sick",
        "availability.csv",
        [{"inspector_id": busy[0], "date": str(busy[1]), "available": "0"}],
    )


def _replan(world: World) -> ReplanRun:
    # What is carried of the whole district's rows (the part's is test_replan_scoped's).
    return replan_world(world, AS_OF, NOW, whole=True)


def _world(filed_template: World, folder: Path) -> World:
    folder.mkdir()
    world = copy_world(filed_template, folder, district=folder)
    _news(world)
    return world


def test_a_carried_replan_stores_and_files_what_writing_every_row_does(
    filed_template: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    carried_world = _world(filed_template, tmp_path / "carried")
    full_world = _world(filed_template, tmp_path / "full")
    seen: list[CarriedRows] = []
    real = replanning.carried_rows

    def spy(*args: Any) -> CarriedRows:
        seen.append(real(*args))
        plan, revision_id, rows, given, _scope = args
        # The objects the replanner handed back find the rows that comparing every field
        # finds, and on their own (no rows to compare with) nearly all of them.
        assert real(plan, revision_id, rows) == seen[-1]
        alone = real(plan, revision_id, RevisionRows([], {}, {}, [], []), given)
        assert 0.9 * len(seen[-1].visits) < len(alone.visits) <= len(seen[-1].visits)
        assert 0.9 * len(seen[-1].offsite) < len(alone.offsite) <= len(seen[-1].offsite)
        return seen[-1]

    monkeypatch.setattr(replanning, "carried_rows", spy)
    carried = _replan(carried_world)

    def nothing(
        _plan: object,
        revision_id: int,
        _rows: object,
        _given: object = None,
        _scope: object = None,
    ) -> CarriedRows:
        return CarriedRows(revision_id, {}, {})

    monkeypatch.setattr(replanning, "carried_rows", nothing)
    full = _replan(full_world)

    assert carried.filing is not None and full.filing is not None
    # The test means something only if most rows were carried and some were not.
    assert carried.stored is not None
    visits = carried.stored.visits
    assert 0.8 * visits < len(seen[0].visits) < visits
    assert full.filing.codes_revoked > 0 and full.filing.codes_issued > 0
    assert (carried.filing.codes_issued, carried.filing.codes_kept) == (
        full.filing.codes_issued,
        full.filing.codes_kept,
    )
    assert carried.filing.codes_revoked == full.filing.codes_revoked
    assert what_is_filed(carried_world) == what_is_filed(full_world)
    # The carried revision wrote only the rows it changed.
    with sqlite3.connect(carried_world.url.removeprefix("sqlite:///")) as conn:
        written = conn.execute(
            "SELECT count(*) FROM visit WHERE revision_id = ?", (carried.stored.revision_id,)
        ).fetchone()
    assert written == (visits - len(seen[0].visits),)


def test_filing_stops_when_a_carried_code_is_not_as_filed(
    filed_template: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(filed_template, tmp_path / "w")
    before = table_digests(world)
    real: Callable[..., Any] = replanning.file_plan

    def tampered(*args: Any, **kwargs: Any) -> Any:
        # Someone revoked the filed revision's codes between the draft and its filing (all
        # of them, so that carried rows' codes are among them whatever the session's key).
        engine = kwargs["engine"]
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE inspection_code SET status = 'revoked' WHERE revision_id = 1")
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(replanning, "file_plan", tampered)
    with pytest.raises(RuntimeError, match="carried rows should have valid codes"):
        _replan(world)
    after = table_digests(world)
    # Nothing filed: the filed revision keeps its status, and its codes point at it.
    assert after["plan_revision"] != before["plan_revision"]  # the replan's draft is there
    with sqlite3.connect(world.url.removeprefix("sqlite:///")) as conn:
        statuses = conn.execute(
            "SELECT revision, status FROM plan_revision ORDER BY revision"
        ).fetchall()
        pointing = conn.execute(
            "SELECT count(*) FROM inspection_code WHERE revision_id != 1"
        ).fetchone()
    assert statuses == [(1, "filed"), (2, "draft")]
    assert pointing == (0,)


def _visits_with_codes(url: str) -> list[tuple[Any, ...]]:
    """Revision 2's visits with tasks, officers and codes, and every code's status."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            visits = conn.execute(
                text(
                    'SELECT v.uscc, v.date, v."order", v.code, c.status, '
                    "(SELECT count(*) FROM visit_task t WHERE t.visit_id = v.id), "
                    "(SELECT count(*) FROM visit_officer o WHERE o.visit_id = v.id) "
                    "FROM visit v JOIN revision_visit m ON m.visit_id = v.id "
                    "JOIN plan_revision r ON r.id = m.revision_id "
                    "JOIN inspection_code c ON c.code = v.code "
                    "WHERE r.revision = 2 AND c.visit_id = v.id"
                )
            ).fetchall()
            statuses = conn.execute(
                text("SELECT status, count(*) FROM inspection_code GROUP BY status")
            ).fetchall()
    finally:
        engine.dispose()
    return sorted((str(u), str(d), o, c, s, t, n) for u, d, o, c, s, t, n in visits) + sorted(
        (s, n, "", "", "", 0, 0) for s, n in statuses
    )


@pytest.mark.postgres
def test_a_carried_replan_on_postgresql_files_what_it_does_on_sqlite(
    filed_template: World, tmp_path: Path, pg_url: str
) -> None:
    from helpers.replan_world import build_filed_world

    sqlite_world = _world(filed_template, tmp_path / "sqlite")
    pg_folder = tmp_path / "pg"
    pg_folder.mkdir()
    # The same key on both (codes are made from it and what they bind), to compare codes.
    shutil.copyfile(filed_template.key_file, pg_folder / "test.key")
    (pg_folder / "test.key").chmod(0o600)
    built = build_filed_world(pg_folder, pg_url, district=filed_template.district)
    pg_world = World(built.url, built.key_file, pg_folder)
    _news(pg_world)
    assert _replan(sqlite_world).filing is not None
    assert _replan(pg_world).filing is not None
    assert _visits_with_codes(pg_world.url) == _visits_with_codes(sqlite_world.url)


def test_discarding_a_replan_s_draft_leaves_the_filed_revision_whole(
    filed_template: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = _world(filed_template, tmp_path / "w")
    before = table_digests(world)

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt  # the night's run stopped between storing and filing

    monkeypatch.setattr(replanning, "file_plan", crash)
    with pytest.raises(KeyboardInterrupt):
        _replan(world)
    with sqlite3.connect(world.url.removeprefix("sqlite:///")) as conn:
        shared = conn.execute(
            "SELECT count(*) FROM revision_visit m JOIN visit v ON v.id = m.visit_id "
            "JOIN plan_revision r ON r.id = m.revision_id "
            "WHERE r.status = 'draft' AND v.revision_id != r.id"
        ).fetchone()
    assert shared is not None and shared[0] > 0  # the draft holds filed rows
    engine = make_engine(world.url)
    try:
        with engine.connect() as conn:
            draft_id = conn.execute(
                text("SELECT id FROM plan_revision WHERE status = 'draft'")
            ).scalar_one()
            draft = read_plan_document(conn, draft_id)
        # Codes are issued by filing: a draft shows none, not even on the rows it shares.
        assert draft.visits and all(v.code is None for v in draft.visits)
        assert draft.offsite and all(c.code is None for c in draft.offsite)
        assert discard_drafts(str(QUARTER), engine=engine) == [2]
    finally:
        engine.dispose()
    assert table_digests(world) == before


def test_a_plan_equal_to_the_filed_one_writes_no_row_and_a_wrong_carry_is_refused(
    filed_template: World, tmp_path: Path
) -> None:
    world = _world(filed_template, tmp_path / "w")
    engine = make_engine(world.url)
    try:
        filed = read_filed_revision(str(QUARTER), engine=engine)
        header = filed.header
        same = plan_result(filed.rows, header.quarter, header.seed, header.metrics)
        carried = carried_rows(same, filed.revision_id, filed.rows)
        before = table_digests(world)
        wrong = CarriedRows(carried.revision_id, {**carried.visits, 0: 10**9}, carried.offsite)
        with pytest.raises(RuntimeError, match="not among its rows"):
            store_draft(same, engine=engine, prefix="FX", generated_at=NOW, carried=wrong)
        assert table_digests(world) == before
        stored = store_draft(same, engine=engine, prefix="FX", generated_at=NOW, carried=carried)
        with engine.connect() as conn:
            written = conn.execute(
                text("SELECT count(*) FROM visit WHERE revision_id = :r"),
                {"r": stored.revision_id},
            ).scalar_one()
            held = [
                sorted(
                    conn.execute(
                        text("SELECT visit_id FROM revision_visit WHERE revision_id = :r"),
                        {"r": rid},
                    ).scalars()
                )
                for rid in (filed.revision_id, stored.revision_id)
            ]
            documents = [
                read_plan_document(conn, rid) for rid in (filed.revision_id, stored.revision_id)
            ]
    finally:
        engine.dispose()
    assert written == 0 and held[0] == held[1] and len(held[0]) == len(filed.rows.visits)
    assert [replace(v, code=None) for v in documents[0].visits] == list(documents[1].visits)
