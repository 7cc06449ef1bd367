"""``push``: deliver each department's share of the filed plan to that department's system.

Endpoints live in a TOML file::

    [departments.SCJ]
    url = "https://scj.example.gov.cn/api/inspection-plans"
    format = "json"            # json (the contract §4 share) or csv
    token_env = "JI_SCJ_TOKEN" # the environment variable holding the department's token
    timeout = 10               # seconds, optional

Each delivery is a POST of the share with ``Authorization: Bearer TOKEN``, an
``Idempotency-Key`` (``PLAN:rREVISION:DEPARTMENT``, the same on every attempt), and
``X-JointInspect-Signature: sha256=HEX``, the HMAC-SHA256 of ``TIMESTAMP.BODY`` under the
department's token, with the timestamp in ``X-JointInspect-Timestamp`` — so the receiver
can check the body came from us unaltered and is fresh.

Delivery: 2xx is delivered; 5xx, timeouts and connection errors are retried with
exponential backoff; 4xx is not retried (the request itself is wrong: a fix is needed, not
patience). Every delivery is a row of the outbox (``OutboxDelivery``), updated after each
attempt; a delivered (revision, department) is never sent again.
"""

import csv
import datetime as dt
import hashlib
import hmac
import io
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jointinspect.data.exports.csv_file import header, rows
from jointinspect.data.exports.view import Names, load_names
from jointinspect.data.plans.document import (
    PlanDocument,
    department_share,
    dumps,
    load_plan_document,
)
from jointinspect.models import Department, OutboxDelivery, Plan, PlanRevision, session_scope
from jointinspect.models.errors import JointInspectError

PUSH_FORMATS = ("json", "csv")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}
#: How much of an error response body the outbox keeps.
ERROR_BODY_CHARS = 300
DELIVERED = "delivered"
PENDING = "pending"
FAILED = "failed"
REJECTED = "rejected"


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


@dataclass(frozen=True)
class Endpoint:
    department: str
    url: str
    format: str
    token: str = field(repr=False)
    timeout: float = 10.0


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


@dataclass(frozen=True)
class DeliveryOutcome:
    department: str
    status: str
    attempts: int
    error: str | None = None
    skipped: bool = False  # delivered by an earlier push: not sent again


@dataclass(frozen=True)
class PushReport:
    quarter: str
    revision: int
    outcomes: list[DeliveryOutcome]

    @property
    def failures(self) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.status != DELIVERED]


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
        url, fmt = entry.get("url"), entry.get("format", "json")
        token_env, timeout = entry.get("token_env"), entry.get("timeout", 10)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise EndpointConfigError(f"{where}: url must be an http(s) URL")
        if fmt not in PUSH_FORMATS:
            raise EndpointConfigError(f"{where}: format must be one of {', '.join(PUSH_FORMATS)}")
        if not isinstance(token_env, str) or not token_env:
            raise EndpointConfigError(
                f"{where}: token_env must name the environment variable holding the token"
            )
        if not isinstance(timeout, int | float) or timeout <= 0:
            raise EndpointConfigError(f"{where}: timeout must be a positive number of seconds")
        specs.append(EndpointSpec(code, url, fmt, token_env, float(timeout)))
    return specs


def resolve_tokens(specs: list[EndpointSpec], env: Mapping[str, str]) -> list[Endpoint]:
    """Endpoints with their tokens taken from ``env`` (the CLI passes the environment)."""
    missing = sorted({s.token_env for s in specs if not env.get(s.token_env)})
    if missing:
        raise MissingTokenError(
            f"no token for push: {', '.join(missing)} not set",
            hint="export each department's token in the variable its token_env names",
        )
    return [Endpoint(s.department, s.url, s.format, env[s.token_env], s.timeout) for s in specs]


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
    """Push every department's share of the quarter's filed revision, at most once each."""
    policy = retry or RetryPolicy()
    with session_scope(engine) as session:
        revision, doc = _filed(session, quarter)
        names = load_names(session=session, doc=doc)
        known = {d.code for d in session.exec(select(Department))}
    unknown = sorted(e.department for e in endpoints if e.department not in known)
    if unknown:
        raise EndpointConfigError(f"endpoints name unknown departments: {', '.join(unknown)}")
    outcomes = []
    with httpx.Client(transport=transport) as client:
        for endpoint in sorted(endpoints, key=lambda e: e.department):
            share = department_share(doc, endpoint.department)
            if endpoint.format == "json":
                body = dumps(share).encode("utf-8")
            else:
                body = _csv_body(share, names)
            outcomes.append(
                _deliver(
                    engine, client, revision, doc, endpoint, body, policy, now=now, sleep=sleep
                )
            )
    return PushReport(quarter, doc.revision, outcomes)


