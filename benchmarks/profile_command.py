"""Profile one ``jointinspect`` command with cProfile and print where its time goes.

    .venv/bin/python benchmarks/profile_command.py [--top N] [--out FILE.prof] -- \
        plan --db sqlite:///PATH --quarter 2025Q4 --seed S

Everything after ``--`` is the command line of ``jointinspect`` itself (``plan``,
``file``, ``grade``, ``replan`` …), run in this process exactly as the console script
runs it. Printed: the ``--top`` functions by their own time and by cumulative time;
``--out`` keeps the raw profile for ``snakeviz`` or ``pstats``. The command changes its
database as usual, so profile a copy.
"""

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=30, help="functions to list per ordering")
    parser.add_argument("--out", type=Path, help="write the raw profile here")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command line")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the jointinspect command line after --")
    from jointinspect.cli.app import main as cli_main

    sys.argv = ["jointinspect", *command]
    profiler = cProfile.Profile()
    started = time.monotonic()
    exit_code: object = 0
    profiler.enable()
    try:
        cli_main()
    except SystemExit as stop:  # Typer ends every command with SystemExit
        exit_code = stop.code
    finally:
        profiler.disable()
    wall = time.monotonic() - started
    print(f"\n{' '.join(command)}: {wall:.2f} s wall under the profiler, exit {exit_code}")
    if args.out:
        profiler.dump_stats(args.out)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
