"""Districts fanned out on Ray, on a local cluster of two CPUs and the real PostgreSQL:
a district's plan (and its nightly replan) is byte for byte the local engine's, a worker
that dies is retried with the same result, and a broken district is reported while the
others are filed."""

import csv
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import city_world as world
from helpers.pg_database import fresh_pg_database

from jointinspect.city import Fanout, plan_districts, replan_districts
from jointinspect.database import open_database
from jointinspect.exporting import export_plan
from jointinspect.filing import file_quarter
from jointinspect.options import Options

ray = pytest.importorskip("ray", reason="the Ray engine's tests need ray (the ray extra)")

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world.generate(tmp_path_factory.mktemp("city") / "city", 3)


@pytest.fixture
def options(tmp_path: Path) -> Options:
    return Options(config_dir=tmp_path / "config")


def _plan(url: str, options: Options, fanout: Fanout) -> list[str]:
    run = plan_districts(
        str(world.QUARTER), world.SEED, url=url, options=options, fanout=fanout, now=world.NOW
    )
    return [o.status for o in run.outcomes]


def _drafts(url: str, codes: list[str], folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    return {c: world.draft_json(url, c, folder / f"{c}.json") for c in codes}


def test_ray_plans_each_district_byte_for_byte_as_the_local_engine(
    cluster: None, pg_url: str, city: Path, options: Options, tmp_path: Path
) -> None:
    codes = world.build_city(pg_url, city, options)
    assert _plan(pg_url, options, Fanout(engine="local")) == ["done"] * 3
    local = _drafts(pg_url, codes, tmp_path / "local")
    assert _plan(pg_url, options, Fanout(engine="ray", redo=True)) == ["done"] * 3
    assert _drafts(pg_url, codes, tmp_path / "ray") == local
    assert len({len(d) for d in local.values()}) == 3  # three districts, three plans


def test_a_worker_killed_in_its_task_is_retried_and_plans_the_same(
    cluster: None, pg_url: str, city: Path, options: Options, tmp_path: Path
) -> None:
    codes = world.build_city(pg_url, city, options)
    assert _plan(pg_url, options, Fanout(engine="local")) == ["done"] * 3
    local = _drafts(pg_url, codes, tmp_path / "local")
    died = tmp_path / "died"
    died.mkdir()

    def die_once(district: str) -> None:
        # Runs in the worker: the first attempt at each district kills its worker process.
        marker = died / district
        if not marker.exists():
            marker.touch()
            os._exit(1)

    killing = Fanout(engine="ray", redo=True, max_retries=2, worker_setup=die_once)
    assert _plan(pg_url, options, killing) == ["done"] * 3
    assert sorted(p.name for p in died.iterdir()) == codes  # each worker died once
    assert _drafts(pg_url, codes, tmp_path / "ray") == local


def test_a_broken_district_is_reported_while_the_others_are_filed(
    cluster: None, pg_url: str, city: Path, options: Options, tmp_path: Path
) -> None:
    codes = world.build_city(pg_url, city, options)
    blocked = world.block_a_complaint(pg_url, codes[0], city, tmp_path)
    run = plan_districts(
        str(world.QUARTER),
        world.SEED,
        url=pg_url,
        options=options,
        fanout=Fanout(engine="ray"),
        now=world.NOW,
    )
    broken, *others = run.outcomes
    assert broken.status == "failed" and broken.district.code == codes[0]
    assert broken.detail.startswith(f"demand {blocked} cannot be placed")
    assert [o.status for o in others] == ["done", "done"]
    for outcome in others:
        engine = open_database(pg_url, district=outcome.district.code)
        try:
            filed = file_quarter(
                str(world.QUARTER), engine=engine, options=options, filed_by="test"
            )
        finally:
            engine.dispose()
        assert filed.revision == 1 and filed.codes_issued > 0
    world.unblock(pg_url, codes[0])
    rerun = _plan(pg_url, options, Fanout(engine="ray"))
    assert rerun == ["done", "skipped", "skipped"]  # only what did not finish


def test_a_district_whose_worker_dies_every_time_fails_alone(
    cluster: None, pg_url: str, city: Path, options: Options
) -> None:
    codes = world.build_city(pg_url, city, options)
    doomed = codes[1]

    def die_in(district: str) -> None:
        if district == doomed:
            os._exit(1)

    fanout = Fanout(engine="ray", max_retries=1, worker_setup=die_in)
    run = plan_districts(
        str(world.QUARTER), world.SEED, url=pg_url, options=options, fanout=fanout, now=world.NOW
    )
    assert [o.status for o in run.outcomes] == ["done", "failed", "done"]
    assert run.outcomes[1].detail.startswith("its worker died 2 times (WorkerCrashedError")


@pytest.fixture
def second_pg_url(pg_server: str) -> Iterator[str]:
    """Another fresh database on the test server, dropped afterwards."""
    with fresh_pg_database(pg_server) as url:
        yield url


def _filed_city_with_news(url: str, city: Path, options: Options, inbox: Path) -> list[str]:
    """The city planned and filed at ``url``, and a new complaint for each district but
    the last waiting in its folder of ``inbox``."""
    codes = world.build_city(url, city, options)
    assert _plan(url, options, Fanout(engine="local")) == ["done"] * 3
    for code in codes:
        engine = open_database(url, district=code)
        try:
            file_quarter(
                str(world.QUARTER), engine=engine, options=options, filed_by="test", now=world.NOW
            )
        finally:
            engine.dispose()
    for n, code in enumerate(codes[:-1]):
        with (city / code / "bundle" / "triggers.csv").open(encoding="utf-8") as handle:
            template = next(csv.DictReader(handle))
        bundle = inbox / code / "night-1"
        bundle.mkdir(parents=True)
        with (bundle / "triggers.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(template))
            writer.writeheader()
            writer.writerow(
                {
                    **template,
                    "id": f"T-RAY-{n}",
                    "kind": "complaint",
                    "received_at": "2025-07-14T09:00:00+08:00",
                }
            )
    return codes


def _replanned(url: str, codes: list[str], folder: Path) -> dict[str, bytes]:
    """Each district's latest filed revision as its JSON export."""
    folder.mkdir()
    out = {}
    for code in codes:
        engine = open_database(url, district=code)
        try:
            export_plan(str(world.QUARTER), engine=engine, fmt="json", out=folder / f"{code}.json")
        finally:
            engine.dispose()
        out[code] = (folder / f"{code}.json").read_bytes()
    return out


def test_ray_replans_each_district_byte_for_byte_as_the_local_engine(
    cluster: None, pg_url: str, second_pg_url: str, city: Path, tmp_path: Path
) -> None:
    """Two copies of a filed city (each district with the same key in both, so that
    their codes compare), with the same news in their districts' inboxes, replanned on
    each engine at the same moment."""
    keys = tmp_path / "keys"
    revisions = {}
    for engine_name, url in (("local", pg_url), ("ray", second_pg_url)):
        inbox = tmp_path / engine_name / "inbox"
        options = Options(config_dir=keys, inbox_dir=inbox)
        if engine_name == "ray":  # the first city's key files, named for the second
            first, second = (u.rsplit("/", 1)[1] for u in (pg_url, second_pg_url))
            for path in list(keys.iterdir()):
                shutil.copy(path, keys / path.name.replace(f"-{first}-", f"-{second}-"))
        codes = _filed_city_with_news(url, city, options, inbox)
        run = replan_districts(
            str(world.QUARTER),
            url=url,
            as_of=dt.date(2025, 7, 15),
            options=options,
            fanout=Fanout(engine=engine_name),
            now=world.NOW + dt.timedelta(days=25),
        )
        assert [o.status for o in run.outcomes] == ["done"] * 3, run.outcomes
        assert [o.detail.split(":")[0] for o in run.outcomes] == [
            "filed revision 2",
            "filed revision 2",
            "replan as of 2025-07-15",
        ]
        revisions[engine_name] = _replanned(url, codes, tmp_path / engine_name / "exports")
        assert sorted(p.name for p in inbox.glob("*/done/*/*")) == ["night-1"] * 2
    assert revisions["ray"] == revisions["local"]
