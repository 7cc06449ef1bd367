"""``serve``: the web page an enterprise reaches by scanning an inspection code's QR."""

from typing import Annotated

import typer
import uvicorn

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.cli.keyring import load_keys
from jointinspect.cli.web_app import WebConfig, create_app

DEFAULT_PORT = 8000


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def serve(
        ctx: typer.Context,
        host: Annotated[
            str, typer.Option("--host", help="Address to listen on (a proxy in front for TLS).")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = DEFAULT_PORT,
        base_url: Annotated[
            str | None,
            typer.Option(
                "--base-url",
                help="Public URL of this site; QR codes hold {base-url}/v/CODE "
                "(default: $JOINTINSPECT_VERIFY_BASE_URL).",
            ),
        ] = None,
        rate_limit: Annotated[
            str | None,
            typer.Option(
                "--rate-limit",
                help="Look-ups per client, like 30/minute (default: $JOINTINSPECT_WEB_RATE_LIMIT);"
                " 'off' only for benchmarks.",
            ),
        ] = None,
        access_log: Annotated[
            bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
        ] = True,
        db: DbOption = None,
    ) -> None:
        """Serve code verification for enterprises: GET /v/CODE (page), /api/verify/CODE (JSON).

        The page is in Chinese (?lang=en for English), shows the visit a valid code is
        for and lets the enterprise rate it from the visit day on. Export QR codes with the
        same base URL so that scanning one opens its page.
        """
        settings = settings_for(ctx, db)
        keys = load_keys(settings)
        engine = open_engine(settings)
        secret = settings.web_secret.get_secret_value().encode() if settings.web_secret else None
        config = WebConfig(
            base_url=base_url or settings.verify_base_url,
            rate_limit=rate_limit or settings.web_rate_limit,
            csrf_secret=secret,
        )
        web = create_app(engine=engine, keys=keys, config=config)
        typer.echo(f"Serving code checks on http://{host}:{port}/v/CODE", err=True)
        try:
            uvicorn.run(
                web,
                host=host,
                port=port,
                log_level="info" if access_log else "warning",
                access_log=access_log,
                server_header=False,
            )
        finally:
            engine.dispose()
