"""``generate``: write a synthetic district as a contract bundle plus its hidden truth."""

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.context import reports_errors
from jointinspect.generation import (
    CLASSIC,
    DEFAULT_PROFILE,
    MAX_ENTERPRISES,
    MIN_ENTERPRISES,
    PROFILES,
    WORLDS,
    generate_district,
)
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter, QuarterFormatError

if TYPE_CHECKING:
    from jointinspect.models.districts import District

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


_HELP = (
    """Generate a synthetic Fengxian district as an import bundle (no database is used).

The bundle goes to OUT/bundle (import it: `jointinspect import OUT/bundle`).
Beside it, hidden: OUT/truth.csv (each enterprise's risk class and
violation propensity) and OUT/truth_inspections.csv (the true violation
probability p of each history.csv row, and p_visible: p without the world's
hidden personal and group effects).

--world chooses the hidden mechanism behind the violations in history.csv:

"""
    + "\n".join(f"{name:<9} {line}" for name, line in WORLDS.items())
    + """

--profile chooses the district's shape (stress profiles for benchmarks):

"""
    + "\n".join(f"{p.name:<9} {p.summary}" for p in PROFILES.values())
)


def register(app: typer.Typer) -> None:
    @app.command(help=_HELP)
    @reports_errors
    def generate(
        out: Annotated[
            Path,
            typer.Argument(metavar="OUT", help="Folder to write bundle/ and the truth files into."),
        ],
        enterprises: Annotated[
            int,
            typer.Option(
                "--enterprises",
                "-n",
                metavar="N",
                help=f"Number of enterprises ({MIN_ENTERPRISES:,}–{MAX_ENTERPRISES:,}).",
            ),
        ] = DEFAULT_ENTERPRISES,
        seed: Annotated[
            str,
            typer.Option(
                "--seed", metavar="SEED", help="Seed: the same seed gives the same files."
            ),
        ] = DEFAULT_SEED,
        quarter: Annotated[
            str | None,
            typer.Option(
                "--quarter",
                metavar="QUARTER",
                help="Quarter to be planned, e.g. 2025Q4 (default: next).",
            ),
        ] = None,
        world: Annotated[
            str,
            typer.Option(
                "--world",
                metavar="WORLD",
                help=f"Hidden mechanism behind the violations: {', '.join(WORLDS)} (see above).",
            ),
        ] = CLASSIC,
        profile: Annotated[
            str,
            typer.Option(
                "--profile",
                metavar="PROFILE",
                help=f"The district's shape: {', '.join(PROFILES)} (see above).",
            ),
        ] = DEFAULT_PROFILE,
        city: Annotated[
            int | None,
            typer.Option(
                "--city",
                metavar="N",
                min=1,
                help="A city instead: N of Shanghai's districts (by area code), each a "
                "district of --enterprises with its own seed, in OUT/<area code>/.",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        planned = _parse_quarter(quarter)
        if city is not None:
            _generate_city(out, city, enterprises, seed, planned, world, profile)
            return

        def report(stage: str, done: int, total: int) -> None:
            typer.echo(f"… {stage} ({done}/{total})", err=True)

        result = generate_district(
            out,
            enterprises=enterprises,
            seed=seed,
            quarter=planned,
            progress=report,
            world=world,
            profile=profile,
        )
        shape = "" if profile == DEFAULT_PROFILE else f", profile {profile}"
        typer.echo(
            f"Synthetic district for {planned} (seed {seed!r}, world {world}{shape}) "
            f"written to {out}"
        )
        for name, count in result.rows.items():
            typer.echo(f"  {name:<22} {count:>10,} rows")
        typer.echo(f"Bundle: {result.bundle_dir}")
        typer.echo(
            f"Truth (not part of the bundle): {result.truth_path}, {result.truth_inspections_path}"
        )


def _generate_city(
    out: Path,
    districts: int,
    enterprises: int,
    seed: str,
    quarter: Quarter,
    world: str,
    profile: str,
) -> None:
    from jointinspect.districts import generate_city

    def report(district: "District", done: int, total: int) -> None:
        typer.echo(f"… {district.label} ({done}/{total})", err=True)

    made = generate_city(
        out,
        districts=districts,
        enterprises=enterprises,
        seed=seed,
        quarter=quarter,
        world=world,
        profile=profile,
        progress=report,
    )
    typer.echo(
        f"Synthetic city for {quarter}: {districts} districts of {enterprises:,} enterprises "
        f"(seed {seed!r}, world {world}) written to {out}"
    )
    for district, generated in made.districts:
        typer.echo(f"  {district.label:<12} {generated.bundle_dir}")
    typer.echo(f"Index: {made.index}")
    typer.echo(
        f"Import each into its district: jointinspect init --district CODE; "
        f"jointinspect import {out}/CODE/bundle --district CODE"
    )
