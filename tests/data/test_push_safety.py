"""Push against hostile or busy receivers on 127.0.0.1: a 500 with a huge body is read only
as far as the excerpt needs, a trickled reply is cut at the attempt's deadline, two pushes
at once send each share once, and every POST is an attempt on record."""

import datetime as dt
import gzip
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from helpers.plan_factory import sample_plan
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from jointinspect.data.codes.filing import file_plan
from jointinspect.data.exports.push import (
    Endpoint,
    EndpointConfigError,
    PushReport,
    RetryPolicy,
    load_endpoint_specs,
    push_plan,
    resolve_tokens,
)
from jointinspect.models import OutboxDelivery, create_schema, make_engine, session_scope
from jointinspect.models.codes import CodeKey

NOW = dt.datetime(2025, 6, 20, 9, 0, tzinfo=dt.UTC)
#: The huge error body: far more than push may hold, little enough for the old code to
#: read in a second or two (so the test fails rather than swaps).
HUGE = 64 * 1024 * 1024
TRICKLE_EVERY = 0.2
#: How long the "busy" receiver takes over each POST, so that two pushes overlap.
HOLD = 0.3


@dataclass
class Received:
    path: str
    key: str


@dataclass
class Server:
    base: str
    requests: list[Received] = field(default_factory=list)
    #: Bytes of the huge body the receiver got into the socket before the client left.
    huge_sent: int = 0
    huge_done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Called on each POST to /observe with the Idempotency-Key (sees the outbox mid-send).
    observe: Callable[[str], None] | None = None

    def keys(self, path: str) -> Counter[str]:
        return Counter(r.key for r in self.requests if r.path == path)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

        def _trickle(self, data: bytes) -> None:
            for i in range(len(data)):
                if server.stop.wait(TRICKLE_EVERY):
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()

        def _huge(self) -> None:
            self.send_response(500)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            chunk = (b"internal error: the archive is full. " * 2000)[: 64 * 1024]
            while server.huge_sent < HUGE:
                self.wfile.write(chunk)
                server.huge_sent += len(chunk)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            with server.lock:
                server.requests.append(Received(self.path, key))
            try:
                if self.path == "/huge":
                    try:
                        self._huge()
                    finally:
                        server.huge_done.set()
                elif self.path == "/trickle-body":
                    self.send_response(200)
                    self.send_header("Content-Length", "25")
                    self.end_headers()
                    self._trickle(b"x" * 25)
                elif self.path == "/trickle-head":
                    self._trickle(b"HTTP/1.0 200 OK\r\n\r\n")
                elif self.path == "/gzip":
                    body = gzip.compress(b"token expired")
                    self.send_response(403)
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif self.path in ("/busy", "/observe"):
                    if self.path == "/observe" and server.observe is not None:
                        server.observe(key)
                    server.stop.wait(HOLD)
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass  # push hung up: the point of most of these endpoints

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Server("")))
    state = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(state)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _ok(_s: Session, _r: int) -> Sequence[str]:
    return []


def _filed(engine: Engine) -> None:
    sample_plan(engine)
    file_plan(
        "2025Q3", engine=engine, key=CodeKey("k1", b"k" * 32), filed_by="t", now=NOW, check=_ok
    )


def _outbox(engine: Engine) -> dict[str, tuple[str, int, str | None]]:
    with session_scope(engine) as session:
        return {
            r.department: (r.status, r.attempts, r.last_error)
            for r in session.exec(select(OutboxDelivery))
        }


def _push(
    engine: Engine,
    endpoints: list[Endpoint],
    *,
    attempts: int = 1,
    transport: httpx.BaseTransport | None = None,
) -> PushReport:
    return push_plan(
        "2025Q3",
        engine=engine,
        endpoints=endpoints,
        now=lambda: NOW,
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.0),
        sleep=lambda _s: None,
        transport=transport,
    )


