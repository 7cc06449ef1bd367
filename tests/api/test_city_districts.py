"""Districts as units of one database: a city's database holds several, each reached by
its area code with its own tables, key, lock and plan ids, and the codes it files name
it; a city-wide run on the local engine reports a broken district and goes on."""

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers import city_world as world
from sqlalchemy import text

from jointinspect.city import Fanout, NotACityError, grade_districts, plan_districts
from jointinspect.data.codes.key_registry import KeyMismatchError
from jointinspect.data.plans.lock import PlansBusyError, plans_lock
from jointinspect.database import (
    DistrictRequiredError,
    MixedDatabaseError,
    UnknownDistrictError,
    create_district,
    database_districts,
    database_schema,
    open_database,
    upgrade_database,
)
from jointinspect.districts import SharedKeyError, UnnamedDistrictError, init_district
from jointinspect.exporting import export_plan
from jointinspect.filing import file_quarter
from jointinspect.models import make_engine
from jointinspect.models.codes import parse_code
from jointinspect.models.districts import AreaCodeError, District
from jointinspect.options import Options, key_file_for, load_keys
from jointinspect.planning import plan_quarter
from jointinspect.replanning import replan_quarter
from jointinspect.verification import verify_code, verify_in_database


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world.generate(tmp_path_factory.mktemp("city") / "city", 3)


@pytest.fixture
def options(tmp_path: Path) -> Options:
    return Options(config_dir=tmp_path / "config")


