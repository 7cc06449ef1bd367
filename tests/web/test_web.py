"""The verification site (``serve``) through FastAPI's test client: every status, the
rating rules, CSRF, the rate limit, the security headers and what the page must not show."""

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from helpers.plan_factory import ENTERPRISES, USCC
from helpers.web_world import KEY_SETTING, RING, WebWorld, build_world
from markupsafe import escape
from sqlmodel import select
from typer.testing import CliRunner

from jointinspect.cli.app import app as cli_app
from jointinspect.data.codes.feedback import (
    AlreadyRatedError,
    CommentTooLongError,
    NotRateableError,
    RatingOutOfRangeError,
    RatingTooEarlyError,
    record_rating,
)
from jointinspect.data.exports.qr import VerifyUrlError, qr_payload
from jointinspect.models import Feedback, make_engine, session_scope
from jointinspect.web.app import MAX_CODE_INPUT, STYLESHEET, WebConfig, create_app
from jointinspect.web.security import CSRF_COOKIE, ClientRateLimiter, RateLimitSyntaxError
from jointinspect.web.text import TEXT

SECRET = b"s" * 32
HTTP = {"valid": 200, "revoked": 410, "unknown": 404, "forged": 404, "malformed": 400}


class Clock:
    """A settable "today" (Shanghai date) for the app."""

    def __init__(self, today: dt.date) -> None:
        self.today = today

    def __call__(self) -> dt.date:
        return self.today


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WebWorld:
    path = tmp_path_factory.mktemp("web") / "web.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture
def fresh(db_url: str) -> Iterator[WebWorld]:
    """A world of its own for tests that write ratings, on SQLite and PostgreSQL."""
    world = build_world(db_url)
    yield world
    world.engine.dispose()


def client_for(
    world: WebWorld,
    *,
    today: Callable[[], dt.date] | None = None,
    rate_limit: str | None = "off",
    base_url: str | None = None,
    raise_errors: bool = True,
) -> TestClient:
    config = WebConfig(base_url=base_url, rate_limit=rate_limit, csrf_secret=SECRET)
    app = create_app(
        engine=world.engine,
        keys=RING,
        config=config,
        today=today or (lambda: world.valid_date),
    )
    return TestClient(app, follow_redirects=False, raise_server_exceptions=raise_errors)


def code_of(world: WebWorld, status: str) -> str:
    return {
        "valid": world.valid,
        "revoked": world.revoked,
        "unknown": world.unknown,
        "forged": world.forged,
        "malformed": world.malformed,
    }[status]


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, "the page has no rating form"
    return match.group(1)


def stored(world: WebWorld) -> list[Feedback]:
    with session_scope(world.engine) as session:
        rows = list(session.exec(select(Feedback)))
        session.expunge_all()
    return rows


# --- every status: page, API, and the same JSON as `verify --json` ---------------------


@pytest.mark.parametrize("status", list(HTTP))
def test_api_is_verify_json_with_the_status_code(world: WebWorld, status: str) -> None:
    code = code_of(world, status)
    response = client_for(world).get(f"/api/verify/{code}")
    assert response.status_code == HTTP[status]
    assert response.headers["content-type"] == "application/json"
    env = {"JOINTINSPECT_DB": world.url, "JOINTINSPECT_KEY": KEY_SETTING}
    cli = CliRunner().invoke(cli_app, ["verify", code, "--json"], env=env)
    assert cli.stdout == response.text + "\n"  # byte for byte, one serialiser
    assert json.loads(response.text)["status"] == status


