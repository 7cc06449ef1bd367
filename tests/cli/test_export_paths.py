"""``export`` on the command line: the filed revision or ``--revision N``, where ``--out``
may point (a folder, a file of the format's kind) and the one-line errors when it may
not, and ``--base-url`` for the QR codes."""

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
import segno
from click.testing import Result
from helpers.plan_factory import sample_plan
from sqlmodel import Session
from typer.testing import CliRunner

from jointinspect import rules as hard_rules
from jointinspect.cli.app import app
from jointinspect.cli.settings import Settings
from jointinspect.data.codes.filing import HardRuleCheck
from jointinspect.models import create_schema, make_engine

runner = CliRunner()
Env = dict[str, str]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    """A database holding the sample plan as a draft, a key, and a checker that passes."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"JOINTINSPECT_KEY_FILE": str(tmp_path / "ji.key"), "JOINTINSPECT_DB": url}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    engine = make_engine(url)
    create_schema(engine)
    sample_plan(engine)
    engine.dispose()

    def passing(_settings: Settings) -> HardRuleCheck:
        def check(_s: Session, _r: int) -> Sequence[str]:
            return []

        return check

    monkeypatch.setattr(hard_rules, "hard_rule_check", passing)
    return env


@pytest.fixture
def filed(env: Env) -> Env:
    assert runner.invoke(app, ["file", "--quarter", "2025Q3"], env=env).exit_code == 0
    return env


def _export(env: Env, fmt: str, out: str, *more: str) -> Result:
    args = ["export", "--quarter", "2025Q3", "--format", fmt, "--out", out, *more]
    return runner.invoke(app, args, env=env)


def _one_line_error(result: Result) -> str:
    """The ``Error: …`` line, checking that it is the only one and no traceback came out."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and len(lines) <= 2, result.stderr
    return errors[0]


def _hint(result: Result) -> str:
    return next((x for x in result.stderr.splitlines() if x.startswith("Hint: ")), "")


# --------------------------------------------------------------------------- which revision