def test_a_huge_error_body_is_read_only_as_far_as_the_excerpt(
    sqlite_engine: Engine, server: Server
) -> None:
    _filed(sqlite_engine)
    tracemalloc.start()
    try:
        report = _push(sqlite_engine, [Endpoint("SCJ", f"{server.base}/huge", "json", "t", 5)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert server.huge_done.wait(5)
    # What the receiver got into the socket is bounded by the kernel's buffers, not the body.
    assert server.huge_sent < HUGE // 4
    assert peak < 8 * 1024 * 1024
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    assert outcome.error is not None
    assert outcome.error.startswith(
        f"{server.base}/huge answered HTTP 500: internal error: the archive is full."
    )
    assert len(outcome.error) < 400
    assert _outbox(sqlite_engine)["SCJ"][:2] == ("failed", 1)


@pytest.mark.parametrize("path", ["/trickle-body", "/trickle-head"])
def test_a_trickled_reply_is_cut_at_the_deadline(
    sqlite_engine: Engine, server: Server, path: str
) -> None:
    _filed(sqlite_engine)
    # Every read arrives well within the 5 s timeout; only the 1 s deadline can stop it.
    endpoint = Endpoint("SCJ", f"{server.base}{path}", "json", "t", timeout=5.0, deadline=1.0)
    started = time.monotonic()
    report = _push(sqlite_engine, [endpoint], attempts=2)
    elapsed = time.monotonic() - started
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.attempts) == ("failed", 2)
    assert outcome.error == (
        f"{server.base}{path} timed out: no complete reply within the 1 s deadline"
        " (gave up after 2 attempts)"
    )
    assert 1.8 < elapsed < 4.0
    # Both POSTs, the cut-off ones too, are on record.
    assert sum(server.keys(path).values()) == 2
    assert _outbox(sqlite_engine)["SCJ"] == ("failed", 2, outcome.error)


def test_an_error_excerpt_is_one_readable_line(sqlite_engine: Engine, server: Server) -> None:
    _filed(sqlite_engine)

    def refuse(request: httpx.Request) -> httpx.Response:
        assert request.headers["Accept-Encoding"] == "identity"
        body = "令牌无效\r\n 请联系管理员".encode("gbk")
        return httpx.Response(
            403, headers={"Content-Type": "text/plain; charset=gbk"}, content=body
        )

    url = "http://wj.example/plans"
    endpoint = Endpoint("WJ", url, "csv", "t", 5)
    report = _push(sqlite_engine, [endpoint], transport=httpx.MockTransport(refuse))
    assert [o.error for o in report.outcomes] == [f"{url} answered HTTP 403: 令牌无效 请联系管理员"]
    # A compressed reply, though we asked for none: its first KiB would be noise.
    gzipped = Endpoint("XF", f"{server.base}/gzip", "json", "t", 5)
    report = _push(sqlite_engine, [gzipped])
    assert [o.error for o in report.outcomes] == [
        f"{server.base}/gzip answered HTTP 403: (gzip-encoded body not shown)"
    ]


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_pushes_at_once_send_each_share_once(
    db: str, request: pytest.FixtureRequest, tmp_path: Path, server: Server
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'two.db'}" if db == "sqlite" else request.getfixturevalue("pg_url")
    )
    first, second = make_engine(url), make_engine(url)
    try:
        create_schema(first)
        _filed(first)
        endpoints = [
            Endpoint(d, f"{server.base}/busy", "json", "t", 5) for d in ("SCJ", "WJ", "XF")
        ]
        barrier = threading.Barrier(2)
        reports: list[PushReport] = []
        errors: list[BaseException] = []

        def run(engine: Engine) -> None:
            barrier.wait()
            try:
                reports.append(_push(engine, endpoints, attempts=3))
            except BaseException as exc:  # surfaced by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(e,)) for e in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        posts = server.keys("/busy")
        assert posts == Counter({f"FX-2025Q3:r1:{d}": 1 for d in ("SCJ", "WJ", "XF")})
        outbox = _outbox(first)
        assert outbox == {d: ("delivered", 1, None) for d in ("SCJ", "WJ", "XF")}
        for department in ("SCJ", "WJ", "XF"):
            seen = sorted(
                (o.status, o.skipped)
                for r in reports
                for o in r.outcomes
                if o.department == department
            )
            # One push sent it; the other found it delivered or being sent and left it.
            assert seen in (
                [("delivered", False), ("delivered", True)],
                [("delivered", False), ("sending", False)],
            )
        assert all(not r.failures for r in reports)
    finally:
        first.dispose()
        second.dispose()


def test_an_attempt_is_on_record_before_its_post(sqlite_engine: Engine, server: Server) -> None:
    _filed(sqlite_engine)
    during: list[tuple[str, int]] = []

    def observe(_key: str) -> None:
        during.extend((s, a) for s, a, _e in _outbox(sqlite_engine).values())

    server.observe = observe
    _push(sqlite_engine, [Endpoint("SCJ", f"{server.base}/observe", "json", "t", 5)])
    # While the POST is in flight, the share is claimed and the POST already counted.
    assert during == [("sending", 1)]
    assert _outbox(sqlite_engine)["SCJ"] == ("delivered", 1, None)


