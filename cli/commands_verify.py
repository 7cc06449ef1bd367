"""``verify CODE [--json]``: check an inspection code (contract §6)."""

from typing import Annotated

import typer

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.options import load_keys
from jointinspect.verification import Verification, verification_json, verify_code

#: Exit status per verification status: 0 only for valid (1 stays for errors).
EXIT_CODES = {"valid": 0, "revoked": 2, "unknown": 3, "forged": 4, "malformed": 5}


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def verify(
        ctx: typer.Context,
        code: Annotated[str, typer.Argument(help="The inspection code, e.g. 7KX3M-QW9RT-….")],
        as_json: Annotated[
            bool, typer.Option("--json", help='Print {"status": …, …details…} as JSON.')
        ] = False,
        db: DbOption = None,
    ) -> None:
        """Check an inspection code: valid, revoked, unknown, malformed or forged.

        Exit status 0 only for a valid code (revoked 2, unknown 3, forged 4, malformed 5;
        1 is an error such as a missing key or database).
        """
        settings = settings_for(ctx, db)
        engine = open_engine(settings)
        try:
            keys = load_keys(settings.options(), engine)
            result = verify_code(code, engine=engine, keys=keys)
        finally:
            engine.dispose()
        if as_json:
            typer.echo(verification_json(result))
        else:
            _show(result)
        raise typer.Exit(EXIT_CODES[result.status])


def _show(result: Verification) -> None:
    typer.echo(f"{result.code}: {result.status.upper()} — {result.message}")
    if result.enterprise is None:
        return
    e = result.enterprise
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
