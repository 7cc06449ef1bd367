"""Benchmark: how long the command line takes to start (issue 14).

    .venv/bin/python benchmarks/bench_startup.py [--runs 7] [--top 15] [--check] [--tree DIR]

Times, each in fresh child processes (median of ``--runs``, wall clock and CPU seconds):
``jointinspect --help``, ``jointinspect COMMAND --help`` for every command, and
``jointinspect verify CODE`` against a small SQLite database with one filed plan (built
here, in a temporary folder). Then prints the ``-X importtime`` entries that cost the most,
cumulatively, for ``import jointinspect.cli.app`` and for a ``verify`` run.
Goal: every invocation under 0.5 s wall clock on a quiet two-core machine. CPU seconds are
printed beside it because they hardly move when other processes share the machine, which
wall-clock time does. ``--check`` exits 1 when a median misses the goal.

``--tree DIR`` times the jointinspect of another copy of this repository instead of the
installed one — e.g. the last commit, for before/after figures::

    mkdir /tmp/head && git archive HEAD | tar -x -C /tmp/head
    .venv/bin/python benchmarks/bench_startup.py --tree /tmp/head
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Start-up goal of issue 14 for every invocation timed here.
GOAL_SECONDS = 0.5
#: What the console script runs; spelled out so that a tree without the script works too.
MAIN = "from jointinspect.cli.app import main; main()"
#: Before MAIN for another tree (``--tree``): the editable install's finder would import
#: this repository's packages, so it goes, and a view of the tree comes first on the path.
TREE_FIRST = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path "
    "if 'editable' not in type(f).__module__]; sys.path.insert(0, {view!r}); "
)
#: Where the packages live in a tree, and their names under ``jointinspect``.
PACKAGES = ("models", "risk", "data", "scheduler", "cli", "web")
IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True)
class Timing:
    label: str
    wall: float
    cpu: float
    exit_codes: frozenset[int]


def tree_view(tree: Path, folder: Path) -> str:
    """What makes a child import ``tree``'s jointinspect: a ``jointinspect`` folder in
    ``folder`` laid out as installed (as ``.ci/typecheck`` does for mypy)."""
    view = folder / "view"
    package = view / "jointinspect"
    package.mkdir(parents=True)
    for module in (tree / "jointinspect").iterdir():
        (package / module.name).symlink_to(module.resolve())
    for name in PACKAGES:
        (package / name).symlink_to((tree / name).resolve())
    return TREE_FIRST.format(view=str(view))


def run_once(
    entry: Sequence[str], args: Sequence[str], env: dict[str, str]
) -> tuple[float, float, int]:
    """Wall and CPU seconds (user + system) of one child process, and its exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *entry, *args], env=env, capture_output=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def time_invocation(
    label: str, entry: Sequence[str], args: Sequence[str], env: dict[str, str], runs: int
) -> Timing:
    run_once(entry, args, env)  # warm the file cache and the bytecode, as a second run would
    walls, cpus, codes = [], [], set()
    for _ in range(runs):
        wall, cpu, code = run_once(entry, args, env)
        walls.append(wall)
        cpus.append(cpu)
        codes.add(code)
    return Timing(label, statistics.median(walls), statistics.median(cpus), frozenset(codes))


def command_names() -> list[str]:
    """Every command ``jointinspect --help`` lists, asked of the program itself."""
    from typer import _click
    from typer.core import TyperGroup
    from typer.main import get_command

    from jointinspect.cli.app import app

    group = get_command(app)
    assert isinstance(group, TyperGroup)
    return group.list_commands(_click.Context(group))


def verify_database(folder: Path) -> tuple[str, dict[str, str]]:
    """A filed plan of a few visits; one of its codes and the environment to verify it."""
    # bench_verify builds the same database at scale; this reuses its builder.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_verify import KEY, build_database

    path = folder / "startup.db"
    codes = build_database(path, visits=12)
    env = os.environ | {
        "JOINTINSPECT_DB": f"sqlite:///{path}",
        "JOINTINSPECT_KEY": f"{KEY.id}:{KEY.secret.hex()}",
    }
    return codes[len(codes) // 2], env


def importtime_top(args: Sequence[str], env: dict[str, str], top: int) -> list[str]:
    """The ``top`` modules with the largest cumulative import time, as printed lines."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in done.stderr.splitlines():
        match = IMPORTTIME.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            rows.append((int(cumulative_us), int(self_us), len(indent) // 2, name))
    rows.sort(reverse=True)
    total = sum(cumulative for cumulative, _s, depth, _n in rows if depth == 0)
    lines = [f"  total of top-level imports: {total / 1e6:.3f} s ({len(rows)} modules)"]
    lines += [
        f"  {cumulative / 1e6:7.3f} s  (self {self_us / 1e6:.3f})  {'  ' * depth}{name}"
        for cumulative, self_us, depth, name in rows[:top]
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per invocation")
    parser.add_argument("--top", type=int, default=15, help="importtime entries to print")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--tree", type=Path, help="time the jointinspect of this copy instead")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        first = tree_view(args.tree, Path(tmp)) if args.tree else ""
        entry = ["-c", first + MAIN]
        code, env = verify_database(Path(tmp))
        invocations = [("--help", ["--help"])]
        invocations += [(f"{name} --help", [name, "--help"]) for name in command_names()]
        invocations.append(("verify CODE", ["verify", code]))

        print(f"median of {args.runs} runs (after one warm-up run); goal < {GOAL_SECONDS} s")
        print(f"{'invocation':<22} {'wall s':>7} {'cpu s':>7}  exit")
        missed = []
        for label, command in invocations:
            t = time_invocation(label, entry, command, env, args.runs)
            flag = "" if t.wall < GOAL_SECONDS else "  ← over the goal"
            exits = ",".join(map(str, sorted(t.exit_codes)))
            print(f"{t.label:<22} {t.wall:7.3f} {t.cpu:7.3f}  {exits}{flag}", flush=True)
            if t.wall >= GOAL_SECONDS:
                missed.append(label)

        print("\n-X importtime, `import jointinspect.cli.app` (cumulative, largest first):")
        app_import = ["-c", first + "import jointinspect.cli.app"]
        print("\n".join(importtime_top(app_import, env, args.top)))
        print(f"\n-X importtime, `jointinspect verify {code}`:")
        print("\n".join(importtime_top([*entry, "verify", code], env, args.top)))

    if missed:
        print(f"\nOver {GOAL_SECONDS} s: {', '.join(missed)}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