@pytest.mark.parametrize("status", list(HTTP))
def test_page_says_the_status_in_chinese_and_english(world: WebWorld, status: str) -> None:
    client = client_for(world)
    code = code_of(world, status)
    zh = client.get(f"/v/{code}")
    en = client.get(f"/v/{code}", params={"lang": "en"})
    # The world's malformed code has one wrong character, which the page names as such.
    verdict = "typo" if status == "malformed" else status
    for response, lang in ((zh, "zh"), (en, "en")):
        assert response.status_code == HTTP[status]
        assert response.headers["content-type"].startswith("text/html")
        assert f'data-status="{status}"' in response.text
        assert TEXT[lang][f"{verdict}_head"] in response.text
        assert f'<html lang="{TEXT[lang]["html_lang"]}">' in response.text
    assert 'href="/v/' in zh.text and "lang=en" in zh.text  # the switch to English


def test_valid_page_shows_the_visit_and_its_officers(world: WebWorld) -> None:
    page = client_for(world).get(f"/v/{world.valid}").text
    name, _town, address = ENTERPRISES[USCC[0]]
    for shown in (name, USCC[0], address, "2025-07-10", "市场监督管理局", "消防救援支队"):
        assert shown in page
    for item in ("食品生产经营日常检查", "消防安全检查"):
        assert item in page
    for officer, cert in (("张伟", "沪执SCJ-017"), ("王芳", "沪执SCJ-044"), ("李强", "沪执XF-003")):
        assert re.search(rf"<td[^>]*>{officer}</td><td>[^<]+</td><td[^>]*>{cert}</td>", page)


def test_pages_show_nothing_the_code_owner_should_not_see(world: WebWorld) -> None:
    client = client_for(world)
    page = client.get(f"/v/{world.valid}").text
    api = client.get(f"/api/verify/{world.valid}").text
    others = [n for u, (n, _t, _a) in ENTERPRISES.items() if u != USCC[0]]
    for text in (page, api):
        assert not any(name in text for name in others)
        for internal in ("grade", "risk", "credit", "complaint", "D-000", "seed", "key_id"):
            assert internal not in text.lower()
    for status in ("unknown", "forged", "malformed"):
        body = client.get(f"/api/verify/{code_of(world, status)}").json()
        assert set(body) == {"status", "code", "message"}  # no details at all


def test_revoked_page_names_the_replacement(world: WebWorld) -> None:
    page = client_for(world).get(f"/v/{world.revoked}").text
    assert f'href="/v/{world.valid}?lang=zh"' in page
    assert "检查码已作废" in page and 'id="officers"' not in page


def test_forged_page_is_a_clear_warning(world: WebWorld) -> None:
    page = client_for(world).get(f"/v/{world.forged}").text
    assert "疑似伪造" in page and "请勿配合检查" in page
    assert 'class="verdict forged"' in page and 'id="enterprise"' not in page


def test_offsite_code_says_nobody_visits_and_has_no_rating(world: WebWorld) -> None:
    page = client_for(world, today=lambda: dt.date(2025, 12, 1)).get(f"/v/{world.offsite}").text
    assert TEXT["zh"]["offsite_note"] in page
    assert 'id="rating"' not in page and 'id="officers"' not in page


def test_offsite_code_sends_nobody_to_the_door(world: WebWorld) -> None:
    client = client_for(world)
    for lang, door in (("zh", "上门人员"), ("en", "at the door")):
        offsite = client.get(f"/v/{world.offsite}", params={"lang": lang}).text
        assert 'data-status="valid"' in offsite
        assert escape(TEXT[lang]["valid_offsite_body"]) in offsite
        assert escape(TEXT[lang]["valid_body"]) not in offsite and door not in offsite
        visit = client.get(f"/v/{world.valid}", params={"lang": lang}).text
        assert escape(TEXT[lang]["valid_body"]) in visit and door in visit  # they do come


