"""Start-up stays cheap (issue 14): the program imports a command's module, and the heavy
libraries behind it, only when that command runs or shows its help.

What a process has imported is only visible in a fresh one (this test process has
imported everything), so these checks run ``python -c …`` and read its ``sys.modules``.
"""

import ast
import gc
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.web_world import KEY_SETTING, build_world
from typer.testing import CliRunner

from jointinspect.cli.app import COMMANDS, app
from jointinspect.cli.context import PROCESS, starting
from jointinspect.cli.lazy_group import load_commands

CLI = Path(__file__).resolve().parents[2] / "cli"
#: Libraries of a second or so each that only some commands need.
HEAVY = ("matplotlib", "fastapi", "uvicorn", "openpyxl", "ortools", "sklearn", "scipy")
#: What the top-level help and a bare import need none of either: the database layer and
#: the numerical stack.
NOT_FOR_HELP = (*HEAVY, "sqlalchemy", "sqlmodel", "alembic", "numpy", "pandas", "redis")

runner = CliRunner()


def _loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the top-level modules it has imported then."""
    script = (
        "import json, sys\n"
        f"{code}\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[str, list[str], list[str]]:
    """``jointinspect ARGS`` in a fresh interpreter, which must succeed: its output, the
    top-level modules it imported and the command modules of jointinspect.cli among them."""
    script = (
        "import json, sys\n"
        "from jointinspect.cli.app import main\n"
        f"sys.argv = ['jointinspect', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "import gc\n"
        "print('frozen' if gc.get_freeze_count() else 'not frozen')\n"
        "print(json.dumps([sorted({n.split('.')[0] for n in sys.modules}),\n"
        "                  sorted(n for n in sys.modules if '.cli.commands_' in n)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=os.environ | {"COLUMNS": "120"} | (env or {}),
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    *lines, last = done.stdout.splitlines()
    top, commands = json.loads(last)
    return "\n".join(lines), top, commands


def _help(args: list[str]) -> tuple[str, list[str], list[str]]:
    return _run([*args, "--help"])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _loaded_after("import jointinspect.cli.app")
    assert not [name for name in NOT_FOR_HELP if name in loaded]


def test_the_command_list_imports_no_command() -> None:
    output, top, commands = _help([])
    assert commands == []
    assert not [name for name in NOT_FOR_HELP if name in top]
    for name, entry in COMMANDS.items():
        assert name in output
        assert entry.summary in " ".join(output.split()), name


@pytest.mark.slow
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_shows_its_help_without_heavy_libraries(name: str) -> None:
    output, top, commands = _help([name])
    assert f"Usage: jointinspect {name} " in output
    module = COMMANDS[name].module
    assert sorted(commands) == sorted({f"jointinspect.cli.{module}", *_borrowed(module)})
    assert not [library for library in HEAVY if library in top]


def _borrowed(module: str) -> set[str]:
    """The other command modules ``module`` imports (for their shared options)."""
    tree = ast.parse((CLI / f"{module}.py").read_text(encoding="utf-8"))
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("jointinspect.cli.commands_")
    }


@pytest.mark.slow
def test_verifying_a_code_loads_the_database_and_nothing_else_heavy(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'codes.db'}")
    world.engine.dispose()
    env = {"JOINTINSPECT_DB": world.url, "JOINTINSPECT_KEY": KEY_SETTING}
    output, top, commands = _run(["verify", world.valid], env)
    assert f"{world.valid}: VALID" in output
    # The verification library was imported under ``starting``.
    assert "frozen" in output.splitlines()
    assert commands == ["jointinspect.cli.commands_verify"]
    assert "sqlalchemy" in top
    # Alembic too: the database's revision is checked against the head without it.
    assert not [name for name in (*HEAVY, "numpy", "pandas", "alembic", "mako") if name in top]


def _first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


@pytest.mark.parametrize("module", sorted({entry.module for entry in COMMANDS.values()}))
def test_the_command_table_names_what_each_module_defines(module: str) -> None:
    defined = load_commands(module)
    listed = sorted(name for name, entry in COMMANDS.items() if entry.module == module)
    assert sorted(defined) == listed
    for name in listed:
        assert COMMANDS[name].summary == _first_paragraph(defined[name].help), (
            f"the summary of {name} in cli/app.py is not the first paragraph of its help"
        )


def test_every_command_module_is_in_the_table() -> None:
    modules = {path.stem for path in CLI.glob("commands_*.py")}
    assert modules == {entry.module for entry in COMMANDS.values()}


def test_a_mistyped_command_is_an_error_that_suggests_the_right_one() -> None:
    result = runner.invoke(app, ["verfy", "X"])
    assert result.exit_code == 2
    assert "No such command 'verfy'. Did you mean 'verify'?" in " ".join(result.output.split())


#: The library modules a command runs (the workflows behind it): each imports seconds' worth
#: of libraries, which a command imports under :func:`starting`.
WORKFLOWS = {
    f"jointinspect.{name}"
    for name in (
        "calibration",
        "demo",
        "explaining",
        "exporting",
        "filing",
        "grading",
        "importing",
        "planning",
        "publishing",
        "replanning",
        "reporting",
        "verification",
        "web.app",
    )
}


def _unpaused_workflow_imports(module: str, source: str | None = None) -> list[str]:
    """The imports of a workflow in ``module``'s commands (the functions ``register``
    defines) that are not inside ``with starting():``."""
    tree = ast.parse(source or (CLI / f"{module}.py").read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST, paused: bool) -> None:
        if isinstance(node, ast.With):
            paused = paused or any(
                isinstance(item.context_expr, ast.Call)
                and isinstance(item.context_expr.func, ast.Name)
                and item.context_expr.func.id == "starting"
                for item in node.items
            )
        if isinstance(node, ast.ImportFrom) and node.module in WORKFLOWS and not paused:
            found.append(f"{module}.py:{node.lineno} from {node.module} import …")
        for child in ast.iter_child_nodes(node):
            visit(child, paused)

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "register":
            visit(node, paused=False)
    return found


def test_every_command_imports_its_workflow_with_the_collector_paused() -> None:
    modules = sorted({entry.module for entry in COMMANDS.values()})
    imports = {m: _unpaused_workflow_imports(m) for m in modules}
    assert not [line for lines in imports.values() for line in lines]
    # The check sees an import outside ``starting`` (and so can fail).
    probe = (
        "def register(app):\n"
        "    def plan():\n"
        "        with starting():\n"
        "            from jointinspect.planning import plan_quarter\n"
        "        from jointinspect.filing import file_quarter\n"
    )
    assert _unpaused_workflow_imports("probe", probe) == [
        "probe.py:5 from jointinspect.filing import …"
    ]


def test_starting_runs_no_collection_and_freezes_what_it_made() -> None:
    collections: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.collect()
    gc.unfreeze()
    gc.callbacks.append(seen)
    try:
        with starting():
            # As many containers as an import makes: the collector would have run
            # hundreds of times.
            made = [{"n": [i]} for i in range(200_000)]
            assert not gc.isenabled()
        assert collections == []
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 2 * len(made)
        # Paused by the caller (``no_cyclic_gc``): still paused afterwards.
        gc.disable()
        with starting():
            pass
        assert not gc.isenabled()
        gc.enable()
        # Outside it, the same work is collected as usual (the callback sees it).
        more = [{"n": [i]} for i in range(200_000)]
        assert collections and len(more) == len(made)
    finally:
        gc.callbacks.remove(seen)
        gc.unfreeze()
        gc.enable()


@pytest.mark.parametrize(
    ("one_command", "serving", "collecting_after"),
    [
        (True, False, False),  # the console script's command: paused to the end
        (True, True, True),  # ``serve`` runs until stopped
        (False, False, True),  # a process that runs many (tests, the library's callers)
    ],
)
def test_a_process_of_one_command_keeps_the_collector_paused_to_its_end(
    monkeypatch: pytest.MonkeyPatch, one_command: bool, serving: bool, collecting_after: bool
) -> None:
    monkeypatch.setattr(PROCESS, "one_command", one_command)
    try:
        with starting(serving=serving):
            pass
        assert gc.isenabled() == collecting_after
    finally:
        gc.unfreeze()
        gc.enable()


def test_the_console_script_runs_one_command() -> None:
    probe = (
        "import sys\n"
        "from jointinspect.cli import app, context\n"
        "sys.argv = ['jointinspect', '--version']\n"
        "try:\n"
        "    app.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(context.PROCESS.one_command)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "True"
