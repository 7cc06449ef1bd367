"""Nightly replanning on a filed synthetic district (1,000 enterprises, 2025Q4).

The filed world is built once per session on SQLite and copied for each test.
"""

import hashlib
import math

import pytest
from helpers.replan_world import AS_OF, QUARTER, World, write_bundle
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.plans import planning_inputs
from jointinspect.data.plans.document import (
    PlanDocument,
    VisitDoc,
    load_plan_document,
    read_plan_document,
)
from jointinspect.data.plans.followups import followup_id
from jointinspect.data.plans.planning_inputs import town_centres
from jointinspect.models import (
    Demand,
    Enterprise,
    EnterpriseGrade,
    Item,
    OffsiteCheck,
    PlanRevision,
    session_scope,
)
from jointinspect.models.industry import applies
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.replanning import replan_quarter
from jointinspect.scheduler.pinning import DayStatus, pin_window

RECEIVED = "2025-11-03T09:00:00+08:00"
CAL = WorkingCalendar()
TOMORROW = CAL.add_workdays(AS_OF, 1)
PINNED_UNTIL = TOMORROW  # pin_working_days = 2: AS_OF and the next working day


@pytest.fixture
def world(filed_world: World) -> World:
    return filed_world


@pytest.fixture
def engine(filed_engine: Engine) -> Engine:
    return filed_engine


def _revisions(engine: Engine) -> list[PlanRevision]:
    with session_scope(engine) as session:
        rows = session.exec(select(PlanRevision).order_by(PlanRevision.revision)).scalars()  # type: ignore[call-overload, arg-type]
        return [PlanRevision.model_validate(r) for r in rows]


def _doc(engine: Engine, revision: int) -> PlanDocument:
    rid = next(r.id for r in _revisions(engine) if r.revision == revision)
    assert rid is not None
    with session_scope(engine) as session:
        return load_plan_document(session=session, revision_id=rid)


def _same(a: VisitDoc, b: VisitDoc) -> bool:
    return (a.uscc, a.date, a.tasks, a.inspectors, a.code) == (
        b.uscc,
        b.date,
        b.tasks,
        b.inspectors,
        b.code,
    )


def _replan(world: World, engine: Engine, **settings: object) -> object:
    return replan_quarter(
        str(QUARTER),
        options=world.settings(inbox_dir=world.district / "inbox", **settings).options(),
        engine=engine,
        as_of=AS_OF,
    )


def _pick(n: int, *parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:n]


def test_pin_window_history_pinned_free() -> None:
    days = CAL.workdays(QUARTER.first_day, QUARTER.last_day)
    pins = pin_window(days, AS_OF, 2)
    assert pins.pinned_until == TOMORROW
    assert pins.status(days.index(AS_OF) - 1) == DayStatus.HISTORY
    assert pins.status(days.index(AS_OF)) == DayStatus.PINNED
    assert pins.status(days.index(TOMORROW)) == DayStatus.PINNED
    assert pins.status(days.index(TOMORROW) + 1) == DayStatus.FREE
    assert pin_window(days, AS_OF, 0).pinned_until is None


def test_fast_reader_gives_the_stored_document(engine: Engine) -> None:
    with session_scope(engine) as session:
        slow = load_plan_document(session=session, revision_id=1)
        fast = read_plan_document(session.connection(), 1)
    assert len(fast.visits) > 50
    assert (fast.visits, fast.offsite, fast.unscheduled) == (
        slow.visits,
        slow.offsite,
        slow.unscheduled,
    )
    assert (fast.plan_id, fast.revision, fast.seed, fast.status) == (
        slow.plan_id,
        slow.revision,
        slow.seed,
        slow.status,
    )


def test_nothing_new_means_no_change_and_no_draft(world: World, engine: Engine) -> None:
    run = replan_quarter(
        str(QUARTER), options=world.settings().options(), engine=engine, as_of=AS_OF
    )
    assert run.filing is None and run.stored is None
    assert [r.status for r in _revisions(engine)] == ["filed"]


def _complaints(engine: Engine, share: float) -> list[dict[str, str]]:
    """Complaints for ``share`` of the active enterprises, with an on-site item each."""
    with engine.connect() as conn:
        ents = conn.execute(
            select(Enterprise.uscc, Enterprise.industry).where(Enterprise.status == "active")  # type: ignore[arg-type]
        ).all()
        items = conn.execute(
            select(Item.code, Item.department, Item.industries, Item.mode).order_by(Item.code)  # type: ignore[arg-type]
        ).all()
    ranked = sorted(ents, key=lambda e: _pick(16, "complaint", e[0]))
    rows = []
    for uscc, industry in ranked:
        item = next((i for i in items if i[3] != "offsite" and applies(i[2], industry)), None)
        if item is None:
            continue
        rows.append(
            {
                "id": f"C-{len(rows) + 1:04d}",
                "uscc": uscc,
                "kind": "complaint",
                "received_at": RECEIVED,
                "department": item[1],
                "item": item[0],
                "severity": "2",
            }
        )
        if len(rows) >= math.ceil(share * len(ents)):
            break
    return rows


