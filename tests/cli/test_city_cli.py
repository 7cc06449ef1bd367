"""The command line of a city's database: ``init --district``, ``--district`` and its
error listing the districts, ``--all-districts`` with a broken district, ``verify`` naming
the district, ``generate --city``, ``db upgrade/current --all-districts`` and ``push
--district``."""

import csv
import itertools
import json
import re
import shlex
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from fixtures.schema import SHORT_NAME_REVISION, code_with_revision
from helpers import city_world as world
from helpers.city_web_world import CityWebWorld, build_city_web
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.models import migrations
from jointinspect.options import Options

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


#: A progress line on stderr: ``[  12.3s] …``.
PROGRESS = re.compile(r"\[ *\d+\.\ds\] (.*)")


def _told(out: str) -> tuple[list[str], list[str]]:
    """``out``'s progress messages, and its other lines."""
    lines = out.splitlines()
    return [m.group(1) for line in lines if (m := PROGRESS.fullmatch(line))], [
        line for line in lines if not PROGRESS.fullmatch(line)
    ]


def test_init_adds_districts_each_with_its_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    code, out = _run("init", "--district", "310120", "--db", url)
    assert code == 0
    assert out.splitlines() == [
        f"District 310120 奉贤区 ready: sqlite:///{tmp_path / 'ji.310120.db'}",
        f"Secret key created: {tmp_path / 'ji.310120.key'} (key k1, bound to this district)",
    ]
    assert _run("init", "--district", "310104", "--db", url)[0] == 0
    code, out = _run("plan", "--quarter", "2025Q3", "--seed", "s", "--db", url)
    assert code == 1
    assert out.splitlines() == [
        "Error: the database holds 2 districts (310104 徐汇区, 310120 奉贤区): say which",
        "Hint: give --district CODE, or --all-districts where the command takes it",
    ]
    code, out = _run("init", "--district", "31012", "--db", url)
    assert code == 1 and "Error: '31012' is not a district's area code" in out


def test_the_engine_goes_with_all_districts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    code, out = _run("grade", "--engine", "ray", "--db", url)
    assert code == 2 and "these run a city's districts: give --all-districts too" in out
    assert _run("plan", "--quarter", "2025Q3", "--seed", "s", "--redo", "--db", url)[0] == 2
    code, out = _run("grade", "--all-districts", "--district", "310120", "--db", url)
    assert code == 2 and "one district or all of them: not both" in out
    code, out = _run("grade", "--all-districts", "--engine", "spark", "--db", url)
    assert code == 2 and "choose one of local, ray" in out


