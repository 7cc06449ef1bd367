"""``init``: create the database and the secret key."""

from typing import TYPE_CHECKING, Annotated

import typer

from jointinspect.cli.city_options import DistrictOption
from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for

if TYPE_CHECKING:
    from jointinspect.options import Options


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def init(
        ctx: typer.Context,
        district: DistrictOption = None,
        district_name: Annotated[
            str | None,
            typer.Option(
                "--district-name",
                metavar="NAME",
                help="With --district: its name, for a district outside Shanghai's table.",
                show_default=False,
            ),
        ] = None,
        db: DbOption = None,
    ) -> None:
        """Create the database (all tables) and the secret key for inspection codes.

        The key file goes beside a SQLite database (ji.db → ji.key) unless
        $JOINTINSPECT_KEY_FILE says otherwise; a database that has a key never gets a
        second one. With --district CODE, the database is a city's and this adds one of
        its districts (tables of its own, its own key: ji.310120.key).
        """
        from jointinspect.options import init_keys  # here: it loads the database layer

        settings = settings_for(ctx, db)
        if district is not None:
            _init_district(settings.db, district, district_name, settings.options())
            return
        engine = open_engine(settings, create=True)
        try:
            keys = init_keys(settings.options(), engine)
        finally:
            engine.dispose()
        typer.echo(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
        ids = ", ".join(keys.key_ids)
        if keys.path is None:
            typer.echo(f"Code key {ids} from JOINTINSPECT_KEY, bound to this database.")
        else:
            state = "created" if keys.created else "kept (already there)"
            typer.echo(f"Secret key {state}: {keys.path} (key {ids}, bound to this database)")


def _init_district(url: str, code: str, name: str | None, options: "Options") -> None:
    from jointinspect.districts import init_district

    setup = init_district(url, code, options=options, name=name)
    typer.echo(f"District {setup.district.label} ready: {setup.database}")
    ids = ", ".join(setup.keys.key_ids)
    if setup.keys.path is None:
        typer.echo(f"Code key {ids} from JOINTINSPECT_KEY, bound to this district.")
    else:
        state = "created" if setup.keys.created else "kept (already there)"
        typer.echo(f"Secret key {state}: {setup.keys.path} (key {ids}, bound to this district)")
