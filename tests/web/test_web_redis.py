"""Several ``serve`` processes, on one host or many, share their rate-limit counters and
their CSRF secret through Redis (``serve --redis URL``).

Tests that need Redis use the server at $JOINTINSPECT_TEST_REDIS (default
redis://127.0.0.1:6379/0) under a key prefix of their own, removed afterwards, and skip,
saying why, where there is none.
"""

import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from helpers.web_world import KEY_SETTING, RING, WebWorld, build_world
from limits.storage import RedisStorage
from serve_process import Served, client_from, serve_env, serving
from typer.testing import CliRunner

from jointinspect.cli.app import app as cli_app
from jointinspect.web.app import WebConfig, create_app
from jointinspect.web.security import CSRF_COOKIE, ClientRateLimiter
from jointinspect.web.shared import SharedState

REDIS_URL = os.environ.get("JOINTINSPECT_TEST_REDIS", "redis://127.0.0.1:6379/0")
#: A port nothing listens on: Redis "down".
NO_REDIS = "redis://127.0.0.1:1/0"
LIMIT = 4


def _redis_missing() -> str | None:
    """None when the test Redis answers, else why not."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"no Redis at {REDIS_URL}: {exc}"
    finally:
        client.close()
    return None


@contextmanager
def _fresh_prefix() -> Iterator[str]:
    """A key prefix no other run uses; every key under it is deleted afterwards."""
    reason = _redis_missing()
    if reason:
        pytest.skip(reason)
    prefix = f"ji-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def prefix() -> Iterator[str]:
    with _fresh_prefix() as value:
        yield value


@pytest.fixture
def world(tmp_path: Path) -> Iterator[WebWorld]:
    world = build_world(f"sqlite:///{tmp_path / 'web.db'}")
    yield world
    world.engine.dispose()


@pytest.fixture
def shared_pair(prefix: str) -> Iterator[tuple[SharedState, SharedState]]:
    """Two processes' worth of shared state on one Redis."""
    with SharedState(REDIS_URL, prefix=prefix) as one, SharedState(REDIS_URL, prefix=prefix) as two:
        yield one, two


def _app(world: WebWorld, shared: SharedState | None, rate_limit: str = "off") -> TestClient:
    app = create_app(
        engine=world.engine,
        keys=RING,
        config=WebConfig(rate_limit=rate_limit),
        shared=shared,
        today=lambda: world.valid_date,
    )
    return TestClient(app, client=("203.0.113.20", 5000), follow_redirects=False)


