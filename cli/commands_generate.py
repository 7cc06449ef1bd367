"""``generate``: write a synthetic district as a contract bundle plus its hidden truth."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from jointinspect.cli.context import DbOption, reports_errors
from jointinspect.generation import (
    CLASSIC,
    MAX_ENTERPRISES,
    MIN_ENTERPRISES,
    WORLDS,
    generate_district,
)
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter, QuarterFormatError

DEFAULT_ENTERPRISES = 2_000
DEFAULT_SEED = "fengxian"


class QuarterOptionError(JointInspectError):
    """The --quarter option is not a quarter."""


def _parse_quarter(text: str | None) -> Quarter:
    if text is None:
        return Quarter.containing(dt.date.today()).next()
    try:
        return Quarter.parse(text)
    except QuarterFormatError as exc:
        raise QuarterOptionError(
            str(exc), hint="write the quarter as YYYYQn, e.g. 2025Q4"
        ) from None


_HELP = """Generate a synthetic Fengxian district as an import bundle (no database is used).

The bundle goes to OUT/bundle (import it: `jointinspect import OUT/bundle`).
Beside it, hidden: OUT/truth.csv (each enterprise's risk class and
violation propensity) and OUT/truth_inspections.csv (the true violation
probability p of each history.csv row, and p_visible: p without the world's
hidden personal and group effects).

--world chooses the hidden mechanism behind the violations in history.csv:

""" + "\n".join(f"{name:<9} {line}" for name, line in WORLDS.items())


def register(app: typer.Typer) -> None:
    @app.command(help=_HELP)
    @reports_errors
    def generate(
        out: Annotated[
            Path, typer.Argument(help="Folder to write bundle/ and the truth files into.")
        ],
        enterprises: Annotated[
            int,
            typer.Option(
                "--enterprises",
                "-n",
                help=f"Number of enterprises ({MIN_ENTERPRISES:,}–{MAX_ENTERPRISES:,}).",
            ),
        ] = DEFAULT_ENTERPRISES,
        seed: Annotated[
            str, typer.Option("--seed", help="Seed: the same seed gives the same files.")
        ] = DEFAULT_SEED,
        quarter: Annotated[
            str | None,
            typer.Option("--quarter", help="Quarter to be planned, e.g. 2025Q4 (default: next)."),
        ] = None,
        world: Annotated[
            str,
            typer.Option(
                "--world",
                help=f"Hidden mechanism behind the violations: {', '.join(WORLDS)} (see above).",
            ),
        ] = CLASSIC,
        db: DbOption = None,
    ) -> None:
        planned = _parse_quarter(quarter)

        def report(stage: str, done: int, total: int) -> None:
            typer.echo(f"… {stage} ({done}/{total})", err=True)

        result = generate_district(
            out, enterprises=enterprises, seed=seed, quarter=planned, progress=report, world=world
        )
        typer.echo(
            f"Synthetic district for {planned} (seed {seed!r}, world {world}) written to {out}"
        )
        for name, count in result.rows.items():
            typer.echo(f"  {name:<22} {count:>10,} rows")
        typer.echo(f"Bundle: {result.bundle_dir}")
        typer.echo(
            f"Truth (not part of the bundle): {result.truth_path}, {result.truth_inspections_path}"
        )
