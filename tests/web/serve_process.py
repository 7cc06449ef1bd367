"""``jointinspect serve`` in processes of its own, for the tests that need the real server:
uvicorn's handling of forwarded headers, its access log, and several processes at once.

Every client of these tests connects from an address of its own in 127.0.0.0/8 (all of it
is loopback on Linux), so that tests sharing a server do not share its rate limit.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from helpers.web_world import KEY_SETTING

COMMAND = [sys.executable, "-c", "from jointinspect.cli.app import main; main()"]
#: Two processes importing the whole CLI at once on a busy two-core machine.
STARTUP_SECONDS = 60
STOP_SECONDS = 10


@dataclass(frozen=True)
class Served:
    """One running ``serve``: where it answers and where it logs."""

    base: str
    log: Path
    process: "subprocess.Popen[bytes]"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports free now: each socket is held until all are chosen, so that
    the system cannot hand the same port out twice."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def client_from(address: str) -> httpx.Client:
    """A client whose requests come from ``address`` (a loopback address like 127.0.0.7)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(transport=transport, follow_redirects=False, timeout=10)


def serve_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a test server: none of the developer's JOINTINSPECT_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOINTINSPECT_")}
    return env | {"JOINTINSPECT_DB": db_url, "JOINTINSPECT_KEY": KEY_SETTING} | extra


@contextmanager
def serving(
    runs: Sequence[Sequence[str]],
    *,
    env: dict[str, str],
    folder: Path,
    command: Sequence[str] = COMMAND,
) -> Iterator[list[Served]]:
    """Start one ``serve`` per argument list (all at once), wait until each answers.

    ``command`` runs the CLI (``jointinspect`` as installed, in effect)."""
    started: list[Served] = []
    logs = []
    try:
        for n, (args, port) in enumerate(zip(runs, free_ports(len(runs)), strict=True)):
            log_path = folder / f"serve-{n}.log"
            log = log_path.open("wb")
            logs.append(log)
            process = subprocess.Popen(
                [*command, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append(Served(f"http://127.0.0.1:{port}", log_path, process))
        deadline = time.monotonic() + STARTUP_SECONDS
        for served in started:
            _wait_until_it_answers(served, deadline)
        yield started
    finally:
        for served in started:
            served.process.terminate()
        for served in started:
            try:
                served.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                served.process.kill()
                served.process.wait()
        for log in logs:
            log.close()


def _wait_until_it_answers(served: Served, deadline: float) -> None:
    while True:
        assert served.process.poll() is None, served.log_text()
        try:
            # The stylesheet is not rate limited: polling it counts against no one.
            if httpx.get(f"{served.base}/static/verify.css", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"serve did not answer in time:\n{served.log_text()}"
        time.sleep(0.2)  # polling for readiness, not timing anything
