"""The command group behind ``jointinspect``: commands known by name, imported when used.

Every invocation pays for what the program imports before it runs, and the commands
between them need scikit-learn, matplotlib, FastAPI, OR-Tools and openpyxl, seconds of
start-up (issue 14). So the group knows its commands from a static table — name, the
module whose ``register(app)`` defines it, and the one-line summary ``jointinspect
--help`` shows — and imports a command's module only when that command runs or shows its
help. ``tests/cli/test_startup.py`` keeps the table true to the commands.

The classes here also make help read well where typer's rendering does not: a flag shows
no ``<bool>`` (it takes no value), an argument shows its metavar alone (``CODE``, not
``{code}`` in the usage line and ``<str>`` beside it).
"""

import copy
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.main import get_group

#: The package whose modules define the commands.
PACKAGE = "jointinspect.cli"


@dataclass(frozen=True)
class LazyCommand:
    """A command of the table: its module under ``jointinspect.cli`` and its summary (the
    first paragraph of its help, as the command list shows it)."""

    module: str
    summary: str


class _ArgumentByMetavar(TyperArgument):
    """An argument shown by its metavar alone: ``CODE`` says what goes there, and typer's
    ``<str>`` beside it would only repeat that it is text."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None


def _tidy(param: _click.Parameter) -> None:
    """Show ``param`` the way help should: no value after a flag, an argument by its
    metavar (typer has no hook to choose a parameter's class, hence the swap)."""
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        if param.metavar is None:
            param.metavar = ""  # typer would print <bool>: a flag takes no value
    elif isinstance(param, TyperArgument) and param.metavar:
        param.__class__ = _ArgumentByMetavar


def _usage_pieces(command: _click.Command, ctx: _click.Context) -> list[str]:
    """The usage line's pieces, arguments as ``CODE`` / ``[CODE]`` (typer writes a
    required one as ``{code}``, which reads like a placeholder to fill in)."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = param.metavar or (param.name or "").upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
        else:
            pieces.extend(param.get_usage_pieces(ctx))
    return pieces


class HelpfulCommand(TyperCommand):
    """A typer command whose help shows values by their metavars (see :func:`_tidy`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _tidy(param)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            _tidy(option)
        return option

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        return _usage_pieces(self, ctx)


class HelpfulGroup(TyperGroup):
    """A typer group whose help shows values by their metavars (see :func:`_tidy`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for param in self.params:
            _tidy(param)

    def get_help_option(self, ctx: _click.Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            _tidy(option)
        return option

    def collect_usage_pieces(self, ctx: _click.Context) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar]


def _use_helpful_classes(app: typer.Typer) -> None:
    """Have typer build ``app``'s commands and groups (and theirs) as the classes above."""
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):
            command.cls = HelpfulCommand
    for group in app.registered_groups:
        if not isinstance(group.cls, type):  # typer's "not given" placeholder
            group.cls = HelpfulGroup
        if isinstance(group.typer_instance, typer.Typer):
            _use_helpful_classes(group.typer_instance)


@cache
def load_commands(module: str) -> Mapping[str, _click.Command]:
    """The commands that ``jointinspect.cli.<module>``'s ``register(app)`` defines, built
    once per process."""
    registrar = typer.Typer(pretty_exceptions_enable=False)
    import_module(f"{PACKAGE}.{module}").register(registrar)
    _use_helpful_classes(registrar)
    return dict(get_group(registrar).commands)


class _Commands(MutableMapping[str, _click.Command]):
    """The group's commands: the table's names at once, each command when looked up."""

    def __init__(self, table: Mapping[str, LazyCommand], added: Mapping[str, _click.Command]):
        self._table = table
        self._names = [*table, *(name for name in added if name not in table)]
        self._given = dict(added)

    def __getitem__(self, name: str) -> _click.Command:
        if name in self._given:
            return self._given[name]
        if name not in self._names:
            raise KeyError(name)
        commands = load_commands(self._table[name].module)
        if name not in commands:
            raise LookupError(
                f"{PACKAGE}.{self._table[name].module} does not define the command {name!r} "
                "that the command table says it does"
            )
        return commands[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        if name not in self._names:
            self._names.append(name)
        self._given[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)  # a ValueError for an unknown name, as a list says it
        self._given.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def summary(self, name: str) -> str:
        """What the command list says of ``name``, without importing its module."""
        if name in self._given:
            command = self._given[name]
            return command.short_help or command.help or ""
        return self._table[name].summary


class LazyGroup(HelpfulGroup):
    """A group whose commands are imported when used; subclasses set :attr:`table`."""

    #: Command name → where it is defined and its summary, in the order help lists them.
    table: ClassVar[Mapping[str, LazyCommand]] = {}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands(self.table, self.commands)

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.commands)

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        # The command list needs each command's name and summary only: render it from a
        # twin whose commands are stand-ins built from the table, so that `--help`
        # imports none of the commands' modules.
        commands = self.commands
        assert isinstance(commands, _Commands)
        twin = copy.copy(self)
        twin.commands = {
            name: TyperCommand(name=name, help=commands.summary(name)) for name in commands
        }
        super(LazyGroup, twin).format_help(ctx, formatter)
