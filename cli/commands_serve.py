"""``serve``: the web page an enterprise reaches by scanning an inspection code's QR."""

import os
import secrets
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from jointinspect.cli.context import DbOption, open_engine, reports_errors, settings_for
from jointinspect.cli.settings import Settings, load_settings
from jointinspect.options import load_keys
from jointinspect.web.app import WebConfig, create_app

DEFAULT_PORT = 8000
#: What each worker process builds its app from: the environment the command hands down.
FACTORY = "jointinspect.cli.commands_serve:app_from_environment"


def _config(settings: Settings) -> WebConfig:
    secret = settings.web_secret.get_secret_value().encode() if settings.web_secret else None
    return WebConfig(
        base_url=settings.verify_base_url,
        rate_limit=settings.web_rate_limit,
        csrf_secret=secret,
    )


def app_from_environment() -> FastAPI:
    """The app of one worker, from ``JOINTINSPECT_*`` as ``serve`` set them."""
    settings = load_settings()
    return create_app(
        engine=open_engine(settings), keys=load_keys(settings.options()), config=_config(settings)
    )


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
                help="Look-ups per client and worker, like 30/minute "
                "(default: $JOINTINSPECT_WEB_RATE_LIMIT); 'off' only for benchmarks.",
            ),
        ] = None,
        workers: Annotated[
            int, typer.Option("--workers", min=1, max=64, help="Worker processes (one per core).")
        ] = 1,
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
        # Workers are separate processes: hand them the flags through the environment,
        # and one CSRF secret so that a form served by one worker posts to any other.
        os.environ["JOINTINSPECT_DB"] = settings.db
        if base_url:
            os.environ["JOINTINSPECT_VERIFY_BASE_URL"] = base_url
        if rate_limit:
            os.environ["JOINTINSPECT_WEB_RATE_LIMIT"] = rate_limit
        if settings.web_secret is None:
            os.environ["JOINTINSPECT_WEB_SECRET"] = secrets.token_hex(32)
        # Build the app once here, so that a missing key or a bad setting is an `Error: …`
        # before anything listens.
        engine = open_engine(settings)
        try:
            create_app(
                engine=engine, keys=load_keys(settings.options()), config=_config(load_settings())
            )
        finally:
            engine.dispose()
        typer.echo(f"Serving code checks on http://{host}:{port}/v/CODE", err=True)
        uvicorn.run(
            FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info" if access_log else "warning",
            access_log=access_log,
            server_header=False,
        )
