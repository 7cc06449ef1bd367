"""``serve``: the web page an enterprise reaches by scanning an inspection code's QR.

Behind a load balancer, ``--forwarded-allow-ips`` names the proxies whose X-Forwarded-For
is believed; by default none is and the socket's peer is the client, so that nobody can
pick a new address per request to slip past the rate limit. Several ``serve`` processes,
on one host or many, share their rate-limit counters and CSRF secret through ``--redis``.

On a city's database every district is served at once: each code is checked in the
district it names, with that district's key file (``verification.Verifier``), so one
site — and one QR base URL — serves the whole city.
"""

import copy
import ipaddress
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import typer
from pydantic import Field, ValidationError

from jointinspect.cli.context import DbOption, reports_errors, settings_for, starting
from jointinspect.cli.settings import Settings
from jointinspect.models.errors import JointInspectError

# The web stack (uvicorn, FastAPI, the Redis client) and the code keys are imported where
# they are used: `serve --help`, and every other command, should not wait for them.
if TYPE_CHECKING:
    from fastapi import FastAPI

    from jointinspect.verification import Verifier
    from jointinspect.web.app import WebConfig
    from jointinspect.web.shared import SharedState

DEFAULT_PORT = 8000
#: ``jointinspect.web.shared.DEFAULT_PREFIX``, spelled out so that the settings and the
#: help need not load the Redis client (tests/cli/test_cli_help.py checks the two agree).
DEFAULT_PREFIX = "jointinspect"
#: What each worker process builds its app from: the environment the command hands down.
FACTORY = "jointinspect.cli.commands_serve:app_from_environment"
#: Shortens the codes in uvicorn's access log (see web/access_log.py).
ACCESS_LOG_FILTER = "jointinspect.web.access_log.ShortenCodes"
#: How long uvicorn waits for a worker to answer its health check before killing it and
#: starting another. A new worker re-imports the whole CLI first (spawn re-runs the
#: `jointinspect` script), seconds of CPU on a busy machine; uvicorn's 5 s killed every
#: worker before it was up, over and over. A hung worker is replaced this much later.
WORKER_HEALTH_CHECK_SECONDS = 60


class ServeSettings(Settings):
    """The settings only ``serve`` reads, beside everyone's (same ``JOINTINSPECT_`` prefix)."""

    redis_url: str | None = Field(
        default=None,
        description="serve: Redis shared by several serve processes (rate limits, CSRF secret)",
    )
    redis_prefix: str = Field(
        default=DEFAULT_PREFIX,
        min_length=1,
        description="serve: prefix of the keys in Redis; processes with one prefix share",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="serve: proxies (IPs or networks) whose X-Forwarded-For is believed",
    )


class ServeSettingError(JointInspectError):
    """A flag of ``serve`` or its ``JOINTINSPECT_`` variable has a value it cannot take."""


class TrustedProxyError(JointInspectError):
    """``--forwarded-allow-ips`` names something that is not an IP address or network."""


class ProxyOptions(TypedDict):
    """uvicorn's settings for forwarded headers."""

    proxy_headers: bool
    forwarded_allow_ips: str


def proxy_options(trusted: str | None) -> ProxyOptions:
    """Forwarded headers believed from the proxies in ``trusted`` (comma-separated IP
    addresses or networks, or ``*`` for any peer) and from nobody when it is empty."""
    entries = [entry.strip() for entry in (trusted or "").split(",") if entry.strip()]
    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise TrustedProxyError(
                f"--forwarded-allow-ips: {entry!r} is not an IP address or network",
                hint="give the load balancers' addresses, e.g. 10.0.0.5,10.0.1.0/24",
            ) from None
    # Told nothing, uvicorn believes loopback; here it is told exactly whom to believe.
    return {"proxy_headers": bool(entries), "forwarded_allow_ips": ",".join(entries)}


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with the codes in its access log shortened.

    Passed to uvicorn, not applied here: each worker process configures its own logging.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["short_codes"] = {"()": ACCESS_LOG_FILTER}
    config["loggers"]["uvicorn.access"]["filters"] = ["short_codes"]
    return config


