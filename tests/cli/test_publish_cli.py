"""``jointinspect publish``: what it prints, its errors and exit codes."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.report_world import ReportWorld, build_world
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.models.timezones import CHINA
from jointinspect.publishing import publish_quarter

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportWorld]:
    built = build_world(tmp_path_factory.mktemp("publish-cli"))
    yield built
    built.engine.dispose()


@pytest.fixture
def env(world: ReportWorld) -> dict[str, str]:
    return {"JOINTINSPECT_DB": world.url}


def _today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def test_publish_writes_the_files_and_says_what(
    world: ReportWorld, env: dict[str, str], tmp_path: Path
) -> None:
    expected = publish_quarter(
        "2025Q4", engine=world.engine, out=tmp_path / "lib", published_on=_today()
    ).disclosure
    out = tmp_path / "out"
    result = runner.invoke(app, ["publish", "--quarter", "2025q4", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    names = ["publish-2025Q4.html", "publish-2025Q4-plan.csv", "publish-2025Q4-results.csv"]
    assert result.stdout.splitlines() == [
        f"Published the plan FX-2025Q4 revision 1 (filed 2025-09-21): {expected.drawn:,} "
        f"enterprises drawn for {len(expected.items)} items of {len(expected.departments)} "
        f"departments, {expected.planned:,} placed; results of {len(expected.results):,} "
        "random checks.",
        "Wrote " + ", ".join(str(out / name) for name in [*names, "redo_draw.py"]),
    ]
    assert result.stderr == ""
    page = (out / "publish-2025Q4.html").read_text(encoding="utf-8")
    assert f"公示日期：{_today().year}年{_today().month}月{_today().day}日" in page


def test_without_a_plan_it_is_an_error_with_a_hint(tmp_path: Path) -> None:
    env = {"JOINTINSPECT_DB": f"sqlite:///{tmp_path / 'empty.db'}"}
    env["JOINTINSPECT_KEY_FILE"] = str(tmp_path / "ji.key")
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    result = runner.invoke(
        app, ["publish", "--quarter", "2025Q3", "--out", str(tmp_path / "out")], env=env
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: there is no plan for 2025Q3 to publish",
        "Hint: plan and file it first: `jointinspect plan --quarter 2025Q3 --seed …`, "
        "then `jointinspect file --quarter 2025Q3`",
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--approval", "沪奉〔2025〕1号"], "only a --special plan has an approval"),
        (["--late"], "only a --special plan can be late"),
        (["--special", "--approved-on", "2025-10-01"], "approval reference"),
        (["--special", "--approval", "沪奉〔2025〕1号"], "approval date"),
        (
            ["--special", "--approval", "沪奉〔2025〕1号", "--approved-on", "2025-13-01"],
            "is not a date; write YYYY-MM-DD",
        ),
        (["--quarter", "2025Q5"], "is not of the form YYYYQn"),
    ],
)
def test_usage_errors(env: dict[str, str], tmp_path: Path, args: list[str], message: str) -> None:
    quarter = [] if "--quarter" in args else ["--quarter", "2025Q4"]
    result = runner.invoke(app, ["publish", *quarter, "--out", str(tmp_path), *args], env=env)
    assert result.exit_code == 2
    # Click's usage error comes in a box (rich): read its words, not its frame.
    words = " ".join(result.stderr.translate(str.maketrans("│╭╮╰╯─", "      ")).split())
    assert message in words


def test_a_special_plan_more_than_a_month_after_approval(
    env: dict[str, str], tmp_path: Path
) -> None:
    approved = _today() - dt.timedelta(days=40)
    deadline = approved.replace(day=1) + dt.timedelta(days=32)
    args = ["publish", "--quarter", "2025Q4", "--out", str(tmp_path / "out"), "--special"]
    args += ["--approval", "沪奉市监〔2025〕9号", "--approved-on", approved.isoformat()]
    refused = runner.invoke(app, args, env=env)
    assert refused.exit_code == 1
    first, hint = refused.stderr.splitlines()
    assert first.startswith(
        f"Error: special plan 沪奉市监〔2025〕9号 was approved on {approved.isoformat()}; "
        "Shanghai publishes a special plan within a month of approval, by "
        f"{deadline.strftime('%Y-%m')}-"
    )
    assert hint == "Hint: publish it anyway with --late (the page shows both dates)"
    assert not (tmp_path / "out").exists()
    late = runner.invoke(app, [*args, "--late"], env=env)
    assert late.exit_code == 0, late.output
    assert late.stderr.startswith("Warning: special plan 沪奉市监〔2025〕9号 was approved on")
    assert late.stderr.rstrip().endswith(": published late, as --late asks")
    assert late.stdout.startswith("Published the special plan FX-2025Q4 revision 1")
    assert (tmp_path / "out" / "publish-2025Q4-special.html").exists()
