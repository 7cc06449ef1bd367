"""The enterprise's side of an inspection code: scan it, see who is coming, rate the visit.

``create_app`` builds the FastAPI app that ``jointinspect serve`` runs:

- ``GET /v/{code}``: a phone-sized page in Chinese (``?lang=en`` for English) saying
  whether the code is valid, revoked (with its replacement), unknown, malformed or
  forged; for a valid code the enterprise, date, departments, items and officers
  (name, department, certificate number), and from the visit day on a rating form.
- ``POST /v/{code}/rating``: one rating (1–5 and a comment) per code, CSRF-protected.
- ``GET /api/verify/{code}``: the JSON that ``verify CODE --json`` prints, byte for byte.

On a city's database (several districts) each code is checked, and its rating stored, in
the district the code names, with that district's key (``verification.Verifier``, the
path ``verify CODE`` takes too); the page says which district issued a valid code, and a
code naming a district the database does not hold is ``unknown``, said as such.

Every GET route answers HEAD too (monitoring probes and link checkers use it).

HTTP status follows the verification, the same for the page and the API, so that a
client (or a monitoring probe) can tell the cases apart without reading the body, while
the body always says in words what happened:

====================  =====  ================================================
status                HTTP   why
====================  =====  ================================================
valid                 200    the inspection is on record
revoked               410    it was on record and is gone (Gone), replacement named
unknown, forged       404    no inspection on record under this code
malformed             400    not a code at all (also for input over 64 characters)
====================  =====  ================================================

Rating answers: 303 to the page on success; 403 bad or missing CSRF token; 422 rating
outside 1–5 or comment too long; 409 too early, rated already, or not a valid visit code.
Rate-limited requests get 429 with ``Retry-After``. Every rule lives in ``data/``; the
handlers here only translate between HTTP and those calls.

A malformed code is told apart on the page only: a code of the right length and alphabet
whose check character fails has one character mistyped (the check character catches every
single one), which the enterprise can fix by looking again; anything else is not a code.
"""

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from jointinspect.database import Engine
from jointinspect.exporting import qr_payload
from jointinspect.models.codes import (
    ALPHABET,
    CODE_CHARS,
    CODE_LENGTHS,
    MalformedCodeError,
    normalise,
    parse_code,
)
from jointinspect.models.errors import JointInspectError
from jointinspect.models.timezones import CHINA
from jointinspect.verification import (
    FORGED,
    MALFORMED,
    MAX_COMMENT_CHARS,
    REVOKED,
    UNKNOWN,
    VALID,
    AlreadyRatedError,
    CommentTooLongError,
    KeyRing,
    NotRateableError,
    RatingOutOfRangeError,
    RatingTooEarlyError,
    Verification,
    Verifier,
    named_district,
    rating_window_open,
    verification_json,
)
from jointinspect.web.security import (
    CSRF_COOKIE,
    ClientRateLimiter,
    CsrfGuard,
    SecurityHeaders,
    plausible_nonce,
    security_headers,
)
from jointinspect.web.shared import SharedState
from jointinspect.web.text import TEXT, pick_lang

HTTP_STATUS = {VALID: 200, REVOKED: 410, UNKNOWN: 404, FORGED: 404, MALFORMED: 400}
#: Longest input looked at: a code is 20 characters, 23 with separators; anything much
#: longer is not a typo but noise, and is answered without touching the database.
MAX_CODE_INPUT = 64
#: A rating form is a digit, a comment of at most 500 characters (×9 bytes URL-encoded
#: UTF-8 at worst) and a token; anything bigger is refused before it is parsed.
MAX_BODY_BYTES = 8 * 1024
DEFAULT_RATE_LIMIT = "30/minute"
#: Threads running database work at once. More buy nothing under the GIL, and staying
#: within the engine's pool (SQLAlchemy keeps 5 connections; a city's districts share one
#: on PostgreSQL, see ``database.open_districts``) means no request pays for opening a
#: connection; the rest wait their turn in the event loop.
DB_THREADS = 4
_HERE = Path(__file__).parent
STYLESHEET = (_HERE / "templates" / "verify.css").read_text(encoding="utf-8")
#: The stylesheet changes only with a release; browsers may keep it for a day.
STYLESHEET_MAX_AGE = 24 * 3600
#: Where GET is answered, HEAD is too (Starlette adds it to its own routes, FastAPI not).
READ = ["GET", "HEAD"]
_ALPHABET = frozenset(ALPHABET)