def test_each_district_has_its_own_file_and_key_beside_the_city(
    tmp_path: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    first = init_district(url, "310120", options=options)
    init_district(url, "310104", options=options)
    assert first.district == District("310120", "奉贤区", "FX")
    assert first.keys.path == tmp_path / "ji.310120.key" and first.keys.created
    assert {p.name for p in tmp_path.glob("ji.*")} == {
        "ji.db",
        "ji.310104.db",
        "ji.310104.key",
        "ji.310120.db",
        "ji.310120.key",
    }
    assert [d.code for d in database_districts(url)] == ["310104", "310120"]
    again = init_district(url, "310120", options=options)  # a second init keeps its key
    assert not again.keys.created


def test_several_districts_and_none_named_is_an_error_listing_them(
    tmp_path: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    init_district(url, "310120", options=options)
    engine = open_database(url)  # the only district
    assert engine.url.database == str(tmp_path / "ji.310120.db")
    engine.dispose()
    init_district(url, "310104", options=options)
    with pytest.raises(DistrictRequiredError) as error:
        open_database(url)
    assert str(error.value) == (
        "the database holds 2 districts (310104 徐汇区, 310120 奉贤区): say which"
    )
    assert error.value.hint == (
        "give --district CODE, or --all-districts where the command takes it"
    )
    with pytest.raises(UnknownDistrictError, match="no district 310101; it holds 310104"):
        open_database(url, district="310101")
    with pytest.raises(AreaCodeError, match="'FX' is not a district's area code"):
        open_database(url, district="FX")


def test_a_district_is_not_added_beside_an_unnamed_district(
    tmp_path: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    open_database(url, create=True).dispose()
    with pytest.raises(MixedDatabaseError, match="holds the tables of an unnamed district"):
        init_district(url, "310120", options=options)
    with pytest.raises(UnknownDistrictError, match="holds no districts"):
        open_database(url, district="310120")
    with pytest.raises(UnnamedDistrictError, match="310999 is not one of Shanghai's"):
        init_district(f"sqlite:///{tmp_path / 'other.db'}", "310999", options=options)
    named = init_district(
        f"sqlite:///{tmp_path / 'other.db'}", "310999", options=options, name="测试区"
    )
    assert named.district == District("310999", "测试区", "310999")


@pytest.mark.slow
def test_codes_name_their_district_and_verify_only_there(
    tmp_path: Path, city: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    codes = world.build_city(url, city, options)[:2]
    issued: dict[str, str] = {}
    for code in codes:
        engine = open_database(url, district=code)
        run = plan_quarter(str(world.QUARTER), world.SEED, engine=engine, options=options)
        assert run.stored.plan_id == {"310101": "HP", "310104": "XH"}[code] + "-2025Q3"
        file_quarter(str(world.QUARTER), engine=engine, options=options, filed_by="test")
        out = export_plan(
            str(world.QUARTER), engine=engine, fmt="json", out=tmp_path / f"{code}.json"
        )
        issued[code] = json.loads(out.paths[0].read_text(encoding="utf-8"))["visits"][0]["code"]
        engine.dispose()
    for code, inspection in issued.items():
        assert len(inspection.replace("-", "")) == 24 and parse_code(inspection).district == code
        answer = verify_in_database(inspection, url=url, options=options)
        assert answer.status == "valid"
        assert answer.to_json()["district"] == {
            "code": code,
            "name": {"310101": "黄浦区", "310104": "徐汇区"}[code],
        }
    # In the other district's database, a code is not checked, and not called forged.
    engine = open_database(url, district="310104")
    foreign = verify_code(issued["310101"], engine=engine, keys=load_keys(options, engine))
    engine.dispose()
    assert foreign.status == "unknown"
    assert foreign.message == (
        "this code names district 310101; this is district 310104 徐汇区's database: "
        "verify it there"
    )


def test_one_districts_key_is_not_anothers(tmp_path: Path, options: Options) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    init_district(url, "310120", options=options)
    init_district(url, "310104", options=options)
    fengxian = open_database(url, district="310120")
    xuhui = open_database(url, district="310104")
    try:
        wrong = Options(key_file=key_file_for(options, fengxian))
        with pytest.raises(KeyMismatchError, match="is not the key of this database"):
            load_keys(wrong, xuhui)
        assert all(k.district == "310120" for k in load_keys(options, fengxian).keys)
    finally:
        fengxian.dispose()
        xuhui.dispose()


@pytest.mark.slow
def test_a_key_setting_left_at_one_districts_key_is_refused_for_another(
    tmp_path: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    fengxian = init_district(url, "310120", options=options)
    assert fengxian.keys.path is not None
    left = Options(key_file=fengxian.keys.path)
    with pytest.raises(SharedKeyError) as error:
        init_district(url, "310104", options=left)
    assert str(error.value) == (
        f"the key file {fengxian.keys.path} holds a key of district 310120 奉贤区: "
        "each district has its own"
    )
    assert init_district(url, "310104", options=options).keys.created  # its own, then


def test_a_broken_district_is_reported_and_a_rerun_takes_up_only_it(
    tmp_path: Path, city: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    codes = world.build_city(url, city, options)
    blocked = world.block_a_complaint(url, codes[1], city, tmp_path)
    seen: list[str] = []
    run = plan_districts(
        str(world.QUARTER),
        world.SEED,
        url=url,
        options=options,
        now=world.NOW,
        progress=seen.append,
    )
    assert [o.status for o in run.outcomes] == ["done", "failed", "done"]
    broken = run.outcomes[1]
    assert broken.detail.startswith(f"demand {blocked} cannot be placed and must not be dropped")
    assert broken.hint and "free officers of that department" in broken.hint
    assert seen[1].startswith(f"{codes[1]} 徐汇区: failed — demand {blocked} cannot be placed")
    assert all(o.peak_mib and o.peak_mib > 0 for o in run.outcomes)
    drafts = {c: world.draft_json(url, c, tmp_path / f"{c}.json") for c in (codes[0], codes[2])}

    world.unblock(url, codes[1])
    again = plan_districts(str(world.QUARTER), world.SEED, url=url, options=options, now=world.NOW)
    assert [o.status for o in again.outcomes] == ["skipped", "done", "skipped"]
    assert again.outcomes[0].detail.startswith("done by this run at ")
    for code, draft in drafts.items():  # untouched: still revision 1, as written first
        assert world.draft_json(url, code, tmp_path / f"{code}-again.json") == draft
    redone = plan_districts(
        str(world.QUARTER),
        world.SEED,
        url=url,
        options=options,
        now=world.NOW,
        fanout=Fanout(redo=True),
    )
    assert [o.status for o in redone.outcomes] == ["done"] * 3


@pytest.mark.slow
def test_a_district_whose_lock_is_held_fails_alone(
    tmp_path: Path, city: Path, options: Options
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    codes = world.build_city(url, city, options)
    busy = open_database(url, district=codes[0])
    hurried = Options(config_dir=options.config_dir, lock_timeout=0.2)
    try:
        with plans_lock(busy, timeout=1):
            run = grade_districts(url=url, as_of=world.QUARTER.first_day, options=hurried)
    finally:
        busy.dispose()
    assert [o.status for o in run.outcomes] == ["failed", "done", "done"]
    assert run.outcomes[0].detail.startswith("another plan, file, replan or discard is running")
    assert "300 grades" in run.outcomes[1].detail


def test_a_city_wide_run_needs_a_city(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    open_database(url, create=True).dispose()
    with pytest.raises(NotACityError, match="holds no districts: it is not a city's database"):
        grade_districts(url=url, as_of=dt.date(2025, 6, 30))


@pytest.mark.postgres
def test_on_postgresql_each_district_is_a_schema_with_its_own_revision_and_lock(
    pg_url: str, tmp_path: Path
) -> None:
    options = Options(config_dir=tmp_path)
    for code in ("310120", "310104"):
        init_district(pg_url, code, options=options)
    root = make_engine(pg_url)
    try:
        with root.connect() as conn:
            schemas = conn.execute(
                text("SELECT schema_name FROM information_schema.schemata ORDER BY 1")
            ).scalars()
            assert {"d310104", "d310120"} <= set(schemas)
            versions = [
                conn.execute(text(f"SELECT version_num FROM {s}.alembic_version")).scalar()
                for s in ("d310104", "d310120")
            ]
            public = conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ).scalars()
            assert set(public) == {"city_district", "city_run"}
    finally:
        root.dispose()
    assert versions[0] == versions[1] == database_schema(pg_url, district="310120").head
    assert upgrade_database(pg_url, district="310104").changed is False
    fengxian = create_district(pg_url, District("310120", "奉贤区", "FX"))  # opens it again
    assert key_file_for(options, fengxian) == (
        tmp_path / f"127.0.0.1-5432-{pg_url.rsplit('/', 1)[1]}-310120.key"
    )
    xuhui = open_database(pg_url, district="310104")
    try:
        with plans_lock(fengxian, timeout=1):
            with plans_lock(xuhui, timeout=1):  # another district: not held up
                pass
            other = open_database(pg_url, district="310120")
            try:
                with pytest.raises(PlansBusyError), plans_lock(other, timeout=0.2):
                    pass
            finally:
                other.dispose()
    finally:
        fengxian.dispose()
        xuhui.dispose()


@pytest.mark.postgres
def test_a_district_on_postgresql_replans_with_news_and_shares_the_rows_it_keeps(
    pg_url: str, city: Path, tmp_path: Path
) -> None:
    """A replan regrades the enterprises with news through a temporary table, which a
    district's schema must not capture (PostgreSQL refuses a temporary table there)."""
    options = Options(config_dir=tmp_path / "config", inbox_dir=tmp_path / "inbox")
    code = world.build_city(pg_url, city, options)[0]
    engine = open_database(pg_url, district=code)
    try:
        plan_quarter(str(world.QUARTER), world.SEED, engine=engine, options=options)
        file_quarter(str(world.QUARTER), engine=engine, options=options, filed_by="test")
        out = export_plan(str(world.QUARTER), engine=engine, fmt="json", out=tmp_path / "r1.json")
        visit = json.loads(out.paths[0].read_text(encoding="utf-8"))["visits"][-1]
        night = tmp_path / "inbox" / code / "night-1"  # the district's own folder
        night.mkdir(parents=True)
        task = visit["tasks"][0]
        (night / "triggers.csv").write_text(
            "id,uscc,kind,received_at,department,item,severity\n"
            f"C-PG-1,{visit['uscc']},complaint,2025-08-04T09:00:00+08:00,"
            f"{task['department']},{task['item']},2\n",
            encoding="utf-8",
        )
        run = replan_quarter(
            str(world.QUARTER),
            options=options,
            engine=engine,
            as_of=dt.date(2025, 8, 4),
            now=dt.datetime(2025, 8, 4, 1, tzinfo=dt.UTC),
        )
        with engine.connect() as conn:
            shared = conn.execute(
                text(
                    "SELECT count(*) FROM revision_visit m JOIN visit v ON v.id = m.visit_id "
                    "JOIN plan_revision r ON r.id = m.revision_id "
                    "WHERE r.revision = 2 AND v.revision_id != r.id"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert run.regraded and run.filing is not None and run.filing.revision == 2
    assert shared > 0
