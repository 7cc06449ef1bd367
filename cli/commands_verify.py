"""``verify CODE [--json]``: check an inspection code (contract §6)."""

from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.context import DbOption, reports_errors, settings_for, starting

# Verification needs the database layer, imported when the command runs: `verify --help`
# needs none of it.
if TYPE_CHECKING:
    from jointinspect.verification import Verification

#: Exit status per verification status: 0 only for valid (1 stays for errors).
EXIT_CODES = {"valid": 0, "revoked": 2, "unknown": 3, "forged": 4, "malformed": 5}


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def verify(
        ctx: typer.Context,
        code: Annotated[
            str,
            typer.Argument(metavar="CODE", help="The inspection code, e.g. 7KX3M-QW9RT-…."),
        ],
        as_json: Annotated[
            bool, typer.Option("--json", help='Print {"status": …, …details…} as JSON.')
        ] = False,
        db: DbOption = None,
    ) -> None:
        """Check an inspection code: valid, revoked, unknown, malformed or forged.

        Exit status 0 only for a valid code (revoked 2, unknown 3, forged 4, malformed 5;
        1 is an error such as a missing key or database).
        """
        with starting():
            from jointinspect.verification import verification_json, verify_in_database

        settings = settings_for(ctx, db)
        # In a city's database, the code says which district's keys and records check it.
        result = verify_in_database(code, url=settings.db, options=settings.options())
        if as_json:
            typer.echo(verification_json(result))
        else:
            _show(result)
        raise typer.Exit(EXIT_CODES[result.status])


def _show(result: "Verification") -> None:
    typer.echo(f"{result.code}: {result.status.upper()} — {result.message}")
    if result.enterprise is None:
        return
    e = result.enterprise
    if result.district is not None:
        typer.echo(f"  区 district: {result.district['code']} {result.district['name']}")
    typer.echo(f"  企业 enterprise: {e['name']} ({e['uscc']})")
    if e.get("address"):
        typer.echo(f"  地址 address: {e['address']}")
    label = "检查日期 date" if result.kind == "visit" else "完成期限 due"
    typer.echo(f"  {label}: {result.date}")
    typer.echo("  部门 departments: " + "、".join(d["name"] for d in result.departments))
    if result.officers:
        typer.echo(
            "  检查人员 officers: "
            + "、".join(f"{o['name']}（{o['id']}）" for o in result.officers)
        )
    typer.echo("  检查事项 items: " + "、".join(i["name"] for i in result.items))
    typer.echo(f"  plan {result.plan_id} revision {result.revision}")
