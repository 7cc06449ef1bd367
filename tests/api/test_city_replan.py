"""Replanning a city: every district replanned and filed on its own, a new complaint in one
district changing that district alone; the nightly daemon of a city does the same and
delivers each district's new revision."""

import csv
import datetime as dt
import logging
from pathlib import Path

import pytest
from helpers import city_world as world
from sqlalchemy import text
from typer.testing import CliRunner

from jointinspect.city import Fanout, plan_districts, replan_districts
from jointinspect.cli import daemon
from jointinspect.cli.app import app
from jointinspect.cli.settings import Settings, load_settings
from jointinspect.database import open_city, open_database
from jointinspect.filing import file_quarter
from jointinspect.importing import import_bundle
from jointinspect.options import Options
from jointinspect.replanning import replan_quarter

pytestmark = pytest.mark.slow

AS_OF = dt.date(2025, 7, 15)
#: The three districts' area codes, as ``world.generate`` names them.
CODES = ["310101", "310104", "310105"]


@pytest.fixture
def filed_city(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A 3-district city with each district's plan filed: its URL and generated city."""
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
    return url, city


@pytest.fixture
def city_url(filed_city: tuple[str, Path], tmp_path: Path) -> str:
    """The filed city with a new complaint imported into its second district."""
    url, city = filed_city
    code = CODES[1]
    _complaint(city / code / "bundle", tmp_path / "complaint")
    engine = open_database(url, district=code)
    try:
        import_bundle(tmp_path / "complaint", engine=engine)
    finally:
        engine.dispose()
    return url


def _complaint(bundle: Path, folder: Path) -> None:
    """A bundle in ``folder`` of a new 12345 complaint in the district of ``bundle``,
    about an enterprise and an item a trigger of that bundle names."""
    with (bundle / "triggers.csv").open(encoding="utf-8") as handle:
        template = next(csv.DictReader(handle))
    folder.mkdir(parents=True)
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
    _night(load_settings(db=city_url, replan_as_of=AS_OF, daemon_export_dir=exports), caplog)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("310101 黄浦区: replan 2025Q3 as of 2025-07-15: no change")
    assert lines[1].startswith("310104 徐汇区: replan 2025Q3 as of 2025-07-15: filed revision 2")
    assert sorted(p.name for p in exports.iterdir()) == ["XH-2025Q3-r2.json"]


def _night(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """The city daemon's nightly run with ``settings``, its log in ``caplog``."""
    engine = open_city(settings.db)
    try:
        daemon._RUNTIME = daemon._Runtime(settings, engine, Fanout())
        with caplog.at_level(logging.INFO, logger="jointinspect.daemon"):
            daemon.nightly_replan()
    finally:
        daemon._RUNTIME = None
        engine.dispose()


def _triggers(url: str, code: str) -> set[str]:
    engine = open_database(url, district=code)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text('SELECT id FROM "trigger"')).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def city_inbox(filed_city: tuple[str, Path], tmp_path: Path) -> tuple[str, Path]:
    """The filed city's URL and its inbox: a complaint in the second district's folder,
    and a bundle at the top, where no district takes it."""
    url, city = filed_city
    inbox = tmp_path / "inbox"
    _complaint(city / CODES[1] / "bundle", inbox / CODES[1] / "complaint")
    _complaint(city / CODES[2] / "bundle", inbox / "stray")
    return url, inbox


def test_each_district_takes_its_own_folder_of_a_city_inbox(
    city_inbox: tuple[str, Path],
) -> None:
    url, inbox = city_inbox
    said: list[str] = []
    run = replan_districts(
        str(world.QUARTER),
        url=url,
        as_of=AS_OF,
        options=Options(inbox_dir=inbox),
        fanout=Fanout(),
        progress=said.append,
    )
    assert [o.status for o in run.outcomes] == ["done"] * 3
    details = [o.detail for o in run.outcomes]
    assert details[0] == details[2] == f"replan as of {AS_OF}: no change"
    assert details[1].startswith("filed revision 2: ")
    # The complaint went into its own district only, and its bundle under that
    # district's done/; the stray bundle stayed where it was, and the run said so.
    assert "T-CITY-1" in _triggers(url, CODES[1])
    assert "T-CITY-1" not in _triggers(url, CODES[0]) | _triggers(url, CODES[2])
    assert [p.name for p in (inbox / CODES[1] / "done").glob("*/*")] == ["complaint"]
    assert (inbox / "stray" / "triggers.csv").exists()
    assert sorted(p.name for p in inbox.iterdir()) == [CODES[1], "stray"]
    assert len(run.notes) == 1 and "1 bundle(s) at the top of" in run.notes[0]
    assert "(stray)" in run.notes[0] and run.notes[0] in said


def test_one_district_of_a_city_takes_its_folder_and_warns_of_misplaced_bundles(
    city_inbox: tuple[str, Path],
) -> None:
    url, inbox = city_inbox
    engine = open_database(url, district=CODES[1])
    try:
        run = replan_quarter(
            str(world.QUARTER), options=Options(inbox_dir=inbox), engine=engine, as_of=AS_OF
        )
    finally:
        engine.dispose()
    assert [(i.name, i.imported) for i in run.inbox] == [("complaint", True)]
    assert run.filing is not None
    assert run.misplaced == ["stray"]
    assert (inbox / "stray" / "triggers.csv").exists()


def test_the_replan_command_warns_of_bundles_no_district_takes(
    city_inbox: tuple[str, Path],
) -> None:
    url, inbox = city_inbox
    env = {"JOINTINSPECT_DB": url, "JOINTINSPECT_INBOX_DIR": str(inbox)}
    args = ["replan", "--quarter", str(world.QUARTER), "--as-of", AS_OF.isoformat()]
    runner = CliRunner()
    for where in (["--all-districts"], ["--district", CODES[1]]):
        result = runner.invoke(app, [*args, *where], env=env)
        assert result.exit_code == 0, result.output
        said = " ".join(result.output.split())
        assert f"Warning: inbox: 1 bundle(s) at the top of {inbox} (stray)" in said, where
        assert f"move each into its district's ({inbox / '310120'}/ for 310120)" in said
    assert (inbox / "stray" / "triggers.csv").exists()


def test_the_city_daemon_takes_each_districts_folder_and_logs_the_misplaced(
    city_inbox: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    url, inbox = city_inbox
    _night(load_settings(db=url, replan_as_of=AS_OF, inbox_dir=inbox), caplog)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "taken by no district" in warnings[0], warnings
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos[1].startswith(f"{CODES[1]} 徐汇区: replan 2025Q3 as of {AS_OF}: filed revision 2")
    assert "inbox 1 bundle(s) imported" in infos[1]
    assert "T-CITY-1" in _triggers(url, CODES[1])
