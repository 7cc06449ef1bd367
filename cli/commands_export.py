"""``export --quarter Q --format F [--department CODE] [--revision N] --out PATH``: the
latest filed revision, or revision N."""

from typing import Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import (
    DbOption,
    QuarterOption,
    open_engine,
    reports_errors,
    settings_for,
    starting,
)

#: ``jointinspect.exporting.FORMATS``, spelled out for the help: that module loads
#: openpyxl, the calendar and QR libraries, which `export --help` should not wait for
#: (tests/cli/test_cli_help.py checks that the two agree).
FORMAT_NAMES = ("json", "csv", "xlsx", "ics", "qr")


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def export(
        ctx: typer.Context,
        quarter: QuarterOption,
        fmt: Annotated[
            str,
            typer.Option("--format", metavar="FORMAT", help=f"One of {', '.join(FORMAT_NAMES)}."),
        ],
        # A string, not a Path: a trailing slash ("exports/") means "into this folder",
        # and Path would drop it.
        out: Annotated[
            str,
            typer.Option(
                "--out",
                metavar="PATH",
                help="File to write, with the format's extension; or a folder (existing, or "
                "ending in /) that takes the name PLAN-rREVISION.EXT; ics and qr write a "
                "folder.",
            ),
        ],
        department: Annotated[
            str | None,
            typer.Option(
                "--department", metavar="CODE", help="Only this department's share (its code)."
            ),
        ] = None,
        revision: Annotated[
            int | None,
            typer.Option(
                "--revision",
                metavar="N",
                min=1,
                help="Export revision N (a draft, too) instead of the latest filed revision.",
            ),
        ] = None,
        headers: Annotated[
            str,
            typer.Option("--headers", metavar="zh|en", help="CSV/XLSX column headers: zh or en."),
        ] = "zh",
        qr_kind: Annotated[
            str, typer.Option("--qr-kind", metavar="png|svg", help="QR image kind: png or svg.")
        ] = "png",
        base_url: Annotated[
            str | None,
            typer.Option(
                "--base-url",
                metavar="URL",
                help="QR codes hold URL/v/CODE, the page that verifies the code "
                "(default: $JOINTINSPECT_VERIFY_BASE_URL, else the bare code).",
                show_default=False,
            ),
        ] = None,
        district: DistrictOption = None,
        db: DbOption = None,
    ) -> None:
        """Write the latest filed revision of a quarter's plan (or --revision N).

        json is the contract document. csv (UTF-8 with BOM) has one row per visit task and
        then one row per off-site check, told apart by the mode column (检查方式: onsite /
        offsite; off-site checks have a due date, 完成期限, instead of a date); every row
        names the plan, revision and filing time. USCCs are exact in the CSV; Excel makes an
        all-digit USCC a number when the CSV is opened by double-click, so open the xlsx,
        or import the CSV with Data → From Text/CSV and set that column to Text. xlsx has a
        计划信息 sheet and a sheet per department; ics one calendar per department and per
        officer; qr one image per visit holding its code (or --base-url/v/CODE).
        """
        with starting():
            from jointinspect.exporting import FOLDER_FORMATS, FORMATS, export_plan

        if fmt not in FORMATS:
            raise typer.BadParameter(f"use one of {', '.join(FORMATS)}", param_hint="--format")
        if headers not in ("zh", "en"):
            raise typer.BadParameter("use zh or en", param_hint="--headers")
        if qr_kind not in ("png", "svg"):
            raise typer.BadParameter("use png or svg", param_hint="--qr-kind")
        settings = settings_for(ctx, db)
        engine = open_engine(settings, district=district)
        try:
            result = export_plan(
                quarter.strip().upper(),
                engine=engine,
                fmt=fmt,
                out=out,
                department=department,
                revision=revision,
                language=headers,
                verify_base_url=base_url or settings.verify_base_url,
                qr_kind=qr_kind,
            )
        finally:
            engine.dispose()
        if fmt in FOLDER_FORMATS:
            where = f"{out} ({len(result.paths)} files)"
        else:
            where = str(result.paths[0])
        share = f" for {department}" if department else ""
        typer.echo(
            f"Wrote revision {result.revision} ({result.status}) of {result.quarter}{share} "
            f"as {fmt}: {where}"
        )