def test_one_percent_new_complaints_change_little_and_no_pinned_visit(
    world: World, engine: Engine
) -> None:
    rows = _complaints(engine, 0.01)
    write_bundle(world.district / "inbox" / "complaints", "triggers.csv", rows)
    before = _doc(engine, 1)
    run = _replan(world, engine)
    assert run.filing is not None and run.filing.revision == 2  # type: ignore[attr-defined]
    after = _doc(engine, 2)
    # No pinned visit changed: each is in the new revision as filed, code included.
    pinned = [v for v in before.visits if AS_OF <= v.date <= PINNED_UNTIL]
    assert pinned, "the world must have pinned visits for this test to mean something"
    for v in pinned:
        assert any(_same(v, w) for w in after.visits), f"pinned visit {v.code} changed"
    # At most (new demands + 5 % of the plan) visits changed or added.
    unchanged = sum(1 for v in before.visits if any(_same(v, w) for w in after.visits))
    added = len(after.visits) - unchanged
    changed = (len(before.visits) - unchanged) + added
    assert changed <= len(rows) + math.ceil(0.05 * len(before.visits))
    # Every complaint is on-site within its window (received date … 10th working day).
    closes = CAL.add_workdays(AS_OF, 10)
    placed = {t.demand_id: v for v in after.visits for t in v.tasks}
    for row in rows:
        visit = placed[row["id"]]
        assert visit.uscc == row["uscc"] and AS_OF <= visit.date <= closes
    counts = run.diff["counts"]  # type: ignore[attr-defined]
    assert counts["pinned_changed"] == 0
    assert counts["changed_visits"] == changed
    stored = _revisions(engine)[-1]
    assert stored.diff is not None and stored.diff["counts"] == counts
    assert stored.as_of == AS_OF
    # The complained-about enterprises were regraded as of the replan; the rest were not.
    with session_scope(engine) as session:
        graded = {
            g.uscc: g.as_of
            for g in session.exec(select(EnterpriseGrade)).scalars()  # type: ignore[call-overload]
        }
    assert {graded[r["uscc"]] for r in rows} == {AS_OF}
    assert sum(1 for day in graded.values() if day == AS_OF) == len({r["uscc"] for r in rows})


def test_unavailable_officer_is_replaced_on_exactly_their_visits(
    world: World, engine: Engine
) -> None:
    before = _doc(engine, 1)
    busy: dict[str, list[VisitDoc]] = {}
    for v in before.visits:
        if v.date == TOMORROW:
            for o in v.inspectors:
                busy.setdefault(o.id, []).append(v)
    officer = max(sorted(busy), key=lambda o: len(busy[o]))
    theirs = busy[officer]
    write_bundle(
        world.district / "inbox" / "sick",
        "availability.csv",
        [{"inspector_id": officer, "date": TOMORROW.isoformat(), "available": "0"}],
    )
    run = _replan(world, engine)
    assert run.filing is not None  # type: ignore[attr-defined]
    after = _doc(engine, 2)
    kept = [v for v in before.visits if any(_same(v, w) for w in after.visits)]
    assert sorted(v.code or "" for v in before.visits if v not in kept) == sorted(
        v.code or "" for v in theirs
    )
    assert len(after.visits) == len(before.visits)
    for v in theirs:
        ids = {t.demand_id for t in v.tasks}
        (w,) = [w for w in after.visits if {t.demand_id for t in w.tasks} == ids]
        assert w.date == v.date and w.code != v.code
        gone = {o.id for o in v.inspectors} - {o.id for o in w.inspectors}
        assert gone == {officer}
        came = [o for o in w.inspectors if o not in v.inspectors]
        assert len(came) == 1 and came[0].department == next(
            o.department for o in v.inspectors if o.id == officer
        )


def test_offsite_violation_brings_an_onsite_followup_within_its_window(
    world: World, engine: Engine
) -> None:
    with engine.connect() as conn:
        checks = conn.execute(
            select(OffsiteCheck.code, OffsiteCheck.item, OffsiteCheck.uscc)  # type: ignore[arg-type]
            .join(Item, Item.code == OffsiteCheck.item)  # type: ignore[arg-type]
            .where(Item.mode == "either", OffsiteCheck.code.is_not(None))  # type: ignore[union-attr]
            .order_by(OffsiteCheck.code)
        ).all()
    code, item, uscc = checks[0]
    write_bundle(
        world.district / "inbox" / "outcomes",
        "outcomes.csv",
        [{"code": code, "item": item, "result": "violation", "date": AS_OF.isoformat()}],
    )
    run = _replan(world, engine)
    fid = followup_id(code, item)
    assert run.followups is not None and run.followups.created == [fid]  # type: ignore[attr-defined]
    with session_scope(engine) as session:
        demand = session.get(Demand, fid)
        assert demand is not None
        assert (demand.source, demand.uscc, demand.item) == ("followup", uscc, item)
    closes = CAL.add_workdays(AS_OF, 10)
    after = _doc(engine, 2)
    (visit,) = [v for v in after.visits if fid in {t.demand_id for t in v.tasks}]
    assert visit.mode == "onsite" and visit.uscc == uscc and AS_OF <= visit.date <= closes


