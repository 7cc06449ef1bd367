"""``push``: deliver each department's share of the filed plan to that department's system.

Endpoints live in a TOML file::

    [departments.SCJ]
    url = "https://scj.example.gov.cn/api/inspection-plans"
    format = "json"            # json (the contract §4 share) or csv
    token_env = "JI_SCJ_TOKEN" # the environment variable holding the department's token
    timeout = 10               # seconds, optional: the longest wait to connect or for any read
    deadline = 30              # seconds, optional: one whole attempt, reply read to the end

``timeout`` bounds each network step; ``deadline`` bounds an attempt as a whole (connecting,
sending, and reading the complete reply), so a receiver trickling its answer a byte at a
time is cut off at the deadline and the attempt counts as a timeout. ``deadline`` defaults
to 30 s, or to ``timeout`` where that is longer; ``timeout`` defaults to 10 s, or to
``deadline`` where that is shorter; a deadline shorter than the timeout is refused.

Each delivery is a POST of the share with ``Authorization: Bearer TOKEN``, an
``Idempotency-Key`` (``PLAN:rREVISION:DEPARTMENT``, the same on every attempt), and
``X-JointInspect-Signature: sha256=HEX``, the HMAC-SHA256 of ``TIMESTAMP.BODY`` under the
department's token, with the timestamp in ``X-JointInspect-Timestamp`` — so the receiver
can check the body came from us unaltered and is fresh.

Delivery: 2xx is delivered; 5xx, timeouts and connection errors are retried with
exponential backoff; 4xx is not retried (the request itself is wrong: a fix is needed, not
patience). Of a reply, only the first few KiB are read, and a short excerpt of an error
reply is kept.

Every delivery is a row of the outbox (``OutboxDelivery``). A push claims the row before it
sends — one conditional UPDATE to ``sending``, with ``updated_at`` as the claim time — so
two pushes at once (a manual one and the daemon, on one host or two) never send the same
share: the one that does not get the claim reports the share as being sent by another
push. A claim older than its lease (every attempt's deadline and backoff, plus a margin)
is taken over: the push holding it has died. Each attempt is counted on the row before its
POST goes out, so ``attempts`` is every POST made, timed out or not. A delivered
(revision, department) is never sent again.
"""

import csv
import datetime as dt
import hashlib
import hmac
import io
import socket
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session
from sqlmodel import select as sqlmodel_select

from jointinspect.data.exports.csv_file import header, rows
from jointinspect.data.exports.view import Names, load_names
from jointinspect.data.plans.document import (
    PlanDocument,
    department_share,
    dumps,
    load_plan_document,
)
from jointinspect.models import Department, OutboxDelivery, Plan, PlanRevision, session_scope
from jointinspect.models.core_table import table_of
from jointinspect.models.errors import JointInspectError

PUSH_FORMATS = ("json", "csv")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}
#: How much of a reply is read at most: enough for an error's excerpt, whatever its size.
REPLY_READ_BYTES = 4096
#: How much of an error reply the outbox keeps.
ERROR_BODY_CHARS = 300
DEFAULT_TIMEOUT = 10.0
DEFAULT_DEADLINE = 30.0
#: Added to a claim's lease beyond its attempts and backoff: clocks of two hosts differ a
#: little, and writing the outcome takes a moment.
LEASE_MARGIN = 60.0
PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"
REJECTED = "rejected"
#: A row in one of these may be claimed at once; a ``sending`` one only past its lease.
CLAIMABLE = (PENDING, FAILED, REJECTED)


class EndpointConfigError(JointInspectError):
    """The endpoints file is missing, not TOML, or has a wrong entry."""


class MissingTokenError(JointInspectError):
    """The environment variable that should hold a department's token is not set."""


class NotFiledError(JointInspectError):
    """The quarter's plan has no filed revision to push."""


@dataclass(frozen=True)
class EndpointSpec:
    """One department's endpoint as the file describes it (the token by its variable)."""

    department: str
    url: str
    format: str
    token_env: str
    timeout: float
    deadline: float = DEFAULT_DEADLINE