def _claim_by_hand(engine: Engine, *, at: dt.datetime) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutboxDelivery)
            .where(col(OutboxDelivery.department) == "SCJ")
            .values(status="sending", updated_at=at)
        )


def test_a_share_claimed_by_another_push_is_left_to_it(
    sqlite_engine: Engine, server: Server
) -> None:
    _filed(sqlite_engine)
    endpoint = Endpoint("SCJ", f"{server.base}/nowhere", "json", "t", 5)
    assert _push(sqlite_engine, [endpoint]).outcomes[0].status == "rejected"
    _claim_by_hand(sqlite_engine, at=NOW - dt.timedelta(seconds=30))
    report = _push(sqlite_engine, [endpoint])
    (outcome,) = report.outcomes
    assert (outcome.status, outcome.attempts, outcome.skipped) == ("sending", 0, False)
    assert report.in_progress == [outcome] and report.failures == []
    assert sum(server.keys("/nowhere").values()) == 1  # not sent again
    assert _outbox(sqlite_engine)["SCJ"][:2] == ("sending", 1)


def test_a_claim_past_its_lease_is_taken_over(sqlite_engine: Engine, server: Server) -> None:
    _filed(sqlite_engine)
    endpoint = Endpoint("SCJ", f"{server.base}/busy", "json", "t", timeout=5, deadline=10)
    first = _push(sqlite_engine, [Endpoint("SCJ", f"{server.base}/x", "json", "t", 5)])
    assert first.outcomes[0].status == "rejected"
    # A push that crashed mid-send: its claim outlived 4 attempts x 10 s and the backoff.
    _claim_by_hand(sqlite_engine, at=NOW - dt.timedelta(hours=1))
    report = _push(sqlite_engine, [endpoint], attempts=4)
    assert [(o.status, o.attempts) for o in report.outcomes] == [("delivered", 1)]
    assert _outbox(sqlite_engine)["SCJ"] == ("delivered", 2, None)


def test_an_interrupted_push_lets_go_of_its_claim(sqlite_engine: Engine) -> None:
    _filed(sqlite_engine)

    def power_cut(_request: httpx.Request) -> httpx.Response:
        raise RuntimeError("power cut")

    endpoint = Endpoint("SCJ", "http://127.0.0.1:9/x", "json", "t", 5)
    with pytest.raises(RuntimeError, match="power cut"):
        _push(sqlite_engine, [endpoint], transport=httpx.MockTransport(power_cut))
    status, attempts, error = _outbox(sqlite_engine)["SCJ"]
    # Not left "sending" until the lease runs out: the next push may try at once.
    assert (status, attempts) == ("failed", 1)
    assert error == "the push was interrupted during attempt 1"


def test_endpoint_deadline(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.toml"

    def specs(entries: str) -> list[tuple[str, float, float]]:
        path.write_text(entries, encoding="utf-8")
        return [(s.department, s.timeout, s.deadline) for s in load_endpoint_specs(path)]

    assert specs(
        '[departments.SCJ]\nurl = "https://s/x"\ntoken_env = "S"\ndeadline = 5\n'
        '[departments.WJ]\nurl = "https://w/x"\ntoken_env = "W"\ntimeout = 60\n'
        '[departments.XF]\nurl = "https://x/x"\ntoken_env = "X"\n'
    ) == [("SCJ", 5.0, 5.0), ("WJ", 60.0, 60.0), ("XF", 10.0, 30.0)]
    tokens = {"S": "s", "W": "w", "X": "x"}
    endpoints = resolve_tokens(load_endpoint_specs(path), tokens)
    assert [(e.timeout, e.deadline) for e in endpoints] == [(5.0, 5.0), (60.0, 60.0), (10.0, 30.0)]
    with pytest.raises(EndpointConfigError, match="deadline must be a positive number"):
        specs('[departments.XF]\nurl = "https://x/x"\ntoken_env = "X"\ndeadline = 0\n')
    with pytest.raises(EndpointConfigError, match=r"deadline \(5 s\) is shorter than its timeout"):
        specs('[departments.XF]\nurl = "https://x/x"\ntoken_env = "X"\ndeadline = 5\ntimeout = 8\n')
