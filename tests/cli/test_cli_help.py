"""Every command has help, it reads well, and the program's basics behave as the contract
says.

Reads well: a value shows its metavar (QUARTER, DATE, PATH …), never typer's ``<bool>``
or ``<str>``, and an argument never shows as a ``{name}`` placeholder; every option says
what it is for; a setting named in help comes with its environment variable, and every
variable named is a real one (a misspelt one sends a coordinator nowhere).
"""

import re

import pytest
from typer import _click
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.main import get_command
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.cli.commands_export import FORMAT_NAMES
from jointinspect.cli.commands_serve import DEFAULT_PREFIX, ServeSettings

runner = CliRunner()
#: Wide enough that no option's help wraps or is cut: the checks read whole phrases.
WIDE = {"COLUMNS": "200"}
#: Commands that use no database, and so take no --db.
NO_DATABASE = {"generate"}
#: Every variable a coordinator may set (serve's settings include everyone's).
PREFIX = "JOINTINSPECT_"
VARIABLES = {f"{PREFIX}{name.upper()}" for name in ServeSettings.model_fields}
#: Settings whose name is also an everyday word ("db", "key") are not looked for by name.
NAMED_SETTINGS = sorted(name for name in ServeSettings.model_fields if "_" in name)

#: typer's type labels: <bool>, <str>, <int range>, <path>, <list[str]>, choices <zh|en> …
TYPE_PLACEHOLDER = re.compile(
    r"<(?:(?:bool|str|int|float|path|file|dir|datetime|uuid|list\[[^\]]*\])(?: range)?"
    r"|[\w-]+(?:\|[\w-]+)+)>"
)
BRACED_PLACEHOLDER = re.compile(r"\{[A-Za-z][\w-]*\}")  # {out}, {base-url} …
VARIABLE = re.compile(rf"(\$?){PREFIX}[A-Z0-9_]*")


def _command_paths() -> list[tuple[str, ...]]:
    """Every command, and every command of a group (``db upgrade``), as argv."""
    group = get_command(app)
    assert isinstance(group, TyperGroup)
    ctx = _click.Context(group)
    paths: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        paths.append((name,))
        if isinstance(command, TyperGroup):
            sub = _click.Context(command, parent=ctx)
            paths += [(name, child) for child in command.list_commands(sub)]
    return paths


def _command(path: tuple[str, ...]) -> _click.Command:
    command = get_command(app)
    ctx = _click.Context(command)
    for name in path:
        assert isinstance(command, TyperGroup)
        found = command.get_command(ctx, name)
        assert found is not None, path
        command, ctx = found, _click.Context(found, parent=ctx)
    return command


def _help(args: list[str]) -> str:
    result = runner.invoke(app, [*args, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


PATHS = _command_paths()
IDS = [" ".join(path) for path in PATHS]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    command = _command(path)
    assert command.help and command.help.strip(), f"{' '.join(path)} has no help text"
    output = _help(list(path))
    if path[0] in NO_DATABASE:
        assert "--db" not in output, f"{path[0]} uses no database and should offer no --db"
    else:
        assert "--db" in output, f"{' '.join(path)} does not take --db (spec §7)"


@pytest.mark.parametrize("path", [(), *PATHS], ids=["jointinspect", *IDS])
def test_values_show_their_metavars_not_placeholders(path: tuple[str, ...]) -> None:
    output = _help(list(path))
    assert not TYPE_PLACEHOLDER.findall(output), output
    assert not BRACED_PLACEHOLDER.findall(output), output


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_option_says_what_it_is_for_and_names_its_value(path: tuple[str, ...]) -> None:
    command = _command(path)
    ctx = _click.Context(command)
    for param in command.get_params(ctx):
        label = f"{' '.join(path)} {param.opts[0] if param.opts else param.name}"
        assert isinstance(param, TyperArgument | TyperOption), label
        assert param.help and param.help.strip(), f"{label} has no help text"
        takes_value = isinstance(param, TyperArgument) or not (param.is_flag or param.count)
        if takes_value:
            assert param.metavar, f"{label} takes a value but names it by no metavar"


@pytest.mark.parametrize("path", [(), *PATHS], ids=["jointinspect", *IDS])
def test_settings_in_help_come_with_their_environment_variables(path: tuple[str, ...]) -> None:
    output = " ".join(_help(list(path)).split())
    for match in VARIABLE.finditer(output):
        assert match.group(0).lstrip("$") in VARIABLES, f"{match.group(0)} is no setting"
        assert match.group(1) == "$", f"write the variable as ${match.group(0)}"
    for name in NAMED_SETTINGS:
        if re.search(rf"(?<![\w.$]){name}(?!\w)", output):
            assert f"${PREFIX}{name.upper()}" in output, f"{name} named without its variable"
    for name in re.findall(r"\bsetting (\w+)", output):
        assert f"${PREFIX}{name.upper()}" in output, f"setting {name} without its variable"


def test_an_argument_reads_as_its_metavar_in_the_usage_line() -> None:
    assert "Usage: jointinspect verify [OPTIONS] CODE" in _help(["verify"])
    assert "Usage: jointinspect import [OPTIONS] DIR" in _help(["import"])


def test_values_spelled_out_for_a_quick_help_match_the_library() -> None:
    # Spelled out in the command modules so that their help need not import the
    # libraries; they must still say what the libraries do.
    from jointinspect.exporting import FORMATS
    from jointinspect.web.shared import DEFAULT_PREFIX as WEB_DEFAULT_PREFIX

    assert FORMAT_NAMES == FORMATS
    assert DEFAULT_PREFIX == WEB_DEFAULT_PREFIX


def test_unknown_database_driver_is_an_error() -> None:
    result = runner.invoke(app, ["init", "--db", "nosuchdb://x"])
    assert result.exit_code != 0