def test_officer_names_do_not_wrap_mid_name(world: WebWorld) -> None:
    page = client_for(world).get(f"/v/{world.valid}").text
    officers = client_for(world).get(f"/api/verify/{world.valid}").json()["officers"]
    names = re.findall(r'<td class="name">([^<]+)</td>', page)
    assert sorted(names) == sorted(o["name"] for o in officers)
    assert re.search(r"\.name\s*\{[^}]*white-space:\s*nowrap", STYLESHEET)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_wrong_character_is_told_so(world: WebWorld, lang: str) -> None:
    client = client_for(world)
    typos = [world.malformed, world.malformed.lower().replace("-", " ")]
    for typo in typos:
        page = client.get(f"/v/{typo}", params={"lang": lang})
        assert page.status_code == 400 and 'data-status="malformed"' in page.text
        assert TEXT[lang]["typo_head"] in page.text and escape(TEXT[lang]["typo_body"]) in page.text
        assert TEXT[lang]["malformed_head"] not in page.text
    assert "one character is wrong" in TEXT["en"]["typo_body"].lower()


@pytest.mark.parametrize(
    "text", ["7KX3M-QW9RT", "7KX3M-QW9RT-2HC8N-VB5ZJ-0", "7KX3M-QW9RT-2HC8N-VB5Z*"]
)
def test_a_wrong_format_is_told_so(world: WebWorld, text: str) -> None:
    page = client_for(world).get(f"/v/{quote(text)}", params={"lang": "en"})
    assert page.status_code == 400 and 'data-status="malformed"' in page.text
    assert TEXT["en"]["malformed_head"] in page.text and TEXT["en"]["typo_head"] not in page.text


def test_over_long_input_is_malformed_and_not_echoed(world: WebWorld) -> None:
    noise = "A" * (MAX_CODE_INPUT + 1)
    client = client_for(world)
    api = client.get(f"/api/verify/{noise}")
    assert api.status_code == 400 and noise not in api.text
    assert api.json()["status"] == "malformed"
    page = client.get(f"/v/{noise}")
    assert page.status_code == 400 and noise not in page.text


def test_markup_in_a_code_is_escaped(world: WebWorld) -> None:
    page = client_for(world).get('/v/"><img src=x onerror=alert(1)>').text
    assert "<img" not in page and "&lt;img" in page


def test_home_form_redirects_to_the_code_page_only(world: WebWorld) -> None:
    client = client_for(world)
    assert client.get("/").status_code == 200
    hop = client.get("/v", params={"code": world.valid.lower(), "lang": "en"})
    assert hop.status_code == 303
    assert hop.headers["location"] == f"/v/{world.valid.lower()}?lang=en"
    sneaky = client.get("/v", params={"code": "//evil.example/x"})
    assert sneaky.headers["location"].startswith("/v/%2F%2Fevil.example%2Fx")


# --- QR codes lead to the page ---------------------------------------------------------


def test_qr_url_opens_the_page_and_is_the_canonical_link(world: WebWorld) -> None:
    base = "https://jc.fengxian.example.cn"
    url = qr_payload(world.valid, base)
    assert url == f"{base}/v/{world.valid}"
    page = client_for(world, base_url=base).get(url.removeprefix(base))
    assert page.status_code == 200
    assert f'<link rel="canonical" href="{url}">' in page.text
    assert "; secure" in page.headers["set-cookie"].lower()  # https: cookies only over TLS
    with pytest.raises(VerifyUrlError):
        client_for(world, base_url="javascript:alert(1)")


# --- rating rules ----------------------------------------------------------------------


def test_rating_once_after_the_visit(fresh: WebWorld) -> None:
    client = client_for(fresh, today=lambda: dt.date(2025, 7, 11))
    page = client.get(f"/v/{fresh.valid}")
    assert page.cookies.get(CSRF_COOKIE)
    form = {"rating": "4", "comment": "  检查人员态度很好  ", "csrf": csrf_token(page.text)}
    done = client.post(f"/v/{fresh.valid}/rating", data=form)
    assert done.status_code == 303
    assert done.headers["location"] == f"/v/{fresh.valid}?lang=zh&rated=1"
    [row] = stored(fresh)
    assert (row.code, row.rating, row.date, row.comment) == (
        fresh.valid,
        4,
        dt.date(2025, 7, 11),
        "检查人员态度很好",
    )
    after = client.get(done.headers["location"]).text
    assert TEXT["zh"]["thanks"] in after and 'name="csrf"' not in after
    again = client.post(f"/v/{fresh.valid}/rating", data=form | {"rating": "1"})
    assert again.status_code == 409 and TEXT["zh"]["err_twice"] in again.text
    assert [r.rating for r in stored(fresh)] == [4]


