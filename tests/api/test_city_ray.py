"""Districts fanned out on Ray, on a local cluster of two CPUs and the real PostgreSQL:
a district's plan is byte for byte the local engine's, a worker that dies is retried
with the same result, and a broken district is reported while the others are filed."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import city_world as world

from jointinspect.city import Fanout, plan_districts
from jointinspect.database import open_database
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
