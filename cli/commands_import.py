"""``import DIR [--strict]``: validate a bundle (spec §1) and import it, all or nothing."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for, starting

# The import workflow is loaded when the command runs, not for `import --help`.
if TYPE_CHECKING:
    from jointinspect.importing import ImportProgress, ImportReport, Problem, ProgressCallback

#: How many warnings a successful import prints before it only counts the rest.
WARNINGS_SHOWN = 20


@contextmanager
def _progress_display() -> Iterator["ProgressCallback | None"]:
    """One progress bar on a terminal's stderr (file by file, rows while writing);
    nothing when stderr is not a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bars:
        task = bars.add_task("reading the bundle", total=None)

        def update(event: "ImportProgress") -> None:
            verb = "checked" if event.phase == "validate" else "writing"
            bars.update(
                task,
                description=f"{verb} {event.file}",
                completed=event.done,
                total=event.total,
            )

        yield update


def _print_warnings(warnings: tuple["Problem", ...]) -> None:
    if not warnings:
        return
    noun = "warning" if len(warnings) == 1 else "warnings"
    typer.echo(f"{len(warnings)} {noun} (imported all the same):", err=True)
    for warning in warnings[:WARNINGS_SHOWN]:
        typer.echo(f"  {warning}", err=True)
    if len(warnings) > WARNINGS_SHOWN:
        typer.echo(f"  … and {len(warnings) - WARNINGS_SHOWN} more", err=True)


def _print_summary(report: "ImportReport") -> None:
    table = Table(title="Imported", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("inserted", justify="right")
    table.add_column("updated", justify="right")
    for summary in report.files:
        table.add_row(
            summary.file, f"{summary.rows:,}", f"{summary.inserted:,}", f"{summary.updated:,}"
        )
    table.add_row(
        "total",
        f"{report.rows:,}",
        f"{sum(s.inserted for s in report.files):,}",
        f"{sum(s.updated for s in report.files):,}",
        style="bold",
    )
    Console(soft_wrap=True).print(table)
    typer.echo(f"Done in {report.seconds:.1f} s.")


def register(app: typer.Typer) -> None:
    @app.command("import")
    @reports_errors
    def import_(
        ctx: typer.Context,
        bundle: Annotated[
            Path,
            typer.Argument(
                metavar="DIR",
                help="Folder with the bundle's CSV files (departments.csv, enterprises.csv …).",
                show_default=False,
            ),
        ],
        strict: Annotated[
            bool,
            typer.Option(
                "--strict",
                help="Refuse USCCs with a wrong GB 32100 check character (a warning otherwise),"
                " and outcomes or feedback on revoked codes.",
            ),
        ] = False,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Import a bundle (spec §1), all or nothing: every row is checked first.

        Nothing is written unless the whole bundle is valid. Re-importing the same bundle
        changes nothing; a later bundle may hold only what changed (new triggers,
        outcomes …).
        """
        with starting():
            from jointinspect.importing import BundleInvalid, check_bundle_dir, import_bundle

        check_bundle_dir(bundle)
        settings = settings_for(ctx, db)
        engine = open_engine(settings, district=district)
        try:
            with _progress_display() as progress:
                report = import_bundle(bundle, engine=engine, strict=strict, progress=progress)
        except BundleInvalid as exc:
            typer.echo(f"Error: {exc}", err=True)
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            if exc.warnings:
                typer.echo(f"({len(exc.warnings)} warnings besides)", err=True)
            raise typer.Exit(1) from None
        finally:
            engine.dispose()
        _print_warnings(report.warnings)
        _print_summary(report)