def test_rating_on_the_visit_day_is_allowed_the_day_before_is_too_early(
    fresh: WebWorld,
) -> None:
    clock = Clock(fresh.valid_date)
    client = client_for(fresh, today=clock)
    token = csrf_token(client.get(f"/v/{fresh.valid}").text)  # the visit day: form shown
    clock.today = fresh.valid_date - dt.timedelta(days=1)
    early_page = client.get(f"/v/{fresh.valid}").text
    assert 'data-state="too_early"' in early_page and 'name="csrf"' not in early_page
    early = client.post(f"/v/{fresh.valid}/rating", data={"rating": "5", "csrf": token})
    assert early.status_code == 409 and TEXT["zh"]["err_too_early"] in early.text
    assert stored(fresh) == []
    clock.today = fresh.valid_date
    ok = client.post(f"/v/{fresh.valid}/rating", data={"rating": "5", "csrf": token})
    assert ok.status_code == 303 and [r.rating for r in stored(fresh)] == [5]


@pytest.mark.parametrize("rating", ["0", "6", "-1", "4.5", "abc", "", "５", "99999999999"])
def test_rating_out_of_range_is_refused(fresh: WebWorld, rating: str) -> None:
    client = client_for(fresh)
    token = csrf_token(client.get(f"/v/{fresh.valid}").text)
    response = client.post(f"/v/{fresh.valid}/rating", data={"rating": rating, "csrf": token})
    assert response.status_code == 422 and TEXT["zh"]["err_range"] in response.text
    assert stored(fresh) == []


def test_comment_too_long_is_refused(fresh: WebWorld) -> None:
    client = client_for(fresh)
    token = csrf_token(client.get(f"/v/{fresh.valid}").text)
    form = {"rating": "3", "comment": "好" * 501, "csrf": token}
    response = client.post(f"/v/{fresh.valid}/rating", data=form)
    assert response.status_code == 422 and "500" in response.text
    assert stored(fresh) == []


def test_oversized_body_is_refused_before_parsing(fresh: WebWorld) -> None:
    client = client_for(fresh)
    token = csrf_token(client.get(f"/v/{fresh.valid}").text)
    form = {"rating": "3", "comment": "x" * 20_000, "csrf": token}
    assert client.post(f"/v/{fresh.valid}/rating", data=form).status_code == 413
    assert stored(fresh) == []


def test_bad_csrf_is_refused(fresh: WebWorld) -> None:
    client = client_for(fresh)
    page = client.get(f"/v/{fresh.valid}")
    token = csrf_token(page.text)
    url = f"/v/{fresh.valid}/rating"
    # No token, a wrong token, a token for another code, and no cookie at all.
    assert client.post(url, data={"rating": "5"}).status_code == 403
    assert client.post(url, data={"rating": "5", "csrf": "0" * 64}).status_code == 403
    other = csrf_token(client.get(f"/v/{fresh.other_valid}").text)
    assert client.post(url, data={"rating": "5", "csrf": other}).status_code == 403
    client.cookies.clear()
    refused = client.post(url, data={"rating": "5", "csrf": token})
    assert refused.status_code == 403 and TEXT["zh"]["err_csrf"] in refused.text
    assert stored(fresh) == []