@pytest.mark.slow
def test_plan_all_districts_reports_the_broken_one_and_files_the_others(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    city = world.generate(tmp_path_factory.mktemp("city") / "city", 3)
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    codes = world.build_city(url, city, Options())
    blocked = world.block_a_complaint(url, codes[2], city, tmp_path)
    code, out = _run(
        "plan", "--all-districts", "--quarter", "2025Q3", "--seed", world.SEED, "--db", url
    )
    assert code == 1
    assert "2 of 3 districts done" in out
    assert (
        f"Error: 1 of 3 districts failed: 310105 长宁区: demand {blocked} cannot be placed" in out
    )
    assert "Hint: mend what is said and run the same command again" in out
    for district in codes[:2]:
        filed = _run("file", "--quarter", "2025Q3", "--district", district, "--db", url)
        assert filed[0] == 0, filed[1]
    export = tmp_path / "hp.json"
    assert (
        _run("export", "--quarter", "2025Q3", "--format", "json", "--out", str(export))[0] == 1
    )  # several districts: say which
    args = ("--district", "310101", "--format", "json", "--out", str(export), "--db", url)
    assert _run("export", "--quarter", "2025Q3", *args)[0] == 0
    plan = json.loads(export.read_text(encoding="utf-8"))
    assert plan["plan_id"] == "HP-2025Q3"
    code, out = _run("verify", plan["visits"][0]["code"], "--db", url)
    assert code == 0
    assert "区 district: 310101 黄浦区" in out


def test_generate_city_writes_a_district_bundle_per_area_code(tmp_path: Path) -> None:
    out_dir = tmp_path / "city"
    code, out = _run("generate", str(out_dir), "--city", "2", "-n", "100", "--quarter", "2025Q3")
    assert code == 0, out
    with (out_dir / "districts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {"code": "310101", "name": "黄浦区", "prefix": "HP", "bundle": "310101/bundle"},
        {"code": "310104", "name": "徐汇区", "prefix": "XH", "bundle": "310104/bundle"},
    ]
    assert (out_dir / "310104" / "bundle" / "enterprises.csv").exists()
    assert re.search(r"Synthetic city for 2025Q3: 2 districts of 100 enterprises", out)
    code, out = _run("generate", str(out_dir), "--city", "17", "-n", "100")
    assert code == 1 and "Error: cannot generate 17 districts: the city has 16" in out


def test_db_upgrade_all_districts_upgrades_each_all_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    for district in ("310120", "310104"):
        assert _run("init", "--district", district, "--db", url)[0] == 0
    old = migrations.head()
    assert _run("db", "current", "--all-districts", "--db", url) == (
        0,
        f"310104 徐汇区: {old} (head)\n310120 奉贤区: {old} (head)\n",
    )
    new = code_with_revision(monkeypatch, tmp_path, SHORT_NAME_REVISION)
    behind = f"{old} (this jointinspect needs {new}: run `jointinspect db upgrade --all-districts`)"
    assert _run("db", "current", "--all-districts", "--db", url) == (
        0,
        f"310104 徐汇区: {behind}\n310120 奉贤区: {behind}\n",
    )
    # 奉贤区's upgrade fails half way (the table it copies into is in the way): it is left
    # as it was, and 徐汇区 is upgraded all the same.
    blocker = "CREATE TABLE _alembic_tmp_department (id INTEGER)"
    with sqlite3.connect(tmp_path / "ji.310120.db") as conn:
        conn.execute(blocker)
    code, out = _run("db", "upgrade", "--all-districts", "--db", url)
    assert code == 1
    told, lines = _told(out)
    assert told == [
        f"{label}: migration {new} (1 of 1): Add department.short_name"
        for label in ("310104 徐汇区", "310120 奉贤区")
    ]
    assert lines[0] == (
        f"310104 徐汇区: upgraded from revision {old} to {new} ({new} Add department.short_name)"
    )
    assert lines[1].startswith(
        f"310120 奉贤区: failed, left as it was: migration {new} (Add department.short_name) "
        "failed: table _alembic_tmp_department already exists"
    )
    assert lines[2:] == [
        "Error: 1 of 2 districts were not upgraded: 310120 奉贤区",
        "Hint: mend what their lines say and run it again: a district at the newest revision "
        "is left as it is",
    ]
    assert _run("db", "current", "--district", "310120", "--db", url)[1].startswith(f"{old} (")
    with sqlite3.connect(tmp_path / "ji.310120.db") as conn:
        conn.execute("DROP TABLE _alembic_tmp_department")
    code, out = _run("db", "upgrade", "--all-districts", "--db", url)
    assert (code, _told(out)) == (
        0,
        (
            [f"310120 奉贤区: migration {new} (1 of 1): Add department.short_name"],
            [
                f"310104 徐汇区: at revision {new}, the newest: nothing to upgrade",
                f"310120 奉贤区: upgraded from revision {old} to {new} "
                f"({new} Add department.short_name)",
            ],
        ),
    )
    assert _run("db", "current", "--all-districts", "--db", url)[1].count(f"{new} (head)") == 2


def test_db_all_districts_needs_a_city_and_goes_without_district(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ji.db'}"
    assert _run("init", "--db", url)[0] == 0
    code, out = _run("db", "upgrade", "--all-districts", "--db", url)
    assert code == 1
    assert out.splitlines()[0] == (
        f"Error: sqlite:///{tmp_path / 'ji.db'} holds no districts: it is not a city's database"
    )
    code, out = _run("db", "current", "--all-districts", "--district", "310120", "--db", url)
    assert code == 2 and "one district or all of them: not both" in out


@pytest.mark.postgres
def test_db_upgrade_all_districts_upgrades_each_schema(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOINTINSPECT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("JOINTINSPECT_KEY_FILE", raising=False)
    for district in ("310120", "310104"):
        assert _run("init", "--district", district, "--db", pg_url)[0] == 0
    old = migrations.head()
    new = code_with_revision(monkeypatch, tmp_path, SHORT_NAME_REVISION)
    code, out = _run("db", "upgrade", "--all-districts", "--db", pg_url)
    assert code == 0, out
    assert _told(out)[1] == [
        f"{label}: upgraded from revision {old} to {new} ({new} Add department.short_name)"
        for label in ("310104 徐汇区", "310120 奉贤区")
    ]
    assert _run("db", "current", "--all-districts", "--db", pg_url)[1].count(f"{new} (head)") == 2


class _Receiver(BaseHTTPRequestHandler):
    """Takes every share (200) and keeps what came, by path."""

    received: ClassVar[list[tuple[str, bytes]]] = []

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    class Receiver(_Receiver):
        received: ClassVar[list[tuple[str, bytes]]] = []

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", Receiver.received
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


#: One department's push endpoint, its URL to fill in.
ENDPOINTS = '[departments.XF]\nurl = "{url}"\ntoken_env = "JI_TEST_TOKEN"\n'


def _city_pushing_to(base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CityWebWorld:
    """A city of two filed districts in ``tmp_path`` (the working folder), with a token
    and a file of the default endpoints name — by which no district of a city pushes."""
    city = build_city_web(f"sqlite:///{tmp_path / 'ji.db'}", tmp_path / "config")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JOINTINSPECT_ENDPOINTS_FILE", raising=False)
    monkeypatch.setenv("JI_TEST_TOKEN", "t")
    Path("endpoints.toml").write_text(ENDPOINTS.format(url=f"{base}/shared"), encoding="utf-8")
    return city


def test_push_district_sends_its_own_shares_to_its_own_endpoints(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    receiver: tuple[str, list[tuple[str, bytes]]],
) -> None:
    base, received = receiver
    city = _city_pushing_to(base, tmp_path, monkeypatch)
    push = ("push", "--quarter", "2025Q3", "--db", city.url)
    code, out = _run(*push)
    assert code == 1 and "holds 2 districts (310104 徐汇区, 310120 奉贤区): say which" in out
    code, out = _run(*push, "--district", "310104")
    assert code == 1
    assert out.splitlines()[0] == (
        "Error: district 310104 徐汇区 pushes to its departments as endpoints.310104.toml "
        "says, and there is no endpoints.310104.toml"
    )
    assert received == []

    for district, path in (("310104", "xh"), ("310120", "fx")):
        Path(f"endpoints.{district}.toml").write_text(
            ENDPOINTS.format(url=f"{base}/{path}"), encoding="utf-8"
        )
    assert _run(*push, "--district", "310104") == (0, "XF: delivered (1 attempt(s))\n")
    [(path, body)] = received
    assert path == "/xh"
    share = json.loads(body)
    assert {v["code"] for v in share["visits"]} >= {city.valid["310104"]}  # its own codes
    assert city.valid["310120"] not in body.decode()
    # Each district's outbox is its own: 徐汇区's delivery does not stand for 奉贤区's.
    assert _run(*push, "--district", "310120") == (0, "XF: delivered (1 attempt(s))\n")
    assert [p for p, _ in received] == ["/xh", "/fx"]
    assert city.valid["310120"] in received[1][1].decode()
    again = _run(*push, "--district", "310104")
    assert again == (0, "XF: already delivered, not sent again\n")
    # --endpoints names the file, whichever district pushes.
    code, out = _run(*push, "--district", "310120", "--endpoints", "elsewhere.toml")
    assert code == 1 and out.startswith("Error: the endpoints file elsewhere.toml does not exist")
    assert len(received) == 2


def test_readmes_city_commands_take_the_flags_they_are_given() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A city") :]
    block = section[section.index("```bash") : section.index("```\n", section.index("```bash") + 7)]
    commands = [
        shlex.split(line.split("  #")[0])[1:]
        for line in block.splitlines()
        if line.startswith("jointinspect ")
    ]
    assert len(commands) >= 6
    for words in commands:
        names = list(itertools.takewhile(lambda w: not w.startswith("-"), words))
        # A command's name is one or two words (db upgrade); what follows is its argument.
        name = names[:2] if names[0] == "db" else names[:1]
        result = runner.invoke(app, [*name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (words, result.output)
        for flag in (w for w in words if w.startswith("--")):
            assert re.search(rf"{flag}\b", result.output), f"{' '.join(name)} has no {flag}"


def test_the_nightly_delivery_of_a_district_goes_by_its_own_endpoints(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    receiver: tuple[str, list[tuple[str, bytes]]],
) -> None:
    import datetime as dt

    from jointinspect.cli import daemon
    from jointinspect.cli.settings import Settings
    from jointinspect.database import open_database
    from jointinspect.replanning import ReplanRun

    base, received = receiver
    city = _city_pushing_to(base, tmp_path, monkeypatch)
    Path("endpoints.310120.toml").write_text(ENDPOINTS.format(url=f"{base}/fx"), encoding="utf-8")
    run = ReplanRun("2025Q3", dt.date(2025, 7, 1), diff={"departments": ["XF"]})
    for district in ("310104", "310120"):
        engine = open_database(city.url, district=district)
        try:
            daemon._deliver(run, Settings(db=city.url), engine)
        finally:
            engine.dispose()
    # 徐汇区 has no file of its own: nothing goes out for it, and never by endpoints.toml.
    assert [path for path, _ in received] == ["/fx"]
    assert city.valid["310120"] in received[0][1].decode()
