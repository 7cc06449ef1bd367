"""The options of the commands that work on a city's districts (``--district``,
``--all-districts``, ``--engine``, ``--ray-address``), how a city-wide run is shown, and
where a district's own files are.

Light to import, like ``context``: the city's workflows load when a command runs.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.context import fail

if TYPE_CHECKING:
    from jointinspect.city import CityRun, Fanout
    from jointinspect.cli.settings import Settings
    from jointinspect.models.districts import District

ENGINES = ("local", "ray")

#: ``--district``: one district of a city's database (default: its only one).
DistrictOption = Annotated[
    str | None,
    typer.Option(
        "--district",
        metavar="CODE",
        help="The district of a city's database, by area code (e.g. 310120); default: its "
        "only one.",
        show_default=False,
    ),
]
#: ``--all-districts``: every district of a city's database, fanned out.
AllDistrictsOption = Annotated[
    bool,
    typer.Option(
        "--all-districts",
        help="Every district of a city's database, one task each (see --engine); a district "
        "that fails is reported and the others go on; run again, only what did not finish "
        "runs.",
    ),
]
RedoOption = Annotated[
    bool,
    typer.Option(
        "--redo",
        help="With --all-districts: run again the districts an earlier run of the same "
        "command (quarter and seed, or date) has done.",
    ),
]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="ENGINE",
        help="With --all-districts: local (one district after another, in this process) or "
        "ray (tasks on a Ray cluster; needs jointinspect[ray]).",
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        metavar="ADDR",
        help="With --engine ray: the Ray cluster to join (default: start one on this machine).",
        show_default=False,
    ),
]


def city_fanout(
    district: str | None,
    all_districts: bool,
    engine: str,
    ray_address: str | None,
    redo: bool = False,
) -> "Fanout | None":
    """The fan-out ``--all-districts`` asks for (None: one district), after checking that
    the options go together."""
    if engine not in ENGINES:
        raise typer.BadParameter(f"choose one of {', '.join(ENGINES)}", param_hint="--engine")
    if not all_districts:
        if engine != "local" or ray_address is not None or redo:
            raise typer.BadParameter(
                "these run a city's districts: give --all-districts too",
                param_hint="--engine / --ray-address / --redo",
            )
        return None
    if district is not None:
        raise typer.BadParameter(
            "one district or all of them: not both", param_hint="--district / --all-districts"
        )
    if ray_address is not None and engine != "ray":
        raise typer.BadParameter("a Ray cluster needs --engine ray", param_hint="--ray-address")
    # Imported here, not above: the city's workflows bring OR-Tools and pandas (0.6 s),
    # which a one-district command never needs.
    from jointinspect.city import Fanout

    return Fanout(engine=engine, ray_address=ray_address, redo=redo)


def print_city(run: "CityRun") -> None:
    """Each district's outcome, one line each, then ``Error: …`` naming the districts that
    failed (exit 1) — the others' results are written."""
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "district", "status", "outcome", "time", "peak", title=f"{run.run} ({run.engine})"
    )
    for o in run.outcomes:
        table.add_row(
            o.district.label,
            o.status,
            o.detail,
            f"{o.seconds:.1f} s" if o.seconds else "",
            f"{o.peak_mib:,.0f} MiB" if o.peak_mib else "",
        )
    Console(soft_wrap=True).print(table)
    for note in run.notes:
        typer.echo(f"Warning: {note}")
    done = len(run.outcomes) - len(run.failed)
    typer.echo(f"{done} of {len(run.outcomes)} districts done in {run.seconds:.1f} s.")
    if run.failed:
        named = "; ".join(f"{o.district.label}: {o.detail}" for o in run.failed)
        raise fail(
            f"{len(run.failed)} of {len(run.outcomes)} districts failed: {named}",
            "mend what is said and run the same command again: only those districts run",
        )


def endpoints_file(settings: "Settings", district: "District | None") -> Path:
    """Where the push endpoints of ``district`` are: each district of a city has its own
    departments' systems, so its own file beside the default, named after it
    (``endpoints.toml`` → ``endpoints.310120.toml``, as ``ji.db`` → ``ji.310120.db``). A
    file named by $JOINTINSPECT_ENDPOINTS_FILE is taken as it is (one district's, as a key
    file is); a database without districts has ``endpoints.toml``, as always."""
    given = settings.endpoints_file
    if district is None or "endpoints_file" in settings.model_fields_set:
        return given
    return given.with_name(f"{given.stem}.{district.code}{given.suffix}")
