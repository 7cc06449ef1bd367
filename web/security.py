"""The verification site's defences: security headers, per-client rate limiting, CSRF.

- Headers go on every response, errors included, from a plain ASGI middleware (cheaper
  than Starlette's ``BaseHTTPMiddleware`` on the hot path the benchmark measures); HSTS
  too when the site's public URL is https.
- Rate limiting counts code look-ups and ratings per client address in a moving window
  (the ``limits`` library, which slowapi is built on; used directly because the limit is a
  runtime setting of an app made by a factory, not a decorator fixed at import time). A
  code's 50-bit tag already makes guessing hopeless; the limit keeps anyone from trying,
  and from using the service to load the database. The client address is the socket
  peer's unless ``serve --forwarded-allow-ips`` names the proxy in front. Counters live
  in memory (one process) or in Redis (shared by several, see ``web.shared``).
- CSRF: a signed double-submit token. The form carries ``HMAC(secret, nonce ‖ code)``;
  the nonce rides in an HttpOnly, SameSite=Strict cookie. Another site can neither read
  the cookie nor compute the token, and a token for one code is useless for another.
"""

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Iterable

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jointinspect.models.errors import JointInspectError

#: No scripts at all; styles only from our own stylesheet; forms post only to us; no
#: framing (clickjacking a rating form), no <base> tricks, no plugins.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    # The code is in the URL: never hand it to another site in a Referer.
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
#: For a site whose public URL is https: browsers go on using https for a year, so that
#: nobody on the café Wi-Fi can answer a scanned code in place of the district. Not for
#: the district's other hosts (no includeSubDomains): they are not ours to commit.
HSTS = (b"strict-transport-security", b"max-age=31536000")
#: Verification answers change when a plan is refiled: never serve one from a cache.
NO_STORE = (b"cache-control", b"no-store")

_log = logging.getLogger(__name__)

CSRF_COOKIE = "ji_csrf"
CSRF_NONCE_BYTES = 16
_CSRF_DOMAIN = b"jointinspect/web/csrf/v1\x00"


class RateLimitSyntaxError(JointInspectError):
    """The rate limit setting is not like ``30/minute``."""


def security_headers(*, hsts: bool) -> tuple[tuple[bytes, bytes], ...]:
    """The headers every response carries; with HSTS for a site served over https."""
    return (*SECURITY_HEADERS, HSTS) if hsts else SECURITY_HEADERS


class SecurityHeaders:
    """ASGI middleware adding the security headers (and no-store) to every response."""

    def __init__(
        self, app: ASGIApp, *, cacheable_prefixes: Iterable[str] = (), hsts: bool = False
    ) -> None:
        self.app = app
        self.cacheable = tuple(cacheable_prefixes)
        self.headers = security_headers(hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = bool(self.cacheable) and str(scope.get("path", "")).startswith(self.cacheable)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in self.headers if h[0] not in present]
                if not cacheable and NO_STORE[0] not in present:
                    extra.append(NO_STORE)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ClientRateLimiter:
    """At most N requests per client address in a moving window; ``None`` disables it.

    Counts in ``storage`` when given (Redis, shared by several processes), else in this
    process's memory. When the shared storage fails (Redis down or slow), requests are let
    through and a warning is logged once per outage: the page is how an enterprise checks
    an officer at its door and must keep answering, and a code cannot be guessed anyway.
    """

    def __init__(self, limit: str | None, storage: Storage | None = None) -> None:
        self.item: RateLimitItem | None = None
        if limit is not None and limit.strip().lower() not in ("", "off", "none"):
            try:
                self.item = parse(limit)
            except ValueError:
                raise RateLimitSyntaxError(
                    f"the rate limit {limit!r} is not like '30/minute'",
                    hint="write COUNT/second|minute|hour, or 'off' (benchmarks only)",
                ) from None
        #: True when the counters are shared over the network: counting then blocks on a
        #: round trip, so it belongs in a worker thread, not the event loop.
        self.shared = storage is not None
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())
        self._failing = False

    @property
    def enabled(self) -> bool:
        return self.item is not None

    def allow(self, client: str) -> bool:
        """Count one request of ``client``; False when it is over the limit."""
        if self.item is None:
            return True
        try:
            allowed = self._limiter.hit(self.item, "client", client)
        except StorageError as exc:
            self._storage_failed(exc)
            return True
        self._storage_answers()
        return allowed

    def retry_after(self, client: str) -> int:
        """Whole seconds until ``client`` may ask again (at least 1)."""
        if self.item is None:
            return 0
        try:
            stats = self._limiter.get_window_stats(self.item, "client", client)
        except StorageError as exc:
            self._storage_failed(exc)
            return 1
        return max(1, int(stats.reset_time - time.time()) + 1)

    def _storage_failed(self, exc: StorageError) -> None:
        if not self._failing:
            self._failing = True
            _log.warning(
                "the rate limit's storage failed (%s); requests are let through uncounted "
                "until it answers again",
                exc.storage_error,
            )

    def _storage_answers(self) -> None:
        if self._failing:
            self._failing = False
            _log.warning("the rate limit's storage answers again; requests are counted")


_NONCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
#: token_urlsafe(16) gives 22 characters; a cookie far off that is not one of ours.
_NONCE_LENGTHS = range(16, 65)


def plausible_nonce(value: str | None) -> bool:
    """True for a cookie value that could be a nonce we made (else a new one is set)."""
    return value is not None and len(value) in _NONCE_LENGTHS and set(value) <= _NONCE_CHARS


class CsrfGuard:
    """Signed double-submit tokens for the rating form."""

    def __init__(self, secret: bytes | None = None) -> None:
        # A random secret per process is enough for one server; several processes behind
        # one address need the same one (the web_secret setting, or Redis: web.shared).
        self._secret = secret or secrets.token_bytes(32)

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(CSRF_NONCE_BYTES)

    def token(self, nonce: str, code: str) -> str:
        message = _CSRF_DOMAIN + nonce.encode("ascii", "replace") + b"\x00" + code.encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def check(self, nonce: str | None, code: str, token: str | None) -> bool:
        """True only when the cookie's nonce is there and the form's token signs it."""
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.token(nonce, code), token)
