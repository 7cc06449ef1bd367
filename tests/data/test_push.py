"""Push against real HTTP servers on 127.0.0.1: one failing twice, one timing out, one
answering 4xx — retries, no duplicates, outbox states and error messages."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.plan_factory import sample_plan
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jointinspect.data.codes.filing import file_plan
from jointinspect.data.exports.push import (
    Endpoint,
    EndpointConfigError,
    MissingTokenError,
    NotFiledError,
    RetryPolicy,
    load_endpoint_specs,
    push_plan,
    resolve_tokens,
)
from jointinspect.models import OutboxDelivery, session_scope
from jointinspect.models.codes import CodeKey

NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
CLIENT_TIMEOUT = 0.2
#: How long the "slow" endpoint holds a request: far past the client's timeout.
SERVER_HOLD = 10.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    flaky_failures: int = 2
    slow: bool = True
    requests: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

        def _answer(self, code: int, text: str) -> None:
            body = text.encode("utf-8")
            try:
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout case)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with behaviour.lock:
                behaviour.requests.append(Received(self.path, dict(self.headers), body))
                earlier = sum(1 for r in behaviour.requests if r.path == self.path) - 1
            if self.path == "/flaky":
                if earlier < behaviour.flaky_failures:
                    self._answer(503, "busy, try later")
                else:
                    self._answer(200, "ok")
            elif self.path == "/slow":
                if behaviour.slow:
                    behaviour.release.wait(SERVER_HOLD)
                self._answer(200, "ok")
            elif self.path == "/bad":
                self._answer(400, "unknown department token")
            else:
                self._answer(404, "no such endpoint")

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", behaviour
    finally:
        behaviour.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _ok(_s: Session, _r: int) -> Sequence[str]:
    return []


def _filed(engine: Engine) -> None:
    sample_plan(engine)
    file_plan(
        "2025Q3",
        engine=engine,
        key=CodeKey("k1", b"k" * 32),
        filed_by="t",
        now=NOW,
        check=_ok,
    )


def _outbox(engine: Engine) -> dict[str, tuple[str, int, str | None]]:
    with session_scope(engine) as session:
        return {
            r.department: (r.status, r.attempts, r.last_error)
            for r in session.exec(select(OutboxDelivery))
        }


def test_push_retries_skips_and_records(
    sqlite_engine: Engine, server: tuple[str, Behaviour]
) -> None:
    base, behaviour = server
    _filed(sqlite_engine)
    endpoints = [
        Endpoint("SCJ", f"{base}/flaky", "json", "scj-token", CLIENT_TIMEOUT),
        Endpoint("XF", f"{base}/slow", "json", "xf-token", CLIENT_TIMEOUT),
        Endpoint("WJ", f"{base}/bad", "csv", "wj-token", CLIENT_TIMEOUT),
    ]
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=0.75)

    def push():  # type: ignore[no-untyped-def]
        return push_plan(
            "2025Q3",
            engine=sqlite_engine,
            endpoints=endpoints,
            now=lambda: NOW,
            retry=policy,
            sleep=waits.append,
        )

    report = push()
    by_dept = {o.department: o for o in report.outcomes}
    assert (by_dept["SCJ"].status, by_dept["SCJ"].attempts) == ("delivered", 3)
    assert (by_dept["XF"].status, by_dept["XF"].attempts) == ("failed", 3)
    assert by_dept["XF"].error == (f"{base}/slow timed out after 0.2 s (gave up after 3 attempts)")
    assert (by_dept["WJ"].status, by_dept["WJ"].attempts) == ("rejected", 1)
    assert by_dept["WJ"].error == f"{base}/bad answered HTTP 400: unknown department token"
    # Backoff doubles and is capped; WJ (4xx) never waits. Departments go in code order.
    assert waits == [0.5, 0.75, 0.5, 0.75]
    assert _outbox(sqlite_engine) == {
        "SCJ": ("delivered", 3, None),
        "WJ": ("rejected", 1, by_dept["WJ"].error),
        "XF": ("failed", 3, by_dept["XF"].error),
    }

    flaky = [r for r in behaviour.requests if r.path == "/flaky"]
    assert len(flaky) == 3
    assert {r.headers["Idempotency-Key"] for r in flaky} == {"FX-2025Q3:r1:SCJ"}
    delivered = flaky[-1]
    stamp = delivered.headers["X-JointInspect-Timestamp"]
    expected = hmac.new(b"scj-token", stamp.encode() + b"." + delivered.body, hashlib.sha256)
    assert delivered.headers["X-JointInspect-Signature"] == "sha256=" + expected.hexdigest()
    assert delivered.headers["Authorization"] == "Bearer scj-token"
    share = json.loads(delivered.body)
    assert share["department"] == "SCJ" and share["status"] == "filed"
    assert all(t["department"] == "SCJ" for v in share["visits"] for t in v["tasks"])
    wj = next(r for r in behaviour.requests if r.path == "/bad")
    assert wj.body.startswith(b"\xef\xbb\xbf") and "检查码".encode() in wj.body

    # The next push sends only what was not delivered; SCJ is never sent twice.
    behaviour.slow = False
    sent_before = len(flaky)
    again = {o.department: o for o in push().outcomes}
    assert again["SCJ"].skipped and again["SCJ"].status == "delivered"
    assert len([r for r in behaviour.requests if r.path == "/flaky"]) == sent_before
    assert again["XF"].status == "delivered"
    assert _outbox(sqlite_engine)["XF"] == ("delivered", 4, None)
    assert _outbox(sqlite_engine)["WJ"][:2] == ("rejected", 2)

    count = len(behaviour.requests)
    endpoints.pop()  # WJ fixed by taking it out; nothing else is sent again
    third = push()
    assert all(o.skipped for o in third.outcomes) and len(behaviour.requests) == count


def test_push_needs_a_filed_plan(sqlite_engine: Engine) -> None:
    sample_plan(sqlite_engine)
    with pytest.raises(NotFiledError, match="no filed revision"):
        push_plan("2025Q3", engine=sqlite_engine, endpoints=[], now=lambda: NOW)


def test_endpoint_file_and_tokens(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.toml"
    path.write_text(
        '[departments.XF]\nurl = "https://xf.example/api"\ntoken_env = "XF_TOKEN"\n'
        '[departments.SCJ]\nurl = "https://scj.example/api"\nformat = "csv"\n'
        'token_env = "SCJ_TOKEN"\ntimeout = 3\n',
        encoding="utf-8",
    )
    specs = load_endpoint_specs(path)
    assert [(s.department, s.format, s.timeout) for s in specs] == [
        ("SCJ", "csv", 3.0),
        ("XF", "json", 10.0),
    ]
    endpoints = resolve_tokens(specs, {"XF_TOKEN": "xf-SECRET", "SCJ_TOKEN": "scj-SECRET"})
    assert [e.token for e in endpoints] == ["scj-SECRET", "xf-SECRET"]
    assert "SECRET" not in repr(endpoints)  # tokens stay out of logs
    with pytest.raises(MissingTokenError, match="XF_TOKEN not set"):
        resolve_tokens(specs, {"SCJ_TOKEN": "b"})
    path.write_text('[departments.XF]\nurl = "ftp://x"\ntoken_env = "T"\n', encoding="utf-8")
    with pytest.raises(EndpointConfigError, match="url must be an http"):
        load_endpoint_specs(path)
    with pytest.raises(EndpointConfigError, match="does not exist"):
        load_endpoint_specs(tmp_path / "none.toml")