def test_a_draft_alone_is_not_exported_without_revision(env: Env, tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    result = _export(env, "csv", str(out))
    assert _one_line_error(result) == "Error: the plan for 2025Q3 has no filed revision"
    assert "file it first with `jointinspect file --quarter 2025Q3`" in _hint(result)
    assert "--revision" in _hint(result)
    assert not out.exists()
    draft = _export(env, "csv", str(out), "--revision", "1")
    assert draft.exit_code == 0, draft.stderr
    assert "Wrote revision 1 (draft) of 2025Q3 as csv" in draft.stdout


def test_an_unknown_revision_is_one_line(filed: Env, tmp_path: Path) -> None:
    result = _export(filed, "json", str(tmp_path / "p.json"), "--revision", "7")
    assert _one_line_error(result) == "Error: the plan for 2025Q3 has no revision 7"


# --------------------------------------------------------------------------- --out


def test_out_into_a_folder_takes_the_default_name(filed: Env, tmp_path: Path) -> None:
    new_folder = tmp_path / "exports"
    made = _export(filed, "csv", f"{new_folder}/")
    assert made.exit_code == 0, made.stderr
    assert (new_folder / "FX-2025Q3-r1.csv").is_file()
    assert str(new_folder / "FX-2025Q3-r1.csv") in made.stdout
    existing = _export(filed, "xlsx", str(new_folder), "--department", "XF")
    assert existing.exit_code == 0, existing.stderr
    assert (new_folder / "FX-2025Q3-r1-XF.xlsx").is_file()
    json_out = _export(filed, "json", str(new_folder))
    assert json_out.exit_code == 0
    doc = json.loads((new_folder / "FX-2025Q3-r1.json").read_text(encoding="utf-8"))
    assert doc["plan_id"] == "FX-2025Q3"


def test_out_whose_folder_is_a_file(filed: Env, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    result = _export(filed, "csv", str(blocker / "p.csv"))
    line = _one_line_error(result)
    assert line == f"Error: cannot write {blocker / 'p.csv'}: {blocker} is a file, not a folder"
    assert "--out" in _hint(result)
    assert blocker.read_text(encoding="utf-8") == "a file, not a folder"
    deeper = _export(filed, "ics", str(blocker / "cal"))
    assert _one_line_error(deeper).startswith(f"Error: cannot write {blocker / 'cal'}")


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process may not write into (root writes anywhere chmod allows not, so
    root gets /sys, which refuses everyone)."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    if not Path("/sys").is_dir() or _can_write(Path("/sys")):
        pytest.skip("no folder this root process cannot write into")
    return Path("/sys")


def _can_write(folder: Path) -> bool:
    probe = folder / ".jointinspect-probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def test_out_in_a_folder_without_write_permission(filed: Env, unwritable_folder: Path) -> None:
    target = unwritable_folder / "p.csv"
    result = _export(filed, "csv", str(target))
    assert _one_line_error(result) == f"Error: cannot write {target}: Permission denied"
    assert "--out" in _hint(result)
    assert not target.exists()


@pytest.mark.parametrize(
    ("fmt", "name", "hint"),
    [
        ("csv", "plan.xlsx", "--format xlsx"),
        ("xlsx", "plan.csv", "--format csv"),
        ("json", "plan.txt", "plan.json"),
        ("csv", "plan", "plan.csv"),
    ],
)
def test_format_and_extension_must_agree(
    filed: Env, tmp_path: Path, fmt: str, name: str, hint: str
) -> None:
    result = _export(filed, fmt, str(tmp_path / name))
    assert _one_line_error(result).startswith(f"Error: {tmp_path / name} is not a .{fmt} file")
    assert hint in _hint(result)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize(
    ("fmt", "name", "content"),
    [
        ("csv", "p.csv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00 a zip, not a CSV"),
        ("csv", "p.csv", b"SQLite format 3\x00"),
        ("json", "p.json", b"uscc,name\n913101,x\n"),
        ("xlsx", "p.xlsx", "检查码,检查日期\n".encode()),
    ],
)
def test_a_file_of_another_kind_is_never_overwritten(
    filed: Env, tmp_path: Path, fmt: str, name: str, content: bytes
) -> None:
    target = tmp_path / name
    target.write_bytes(content)
    result = _export(filed, fmt, str(target))
    line = _one_line_error(result)
    assert line == f"Error: {target} exists and is not a {fmt} file; it was left as it is"
    assert target.read_bytes() == content


def test_a_file_of_the_same_kind_is_replaced_whole(filed: Env, tmp_path: Path) -> None:
    target = tmp_path / "p.csv"
    target.write_text("old,export\n", encoding="utf-8")
    assert _export(filed, "csv", str(target)).exit_code == 0
    assert target.read_bytes().startswith("\ufeff检查码".encode())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    folder_format_on_a_file = _export(filed, "ics", str(target))
    assert _one_line_error(folder_format_on_a_file) == (
        f"Error: {target} is a file; ics writes a folder of files"
    )


# --------------------------------------------------------------------------- --base-url


def _codes(env: Env, tmp_path: Path) -> list[str]:
    out = tmp_path / "codes.json"
    assert _export(env, "json", str(out)).exit_code == 0
    return [v["code"] for v in json.loads(out.read_text(encoding="utf-8"))["visits"]]


def test_base_url_puts_the_verification_link_in_each_qr(filed: Env, tmp_path: Path) -> None:
    env = filed | {"JOINTINSPECT_VERIFY_BASE_URL": "https://env.example.cn"}
    result = _export(env, "qr", str(tmp_path / "qr"), "--base-url", "https://jc.example.cn/")
    assert result.exit_code == 0, result.stderr
    for code in _codes(filed, tmp_path):
        expected = io.BytesIO()
        segno.make(f"https://jc.example.cn/v/{code}", error="m").save(expected, kind="png", scale=8)
        assert (tmp_path / "qr" / f"{code}.png").read_bytes() == expected.getvalue()


def test_a_bad_base_url_is_one_line(filed: Env, tmp_path: Path) -> None:
    result = _export(filed, "qr", str(tmp_path / "qr"), "--base-url", "javascript:alert(1)")
    assert _one_line_error(result) == (
        "Error: the verification URL 'javascript:alert(1)' is not an http(s) URL"
    )
    assert "--base-url" in _hint(result)


def test_export_help_says_what_the_csv_holds() -> None:
    shown = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "200"}).stdout
    text = " ".join(shown.replace("│", " ").split())
    assert "latest filed revision" in text
    assert "off-site checks" in text and "检查方式" in text
    assert "Data → From Text/CSV" in text
