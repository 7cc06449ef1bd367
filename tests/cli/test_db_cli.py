"""``db upgrade`` and ``db current``, and every other command refusing a database whose
schema is older or newer than the code's, with the exact one-line error and its hint."""

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from fixtures.schema import (
    FAILING_REVISION,
    SHORT_NAME_REVISION,
    code_with_revision,
    load_0_1_0,
)
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.models import migrations

runner = CliRunner()

UPGRADE_HINT = "Hint: same --db; it migrates the schema in place and keeps every row"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "ji.db"


@pytest.fixture
def url(db_file: Path) -> str:
    return f"sqlite:///{db_file}"


def _run(*args: str, tmp_path: Path) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"JOINTINSPECT_KEY_FILE": str(tmp_path / "ji.key")})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def initialised(url: str, tmp_path: Path) -> str:
    assert _run("init", "--db", url, tmp_path=tmp_path)[0] == 0
    return url


def _set_revision(db_file: Path, revision: str) -> None:
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_init_makes_a_database_at_the_head(initialised: str, tmp_path: Path) -> None:
    code, output = _run("db", "current", "--db", initialised, tmp_path=tmp_path)
    assert (code, output) == (0, f"{migrations.head()} (head)\n")


def test_db_takes_db_before_its_command(initialised: str, tmp_path: Path) -> None:
    code, output = _run("db", "--db", initialised, "current", tmp_path=tmp_path)
    assert (code, output) == (0, f"{migrations.head()} (head)\n")


def test_upgrading_an_up_to_date_database_changes_nothing(
    initialised: str, db_file: Path, tmp_path: Path
) -> None:
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    code, output = _run("db", "upgrade", "--db", initialised, tmp_path=tmp_path)
    assert (code, output) == (
        0,
        f"The database is at revision {migrations.head()}, this jointinspect's newest: "
        "nothing to upgrade.\n",
    )
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before


def test_a_database_older_than_the_code_stops_commands_until_upgraded(
    initialised: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = migrations.head()
    new = code_with_revision(monkeypatch, tmp_path, SHORT_NAME_REVISION)

    code, output = _run("grade", "--db", initialised, tmp_path=tmp_path)
    assert code == 1
    assert output == (
        f"Error: the database schema is at revision {old}, this jointinspect needs {new}: "
        f"run `jointinspect db upgrade`\n{UPGRADE_HINT}\n"
    )
    assert _run("db", "current", "--db", initialised, tmp_path=tmp_path) == (
        0,
        f"{old} (this jointinspect needs {new}: run `jointinspect db upgrade`)\n",
    )

    upgraded = runner.invoke(app, ["db", "upgrade", "--db", initialised])
    assert (upgraded.exit_code, upgraded.stdout) == (
        0,
        f"Upgraded the database from revision {old} to {new}:\n"
        f"  {new}  Add department.short_name\n",
    )
    # Each migration is announced on stderr as it starts: some take tens of seconds.
    assert re.fullmatch(
        rf"\[ +\d+\.\ds\] migration {new} \(1 of 1\): Add department.short_name\n",
        upgraded.stderr,
    )
    code, output = _run("grade", "--db", initialised, tmp_path=tmp_path)
    assert "schema" not in output
    assert _run("db", "current", "--db", initialised, tmp_path=tmp_path) == (0, f"{new} (head)\n")


def test_a_failing_migration_is_one_error_naming_it(
    initialised: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = migrations.head()
    new = code_with_revision(monkeypatch, tmp_path, FAILING_REVISION)
    code, output = _run("db", "upgrade", "--db", initialised, tmp_path=tmp_path)
    assert code == 1
    started, output = output.split("\n", 1)  # the migration announced as it starts
    assert started.endswith(f"] migration {new} (1 of 1): Make a table, then fail")
    assert output.startswith(
        f"Error: migration {new} (Make a table, then fail) failed: no such table: no_such_table\n"
        "Hint: nothing of the upgrade was kept"
    )
    assert _run("db", "current", "--db", initialised, tmp_path=tmp_path)[1].startswith(old)


def test_a_database_made_before_migrations_is_stamped_by_the_upgrade(
    url: str, tmp_path: Path
) -> None:
    load_0_1_0(url)
    head = migrations.head()
    code, output = _run(
        "plan", "--quarter", "2025Q3", "--seed", "s", "--db", url, tmp_path=tmp_path
    )
    assert code == 1
    assert output == (
        "Error: the database schema is at revision none (made by jointinspect 0.1.0, before "
        f"migrations), this jointinspect needs {head}: run `jointinspect db upgrade`\n"
        f"{UPGRADE_HINT}\n"
    )
    assert _run("db", "current", "--db", url, tmp_path=tmp_path) == (
        0,
        "none (made by jointinspect 0.1.0, before migrations; this jointinspect needs "
        f"{head}: run `jointinspect db upgrade`)\n",
    )

    upgraded = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert upgraded.exit_code == 0
    assert upgraded.stdout.startswith(
        "Recognised a database made before migrations as the 0.1.0 schema: stamped revision 0001.\n"
    )
    announced = [line.split("] ", 1)[1] for line in upgraded.stderr.splitlines()]
    steps = migrations.pending(migrations.BASELINE)
    assert announced == [
        f"migration {r.id} ({k} of {len(steps)}): {r.message}" for k, r in enumerate(steps, 1)
    ]
    assert _run("db", "current", "--db", url, tmp_path=tmp_path) == (0, f"{head} (head)\n")


def test_a_database_newer_than_the_code_stops_every_command(
    initialised: str, db_file: Path, tmp_path: Path
) -> None:
    newer = f"{int(migrations.head()) + 7:04d}"
    _set_revision(db_file, newer)
    message = (
        f"Error: the database schema is at revision {newer}, which this jointinspect does not "
        f"know (its newest is {migrations.head()}): the database was upgraded by a newer "
        "jointinspect; upgrade jointinspect\n"
    )
    for command in (["grade"], ["init"], ["db", "upgrade"]):
        code, output = _run(*command, "--db", initialised, tmp_path=tmp_path)
        assert code == 1, command
        assert output.startswith(message), command
        assert "Hint: this is jointinspect " in output
    assert _run("db", "current", "--db", initialised, tmp_path=tmp_path) == (
        0,
        f"{newer} (newer than this jointinspect, whose newest is {migrations.head()}: "
        "upgrade jointinspect)\n",
    )


def test_db_commands_do_not_create_a_database(db_file: Path, url: str, tmp_path: Path) -> None:
    for command in ("upgrade", "current"):
        code, output = _run("db", command, "--db", url, tmp_path=tmp_path)
        assert code == 1
        assert output.startswith(f"Error: there is no database at {db_file}\n")
        assert "jointinspect init" in output
    assert not db_file.exists()


def test_db_without_a_command_shows_its_commands(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db"])
    assert "upgrade" in result.output and "current" in result.output
