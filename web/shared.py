"""What several ``serve`` processes share through Redis: rate-limit counters and the CSRF
secret.

Behind a load balancer, one client's requests land on any process of any host. With
counters of their own, N processes would let a client ask N times the limit; with secrets
of their own, a rating form served by one process would be refused by the next. So, when
``serve --redis URL`` is given:

- the rate limit counts in Redis (the ``limits`` library's Redis storage, the same moving
  window as in memory), across every worker and process that uses the same Redis, key
  prefix and limit (the limit is part of the key). Each request is stamped with its
  host's clock, so hosts keep time (NTP): a skew of a second shifts the window a second;
- the CSRF secret is made once, by whichever process starts first (``SET NX``), and read
  by every process after it. It stays until someone deletes the key: deleting it and
  restarting the processes rotates it (forms already open then need a reload).

Keys live under one prefix (``jointinspect`` by default), so that several districts, or
test runs, can share one Redis.
"""

import secrets
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit, urlunsplit

import redis
from limits.storage import RedisStorage

from jointinspect.models.errors import JointInspectError

DEFAULT_PREFIX = "jointinspect"
#: Seconds a request waits for Redis before the rate limit lets it through (see
#: ClientRateLimiter): a slow Redis must not make the page slow.
TIMEOUT_SECONDS = 0.5
CSRF_SECRET_BYTES = 32
_HINT = "check --redis / $JOINTINSPECT_REDIS_URL and that Redis is running"


class RedisUrlError(JointInspectError):
    """The Redis setting is not a redis://, rediss:// or unix:// URL."""


class RedisUnavailableError(JointInspectError):
    """Redis does not answer at the configured URL."""


class SharedSecretError(JointInspectError):
    """The CSRF secret found in Redis is not one that ``serve`` made."""


def redacted(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class SharedState:
    """A connection to the Redis that several ``serve`` processes share.

    Opening it checks that Redis answers. The owner closes it (``with`` or ``close``); an
    app built on it uses it for as long as the app serves.
    """

    def __init__(self, url: str, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        try:
            self._pool = redis.ConnectionPool.from_url(
                url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
        except ValueError:
            raise RedisUrlError(
                f"--redis {redacted(url)!r} is not a Redis URL",
                hint="write redis://HOST:PORT/DB, rediss://… (TLS) or unix:///PATH",
            ) from None
        self._client = redis.Redis(connection_pool=self._pool)
        try:
            self._client.ping()
        except redis.RedisError as exc:
            self.close()
            raise RedisUnavailableError(
                f"Redis does not answer at {redacted(url)}: {exc}", hint=_HINT
            ) from None
        #: The rate limit's counters, on this connection pool. Errors come wrapped as
        #: limits' StorageError, so the limiter can tell an outage from a bug.
        self.rate_limit_storage = RedisStorage(
            url, connection_pool=self._pool, key_prefix=f"{prefix}:limits", wrap_exceptions=True
        )

    @property
    def csrf_key(self) -> str:
        return f"{self.prefix}:csrf-secret"

    def csrf_secret(self) -> bytes:
        """The one CSRF secret of every process on this Redis and prefix; made if missing."""
        try:
            # Whoever sets it first wins; everyone, the winner included, reads the winner's.
            self._client.set(self.csrf_key, secrets.token_hex(CSRF_SECRET_BYTES), nx=True)
            value = self._client.get(self.csrf_key)
        except redis.RedisError as exc:
            raise RedisUnavailableError(
                f"Redis does not answer at {redacted(self.url)}: {exc}", hint=_HINT
            ) from None
        if not isinstance(value, bytes) or len(value) < CSRF_SECRET_BYTES:
            raise SharedSecretError(
                f"the CSRF secret in Redis ({self.csrf_key}) is too short to be one serve made",
                hint=f"delete the key {self.csrf_key} in Redis; the next serve makes a new one",
            )
        return value

    def close(self) -> None:
        self._pool.disconnect()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()
