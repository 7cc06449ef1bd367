"""One plan lifecycle: a quarter holds at most one draft, a stale draft never blocks the
night's replan, drafts can be discarded, and plan, file, replan and discard share one lock
per database (issue 13, defects 2, 7 and 9)."""

import datetime as dt
import os
from pathlib import Path

import pytest
from helpers.replan_world import AS_OF, QUARTER, SEED, World
from helpers.replan_world import write_bundle as write_one_file_bundle
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.plans.lock import PlansBusyError, lock_path, plans_lock
from jointinspect.filing import (
    InterruptedReplanDraftError,
    NoDraftError,
    UnchangedPlanError,
    discard_draft,
    file_quarter,
)
from jointinspect.models import Enterprise, Item, PlanRevision, make_engine, session_scope
from jointinspect.models.industry import applies
from jointinspect.planning import plan_quarter
from jointinspect.replanning import AsOfOutsideQuarterError, replan_quarter

pytestmark = pytest.mark.slow


@pytest.fixture
def world(filed_world: World) -> World:
    return filed_world


@pytest.fixture
def engine(filed_engine: Engine) -> Engine:
    return filed_engine


def _revisions(engine: Engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        rows = session.exec(select(PlanRevision).order_by(PlanRevision.revision)).scalars()  # type: ignore[call-overload, arg-type]
        return [(r.revision, r.status) for r in rows]


def _replan(world: World, engine: Engine, **settings: object) -> object:
    return replan_quarter(
        str(QUARTER),
        options=world.settings(inbox_dir=world.district / "inbox", **settings).options(),
        engine=engine,
        as_of=AS_OF,
    )


def _one_complaint(engine: Engine) -> list[dict[str, str]]:
    with engine.connect() as conn:
        ents = conn.execute(
            select(Enterprise.uscc, Enterprise.industry)  # type: ignore[arg-type]
            .where(Enterprise.status == "active")
            .order_by(Enterprise.uscc)
        ).all()
        items = conn.execute(
            select(Item.code, Item.department, Item.industries, Item.mode).order_by(Item.code)  # type: ignore[arg-type]
        ).all()
    for uscc, industry in ents:
        item = next((i for i in items if i[3] != "offsite" and applies(i[2], industry)), None)
        if item is not None:
            return [
                {
                    "id": "C-LIFE-1",
                    "uscc": uscc,
                    "kind": "complaint",
                    "received_at": "2025-11-03T09:00:00+08:00",
                    "department": item[1],
                    "item": item[0],
                    "severity": "2",
                }
            ]
    raise AssertionError("no enterprise with an on-site item")


def test_a_stray_plan_after_filing_does_not_block_the_replan(world: World, engine: Engine) -> None:
    plan_quarter(str(QUARTER), SEED, engine=engine, options=world.settings().options())
    assert _revisions(engine) == [(1, "filed"), (2, "draft")]
    write_one_file_bundle(
        world.district / "inbox" / "complaints", "triggers.csv", _one_complaint(engine)
    )
    run = _replan(world, engine)
    assert run.discarded == [2]  # type: ignore[attr-defined]
    assert run.filing is not None  # type: ignore[attr-defined]
    assert _revisions(engine) == [(1, "superseded"), (2, "filed")]


def test_plan_replaces_the_unfiled_draft_instead_of_stacking(world: World, engine: Engine) -> None:
    options = world.settings().options()
    first = plan_quarter(str(QUARTER), "other-seed", engine=engine, options=options)
    assert first.stored.replaced_drafts == ()
    second = plan_quarter(str(QUARTER), "third-seed", engine=engine, options=options)
    assert second.stored.revision == 2 and second.stored.replaced_drafts == (2,)
    assert _revisions(engine) == [(1, "filed"), (2, "draft")]


def test_filing_a_draft_identical_to_the_filed_plan_discards_it(
    world: World, engine: Engine
) -> None:
    options = world.settings().options()
    plan_quarter(str(QUARTER), SEED, engine=engine, options=options)
    with pytest.raises(UnchangedPlanError, match="was discarded"):
        file_quarter(str(QUARTER), engine=engine, options=options, filed_by="t")
    assert _revisions(engine) == [(1, "filed")]


def test_discard_drops_the_draft_and_refuses_when_there_is_none(
    world: World, engine: Engine
) -> None:
    options = world.settings().options()
    with pytest.raises(NoDraftError, match="no draft to discard"):
        discard_draft(str(QUARTER), engine=engine, options=options)
    plan_quarter(str(QUARTER), "other-seed", engine=engine, options=options)
    env = {"JOINTINSPECT_DB": world.url, "JOINTINSPECT_KEY_FILE": str(world.key_file)}
    result = CliRunner().invoke(app, ["discard", "--quarter", str(QUARTER)], env=env)
    assert result.exit_code == 0, result.output
    assert "Discarded draft revision 2 of 2025Q4." in result.output
    assert _revisions(engine) == [(1, "filed")]
    again = CliRunner().invoke(app, ["discard", "--quarter", str(QUARTER)], env=env)
    assert again.exit_code == 1 and "no draft to discard" in again.output


def test_a_draft_of_an_interrupted_replan_is_named_by_file_and_taken_over_by_replan(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_one_file_bundle(
        world.district / "inbox" / "complaints", "triggers.csv", _one_complaint(engine)
    )

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("power cut while filing")

    monkeypatch.setattr("jointinspect.replanning.file_plan", crash)
    with pytest.raises(RuntimeError):
        _replan(world, engine)
    monkeypatch.undo()
    # The bundle was imported but its replan never filed: it is not reported done.
    assert (world.district / "inbox" / "complaints").is_dir()
    assert not (world.district / "inbox" / "done").exists()
    with pytest.raises(InterruptedReplanDraftError, match="interrupted before filing"):
        file_quarter(str(QUARTER), engine=engine, options=world.settings().options(), filed_by="t")
    run = _replan(world, engine)
    assert run.discarded == [2] and run.filing is not None  # type: ignore[attr-defined]
    assert not (world.district / "inbox" / "complaints").exists()
    assert list((world.district / "inbox" / "done").glob("*/complaints"))


def test_replan_as_of_outside_the_quarter_is_refused(world: World, engine: Engine) -> None:
    for day in (dt.date(2024, 1, 1), QUARTER.first_day - dt.timedelta(days=1)):
        with pytest.raises(AsOfOutsideQuarterError, match="is not a day of 2025Q4"):
            replan_quarter(
                str(QUARTER), options=world.settings().options(), engine=engine, as_of=day
            )
    assert _revisions(engine) == [(1, "filed")]


def test_plan_waits_for_the_lock_through_any_spelling_of_the_database(
    world: World, tmp_path: Path
) -> None:
    real = world.url.removeprefix("sqlite:///")
    link = tmp_path / "elsewhere" / "link.db"
    link.parent.mkdir()
    os.symlink(real, link)
    assert lock_path(str(link)) == lock_path(real)
    holder = make_engine(world.url)
    other = make_engine(f"sqlite:///{link}")
    try:
        with plans_lock(holder, timeout=1):
            options = world.settings(lock_timeout=0.2).options()
            with pytest.raises(PlansBusyError, match="another plan, file, replan or discard"):
                plan_quarter(str(QUARTER), "other-seed", engine=other, options=options)
            with pytest.raises(PlansBusyError):
                file_quarter(str(QUARTER), engine=other, options=options, filed_by="t")
            with pytest.raises(PlansBusyError):
                discard_draft(str(QUARTER), engine=other, options=options)
    finally:
        holder.dispose()
        other.dispose()