class TooManyRequestsError(JointInspectError):
    """A client asked more often than the rate limit allows."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class WebConfig:
    """How the site runs; ``serve`` fills it from flags and settings."""

    base_url: str | None = None
    rate_limit: str | None = DEFAULT_RATE_LIMIT
    csrf_secret: bytes | None = None
    db_threads: int = DB_THREADS

    @property
    def https(self) -> bool:
        """The public site is https: cookies only over TLS, and HSTS."""
        return bool(self.base_url and self.base_url.startswith("https://"))


def one_character_wrong(result: Verification) -> bool:
    """A malformed code that only fails its check character: a typing mistake."""
    if result.status != MALFORMED:
        return False
    compact = normalise(result.code)
    return len(compact) in CODE_LENGTHS and set(compact) <= _ALPHABET


def verdict_text(result: Verification, *, elsewhere: bool = False) -> str:
    """Which text of ``TEXT`` heads the page: the status, said more precisely where needed.
    ``elsewhere``: the code names a district whose codes are not checked here."""
    if one_character_wrong(result):
        return "typo"
    if result.retired_key is not None:
        return "retired"  # on record, but under a key no longer held: not "no record"
    if result.status == UNKNOWN and elsewhere:
        return "elsewhere"  # "issued here, not on record" would be untrue
    if result.status == VALID and result.kind == "offsite":
        return "valid_offsite"  # nobody comes: no officers to check at the door
    return result.status


def china_today() -> dt.date:
    """Today in Shanghai: visit dates are Chinese calendar days."""
    return dt.datetime.now(CHINA).date()


def _lifespan(threads: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan


def create_app(
    *,
    engine: Engine | None = None,
    keys: KeyRing | None = None,
    verifier: Verifier | None = None,
    config: WebConfig | None = None,
    shared: SharedState | None = None,
    today: Callable[[], dt.date] = china_today,
) -> FastAPI:
    """The verification site over ``verifier`` (every district of a city's database, or
    one database), or over ``engine`` with its ``keys``; ``today`` is injectable for tests.

    With ``shared`` (Redis), the rate limit counts with every other process on it, and the
    CSRF secret is theirs unless ``config`` sets one.
    """
    if verifier is not None:
        checker = verifier
    elif engine is not None and keys is not None:
        checker = Verifier.single(engine, keys)
    else:
        raise TypeError("create_app needs a verifier, or an engine and its keys")
    config = config or WebConfig()
    #: A site of several districts is headed as the city's, not as one district's.
    city = len(checker.districts) > 1
    if config.base_url:
        qr_payload("X", config.base_url)  # refuses a base URL that is not http(s)
    limiter = ClientRateLimiter(
        config.rate_limit, storage=shared.rate_limit_storage if shared else None
    )
    secret = config.csrf_secret
    if secret is None and shared is not None:
        secret = shared.csrf_secret()
    csrf = CsrfGuard(secret)
    headers = security_headers(hsts=config.https)
    templates = Jinja2Templates(directory=_HERE / "templates")
    templates.env.auto_reload = False  # shipped templates do not change: no stat per render
    app = FastAPI(
        title="JointInspect verification",
        openapi_url=None,  # no schema or docs pages: nothing to explore
        docs_url=None,
        redoc_url=None,
        max_body_size=MAX_BODY_BYTES,
        lifespan=_lifespan(config.db_threads),
    )
    app.add_middleware(SecurityHeaders, cacheable_prefixes=("/static/",), hsts=config.https)

    def count(request: Request) -> None:
        client = request.client.host if request.client else "-"
        if not limiter.allow(client):
            raise TooManyRequestsError(limiter.retry_after(client))

    async def count_in_the_loop(request: Request) -> None:
        count(request)

    def count_in_a_thread(request: Request) -> None:
        # A plain function: FastAPI runs it in a worker thread, so that a round trip to
        # Redis never holds up the event loop.
        count(request)

    over_the_network = limiter.shared and limiter.enabled
    limit = [Depends(count_in_a_thread if over_the_network else count_in_the_loop)]

    def verify(code: str) -> Verification:
        if len(code) > MAX_CODE_INPUT:
            return Verification(
                MALFORMED,
                "",
                f"an inspection code has {CODE_CHARS} characters; "
                f"this input has more than {MAX_CODE_INPUT}",
            )
        return checker.verify(code)

    def elsewhere(result: Verification) -> bool:
        """An unknown code that names a district (or none) whose codes are not checked
        here: it was not issued by this site's districts."""
        if result.status != UNKNOWN or result.retired_key is not None:
            return False
        try:
            return not checker.serves(parse_code(result.code).district)
        except MalformedCodeError:
            return False

    def render(
        request: Request,
        result: Verification,
        lang: str,
        *,
        error: str | None = None,
        status: int | None = None,
        thanks: bool = False,
    ) -> Response:
        t = TEXT[lang]
        other = elsewhere(result)
        verdict = verdict_text(result, elsewhere=other)
        context: dict[str, Any] = {
            "t": t,
            "lang": lang,
            "city": city,
            "v": result,
            "verdict": verdict,
            # A district's codes have 24 characters: the malformed page says so.
            "body": f"{verdict}_districts_body"
            if verdict == "malformed" and checker.districts
            else f"{verdict}_body",
            "named_district": named_district(result.code) if other else None,
            "error": t[error].format(limit=MAX_COMMENT_CHARS) if error else None,
            "thanks": thanks,
            "comment_limit": MAX_COMMENT_CHARS,
            "department_names": {d["code"]: d["name"] for d in result.departments},
            "canonical": (
                qr_payload(result.code, config.base_url)
                if config.base_url and result.status != MALFORMED
                else None
            ),
            "rating": None,
            "rating_state": None,
        }
        nonce = None
        if result.status == VALID and result.kind == "visit":
            existing = checker.find_rating(result.code)
            if existing is not None:
                context.update(rating_state="rated", rating=existing.rating)
            elif rating_window_open(result, today=today()):
                context["rating_state"] = "form"
                cookie = request.cookies.get(CSRF_COOKIE)
                nonce = cookie if cookie and plausible_nonce(cookie) else csrf.new_nonce()
                context["csrf"] = csrf.token(nonce, result.code)
            else:
                context["rating_state"] = "too_early"
        response = templates.TemplateResponse(
            request,
            "verify.html",
            context,
            status_code=status or HTTP_STATUS[result.status],
        )
        if nonce is not None:
            response.set_cookie(
                CSRF_COOKIE,
                nonce,
                path="/v/",
                httponly=True,
                samesite="strict",
                secure=config.https,
            )
        return response

    @app.api_route("/", methods=READ)
    def home(request: Request, lang: str | None = None) -> Response:
        return templates.TemplateResponse(
            request,
            "home.html",
            {"t": TEXT[pick_lang(lang)], "lang": pick_lang(lang), "city": city},
        )

    @app.api_route("/v", methods=READ)
    def enter_code(request: Request, code: str = "", lang: str | None = None) -> Response:
        """The home page's form: send the typed code to its page."""
        lang = pick_lang(lang)
        if not code.strip():
            return RedirectResponse(f"/?lang={lang}", status_code=303)
        target = quote(code.strip()[: MAX_CODE_INPUT + 1], safe="")
        return RedirectResponse(f"/v/{target}?lang={lang}", status_code=303)

    @app.api_route("/v/{code}", methods=READ, dependencies=limit)
    def page(
        request: Request, code: str, lang: str | None = None, rated: str | None = None
    ) -> Response:
        return render(request, verify(code), pick_lang(lang), thanks=rated == "1")

    @app.post("/v/{code}/rating", dependencies=limit)
    def rate(
        request: Request,
        code: str,
        rating: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
        token: Annotated[str, Form(alias="csrf")] = "",
        lang: str | None = None,
    ) -> Response:
        lang = pick_lang(lang)
        result = verify(code)
        if not csrf.check(request.cookies.get(CSRF_COOKIE), result.code, token):
            return render(request, result, lang, error="err_csrf", status=403)
        value = int(rating) if rating.strip().isascii() and rating.strip().isdigit() else 0
        try:
            checker.record_rating(code, value, comment, today=today())
        except (RatingOutOfRangeError, CommentTooLongError) as exc:
            key = "err_range" if isinstance(exc, RatingOutOfRangeError) else "err_comment"
            return render(request, result, lang, error=key, status=422)
        except (RatingTooEarlyError, AlreadyRatedError, NotRateableError) as exc:
            key = {
                RatingTooEarlyError: "err_too_early",
                AlreadyRatedError: "err_twice",
                NotRateableError: "err_not_rateable",
            }[type(exc)]
            return render(request, result, lang, error=key, status=409)
        return RedirectResponse(f"/v/{quote(result.code)}?lang={lang}&rated=1", status_code=303)

    @app.api_route("/api/verify/{code}", methods=READ, dependencies=limit)
    def api_verify(code: str) -> Response:
        result = verify(code)
        return Response(
            verification_json(result),
            status_code=HTTP_STATUS[result.status],
            media_type="application/json",
        )

    @app.api_route("/static/verify.css", methods=READ)
    def stylesheet() -> Response:
        return Response(
            STYLESHEET,
            media_type="text/css",
            headers={"cache-control": f"public, max-age={STYLESHEET_MAX_AGE}"},
        )

    @app.exception_handler(TooManyRequestsError)
    async def too_many(request: Request, exc: TooManyRequestsError) -> Response:
        headers = {"retry-after": str(exc.retry_after)}
        if request.url.path.startswith("/api/"):
            body = {"error": "rate_limited", "retry_after": exc.retry_after}
            return JSONResponse(body, status_code=429, headers=headers)
        lang = pick_lang(request.query_params.get("lang"))
        message = TEXT[lang]["rate_limited"].format(seconds=exc.retry_after)
        return templates.TemplateResponse(
            request,
            "message.html",
            {"t": TEXT[lang], "lang": lang, "city": city, "message": message},
            status_code=429,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, _exc: RequestValidationError) -> Response:
        # FastAPI's default echoes the input back; say only that it was refused.
        return JSONResponse({"error": "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def server_error(_request: Request, _exc: Exception) -> Response:
        # Starlette still logs the traceback on the server; the client gets none of it.
        # This handler runs outside the middleware, so it adds the headers itself.
        text = f"{TEXT['zh']['server_error']} / {TEXT['en']['server_error']}"
        response = Response(text, status_code=500, media_type="text/plain; charset=utf-8")
        for name, value in headers:
            response.headers[name.decode()] = value.decode()
        response.headers["cache-control"] = "no-store"
        return response

    return app
