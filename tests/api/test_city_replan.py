"""Replanning a city: every district replanned and filed on its own, a new complaint in one
district changing that district alone; the nightly daemon of a city does the same and
delivers each district's new revision."""

import csv
import datetime as dt
import logging
from pathlib import Path

import pytest
from helpers import city_world as world

from jointinspect.city import Fanout, plan_districts, replan_districts
from jointinspect.cli import daemon
from jointinspect.cli.settings import load_settings
from jointinspect.database import open_city, open_database
from jointinspect.filing import file_quarter
from jointinspect.importing import import_bundle
from jointinspect.options import Options

pytestmark = pytest.mark.slow

AS_OF = dt.date(2025, 7, 15)


@pytest.fixture
def city_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 3-district city with each district's plan filed."""
    city = world.generate(tmp_path_factory.mktemp("city") / "city", 3)
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    codes = world.build_city(url, city, Options())
    run = plan_districts(str(world.QUARTER), world.SEED, url=url, now=world.NOW)
    assert [o.status for o in run.outcomes] == ["done"] * 3
    for code in codes:
        engine = open_database(url, district=code)
        try:
            file_quarter(str(world.QUARTER), engine=engine, filed_by="test", now=world.NOW)
        finally:
            engine.dispose()
    _complain(url, codes[1], city / codes[1] / "bundle", tmp_path / "complaint")
    return url


def _complain(url: str, code: str, bundle: Path, folder: Path) -> None:
    """A new 12345 complaint in district ``code``, about an enterprise and an item a
    trigger of its bundle names."""
    with (bundle / "triggers.csv").open(encoding="utf-8") as handle:
        template = next(csv.DictReader(handle))
    folder.mkdir()
    with (folder / "triggers.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template))
        writer.writeheader()
        writer.writerow(
            {
                **template,
                "id": "T-CITY-1",
                "kind": "complaint",
                "received_at": "2025-07-14T09:00:00+08:00",
                "detail": "12345 投诉",
            }
        )
    engine = open_database(url, district=code)
    try:
        import_bundle(folder, engine=engine)
    finally:
        engine.dispose()


def test_a_complaint_in_one_district_replans_that_district_alone(city_url: str) -> None:
    run = replan_districts(str(world.QUARTER), url=city_url, as_of=AS_OF, fanout=Fanout())
    details = [o.detail for o in run.outcomes]
    assert [o.status for o in run.outcomes] == ["done"] * 3
    assert details[0] == details[2] == f"replan as of {AS_OF}: no change"
    assert details[1].startswith("filed revision 2: ")
    assert run.outcomes[1].replanned is not None
    assert run.outcomes[1].replanned.filing is not None


def test_the_nightly_daemon_of_a_city_replans_and_delivers_each_district(
    city_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    exports = tmp_path / "exports"
    settings = load_settings(db=city_url, replan_as_of=AS_OF, daemon_export_dir=exports)
    engine = open_city(city_url)
    try:
        daemon._RUNTIME = daemon._Runtime(settings, engine, Fanout())
        with caplog.at_level(logging.INFO, logger="jointinspect.daemon"):
            daemon.nightly_replan()
    finally:
        daemon._RUNTIME = None
        engine.dispose()
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("310101 黄浦区: replan 2025Q3 as of 2025-07-15: no change")
    assert lines[1].startswith("310104 徐汇区: replan 2025Q3 as of 2025-07-15: filed revision 2")
    assert sorted(p.name for p in exports.iterdir()) == ["XH-2025Q3-r2.json"]
