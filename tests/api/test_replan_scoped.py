"""A night's replan of the enterprises with news, against the rest of the filed revision
(``jointinspect.replanning_part``), stores and files exactly what a replan of the whole
district does: every table row for row (ids included), every document, code and what
verifying it says. And where something else changed since the filed revision was
planned, the replan replans the whole district and says why."""

import datetime as dt
import hashlib
import shutil
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.replan_world import (
    AS_OF,
    QUARTER,
    World,
    build_filed_world,
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

import jointinspect.replanning_part as replanning_part
from jointinspect.data.codes.filing import HardRuleViolationError
from jointinspect.data.grading.tables import grade_rows_in_words, load_grade, write_grades
from jointinspect.data.plans.replan_part import filed_demands
from jointinspect.data.plans.replan_store import is_drawn_id
from jointinspect.data.synthetic.district import generate_district
from jointinspect.models import make_engine
from jointinspect.replanning import ReplanRun, replan_quarter
from jointinspect.scheduler.replan import ReplanOutcome
from jointinspect.scheduler.replan_scope import Background

NOW = dt.datetime(2025, 11, 3, 1, tzinfo=dt.UTC)


def _complaints(world: World, night: int, share: int, received: str) -> None:
    """Complaints for one in ``share`` of the planned enterprises (a different choice each
    night) dropped into the inbox."""
    first: dict[str, tuple[str, str]] = {}
    for uscc, dept, item in planned_tasks(world):
        first.setdefault(uscc, (dept, item))
    chosen = sorted(first, key=lambda u: hashlib.sha256(f"{night}{u}".encode()).hexdigest())
    write_complaints(
        world,
        f"night-{night}",
        chosen[: max(1, len(chosen) // share)],
        first,
        received,
        prefix=f"C-{night}-",
    )


def _replan(world: World, as_of: dt.date, *, whole: bool) -> ReplanRun:
    return replan_world(
        world, as_of, dt.datetime.combine(as_of, dt.time(1), tzinfo=dt.UTC), whole=whole
    )


def _worlds(template: World, tmp_path: Path) -> tuple[World, World]:
    made = []
    for name in ("part", "whole"):
        folder = tmp_path / name
        folder.mkdir()
        made.append(copy_world(template, folder, district=folder))
    return made[0], made[1]


@pytest.mark.parametrize(
    "nights",
    [
        pytest.param([(20, "2025-11-03T09:00:00+08:00")], id="complaints"),
        pytest.param([(200, "2025-11-03T09:00:00+08:00")], id="a-few-complaints"),
        pytest.param(
            [(20, "2025-11-03T09:00:00+08:00"), (10, "2025-11-04T08:00:00+08:00")],
            id="two-nights",
        ),
    ],
)
def test_the_part_files_what_the_whole_district_files(
    filed_template: World, tmp_path: Path, nights: list[tuple[int, str]]
) -> None:
    part, whole = _worlds(filed_template, tmp_path)
    for night, (share, received) in enumerate(nights):
        as_of = AS_OF + dt.timedelta(days=night)
        runs = []
        for world, everything in ((part, False), (whole, True)):
            _complaints(world, night, share, received)
            runs.append(_replan(world, as_of, whole=everything))
        scoped, full = runs
        assert scoped.filing is not None and full.filing is not None
        # The part was replanned on its own, and it was a small part.
        assert scoped.scope is not None and full.scope is None
        assert 0 < scoped.scope < len({u for u, _, _ in planned_tasks(part)}) // 2
        assert scoped.diff == full.diff
    assert table_digests(part) == table_digests(whole)
    assert what_is_filed(part) == what_is_filed(whole)


@pytest.fixture(scope="module")
def two_town_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A filed district whose plan sends an officer on to a second town on a day: the
    ``every`` profile at 3,000 enterprises gives the 市场监管局 five officers for 71
    complaints across eight towns, and one complaint has no other place."""
    folder = tmp_path_factory.mktemp("two-towns")
    district = folder / "district"
    generate_district(district, enterprises=3000, seed="shape", quarter=QUARTER, profile="every")
    return build_filed_world(folder, f"sqlite:///{folder / 'world.db'}", district=district)


def _officer_days_in_two_towns(world: World) -> int:
    with sqlite3.connect(world.url.removeprefix("sqlite:///")) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM (SELECT o.inspector_id, v.date FROM visit v "
            "JOIN visit_officer o ON o.visit_id = v.id GROUP BY 1, 2 "
            "HAVING count(DISTINCT v.town) > 1)"
        ).fetchone()
    return int(count)


def _after_the_holiday(
    template: World, tmp_path: Path, share: int
) -> tuple[World, World, ReplanRun, ReplanRun]:
    """Copies of ``template`` replanned on the first working day after the National Day
    holiday with complaints for one in ``share`` of the planned enterprises: one
    replanning the part with news, one the whole district; both filed."""
    part, whole = _worlds(template, tmp_path)
    runs = []
    for world, everything in ((part, False), (whole, True)):
        _complaints(world, 0, share, "2025-10-09T09:00:00+08:00")
        runs.append(_replan(world, dt.date(2025, 10, 9), whole=everything))
    scoped, full = runs
    assert scoped.filing is not None and full.filing is not None
    return part, whole, scoped, full


def test_a_plan_with_officers_in_two_towns_replans_its_part_as_the_whole(
    two_town_template: World, tmp_path: Path
) -> None:
    """The rest of such a plan is read as the whole district's replan reads it (the
    officer-day in its first town), and with one complaint in 200 the part alone is
    replanned: it files what the whole district files."""
    assert _officer_days_in_two_towns(two_town_template) >= 1
    part, whole, scoped, full = _after_the_holiday(two_town_template, tmp_path, 200)
    assert scoped.scope is not None and full.scope is None
    assert scoped.diff == full.diff
    assert table_digests(part) == table_digests(whole)
    assert what_is_filed(part) == what_is_filed(whole)


def test_a_complaint_the_part_has_no_room_for_replans_the_whole_district(
    two_town_template: World, tmp_path: Path
) -> None:
    """Of one complaint in 25, some find the 市场监管局's officers fully booked in their
    windows, partly by routine visits: the part cannot weigh the rest's visits, so the
    whole district is replanned, where routine visits make way. The night's replan had
    stopped (rule 8)."""
    part, whole, scoped, full = _after_the_holiday(two_town_template, tmp_path, 25)
    assert scoped.scope is None and scoped.whole_because is not None
    assert "must not be dropped" in scoped.whole_because
    assert scoped.diff == full.diff
    assert any(
        "made way for" in reason
        for kind in ("moved", "restaffed", "retasked", "cancelled")
        for change in full.diff[kind]
        for reason in change.get("reasons", ())
    )
    assert table_digests(part) == table_digests(whole)


def test_a_change_besides_news_replans_the_whole_district(
    filed_template: World, tmp_path: Path
) -> None:
    """An officer off sick (an import of availability) and a grading run are not news:
    the replan after either replans every enterprise, says why, and files what --whole
    does."""
    part, whole = _worlds(filed_template, tmp_path)
    for world in (part, whole):
        _complaints(world, 0, 20, "2025-11-03T09:00:00+08:00")
        busy = busiest_officer_day(world, AS_OF + dt.timedelta(days=3))
        write_bundle(
            world.district / "inbox" / "sick",
            "availability.csv",
            [{"inspector_id": busy[0], "date": busy[1], "available": "0"}],
        )
    said: list[str] = []
    engine = make_engine(part.url)
    try:
        run = replan_quarter(
            str(QUARTER),
            options=part.settings(inbox_dir=part.district / "inbox").options(),
            engine=engine,
            as_of=AS_OF,
            now=NOW,
            progress=said.append,
        )
    finally:
        engine.dispose()
    _replan(whole, AS_OF, whole=True)
    assert run.scope is None and run.filing is not None
    assert any("whole district" in s and "availability.csv" in s for s in said), said
    assert table_digests(part) == table_digests(whole)
    # A grading run between two nights: the next night replans the whole district too.
    for world in (part, whole):
        engine = make_engine(world.url)
        try:
            with engine.connect() as conn:
                uscc = conn.execute(
                    text("SELECT uscc FROM enterprise_grade ORDER BY uscc LIMIT 1")
                ).scalar_one()
            g = load_grade(engine=engine, uscc=uscc)
            assert g is not None
            again = [(g.uscc, g.credit, g.risk, g.grade, g.reasons)]
            write_grades(engine=engine, as_of=AS_OF, grades=grade_rows_in_words(again))
        finally:
            engine.dispose()
        _complaints(world, 1, 20, "2025-11-04T08:00:00+08:00")
    again = _replan(part, AS_OF + dt.timedelta(days=1), whole=False)
    _replan(whole, AS_OF + dt.timedelta(days=1), whole=True)
    assert again.scope is None
    assert table_digests(part) == table_digests(whole)


def test_a_planning_file_sent_again_as_it_was_is_no_change(
    filed_template: World, tmp_path: Path
) -> None:
    """A department that sends its unchanged inspectors and availability each night with
    the complaints: nothing the plan reads changed, so only the part with news is
    replanned, and the revision is the one --whole files."""
    part, whole = _worlds(filed_template, tmp_path)
    for world in (part, whole):
        _complaints(world, 0, 20, "2025-11-03T09:00:00+08:00")
        resent = world.district / "inbox" / "resent"
        resent.mkdir(parents=True)
        for name in ("inspectors.csv", "availability.csv"):
            shutil.copyfile(filed_template.district / "bundle" / name, resent / name)
    scoped = _replan(part, AS_OF, whole=False)
    _replan(whole, AS_OF, whole=True)
    assert scoped.whole_because is None and scoped.scope is not None
    assert sum(item.imported for item in scoped.inbox) == 2
    assert table_digests(part) == table_digests(whole)


def test_the_check_of_a_part_sees_the_rest_of_an_officers_day(
    filed_template: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 3 (an officer's visits of a day in distinct slots) across the part and the
    rest: a part's visit given the slot of a visit the rest keeps that officer-day is
    refused at filing, and the filed revision stays."""
    world, _ = _worlds(filed_template, tmp_path)
    _complaints(world, 0, 20, "2025-11-03T09:00:00+08:00")
    real = replanning_part.replan
    clashed: list[str] = []

    def clashing(*args: Any, **kwargs: Any) -> ReplanOutcome:
        out = real(*args, **kwargs)
        background: Background = kwargs["background"]
        visits = list(out.result.visits)
        for i, v in enumerate(visits):
            kept = [background.days.get((o.id, v.date)) for o in v.inspectors]
            top = next((day[2] for day in kept if day is not None), None)
            if top is not None and v.date > AS_OF and not clashed:
                visits[i] = replace(v, order=top)
                clashed.append(v.key)
        return replace(out, result=replace(out.result, visits=tuple(visits)))

    monkeypatch.setattr(replanning_part, "replan", clashing)
    before = table_digests(world)
    with pytest.raises(HardRuleViolationError, match=r"rule 3: officer .* two visits in one slot"):
        _replan(world, AS_OF, whole=False)
    assert clashed  # the part had a visit on an officer-day the rest keeps
    after = table_digests(world)
    assert after["inspection_code"] == before["inspection_code"]


def test_what_a_revision_holds_of_the_tables_leaves_out_only_the_draws(
    filed_template: World, tmp_path: Path
) -> None:
    """The news are the tables' demands a revision does not hold: ``filed_demands``
    leaves the revision's drawn demands out in SQL, except one a table holds after all
    (a row made by hand with a drawn demand's id), which a replan must not take for
    news."""
    world = copy_world(filed_template, tmp_path)
    engine = make_engine(world.url)
    held_sql = (
        "SELECT t.demand_id, v.uscc FROM visit_task t "
        "JOIN revision_visit m ON m.visit_id = t.visit_id JOIN visit v ON v.id = t.visit_id "
        "WHERE m.revision_id = :r UNION ALL SELECT c.demand_id, c.uscc FROM offsite_check c "
        "JOIN revision_offsite mc ON mc.offsite_id = c.id WHERE mc.revision_id = :r "
        "UNION ALL SELECT demand_id, uscc FROM unscheduled_demand WHERE revision_id = :r"
    )
    with engine.begin() as conn:
        revision = conn.execute(text("SELECT max(id) FROM plan_revision")).scalar_one()
        held = {d: u for d, u in conn.execute(text(held_sql), {"r": revision})}
        drawn = sorted(d for d in held if is_drawn_id(d))
        assert drawn and len(drawn) < len(held)
        # A table row under a drawn demand's id (what the importer refuses to make).
        made_by_hand = drawn[0]
        conn.execute(
            text(
                "INSERT INTO demand (id, department, item, uscc, source, priority, "
                "onsite_required) SELECT :id, department, item, uscc, source, priority, "
                "onsite_required FROM demand LIMIT 1"
            ),
            {"id": made_by_hand},
        )
    with engine.connect() as conn:
        got = filed_demands(conn, revision)
    engine.dispose()
    assert got == {d: u for d, u in held.items() if not is_drawn_id(d) or d == made_by_hand}


def test_the_rest_s_coming_visits_are_read_while_the_news_is(
    filed_template: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rest's coming visits are the filed revision's, known before the news: their
    read (a thread of its own) starts before the news is found and the regrade made, and
    the replan of the part takes what it read — where it had waited for them."""
    import jointinspect.data.plans.replan_part as replan_part_data
    import jointinspect.replanning as replanning

    world = copy_world(filed_template, tmp_path, district=tmp_path)
    _complaints(world, 1, 10, "2025-11-02T09:00:00+08:00")
    started = threading.Event()
    reads: list[frozenset[str]] = []
    read_coming = replan_part_data.read_coming_visits

    def reading(conn: Any, revision_id: int, scope: Any, as_of: dt.date) -> Any:
        reads.append(frozenset(scope))
        started.set()
        return read_coming(conn, revision_id, scope, as_of)

    finding = replanning.news_since

    def news_after_the_read(**kwargs: Any) -> Any:
        # Waits for the read: never set when the part reads them itself, later.
        assert started.wait(timeout=20), "the coming visits were not being read yet"
        return finding(**kwargs)

    monkeypatch.setattr(replan_part_data, "read_coming_visits", reading)
    monkeypatch.setattr(replanning, "news_since", news_after_the_read)
    run = _replan(world, AS_OF, whole=False)
    assert run.scope is not None and run.filing is not None  # a part, replanned and filed
    assert reads == [frozenset()]  # once, before the scope was known
