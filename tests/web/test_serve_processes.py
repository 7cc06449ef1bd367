"""``jointinspect serve`` as it runs in production (uvicorn in its own process): whom it
takes for the client when a request says X-Forwarded-For, HEAD, what its access log
keeps of a code, and one server for every district of a city."""

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.city_web_world import DISTRICTS, build_city_web
from helpers.web_world import WebWorld, build_world
from serve_process import Served, client_from, serve_env, serving

pytestmark = pytest.mark.slow  # a server process: the CLI's imports alone take seconds

RATE_LIMIT = 3


@pytest.fixture(scope="module")
def lone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WebWorld, Served]]:
    """One ``serve`` with the default proxy setting (none trusted) and the access log on."""
    folder = tmp_path_factory.mktemp("serve")
    world = build_world(f"sqlite:///{folder / 'web.db'}")
    args = ["--rate-limit", f"{RATE_LIMIT}/minute"]
    with serving([args], env=serve_env(world.url), folder=folder) as [served]:
        yield world, served
    world.engine.dispose()


def test_rotating_forwarded_for_does_not_escape_the_rate_limit(
    lone: tuple[WebWorld, Served],
) -> None:
    world, served = lone
    # From 127.0.0.1, the one address uvicorn trusts by default; no other test of this
    # server uses it (the readiness probe's stylesheet is not counted).
    with client_from("127.0.0.1") as client:
        answers = [
            client.get(
                f"{served.base}/api/verify/{world.forged}",
                headers={"x-forwarded-for": f"198.51.100.{n}"},
            ).status_code
            for n in range(RATE_LIMIT + 2)
        ]
    assert answers == [404] * RATE_LIMIT + [429, 429]


def test_head_answers_like_get_without_a_body(lone: tuple[WebWorld, Served]) -> None:
    world, served = lone
    with client_from("127.0.0.3") as client:
        head = client.head(f"{served.base}/v/{world.valid}")
        home = client.head(f"{served.base}/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert home.status_code == 200 and home.content == b""


def test_the_access_log_keeps_only_the_start_of_a_code(lone: tuple[WebWorld, Served]) -> None:
    world, served = lone
    with client_from("127.0.0.4") as client:
        assert client.get(f"{served.base}/v/{world.valid}").status_code == 200
        lower = world.valid.lower().replace("-", "")
        assert client.get(f"{served.base}/api/verify/{lower}").status_code == 200
        hop = client.get(f"{served.base}/v", params={"code": world.other_valid})
        assert hop.status_code == 303
    log = served.log_text()
    lines = [line for line in log.splitlines() if "127.0.0.4" in line]
    assert len(lines) == 3, log
    assert f"/v/{world.valid[:4]}…" in lines[0]
    assert f"/api/verify/{lower[:4]}…" in lines[1]
    assert f"code={world.other_valid[:4]}…" in lines[2]
    compact = {c.replace("-", "").upper() for c in (world.valid, world.other_valid)}
    for line in lines:
        # No run of a code's characters beyond the shortened start, grouped or not.
        squeezed = re.sub(r"[-\s]", "", line).upper()
        assert not any(code[:6] in squeezed for code in compact), line


#: Longer than uvicorn's default worker health check (5 s), which killed every worker
#: that took longer to start, again and again: `serve --workers 2` on a busy machine.
SLOW_WORKER_SECONDS = 7
SLOW_MAIN = f"""
import sys, time
if __name__ == "__mp_main__":  # a worker process re-running this script, as spawn does
    time.sleep({SLOW_WORKER_SECONDS})
from jointinspect.cli.app import main
if __name__ == "__main__":
    sys.exit(main())
"""


def test_workers_that_start_slowly_are_waited_for(tmp_path: Path) -> None:
    world = build_world(f"sqlite:///{tmp_path / 'web.db'}")
    script = tmp_path / "jointinspect_slow.py"
    script.write_text(SLOW_MAIN, encoding="utf-8")
    runs = [["--workers", "2", "--no-access-log"]]
    with serving(
        runs, env=serve_env(world.url), folder=tmp_path, command=[sys.executable, str(script)]
    ) as [served]:
        with client_from("127.0.0.5") as client:
            assert client.get(f"{served.base}/v/{world.valid}").status_code == 200
        assert "died" not in served.log_text()
    world.engine.dispose()


def test_one_serve_checks_every_district_of_a_city(tmp_path: Path) -> None:
    city = build_city_web(f"sqlite:///{tmp_path / 'ji.db'}", tmp_path / "config")
    # Each district's key is read from its own file beside the city: no key setting.
    env = {k: v for k, v in serve_env(city.url).items() if k != "JOINTINSPECT_KEY"}
    with serving([["--no-access-log"]], env=env, folder=tmp_path) as [served]:
        with client_from("127.0.0.6") as client:
            for code, name in DISTRICTS.items():
                answer = client.get(f"{served.base}/api/verify/{city.valid[code]}")
                assert answer.status_code == 200
                assert answer.json()["district"] == {"code": code, "name": name}
            assert client.get(f"{served.base}/api/verify/{city.forged}").status_code == 404
        log = served.log_text()
    assert "Each code checked in the district it names: 310104 徐汇区, 310120 奉贤区" in log