def _token(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no rating form"
    return match.group(1)


# --- in one process: two apps as two servers ---------------------------------------------


def test_two_servers_count_one_limit(
    world: WebWorld, shared_pair: tuple[SharedState, SharedState]
) -> None:
    servers = [_app(world, shared, rate_limit=f"{LIMIT}/minute") for shared in shared_pair]
    answers = [servers[n % 2].get(f"/api/verify/{world.forged}") for n in range(LIMIT + 2)]
    assert [a.status_code for a in answers] == [404] * LIMIT + [429, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
    elsewhere = TestClient(servers[0].app, client=("203.0.113.21", 5000))
    assert elsewhere.get(f"/api/verify/{world.forged}").status_code == 404  # per client


def test_a_form_from_one_server_posts_to_the_other(
    world: WebWorld, shared_pair: tuple[SharedState, SharedState]
) -> None:
    one, two = (_app(world, shared) for shared in shared_pair)
    page = one.get(f"/v/{world.valid}")
    two.cookies.set(CSRF_COOKIE, page.cookies[CSRF_COOKIE], path="/v/")
    posted = two.post(f"/v/{world.valid}/rating", data={"rating": "5", "csrf": _token(page.text)})
    assert posted.status_code == 303


def test_without_redis_each_server_signs_with_its_own_secret(world: WebWorld) -> None:
    one, two = _app(world, None), _app(world, None)
    page = one.get(f"/v/{world.valid}")
    two.cookies.set(CSRF_COOKIE, page.cookies[CSRF_COOKIE], path="/v/")
    posted = two.post(f"/v/{world.valid}/rating", data={"rating": "5", "csrf": _token(page.text)})
    assert posted.status_code == 403


def test_the_csrf_secret_is_made_once(prefix: str) -> None:
    secrets: list[bytes] = []

    def start_a_server() -> None:
        with SharedState(REDIS_URL, prefix=prefix) as shared:
            secrets.append(shared.csrf_secret())

    threads = [threading.Thread(target=start_a_server) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(secrets) == 8 and len(set(secrets)) == 1
    client = redis.Redis.from_url(REDIS_URL)
    assert client.get(f"{prefix}:csrf-secret") == secrets[0]
    assert client.ttl(f"{prefix}:csrf-secret") == -1  # kept until someone deletes it
    client.close()
    assert len(secrets[0]) >= 32


def test_a_configured_secret_is_used_and_redis_keeps_none(world: WebWorld, prefix: str) -> None:
    with SharedState(REDIS_URL, prefix=prefix) as shared:
        create_app(
            engine=world.engine,
            keys=RING,
            config=WebConfig(csrf_secret=b"s" * 32),
            shared=shared,
        )
    client = redis.Redis.from_url(REDIS_URL)
    assert client.exists(f"{prefix}:csrf-secret") == 0
    client.close()


# --- Redis down ------------------------------------------------------------------------


def test_redis_down_at_run_time_lets_requests_through_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = RedisStorage(
        NO_REDIS, wrap_exceptions=True, socket_connect_timeout=0.5, socket_timeout=0.5
    )
    limiter = ClientRateLimiter("1/minute", storage=storage)
    with caplog.at_level(logging.WARNING):
        assert [limiter.allow("203.0.113.9") for _ in range(3)] == [True, True, True]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, not once per request
    assert "rate limit" in warnings[0].getMessage()


@pytest.fixture
def cli_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    world = build_world(f"sqlite:///{tmp_path / 'web.db'}")
    yield {"JOINTINSPECT_DB": world.url, "JOINTINSPECT_KEY": KEY_SETTING}
    world.engine.dispose()


@pytest.mark.parametrize(
    ("flags", "error", "secret"),
    [
        (
            ["--redis", "redis://:hunter2@127.0.0.1:1/0"],
            "Error: Redis does not answer at redis://:***@127.0.0.1:1/0",
            "hunter2",
        ),
        (["--redis", "http://127.0.0.1:6379"], "Error: --redis 'http://127.0.0.1:6379' is", None),
        (
            ["--forwarded-allow-ips", "10.0.0.5,proxy"],
            "Error: --forwarded-allow-ips: 'proxy' is not an IP address or network",
            None,
        ),
    ],
)
def test_serve_refuses_a_bad_setting_before_it_listens(
    cli_env: dict[str, str], flags: list[str], error: str, secret: str | None
) -> None:
    result = CliRunner().invoke(cli_app, ["serve", *flags], env=cli_env)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(error), result.stderr
    assert "Hint: " in result.stderr and "Traceback" not in result.stderr
    assert "Serving" not in result.stderr
    if secret:
        assert secret not in result.stderr


@pytest.mark.parametrize(
    ("flags", "env"),
    [(["--redis-prefix", ""], {}), ([], {"JOINTINSPECT_REDIS_PREFIX": ""})],
)
def test_serve_names_a_bad_setting_in_one_line(
    cli_env: dict[str, str], flags: list[str], env: dict[str, str]
) -> None:
    result = CliRunner().invoke(cli_app, ["serve", *flags], env=cli_env | env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the setting redis_prefix is not valid: ")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 2


def test_redis_url_comes_from_the_environment_too(cli_env: dict[str, str]) -> None:
    env = cli_env | {"JOINTINSPECT_REDIS_URL": NO_REDIS}
    result = CliRunner().invoke(cli_app, ["serve"], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: Redis does not answer at {NO_REDIS}")


# --- two `serve` processes on one Redis and one database -------------------------------


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, list[Served]]]:
    with _fresh_prefix() as key_prefix:
        folder = tmp_path_factory.mktemp("pair")
        world = build_world(f"sqlite:///{folder / 'web.db'}")
        args = ["--redis", REDIS_URL, "--redis-prefix", key_prefix]
        args += ["--rate-limit", f"{LIMIT}/minute"]
        with serving([args, args], env=serve_env(world.url), folder=folder) as servers:
            yield world, servers
        world.engine.dispose()


@pytest.mark.slow
def test_two_serve_processes_limit_a_client_in_total(
    pair: tuple[WebWorld, list[Served]],
) -> None:
    world, servers = pair
    with client_from("127.0.0.11") as client:
        answers = [
            client.get(f"{servers[n % 2].base}/api/verify/{world.forged}").status_code
            for n in range(LIMIT + 2)
        ]
    assert answers == [404] * LIMIT + [429, 429]  # the last two: one from each process


@pytest.mark.slow
def test_two_serve_processes_share_the_csrf_secret(pair: tuple[WebWorld, list[Served]]) -> None:
    world, (one, two) = pair
    with client_from("127.0.0.12") as client:
        page = client.get(f"{one.base}/v/{world.valid}")
        assert page.status_code == 200
        # Cookies do not tell ports apart: the nonce goes to the other process as it would
        # behind a load balancer.
        posted = client.post(
            f"{two.base}/v/{world.valid}/rating",
            data={"rating": "4", "csrf": _token(page.text)},
        )
        assert posted.status_code == 303, posted.text
        after = client.get(f"{one.base}/v/{world.valid}")
    assert 'data-state="rated"' in after.text