def test_codes_other_than_valid_visits_cannot_be_rated(fresh: WebWorld) -> None:
    later = dt.date(2025, 12, 1)
    for code in (fresh.revoked, fresh.offsite, fresh.unknown, fresh.forged, fresh.malformed):
        with pytest.raises(NotRateableError):
            record_rating(code, 5, None, engine=fresh.engine, keys=RING, today=later)
    with pytest.raises(RatingOutOfRangeError):
        record_rating(fresh.valid, 0, None, engine=fresh.engine, keys=RING, today=later)
    with pytest.raises(CommentTooLongError):
        record_rating(fresh.valid, 3, "x" * 501, engine=fresh.engine, keys=RING, today=later)
    with pytest.raises(RatingTooEarlyError):
        record_rating(
            fresh.valid, 3, None, engine=fresh.engine, keys=RING, today=dt.date(2025, 7, 9)
        )
    record_rating(fresh.valid.lower(), 2, "", engine=fresh.engine, keys=RING, today=later)
    with pytest.raises(AlreadyRatedError):
        record_rating(fresh.valid, 3, None, engine=fresh.engine, keys=RING, today=later)
    assert [(r.code, r.comment) for r in stored(fresh)] == [(fresh.valid, None)]


# --- rate limit, headers, errors -------------------------------------------------------


def test_rate_limit_per_client(world: WebWorld) -> None:
    app = client_for(world, rate_limit="3/minute").app
    one = TestClient(app, client=("203.0.113.7", 5000))
    two = TestClient(app, client=("203.0.113.8", 5000))
    answers = [one.get(f"/v/{world.forged}").status_code for _ in range(3)]
    assert answers == [404, 404, 404]
    page = one.get(f"/v/{world.valid}")
    api = one.get(f"/api/verify/{world.valid}")
    assert page.status_code == api.status_code == 429
    assert int(page.headers["retry-after"]) >= 1 and "请求过于频繁" in page.text
    assert api.json()["error"] == "rate_limited" and world.valid not in api.text
    assert two.get(f"/v/{world.valid}").status_code == 200  # another client is not held up
    assert one.get("/static/verify.css").status_code == 200  # the stylesheet is not counted


def test_rate_limit_setting() -> None:
    assert not ClientRateLimiter("off").enabled
    assert ClientRateLimiter("30/minute").enabled
    with pytest.raises(RateLimitSyntaxError):
        ClientRateLimiter("lots")


def test_security_headers_everywhere(world: WebWorld) -> None:
    client = client_for(world, rate_limit="1/minute")
    responses = [
        client.get(f"/v/{world.valid}"),
        client.get(f"/api/verify/{world.valid}"),  # 429 by now
        client.get("/no/such/page"),
        client.get("/static/verify.css"),
    ]
    assert [r.status_code for r in responses] == [200, 429, 404, 200]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp  # no scripts at all
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "server" not in response.headers
    assert responses[0].headers["cache-control"] == "no-store"
    assert "<script" not in responses[0].text and "style=" not in responses[0].text
    cookie = responses[0].headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/v/" in cookie


def test_server_errors_show_no_internals(tmp_path: Path, world: WebWorld) -> None:
    # A database without tables: verifying an authentic code fails inside SQLAlchemy.
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app(engine=empty, keys=RING, config=WebConfig(rate_limit="off"))
    client = TestClient(app, raise_server_exceptions=False)
    for path in (f"/v/{world.valid}", f"/api/verify/{world.valid}"):
        response = client.get(path)
        assert response.status_code == 500
        assert "服务暂时不可用" in response.text
        for leak in ("Traceback", "sqlite", "OperationalError", "inspection_code", ".py"):
            assert leak not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    empty.dispose()


def test_no_api_docs_are_served(world: WebWorld) -> None:
    client = client_for(world)
    assert [client.get(p).status_code for p in ("/docs", "/redoc", "/openapi.json")] == [404] * 3


def test_both_languages_say_everything() -> None:
    assert set(TEXT["zh"]) == set(TEXT["en"])
