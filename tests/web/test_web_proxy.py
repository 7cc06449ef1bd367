"""The verification site behind a proxy: whose address counts, HSTS, HEAD, and what the
access log keeps of a code."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from helpers.web_world import RING, WebWorld, build_world
from starlette.routing import Route
from uvicorn.logging import AccessFormatter

from jointinspect.cli.commands_serve import log_config, proxy_options
from jointinspect.models import make_engine
from jointinspect.web.access_log import ShortenCodes, shorten_codes
from jointinspect.web.app import WebConfig, create_app

HTTPS = "https://jc.fengxian.example.cn"
HSTS = "max-age=31536000"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    world = build_world(f"sqlite:///{tmp_path_factory.mktemp('proxy') / 'web.db'}")
    yield world
    world.engine.dispose()


def _app(world: WebWorld, *, base_url: str | None = None, rate_limit: str = "off") -> FastAPI:
    config = WebConfig(base_url=base_url, rate_limit=rate_limit)
    return create_app(engine=world.engine, keys=RING, config=config)


def _client(world: WebWorld, *, base_url: str | None = None, rate_limit: str = "off") -> TestClient:
    return TestClient(_app(world, base_url=base_url, rate_limit=rate_limit), follow_redirects=False)


# --- forwarded headers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "peer", "limited"),
    [
        (None, "127.0.0.1", True),  # nothing trusted by default, loopback included
        ("", "127.0.0.1", True),
        ("10.0.0.5", "10.0.0.6", True),  # a peer that is not the proxy
        ("10.0.0.5", "10.0.0.5", False),
        ("10.0.0.5, 10.0.1.0/24", "10.0.1.77", False),
        ("*", "192.0.2.1", False),  # any peer: only where nothing but the proxy reaches it
    ],
)
def test_forwarded_for_counts_only_from_a_trusted_proxy(
    world: WebWorld, trusted: str | None, peer: str, limited: bool
) -> None:
    app = _app(world, rate_limit="2/minute")
    config = uvicorn.Config(app, log_config=None, **proxy_options(trusted))
    config.load()  # wraps the app as `serve` runs it
    client = TestClient(config.loaded_app, client=(peer, 5000))
    answers = [
        client.get(
            f"/api/verify/{world.forged}", headers={"x-forwarded-for": f"198.51.100.{n}"}
        ).status_code
        for n in range(4)
    ]
    assert answers == ([404, 404, 429, 429] if limited else [404] * 4)


# --- HSTS ------------------------------------------------------------------------------


def test_hsts_on_every_answer_of_an_https_site(world: WebWorld) -> None:
    client = _client(world, base_url=HTTPS, rate_limit="1/minute")
    responses = [
        client.get(f"/v/{world.valid}"),
        client.get(f"/api/verify/{world.valid}"),  # 429 by now
        client.get("/no/such/page"),
        client.get("/static/verify.css"),
        client.get("/v", params={"code": world.valid}),
    ]
    assert [r.status_code for r in responses] == [200, 429, 404, 200, 303]
    for response in responses:
        assert response.headers["strict-transport-security"] == HSTS


def test_hsts_on_a_server_error_of_an_https_site(tmp_path: Path, world: WebWorld) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(engine=empty, keys=RING, config=WebConfig(base_url=HTTPS, rate_limit="off"))
    response = TestClient(app, raise_server_exceptions=False).get(f"/v/{world.valid}")
    assert response.status_code == 500
    assert response.headers["strict-transport-security"] == HSTS
    empty.dispose()


@pytest.mark.parametrize("base_url", [None, "http://jc.fengxian.example.cn"])
def test_no_hsts_for_a_plain_http_site(world: WebWorld, base_url: str | None) -> None:
    response = _client(world, base_url=base_url).get(f"/v/{world.valid}")
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


# --- HEAD ------------------------------------------------------------------------------


def test_head_is_allowed_wherever_get_is(world: WebWorld) -> None:
    app = _app(world)
    routes = [r for r in app.routes if isinstance(r, Route) and "GET" in (r.methods or ())]
    assert len(routes) >= 5
    assert [r.path for r in routes if "HEAD" not in (r.methods or ())] == []
    client = TestClient(app, follow_redirects=False)
    for path in (
        "/",
        "/static/verify.css",
        f"/v/{world.valid}",
        f"/v/{world.forged}",
        f"/api/verify/{world.revoked}",
        f"/v?code={world.valid}",
    ):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code, path
        assert head.headers.get("content-type") == get.headers.get("content-type"), path
        assert head.headers.get("location") == get.headers.get("location"), path


def test_head_counts_against_the_rate_limit(world: WebWorld) -> None:
    client = _client(world, rate_limit="2/minute")
    assert [client.head(f"/v/{world.forged}").status_code for _ in range(3)] == [404, 404, 429]


# --- the access log --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/v/APMEP-CX467-B579W-8WGXY", "/v/APME…"),
        ("/v/APMEP-CX467-B579W-8WGXY?lang=en&rated=1", "/v/APME…?lang=en&rated=1"),
        ("/v/apmepcx467b579w8wgxy/rating?lang=zh", "/v/apme…/rating?lang=zh"),
        ("/api/verify/APMEP-CX467-B579W-8WGXY", "/api/verify/APME…"),
        ("/v?code=APMEP-CX467-B579W-8WGXY&lang=en", "/v?code=APME…&lang=en"),
        ("/v?lang=en&code=APMEP%20CX467", "/v?lang=en&code=APME…"),
        ("/v/APM", "/v/APM"),  # nothing to hide in what is shorter than what is kept
        ("/static/verify.css", "/static/verify.css"),
        ("/", "/"),
    ],
)
def test_codes_are_shortened_in_the_access_log(path: str, shown: str) -> None:
    assert shorten_codes(path) == shown


def test_serve_logs_access_through_the_filter() -> None:
    config = log_config()
    access = config["loggers"]["uvicorn.access"]
    [name] = access["filters"]
    assert config["filters"][name]["()"] == "jointinspect.web.access_log.ShortenCodes"
    code = "APMEP-CX467-B579W-8WGXY"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.5:40000", "GET", f"/v/{code}?lang=en", "1.1", 200),
        None,
    )
    assert ShortenCodes().filter(record)
    line = AccessFormatter(fmt=config["formatters"]["access"]["fmt"], use_colors=False).format(
        record
    )
    assert code not in line and "CX467" not in line
    assert '"GET /v/APME…?lang=en HTTP/1.1" 200' in line
