"""Every command has help, and the program's basics behave as the contract says."""

import pytest
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from jointinspect.cli.app import app

runner = CliRunner()


def _commands() -> list[str]:
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    return sorted(group.commands)


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help(name: str) -> None:
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    command = group.commands[name]
    assert command.help and command.help.strip(), f"{name} has no help text"
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert "--db" in result.output, f"{name} does not take --db (spec §7)"


def test_unknown_database_driver_is_an_error() -> None:
    result = runner.invoke(app, ["init", "--db", "nosuchdb://x"])
    assert result.exit_code != 0