def test_inbox_files_bundles_under_done_and_failed(world: World, engine: Engine) -> None:
    rows = _complaints(engine, 0.001)
    inbox = world.district / "inbox"
    write_bundle(inbox / "good", "triggers.csv", rows)
    bad = [{**rows[0], "id": "C-BAD", "uscc": "not-a-uscc"}]
    write_bundle(inbox / "bad", "triggers.csv", bad)
    run = _replan(world, engine)
    outcome = {i.name: i for i in run.inbox}  # type: ignore[attr-defined]
    assert outcome["good"].imported and not outcome["bad"].imported
    assert outcome["good"].moved_to.parent.parent == inbox / "done"
    assert outcome["bad"].moved_to.parent.parent == inbox / "failed"
    report = (outcome["bad"].moved_to / "errors.txt").read_text(encoding="utf-8")
    assert "triggers.csv:2: uscc" in report
    assert not (inbox / "good").exists() and not (inbox / "bad").exists()


def test_a_crash_before_filing_leaves_the_filed_revision_and_the_next_run_recovers(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_bundle(world.district / "inbox" / "complaints", "triggers.csv", _complaints(engine, 0.01))

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("power cut while filing")

    monkeypatch.setattr("jointinspect.replanning.file_plan", crash)
    with pytest.raises(RuntimeError):
        _replan(world, engine)
    assert [(r.revision, r.status) for r in _revisions(engine)] == [(1, "filed"), (2, "draft")]
    before = _doc(engine, 1)
    assert all(v.code for v in before.visits)
    monkeypatch.undo()
    run = _replan(world, engine)
    assert run.filing is not None and run.filing.revision == 2  # type: ignore[attr-defined]
    assert [(r.revision, r.status) for r in _revisions(engine)] == [
        (1, "superseded"),
        (2, "filed"),
    ]


def test_replan_command_says_no_change(world: World) -> None:
    env = {
        "JOINTINSPECT_DB": world.url,
        "JOINTINSPECT_KEY_FILE": str(world.key_file),
        "JOINTINSPECT_INBOX_DIR": str(world.district / "inbox"),
    }
    result = CliRunner().invoke(
        app, ["replan", "--quarter", "2025Q4", "--as-of", AS_OF.isoformat()], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Replan of 2025Q4 as of 2025-11-03: no change; nothing filed."
    bad = CliRunner().invoke(app, ["replan", "--quarter", "2025Q4", "--as-of", "3 Nov"], env=env)
    assert bad.exit_code == 2 and "'3 Nov' is not a date YYYY-MM-DD" in bad.output


def _register_centres(engine: Engine) -> dict[str, list[float]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT town, lat, lon FROM enterprise")).all()
    town, lat, lon = zip(*rows, strict=True)
    return {t: [a, o] for t, (a, o) in town_centres(town, lat, lon).items()}


@pytest.mark.parametrize("kept", [True, False], ids=["centres kept", "made before 0006"])
def test_a_replan_plans_with_the_filed_revisions_town_centres(
    world: World, engine: Engine, kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Officers live where the filed plan put them (their town's centre): enterprises
    that move in the register after filing move no officer, and the replan does not read
    the register for the centres. A revision filed before centres were kept has none:
    the replan works them out from the register, as it did before, and keeps them."""
    filed = _revisions(engine)[0]
    assert filed.town_centres == _register_centres(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE enterprise SET lat = lat + 0.1 WHERE lat IS NOT NULL"))
        if not kept:
            conn.execute(text("UPDATE plan_revision SET town_centres = NULL"))
    moved = _register_centres(engine)
    assert moved != filed.town_centres
    if kept:

        def no_scan(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("the replan worked the town centres out from the register")

        monkeypatch.setattr(planning_inputs, "town_centres", no_scan)
    write_bundle(world.district / "inbox" / "complaints", "triggers.csv", _complaints(engine, 0.01))
    run = _replan(world, engine)
    assert run.filing is not None  # type: ignore[attr-defined]
    replanned = _revisions(engine)[-1]
    assert replanned.revision == 2
    assert replanned.town_centres == (filed.town_centres if kept else moved)