def _config(settings: Settings) -> "WebConfig":
    from jointinspect.web.app import WebConfig

    secret = settings.web_secret.get_secret_value().encode() if settings.web_secret else None
    return WebConfig(
        base_url=settings.verify_base_url,
        rate_limit=settings.web_rate_limit,
        csrf_secret=secret,
    )


@contextmanager
def _shared_state(settings: ServeSettings) -> Iterator["SharedState | None"]:
    from jointinspect.web.shared import SharedState

    if not settings.redis_url:
        yield None
        return
    with SharedState(settings.redis_url, prefix=settings.redis_prefix) as shared:
        yield shared


def _verifier(settings: Settings) -> "Verifier":
    """Every district of the configured database open with its keys (or its one unnamed
    district): what the site checks codes with."""
    from jointinspect.verification import Verifier

    return Verifier.open(settings.db, settings.options())


def app_from_environment() -> "FastAPI":
    """The app of one worker, from ``JOINTINSPECT_*`` as ``serve`` set them."""
    from jointinspect.web.app import create_app
    from jointinspect.web.shared import SharedState

    settings = ServeSettings()
    # The worker's connection to Redis lives as long as the worker.
    shared = (
        SharedState(settings.redis_url, prefix=settings.redis_prefix)
        if settings.redis_url
        else None
    )
    # The engines and keys live as long as the worker, like its connection to Redis.
    return create_app(verifier=_verifier(settings), config=_config(settings), shared=shared)


