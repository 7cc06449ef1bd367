"""The file / verify / export / push commands: messages and exit codes."""

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers.plan_factory import USCC, add_revision, sample_plan, sample_spec
from sqlmodel import Session
from typer.testing import CliRunner

from jointinspect import rules as hard_rules
from jointinspect.cli.app import app
from jointinspect.cli.settings import Settings
from jointinspect.data.codes.filing import HardRuleCheck
from jointinspect.data.codes.keys import load_key_file
from jointinspect.models import create_schema, make_engine, session_scope
from jointinspect.models.codes import Binding, issue_code

runner = CliRunner()


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    """A database with the sample draft, a key file, and a checker that finds nothing."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"JOINTINSPECT_KEY_FILE": str(tmp_path / "ji.key"), "JOINTINSPECT_DB": url}
    result = runner.invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    create_schema(engine)
    sample_plan(engine)
    engine.dispose()

    def passing(_settings: Settings) -> HardRuleCheck:
        def check(_s: Session, _r: int) -> Sequence[str]:
            return []

        return check

    monkeypatch.setattr(hard_rules, "hard_rule_check", passing)
    return url, env


def _codes(tmp_path: Path, env: dict[str, str]) -> list[str]:
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["export", "--quarter", "2025Q3", "--format", "json", "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    return [v["code"] for v in doc["visits"]]


def test_file_then_verify(setup: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _url, env = setup
    result = runner.invoke(app, ["file", "--quarter", "2025Q3", "--by", "王科长"], env=env)
    assert result.exit_code == 0, result.output
    assert "Filed FX-2025Q3 revision 1 by 王科长: 4 new codes, 0 kept, 0 revoked." in result.output
    # Each step said on stderr as it starts, timed (a district's filing takes seconds).
    assert [line.split("] ", 1)[1] for line in result.stderr.splitlines()] == [
        "waiting for the plans lock",
        "reading revision 1",
        "3 visits and 1 off-site checks to file",
        "checking revision 1 against the hard rules",
        "making the inspection codes",
        "writing the codes",
    ]
    code = _codes(tmp_path, env)[0]
    ok = runner.invoke(app, ["verify", code, "--json"], env=env)
    assert ok.exit_code == 0
    data = json.loads(ok.stdout)
    assert list(data)[:1] == ["status"] and data["status"] == "valid"
    assert data["enterprise"]["name"] == "上海奉贤甜心烘焙有限公司"
    human = runner.invoke(app, ["verify", code.lower()], env=env)
    assert human.exit_code == 0 and "VALID" in human.stdout and "张伟" in human.stdout
    again = runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env)
    assert again.exit_code == 1
    assert "Error: revision 1 of 2025Q3 is already filed" in again.stderr


@pytest.mark.parametrize(
    "code,status,exit_code",
    [("ABCDE", "malformed", 5), ("00000-00000-00000-00000", "forged", 4)],
)
def test_verify_exit_codes(
    setup: tuple[str, dict[str, str]], code: str, status: str, exit_code: int
) -> None:
    _url, env = setup
    result = runner.invoke(app, ["verify", code, "--json"], env=env)
    assert result.exit_code == exit_code
    assert json.loads(result.stdout)["status"] == status


def test_verify_without_key_is_an_error(tmp_path: Path) -> None:
    env = {
        "JOINTINSPECT_KEY_FILE": str(tmp_path / "none.key"),
        "JOINTINSPECT_DB": f"sqlite:///{tmp_path / 'x.db'}",
    }
    made = {**env, "JOINTINSPECT_KEY_FILE": str(tmp_path / "made.key")}
    assert runner.invoke(app, ["init"], env=made).exit_code == 0
    result = runner.invoke(app, ["verify", "ABCDE"], env=env)
    assert result.exit_code == 1
    assert f"Error: the key file {tmp_path / 'none.key'} does not exist" in result.stderr


def test_key_from_setting(setup: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _url, env = setup
    key = "k7:" + "ab" * 32
    env = env | {"JOINTINSPECT_KEY": key, "JOINTINSPECT_KEY_FILE": str(tmp_path / "none.key")}
    assert runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env).exit_code == 0
    code = _codes(tmp_path, env)[0]
    assert runner.invoke(app, ["verify", code], env=env).exit_code == 0


def test_export_formats_and_department(setup: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _url, env = setup
    draft_qr = runner.invoke(
        app,
        ["export", "--quarter", "2025Q3", "--format", "qr", "--out", str(tmp_path / "q")],
        env=env,
    )
    assert draft_qr.exit_code == 1 and "Hint: file it first" in draft_qr.stderr
    runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env)
    for fmt, out in (("csv", "p.csv"), ("xlsx", "p.xlsx"), ("ics", "ics"), ("qr", "qr")):
        result = runner.invoke(
            app,
            [
                *("export", "--quarter", "2025Q3", "--format", fmt),
                *("--department", "XF", "--out", str(tmp_path / out)),
            ],
            env=env,
        )
        assert result.exit_code == 0, result.output
        assert f"Wrote revision 1 (filed) of 2025Q3 for XF as {fmt}" in result.stdout
    assert len(list((tmp_path / "qr").glob("*.png"))) == 2
    bad = runner.invoke(
        app, ["export", "--quarter", "2025Q3", "--format", "pdf", "--out", "x"], env=env
    )
    assert bad.exit_code == 2


def test_push_reports_missing_tokens(setup: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    _url, env = setup
    endpoints = tmp_path / "endpoints.toml"
    endpoints.write_text(
        '[departments.XF]\nurl = "http://127.0.0.1:9/x"\ntoken_env = "JI_TEST_XF_TOKEN"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["push", "--quarter", "2025Q3", "--endpoints", str(endpoints)], env=env
    )
    assert result.exit_code == 1
    assert "Error: no token for push: JI_TEST_XF_TOKEN not set" in result.stderr
    nothing_filed = runner.invoke(
        app,
        ["push", "--quarter", "2025Q3", "--endpoints", str(endpoints)],
        env=env | {"JI_TEST_XF_TOKEN": "t"},
    )
    assert nothing_filed.exit_code == 1
    assert "Error: the plan for 2025Q3 has no filed revision to push" in nothing_filed.stderr


def test_verify_revoked_and_unknown_exit_codes(
    setup: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = setup
    assert runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env).exit_code == 0
    old = _codes(tmp_path, env)
    spec = sample_spec()
    spec.visits[0].date = dt.date(2025, 7, 10)
    engine = make_engine(url)
    with session_scope(engine) as session:
        add_revision(session, spec, revision=2)
    engine.dispose()
    assert runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env).exit_code == 0
    revoked = runner.invoke(app, ["verify", old[0], "--json"], env=env)
    assert revoked.exit_code == 2
    data = json.loads(revoked.stdout)
    assert data["status"] == "revoked" and data["replaced_by"] in _codes(tmp_path, env)
    keys = load_key_file(Path(env["JOINTINSPECT_KEY_FILE"]))
    stray = issue_code(
        Binding("visit", USCC[0], dt.date(2025, 7, 1), ("SCJ",), (), ("x",), ("D-x",)),
        keys.current,
    )
    unknown = runner.invoke(app, ["verify", stray, "--json"], env=env)
    assert unknown.exit_code == 3 and json.loads(unknown.stdout)["status"] == "unknown"


def test_key_never_reaches_database_or_exports(
    setup: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    _url, env = setup
    assert runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env).exit_code == 0
    for fmt, out in (("json", "k.json"), ("csv", "k.csv"), ("xlsx", "k.xlsx"), ("ics", "kics")):
        args = ["export", "--quarter", "2025Q3", "--format", fmt, "--out", str(tmp_path / out)]
        assert runner.invoke(app, args, env=env).exit_code == 0
    secret = load_key_file(Path(env["JOINTINSPECT_KEY_FILE"])).current.secret
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "ji.key"]
    assert any(p.suffix == ".db" for p in files)
    for path in files:
        data = path.read_bytes()
        assert secret not in data and secret.hex().encode() not in data, path


class _Passes:
    """A check that finds nothing, and pickles (for a process of its own)."""

    def __call__(self, _s: Session, _r: int) -> Sequence[str]:
        return []


def test_a_big_districts_check_process_is_started_before_the_filing_needs_it(
    setup: tuple[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _url, env = setup
    import jointinspect.filing as filing_api
    from jointinspect import filing_ahead
    from jointinspect.data.codes.check_early import EarlyCheck

    monkeypatch.setattr(hard_rules, "hard_rule_check", lambda _options: _Passes())
    monkeypatch.setattr(filing_ahead, "AHEAD_FROM_BYTES", 0)  # every district is big
    monkeypatch.setattr(filing_api, "CHECK_APART_FROM", 1)
    monkeypatch.setattr("jointinspect.data.codes.check_early.os.cpu_count", lambda: 2)
    taken: list[bool] = []
    real = EarlyCheck.take

    def take(self: EarlyCheck, job: tuple[object, ...]) -> object:
        answers = real(self, job)
        taken.append(answers is not None)
        return answers

    monkeypatch.setattr(EarlyCheck, "take", take)
    result = runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env)
    assert result.exit_code == 0, result.output
    assert "Filed FX-2025Q3 revision 1" in result.output
    assert taken == [True], "the check did not go to the process started ahead"
