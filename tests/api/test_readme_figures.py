"""README shows what the program does today: its demo block is what `jointinspect demo`
prints at its default size and seed, and every command and option it names exists.

When the demo's figures change on purpose (a new generator, planner or summary), rewrite
the block from a fresh run instead of by hand:

    .venv/bin/python tests/api/test_readme_figures.py
"""

import os
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from jointinspect.cli.app import app

README = Path(__file__).resolve().parents[2] / "README.md"
#: The demo's first summary line; its block in README starts with it.
FIRST_LINE = "JointInspect demo: "
#: What differs from run to run and machine to machine: the time taken, and the code,
#: which is signed with the key made on each machine (README shows a placeholder).
TIMING = re.compile(r" in \d+ s$")
CODE = re.compile(r"(?<=^Try: jointinspect verify )[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$")
PLACEHOLDER = "XXXXX-XXXXX-XXXXX-XXXXX"
#: Said only where no Chinese font is installed; README says how to install one instead.
FONT_NOTE = "fonts-noto-cjk"


def readme_block(text: str) -> tuple[int, int]:
    """Line numbers (start, end) of the demo's output block in README: its first line
    after the ```text fence, and the closing fence."""
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line == "```text" and lines[k + 1].startswith(FIRST_LINE):
            end = next(j for j in range(k + 1, len(lines)) if lines[j] == "```")
            return k + 1, end
    raise AssertionError(f"README has no ```text block starting with {FIRST_LINE!r}")


def block_quarter(block: list[str]) -> str:
    """The quarter README's block was printed for (the demo plans the next quarter by
    default, so the run to compare with names it)."""
    found = re.search(r" for (\d{4}Q[1-4]) in ", block[0])
    assert found, block[0]
    return found.group(1)


def summary_lines(printed: str) -> list[str]:
    """The summary the demo printed to stdout, from its first line, without the note a
    machine without a Chinese font adds."""
    lines = [line.rstrip() for line in printed.splitlines()]
    start = next(k for k, line in enumerate(lines) if line.startswith(FIRST_LINE))
    return [line for line in lines[start:] if FONT_NOTE not in line]


def comparable(lines: list[str]) -> list[str]:
    return [CODE.sub(PLACEHOLDER, TIMING.sub(" in N s", line)) for line in lines]


@contextmanager
def _own_environment(folder: Path) -> Iterator[None]:
    """Run as a newcomer would: in an empty folder, with no JOINTINSPECT_* settings."""
    saved_cwd, saved_env = Path.cwd(), dict(os.environ)
    for name in [n for n in os.environ if n.startswith("JOINTINSPECT_")]:
        del os.environ[name]
    os.environ["COLUMNS"] = "80"  # the width of a terminal that has not been widened
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)


def run_demo(folder: Path, quarter: str) -> list[str]:
    """`jointinspect demo --quarter QUARTER` in ``folder``: its summary lines."""
    with _own_environment(folder):
        result = CliRunner().invoke(app, ["demo", "--quarter", quarter])
    assert result.exit_code == 0, result.output
    return summary_lines(result.stdout)


@pytest.mark.slow
def test_readme_demo_block_is_what_the_demo_prints(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    start, end = readme_block(text)
    block = text.splitlines()[start:end]
    printed = run_demo(tmp_path, block_quarter(block))
    assert comparable(printed) == comparable(block), (
        "README's demo block is stale; rewrite it with "
        "`.venv/bin/python tests/api/test_readme_figures.py`. The demo printed:\n"
        + "\n".join(printed)
    )
    # The code it offers to verify is a real one of this run, and verifies here.
    code = CODE.search(printed[-1])
    assert code is not None, printed[-1]
    with _own_environment(tmp_path):
        verified = CliRunner().invoke(app, ["verify", code.group(0)])
    assert verified.exit_code == 0, verified.output


# --- every command README names exists, with the options it shows -----------------------


def _readme_commands(text: str) -> list[list[str]]:
    """Each `jointinspect …` command in README's shell blocks and inline code, as words."""
    found: list[str] = []
    in_shell = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_shell = line.strip() in ("```bash", "```sh", "```console")
            continue
        if in_shell:
            found += re.findall(r"(?:^|&& |\s)(?:\.venv/bin/)?(jointinspect [^&#\n]*)", line)
        else:
            found += re.findall(r"`(?:\.venv/bin/)?(jointinspect [^`]*)`", line)
    return [shlex.split(command.replace("…", "")) for command in found]


def _resolve(words: list[str]) -> tuple[Any, list[str]] | None:
    """The (sub)command the words name and the options they give it; None for a pattern
    (`jointinspect COMMAND --help`)."""
    # Any: typer may bring its own copy of click, whose classes are not click's.
    command: Any = get_command(app)
    options = []
    for word in words[1:]:
        if word.startswith("-"):
            options.append(word.split("=", 1)[0])
        elif hasattr(command, "get_command") and not options:  # a group: the word is a name
            if word.isupper():
                return None  # a placeholder for any command
            found = command.get_command(command.context_class(command), word)
            assert found is not None, f"README names `jointinspect … {word}`: no such command"
            command = found
    return command, options


def test_every_command_readme_names_exists() -> None:
    commands = _readme_commands(README.read_text(encoding="utf-8"))
    assert len(commands) > 20  # the tour, the set-up, serving, upgrading
    named = set()
    for words in commands:
        resolved = _resolve(words)
        if resolved is None:
            continue
        command, options = resolved
        named.add(command.name)
        known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
        known.add("--help")
        for option in options:
            assert option in known, f"`{' '.join(words)}`: {command.name} has no {option}"
    for name in ("demo", "upgrade", "current", "publish", "discard", "serve", "verify", "report"):
        assert name in named, f"README no longer shows `{name}`"


def test_readme_codes_are_never_examples_of_another_install() -> None:
    # A code made with this README author's key shows as forged on any other install: the
    # only code-shaped string README may hold is the demo block's placeholder.
    text = README.read_text(encoding="utf-8")
    codes = set(re.findall(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}\b", text))
    assert codes == {PLACEHOLDER}


def rewrite_readme() -> None:
    """Put a fresh run's summary into README's demo block (the code as the placeholder)."""
    text = README.read_text(encoding="utf-8")
    start, end = readme_block(text)
    lines = text.splitlines()
    quarter = block_quarter(lines[start:end])
    with tempfile.TemporaryDirectory() as folder:
        printed = run_demo(Path(folder), quarter)
    fresh = [CODE.sub(PLACEHOLDER, line) for line in printed]
    README.write_text("\n".join([*lines[:start], *fresh, *lines[end:]]) + "\n", encoding="utf-8")
    print(f"README: the demo block for {quarter} is {len(fresh)} lines", file=sys.stderr)


if __name__ == "__main__":
    rewrite_readme()