@dataclass(frozen=True)
class Endpoint:
    """Where and how one department's share goes; ``timeout`` bounds each network step,
    ``deadline`` a whole attempt (see the module docstring)."""

    department: str
    url: str
    format: str
    token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.deadline <= 0:
            raise ValueError("timeout and deadline must be positive numbers of seconds")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt n waits ``base_delay * 2**(n-1)`` (capped) before n+1."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("max_attempts ≥ 1 and non-negative delays are required")

    def delay(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def lease(self, deadline: float) -> dt.timedelta:
        """How long a claim on a share holds: every attempt to its deadline, every wait
        between them, and a margin. Older, the push that made it is taken to have died."""
        waits = sum(self.delay(n) for n in range(1, self.max_attempts))
        return dt.timedelta(seconds=self.max_attempts * deadline + waits + LEASE_MARGIN)


@dataclass(frozen=True)
class DeliveryOutcome:
    """One department's share in one push. ``status`` is the outbox's word; ``sending``
    means another push holds the share and this one left it alone. ``attempts`` are this
    push's POSTs (a skipped share gives the row's total)."""

    department: str
    status: str
    attempts: int
    error: str | None = None
    skipped: bool = False  # delivered by an earlier push: not sent again

    @property
    def in_progress(self) -> bool:
        """Another push is sending this share; this one left it alone."""
        return self.status == SENDING


@dataclass(frozen=True)
class PushReport:
    quarter: str
    revision: int
    outcomes: list[DeliveryOutcome]

    @property
    def failures(self) -> list[DeliveryOutcome]:
        """Shares that did not go through (a share another push is sending is not one)."""
        return [o for o in self.outcomes if o.status != DELIVERED and not o.in_progress]

    @property
    def in_progress(self) -> list[DeliveryOutcome]:
        """Shares being sent by another push at the same time, left to it."""
        return [o for o in self.outcomes if o.in_progress]


def load_endpoint_specs(path: Path) -> list[EndpointSpec]:
    """The endpoints of ``path`` (see the module docstring), sorted by department."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EndpointConfigError(
            f"the endpoints file {path} does not exist",
            hint="set JOINTINSPECT_ENDPOINTS_FILE to a TOML file with [departments.CODE] tables",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise EndpointConfigError(f"{path} is not valid TOML: {exc}") from exc
    departments = data.get("departments")
    if not isinstance(departments, dict) or not departments:
        raise EndpointConfigError(f"{path} has no [departments.CODE] tables")
    specs = []
    for code, entry in sorted(departments.items()):
        where = f"{path}: [departments.{code}]"
        if not isinstance(entry, dict):
            raise EndpointConfigError(f"{where} is not a table")
        url, fmt, token_env = entry.get("url"), entry.get("format", "json"), entry.get("token_env")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise EndpointConfigError(f"{where}: url must be an http(s) URL")
        if fmt not in PUSH_FORMATS:
            raise EndpointConfigError(f"{where}: format must be one of {', '.join(PUSH_FORMATS)}")
        if not isinstance(token_env, str) or not token_env:
            raise EndpointConfigError(
                f"{where}: token_env must name the environment variable holding the token"
            )
        timeout, deadline = _seconds(entry, "timeout", where), _seconds(entry, "deadline", where)
        if timeout is not None and deadline is not None and deadline < timeout:
            raise EndpointConfigError(
                f"{where}: deadline ({deadline:g} s) is shorter than its timeout ({timeout:g} s)",
                hint="the deadline bounds a whole attempt, the timeout one step of it: "
                "raise the deadline or lower the timeout",
            )
        if timeout is None:
            timeout = min(DEFAULT_TIMEOUT, deadline or DEFAULT_TIMEOUT)
        if deadline is None:
            deadline = max(DEFAULT_DEADLINE, timeout)
        specs.append(EndpointSpec(code, url, fmt, token_env, timeout, deadline))
    return specs


def _seconds(entry: Mapping[str, object], key: str, where: str) -> float | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise EndpointConfigError(f"{where}: {key} must be a positive number of seconds")
    return float(value)


def resolve_tokens(specs: list[EndpointSpec], env: Mapping[str, str]) -> list[Endpoint]:
    """Endpoints with their tokens taken from ``env`` (the CLI passes the environment)."""
    missing = sorted({s.token_env for s in specs if not env.get(s.token_env)})
    if missing:
        raise MissingTokenError(
            f"no token for push: {', '.join(missing)} not set",
            hint="export each department's token in the variable its token_env names",
        )
    return [
        Endpoint(s.department, s.url, s.format, env[s.token_env], s.timeout, s.deadline)
        for s in specs
    ]


def signature(token: str, timestamp: str, body: bytes) -> str:
    """The ``X-JointInspect-Signature`` value: ``sha256=`` HMAC of ``TIMESTAMP.BODY``."""
    mac = hmac.new(token.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def push_plan(
    quarter: str,
    *,
    engine: Engine,
    endpoints: list[Endpoint],
    now: Callable[[], dt.datetime],
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> PushReport:
    """Push every department's share of the quarter's filed revision, at most once each,
    leaving alone a share another push is sending at the same time."""
    policy = retry or RetryPolicy()
    with session_scope(engine) as session:
        revision, doc = _filed(session, quarter)
        names = load_names(session=session, doc=doc)
        known = {d.code for d in session.exec(sqlmodel_select(Department))}
    unknown = sorted(e.department for e in endpoints if e.department not in known)
    if unknown:
        raise EndpointConfigError(f"endpoints name unknown departments: {', '.join(unknown)}")
    outcomes = []
    # No kept-alive connections: each attempt connects afresh, so the deadline's watchdog
    # always learns the attempt's socket (a pooled connection would not announce itself).
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(transport=transport, limits=limits) as client:
        for endpoint in sorted(endpoints, key=lambda e: e.department):
            share = department_share(doc, endpoint.department)
            if endpoint.format == "json":
                body = dumps(share).encode("utf-8")
            else:
                body = _csv_body(share, names)
            key = f"{doc.plan_id}:r{doc.revision}:{endpoint.department}"
            delivery = _Delivery(engine, revision, endpoint, key, body)
            outcomes.append(delivery.run(client, policy, now=now, sleep=sleep))
    return PushReport(quarter, doc.revision, outcomes)


def _csv_body(share: PlanDocument, names: Names) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header("zh"))
    writer.writerows(rows(share, names))
    return buffer.getvalue().encode("utf-8-sig")


def _filed(session: Session, quarter: str) -> tuple[int, PlanDocument]:
    plan = session.exec(sqlmodel_select(Plan).where(Plan.quarter == quarter)).first()
    revision = None
    if plan is not None:
        revision = session.exec(
            sqlmodel_select(PlanRevision).where(
                PlanRevision.plan_id == plan.id, PlanRevision.status == "filed"
            )
        ).first()
    if revision is None or revision.id is None:
        raise NotFiledError(
            f"the plan for {quarter} has no filed revision to push",
            hint=f"file it first with `jointinspect file --quarter {quarter}`",
        )
    return revision.id, load_plan_document(session=session, revision_id=revision.id)


def _utc(stamp: dt.datetime) -> dt.datetime:
    # SQLite keeps the wall-clock digits only: claim times compare as text, so every stamp
    # is written in one zone.
    return stamp.astimezone(dt.UTC) if stamp.tzinfo is not None else stamp


@dataclass
class _Delivery:
    """One share's delivery: claim its outbox row, attempt, record, let go."""

    engine: Engine
    revision_id: int
    endpoint: Endpoint
    key: str
    body: bytes
    row_id: int = 0
    #: The claim time written to the row; the claim is ours while the row still holds it.
    claimed_at: dt.datetime | None = None

    def run(
        self,
        client: httpx.Client,
        policy: RetryPolicy,
        *,
        now: Callable[[], dt.datetime],
        sleep: Callable[[float], None],
    ) -> DeliveryOutcome:
        department = self.endpoint.department
        self.row_id = self._row(_utc(now()))
        refused = self._claim(_utc(now()), policy.lease(self.endpoint.deadline))
        if refused is not None:
            return refused
        attempt = 0
        try:
            while True:
                attempt += 1
                if not self._count_attempt():
                    return DeliveryOutcome(department, SENDING, attempt - 1)
                status, error, code = _attempt(client, self.endpoint, self.key, self.body, now)
                last = status != FAILED or attempt >= policy.max_attempts
                if status == FAILED and last:
                    error = f"{error} (gave up after {attempt} attempts)"
                # Between attempts the row stays ``sending`` (still ours) with the error on
                # record; the last attempt's outcome ends the claim.
                if not self._record(status, error, code, _utc(now()), last=last):
                    return DeliveryOutcome(department, SENDING, attempt)
                if last:
                    return DeliveryOutcome(department, status, attempt, error)
                sleep(policy.delay(attempt))
        except BaseException:
            # Interrupted (Ctrl-C, a database error …): let go of the claim so the next
            # push need not wait out the lease. Should that fail too, the lease frees it.
            with suppress(SQLAlchemyError):
                error = f"the push was interrupted during attempt {attempt}"
                self._record(FAILED, error, None, _utc(now()), last=True)
            raise

    def _row(self, stamp: dt.datetime) -> int:
        """The outbox row of this share, made ``pending`` if there is none yet."""
        table = table_of(OutboxDelivery)
        mine = and_(
            table.c.revision_id == self.revision_id,
            table.c.department == self.endpoint.department,
        )
        with self.engine.connect() as conn:
            row_id = conn.execute(select(table.c.id).where(mine)).scalar()
        if row_id is None:
            values = {
                "revision_id": self.revision_id,
                "department": self.endpoint.department,
                "url": self.endpoint.url,
                "idempotency_key": self.key,
                "payload_sha256": hashlib.sha256(self.body).hexdigest(),
                "status": PENDING,
                "attempts": 0,
                "created_at": stamp,
                "updated_at": stamp,
            }
            # Another push may make the same row between the look and the insert: then its
            # row is the one, and the claim below decides who sends.
            with suppress(IntegrityError), self.engine.begin() as conn:
                conn.execute(insert(table).values(values))
            with self.engine.connect() as conn:
                row_id = conn.execute(select(table.c.id).where(mine)).scalar_one()
        return int(row_id)

    def _claim(self, stamp: dt.datetime, lease: dt.timedelta) -> DeliveryOutcome | None:
        """Take the row for this push, or say why not (delivered already, or another push
        holds it). One conditional UPDATE, so of two pushes exactly one wins."""
        table = table_of(OutboxDelivery)
        claimable = or_(
            table.c.status.in_(CLAIMABLE),
            and_(table.c.status == SENDING, table.c.updated_at < stamp - lease),
        )
        claim = (
            update(table)
            .where(table.c.id == self.row_id, claimable)
            .values(
                status=SENDING,
                updated_at=stamp,
                url=self.endpoint.url,
                payload_sha256=hashlib.sha256(self.body).hexdigest(),
            )
        )
        # The UPDATE opens the transaction: on SQLite it waits for the write lock instead of
        # failing to upgrade a read, on PostgreSQL a concurrent claim re-checks the row.
        with self.engine.begin() as conn:
            claimed = conn.execute(claim).rowcount == 1
        if claimed:
            self.claimed_at = stamp
            return None
        with self.engine.connect() as conn:
            status, attempts = conn.execute(
                select(table.c.status, table.c.attempts).where(table.c.id == self.row_id)
            ).one()
        if status == DELIVERED:
            return DeliveryOutcome(self.endpoint.department, DELIVERED, attempts, skipped=True)
        return DeliveryOutcome(self.endpoint.department, SENDING, 0)

    def _ours(self) -> ColumnElement[bool]:
        table = table_of(OutboxDelivery)
        return and_(
            table.c.id == self.row_id,
            table.c.status == SENDING,
            table.c.updated_at == self.claimed_at,
        )

    def _count_attempt(self) -> bool:
        """Count the attempt about to be made, before its POST: a crash mid-send still
        leaves it on record. False when the claim has been taken over meanwhile."""
        table = table_of(OutboxDelivery)
        with self.engine.begin() as conn:
            counted = conn.execute(
                update(table).where(self._ours()).values(attempts=table.c.attempts + 1)
            )
        return counted.rowcount == 1

    def _record(
        self,
        status: str,
        error: str | None,
        code: int | None,
        stamp: dt.datetime,
        *,
        last: bool,
    ) -> bool:
        """Write an attempt's outcome; the last one ends the claim. False when the claim
        has been taken over meanwhile (the outcome is then the other push's to write)."""
        values: dict[str, Any] = {"last_error": error, "last_status_code": code}
        if last:
            values |= {"status": status, "updated_at": stamp}
            if status == DELIVERED:
                values["delivered_at"] = stamp
        table = table_of(OutboxDelivery)
        with self.engine.begin() as conn:
            recorded = conn.execute(update(table).where(self._ours()).values(values))
        return recorded.rowcount == 1


class _Deadline:
    """The whole-attempt deadline. httpx's timeouts bound each read or write, so a reply
    trickled a byte at a time never trips them; at the deadline this shuts the attempt's
    socket down, which wakes a blocked read or write at once."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._finished = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpx's ``trace`` extension: learn the socket as soon as it is connected."""
        if not event.endswith(
            (".connect_tcp.complete", ".connect_unix_socket.complete", ".start_tls.complete")
        ):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._socket = sock
                if self.expired:
                    self._cut()

    def finish(self) -> bool:
        """The reply is read: True if that was within the deadline."""
        with self._lock:
            self._finished = True
            return not self.expired

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            self._cut()

    def _cut(self) -> None:
        if self._socket is None:
            return
        # The plain socket's shutdown, also for a TLS socket: ``SSLSocket.shutdown`` would
        # tear down its TLS state under the reading thread.
        with suppress(OSError):
            socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


def _attempt(
    client: httpx.Client,
    endpoint: Endpoint,
    key: str,
    body: bytes,
    now: Callable[[], dt.datetime],
) -> tuple[str, str | None, int | None]:
    """One POST: (outbox status, error in words, HTTP status code)."""
    timestamp = str(int(now().timestamp()))
    headers = {
        "Content-Type": CONTENT_TYPES[endpoint.format],
        "Authorization": f"Bearer {endpoint.token}",
        "Idempotency-Key": key,
        "X-JointInspect-Timestamp": timestamp,
        "X-JointInspect-Signature": signature(endpoint.token, timestamp, body),
        # Only a few KiB of the reply are read: compressed, they could not be shown.
        "Accept-Encoding": "identity",
    }
    step = min(endpoint.timeout, endpoint.deadline)
    late = (
        f"{endpoint.url} timed out: no complete reply within the {endpoint.deadline:g} s deadline"
    )
    deadline = _Deadline(endpoint.deadline)
    request = client.build_request(
        "POST",
        endpoint.url,
        content=body,
        headers=headers,
        timeout=step,
        extensions={"trace": deadline.trace},
    )
    try:
        with deadline:
            response = client.send(request, stream=True)
            try:
                head, raw = _read_head(response)
            finally:
                response.close()
            in_time = deadline.finish()
    except httpx.TimeoutException:
        if deadline.expired:
            return FAILED, late, None
        return FAILED, f"{endpoint.url} timed out after {step:g} s", None
    except httpx.TransportError as exc:
        # The deadline's shutdown surfaces as a broken connection.
        if deadline.expired:
            return FAILED, late, None
        return FAILED, f"{endpoint.url} could not be reached: {exc}", None
    if not in_time:
        return FAILED, late, None
    code = response.status_code
    if 200 <= code < 300:
        return DELIVERED, None, code
    detail = _excerpt(response, head, raw=raw)
    message = f"{endpoint.url} answered HTTP {code}" + (f": {detail}" if detail else "")
    if 400 <= code < 500:
        return REJECTED, message, code
    return FAILED, message, code


def _read_head(response: httpx.Response) -> tuple[bytes, bool]:
    """The reply's first ``REPLY_READ_BYTES`` as sent, read as they come, and whether they are
    still content-encoded; the rest is never read (closing the response drops the
    connection instead of draining it)."""
    if response.is_stream_consumed:
        # A transport that hands over whole replies, already read (and decoded).
        return response.content[:REPLY_READ_BYTES], False
    head = bytearray()
    for chunk in response.iter_raw():
        head += chunk[: REPLY_READ_BYTES - len(head)]
        if len(head) >= REPLY_READ_BYTES:
            break
    return bytes(head), True


def _excerpt(response: httpx.Response, head: bytes, *, raw: bool) -> str:
    """The start of an error reply in one line, as the outbox keeps it."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if raw and encoding not in ("", "identity"):
        return f"({encoding}-encoded body not shown)"
    try:
        text = head.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = head.decode("utf-8", errors="replace")
    return " ".join(text.split())[:ERROR_BODY_CHARS]
