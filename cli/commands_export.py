"""``export --quarter Q --format F [--department CODE] --out PATH``: the latest revision."""

from pathlib import Path
from typing import Annotated

import typer

from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    open_engine,
    reports_errors,
    settings_for,
)
from jointinspect.exporting import FOLDER_FORMATS, FORMATS, export_plan


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def export(
        ctx: typer.Context,
        quarter: QuarterOption,
        fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")],
        out: Annotated[
            Path, typer.Option("--out", help="File to write (a folder for ics and qr).")
        ],
        department: Annotated[
            str | None,
            typer.Option("--department", help="Only this department's share (its code)."),
        ] = None,
        headers: Annotated[
            str, typer.Option("--headers", help="CSV/XLSX column headers: zh or en.")
        ] = "zh",
        qr_kind: Annotated[
            str, typer.Option("--qr-kind", help="QR image kind: png or svg.")
        ] = "png",
        db: DbOption = None,
    ) -> None:
        """Write the latest revision (draft or filed) of a quarter's plan.

        json is the contract document; csv (UTF-8 with BOM) one row per visit task; xlsx a
        sheet per department; ics one calendar per department and per officer; qr one
        image per visit holding its code (or $JOINTINSPECT_VERIFY_BASE_URL/v/CODE).
        """
        if fmt not in FORMATS:
            raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
        if headers not in ("zh", "en"):
            raise typer.BadParameter("use zh or en", param_hint="--headers")
        if qr_kind not in ("png", "svg"):
            raise typer.BadParameter("use png or svg", param_hint="--qr-kind")
        settings = settings_for(ctx, db)
        engine = open_engine(settings)
        try:
            result = export_plan(
                quarter.strip().upper(),
                engine=engine,
                fmt=fmt,
                out=out,
                department=department,
                language=headers,
                verify_base_url=settings.verify_base_url,
                qr_kind=qr_kind,
            )
        finally:
            engine.dispose()
        where = f"{out} ({len(result.paths)} files)" if fmt in FOLDER_FORMATS else str(out)
        share = f" for {department}" if department else ""
        typer.echo(
            f"Wrote revision {result.revision} ({result.status}) of {result.quarter}{share} "
            f"as {fmt}: {where}"
        )
