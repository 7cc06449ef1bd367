"""Only ``init`` (and ``demo``) create a database: a mistyped ``--db`` is a one-line
error naming ``init``, never an empty database and a success, never a traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.models import make_engine

runner = CliRunner()


@pytest.mark.parametrize(
    "command", [["grade"], ["calibrate"], ["plan", "--quarter", "2025Q3", "--seed", "s"]]
)
def test_a_missing_sqlite_database_is_not_created(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    result = runner.invoke(app, [*command, "--db", f"sqlite:///{path}"])
    assert result.exit_code == 1
    assert f"Error: there is no database at {path}" in result.output
    assert "jointinspect init" in result.output
    assert not path.exists()
    assert "Traceback" not in result.output


def test_a_database_without_the_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    make_engine(f"sqlite:///{path}").connect().close()  # an empty SQLite file
    result = runner.invoke(app, ["grade", "--db", f"sqlite:///{path}"])
    assert result.exit_code == 1
    assert "holds no JointInspect tables" in result.output
    assert "jointinspect init" in result.output


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ji.db", "'ji.db' is not a database URL"),
        ("mysql://u@localhost/x", "mysql databases are not supported"),
    ],
)
def test_a_bad_url_is_one_line(url: str, words: str) -> None:
    result = runner.invoke(app, ["grade", "--db", url])
    assert result.exit_code == 1
    assert f"Error: {words}" in result.output
    assert "Traceback" not in result.output


def test_init_creates_the_database(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    result = runner.invoke(
        app,
        ["init", "--db", f"sqlite:///{path}"],
        env={"JOINTINSPECT_KEY_FILE": str(tmp_path / "new.key")},
    )
    assert result.exit_code == 0, result.output
    assert path.exists()