def _serve_settings(ctx: typer.Context, db: str | None, **flags: str | None) -> ServeSettings:
    """Settings from the environment, with the command's flags (and ``--db``) on top."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return ServeSettings(db=settings_for(ctx, db).db, **given)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise ServeSettingError(
            f"the setting {name} is not valid: {first['msg']}",
            hint=f"check $JOINTINSPECT_{name.upper()}, or the flag that sets it "
            "(jointinspect serve --help)",
        ) from None


def _environment_for_workers(settings: ServeSettings) -> dict[str, str]:
    """What each worker process must see to build the app ``serve`` checked."""
    env = {
        "JOINTINSPECT_DB": settings.db,
        "JOINTINSPECT_WEB_RATE_LIMIT": settings.web_rate_limit,
        "JOINTINSPECT_REDIS_PREFIX": settings.redis_prefix,
    }
    if settings.verify_base_url:
        env["JOINTINSPECT_VERIFY_BASE_URL"] = settings.verify_base_url
    if settings.redis_url:
        env["JOINTINSPECT_REDIS_URL"] = settings.redis_url  # the secret comes from Redis
    elif settings.web_secret is None:
        # One secret for this command's workers, so that a form one serves posts to any.
        env["JOINTINSPECT_WEB_SECRET"] = secrets.token_hex(32)
    return env


def register(app: typer.Typer) -> None:
    @app.command()
    @reports_errors
    def serve(
        ctx: typer.Context,
        host: Annotated[
            str,
            typer.Option(
                "--host", metavar="ADDRESS", help="Address to listen on (a proxy in front for TLS)."
            ),
        ] = "127.0.0.1",
        port: Annotated[
            int, typer.Option("--port", metavar="PORT", min=1, max=65535, help="Port.")
        ] = DEFAULT_PORT,
        base_url: Annotated[
            str | None,
            typer.Option(
                "--base-url",
                metavar="URL",
                help="Public URL of this site; QR codes hold URL/v/CODE; https adds HSTS "
                "(default: $JOINTINSPECT_VERIFY_BASE_URL).",
                show_default=False,
            ),
        ] = None,
        rate_limit: Annotated[
            str | None,
            typer.Option(
                "--rate-limit",
                metavar="RATE",
                show_default=False,
                help="Look-ups per client, like 30/minute, counted per worker, or across "
                "every process on one --redis (default: $JOINTINSPECT_WEB_RATE_LIMIT); "
                "'off' only for benchmarks.",
            ),
        ] = None,
        workers: Annotated[
            int,
            typer.Option(
                "--workers", metavar="N", min=1, max=64, help="Worker processes (one per core)."
            ),
        ] = 1,
        forwarded_allow_ips: Annotated[
            str | None,
            typer.Option(
                "--forwarded-allow-ips",
                metavar="IPS",
                show_default=False,
                help="The proxies in front (IP addresses or networks, comma-separated) whose "
                "X-Forwarded-For and X-Forwarded-Proto are believed; by default none, and the "
                "client is the connection's peer (default: $JOINTINSPECT_FORWARDED_ALLOW_IPS).",
            ),
        ] = None,
        redis_url: Annotated[
            str | None,
            typer.Option(
                "--redis",
                metavar="URL",
                show_default=False,
                help="Redis shared by several serve processes, on one host or many: one rate "
                "limit across all, one CSRF secret, like redis://10.0.0.9:6379/0 "
                "(default: $JOINTINSPECT_REDIS_URL; none: each process on its own).",
            ),
        ] = None,
        redis_prefix: Annotated[
            str | None,
            typer.Option(
                "--redis-prefix",
                metavar="PREFIX",
                show_default=False,
                help="Prefix of this site's keys in Redis; processes with the same prefix "
                f"share (default: $JOINTINSPECT_REDIS_PREFIX, else {DEFAULT_PREFIX}).",
            ),
        ] = None,
        access_log: Annotated[
            bool,
            typer.Option(
                "--access-log/--no-access-log",
                help="Log every request (codes cut to their first characters).",
            ),
        ] = True,
        db: DbOption = None,
    ) -> None:
        """Serve code verification for enterprises: GET /v/CODE (page), /api/verify/CODE (JSON).

        The page is in Chinese (?lang=en for English), shows the visit a valid code is
        for and lets the enterprise rate it from the visit day on. Export QR codes with the
        same base URL so that scanning one opens its page. Behind a load balancer, name it
        with --forwarded-allow-ips; run several serve on one --redis to share the limits.
        On a city's database it serves every district: each code is checked in the
        district it names, with that district's key file.
        """
        with starting(serving=True):
            import uvicorn

            from jointinspect.web.app import create_app

        settings = _serve_settings(
            ctx,
            db,
            verify_base_url=base_url,
            web_rate_limit=rate_limit,
            forwarded_allow_ips=forwarded_allow_ips,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
        )
        proxies = proxy_options(settings.forwarded_allow_ips)
        # Build the app once here, so that a missing key, a bad setting or an unreachable
        # Redis is an `Error: …` before anything listens.
        verifier = _verifier(settings)
        try:
            with _shared_state(settings) as shared:
                create_app(verifier=verifier, config=_config(settings), shared=shared)
            districts = verifier.districts
        finally:
            verifier.close()
        # Workers are separate processes: hand them the settings through the environment.
        os.environ.update(_environment_for_workers(settings))
        if workers > 1 and not settings.redis_url:
            typer.echo(
                f"Note: without --redis each of the {workers} workers counts the rate limit "
                "on its own.",
                err=True,
            )
        trusted = proxies["forwarded_allow_ips"] or "none: clients by connection address"
        typer.echo(
            f"Serving code checks on http://{host}:{port}/v/CODE (trusted proxies: {trusted})",
            err=True,
        )
        if len(districts) > 1:
            named = ", ".join(d.label for d in districts)
            typer.echo(f"Each code checked in the district it names: {named}", err=True)
        uvicorn.run(
            FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info" if access_log else "warning",
            access_log=access_log,
            log_config=log_config(),
            server_header=False,
            timeout_worker_healthcheck=WORKER_HEALTH_CHECK_SECONDS,
            **proxies,
        )