def _csv_body(share: PlanDocument, names: Names) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header("zh"))
    writer.writerows(rows(share, names))
    return buffer.getvalue().encode("utf-8-sig")


def _filed(session: Session, quarter: str) -> tuple[int, PlanDocument]:
    plan = session.exec(select(Plan).where(Plan.quarter == quarter)).first()
    revision = None
    if plan is not None:
        revision = session.exec(
            select(PlanRevision).where(
                PlanRevision.plan_id == plan.id, PlanRevision.status == "filed"
            )
        ).first()
    if revision is None or revision.id is None:
        raise NotFiledError(
            f"the plan for {quarter} has no filed revision to push",
            hint=f"file it first with `jointinspect file --quarter {quarter}`",
        )
    return revision.id, load_plan_document(session=session, revision_id=revision.id)


def _deliver(
    engine: Engine,
    client: httpx.Client,
    revision_id: int,
    doc: PlanDocument,
    endpoint: Endpoint,
    body: bytes,
    policy: RetryPolicy,
    *,
    now: Callable[[], dt.datetime],
    sleep: Callable[[float], None],
) -> DeliveryOutcome:
    key = f"{doc.plan_id}:r{doc.revision}:{endpoint.department}"
    with session_scope(engine) as session:
        row = session.exec(
            select(OutboxDelivery).where(
                OutboxDelivery.revision_id == revision_id,
                OutboxDelivery.department == endpoint.department,
            )
        ).first()
        if row is not None and row.status == DELIVERED:
            return DeliveryOutcome(endpoint.department, DELIVERED, row.attempts, skipped=True)
        if row is None:
            stamp = now()
            row = OutboxDelivery(
                revision_id=revision_id,
                department=endpoint.department,
                url=endpoint.url,
                idempotency_key=key,
                payload_sha256=hashlib.sha256(body).hexdigest(),
                created_at=stamp,
                updated_at=stamp,
            )
        row.status = PENDING
        row.url = endpoint.url
        session.add(row)
        session.flush()
        row_id = row.id
        attempts_before = row.attempts
    # The row is committed as pending before anything is sent: a crash mid-send leaves a
    # record, and the idempotency key lets the receiver drop a repeat.
    attempt = 0
    while True:
        attempt += 1
        status, error, code = _attempt(client, endpoint, key, body, now)
        if status == FAILED and attempt < policy.max_attempts:
            # Still pending: the error is on record, the next attempt follows the backoff.
            _record(engine, row_id, attempts_before + attempt, PENDING, error, code, now())
            sleep(policy.delay(attempt))
            continue
        if status == FAILED:
            error = f"{error} (gave up after {attempt} attempts)"
        _record(engine, row_id, attempts_before + attempt, status, error, code, now())
        break
    return DeliveryOutcome(endpoint.department, status, attempt, error)


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
    }
    try:
        response = client.post(
            endpoint.url, content=body, headers=headers, timeout=endpoint.timeout
        )
    except httpx.TimeoutException:
        return FAILED, f"{endpoint.url} timed out after {endpoint.timeout:g} s", None
    except httpx.TransportError as exc:
        return FAILED, f"{endpoint.url} could not be reached: {exc}", None
    code = response.status_code
    if 200 <= code < 300:
        return DELIVERED, None, code
    detail = response.text[:ERROR_BODY_CHARS].strip()
    message = f"{endpoint.url} answered HTTP {code}" + (f": {detail}" if detail else "")
    if 400 <= code < 500:
        return REJECTED, message, code
    return FAILED, message, code


def _record(
    engine: Engine,
    row_id: int | None,
    attempts: int,
    status: str,
    error: str | None,
    code: int | None,
    stamp: dt.datetime,
) -> None:
    with session_scope(engine) as session:
        row = session.get(OutboxDelivery, row_id)
        assert row is not None
        row.attempts = attempts
        row.status = status
        row.last_error = error
        row.last_status_code = code
        row.updated_at = stamp
        if status == DELIVERED:
            row.delivered_at = stamp
        session.add(row)
