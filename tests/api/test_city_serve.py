"""``serve`` on a city's database: one site for every district. Each code is checked in the
district it names, with that district's key and records, and its rating is stored
there; the page says which district issued it; a forged code is refused, and a code of a
district the city does not hold is unknown — on SQLite (a file per district) and on
PostgreSQL (a schema per district, one connection pool)."""

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers.city_web_world import DISTRICTS, NOT_HELD, CityWebWorld, build_city_web
from markupsafe import escape
from typer.testing import CliRunner

from jointinspect.cli.app import app as cli_app
from jointinspect.cli.commands_serve import app_from_environment
from jointinspect.data.codes.feedback import find_rating
from jointinspect.database import open_database
from jointinspect.options import Options, key_file_for
from jointinspect.verification import (
    OneKeyForManyDistrictsError,
    Verifier,
    verification_json,
    verify_in_database,
)
from jointinspect.web.app import WebConfig, create_app
from jointinspect.web.text import TEXT

SECRET = b"s" * 32


@pytest.fixture
def city(db_url: str, tmp_path: Path) -> CityWebWorld:
    return build_city_web(db_url, tmp_path / "config")


@pytest.fixture
def verifier(city: CityWebWorld) -> Iterator[Verifier]:
    opened = Verifier.open(city.url, city.options)
    yield opened
    opened.close()


def _client(verifier: Verifier, city: CityWebWorld) -> TestClient:
    config = WebConfig(rate_limit="off", csrf_secret=SECRET)
    app = create_app(verifier=verifier, config=config, today=lambda: city.visit_date)
    return TestClient(app, follow_redirects=False)


def test_codes_of_every_district_verify_in_the_district_they_name(
    city: CityWebWorld, verifier: Verifier
) -> None:
    client = _client(verifier, city)
    assert [d.code for d in verifier.districts] == sorted(DISTRICTS)
    for code, name in DISTRICTS.items():
        issued = city.valid[code]
        answer = client.get(f"/api/verify/{issued}")
        assert answer.status_code == 200
        data = json.loads(answer.text)
        assert data["status"] == "valid"
        assert data["district"] == {"code": code, "name": name}
        assert data["enterprise"]["name"] == city.bakery[code]  # the district's own records
        # What `verify CODE --json` prints, byte for byte: one path, one serialiser.
        assert answer.text == verification_json(
            verify_in_database(issued, url=city.url, options=city.options)
        )
        page = client.get(f"/v/{issued}")
        assert page.status_code == 200
        assert f'<dd id="district">{name} ({code})</dd>' in page.text
        assert city.bakery[code] in page.text
        assert TEXT["zh"]["site_city"] in page.text  # the city's site, not one district's


def test_a_forged_code_is_refused_and_other_districts_codes_are_unknown(
    city: CityWebWorld, verifier: Verifier
) -> None:
    client = _client(verifier, city)
    forged = client.get(f"/api/verify/{city.forged}")
    assert forged.status_code == 404
    assert json.loads(forged.text) == {
        "status": "forged",
        "code": city.forged,
        "message": "this code was not issued with the district's key",
    }
    assert TEXT["en"]["forged_head"] in client.get(f"/v/{city.forged}?lang=en").text

    elsewhere = client.get(f"/api/verify/{city.not_held}")
    assert elsewhere.status_code == 404
    assert json.loads(elsewhere.text)["message"] == (
        f"this code names district {NOT_HELD} 黄浦区, which this database does not hold "
        "(310104 徐汇区, 310120 奉贤区): ask that district"
    )
    page = client.get(f"/v/{city.not_held}").text
    assert TEXT["zh"]["elsewhere_head"] in page and TEXT["zh"]["unknown_head"] not in page
    assert f"{TEXT['zh']['named_district']}：{NOT_HELD} 黄浦区" in page

    unnamed = client.get(f"/api/verify/{city.unnamed}")
    assert unnamed.status_code == 404 and json.loads(unnamed.text)["status"] == "unknown"
    assert TEXT["zh"]["elsewhere_head"] in client.get(f"/v/{city.unnamed}").text

    # A district's codes have 24 characters: the malformed page says so.
    typo = city.valid["310120"][:-1] + ("0" if city.valid["310120"][-1] != "0" else "1")
    assert client.get(f"/api/verify/{typo}").status_code == 400
    wrong = client.get(f"/v/{typo[:-3]}?lang=en").text
    assert escape(TEXT["en"]["malformed_districts_body"]) in wrong


def test_a_rating_is_stored_in_the_district_that_issued_the_code(
    city: CityWebWorld, verifier: Verifier
) -> None:
    client = _client(verifier, city)
    rated = city.valid["310104"]
    page = client.get(f"/v/{rated}").text
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, "the page has no rating form"
    done = client.post(f"/v/{rated}/rating", data={"rating": "5", "csrf": match.group(1)})
    assert done.status_code == 303
    stored = {}
    for code in DISTRICTS:
        engine = open_database(city.url, district=code)
        try:
            stored[code] = find_rating(city.valid[code], engine=engine)
        finally:
            engine.dispose()
    assert stored["310104"] is not None and stored["310104"].rating == 5
    assert stored["310120"] is None
    other = client.get(f"/v/{city.valid['310120']}").text
    assert 'name="csrf"' in other  # not rated: the other district's visit is its own


def test_a_worker_serves_the_city_from_its_settings(
    city: CityWebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JOINTINSPECT_KEY", "JOINTINSPECT_KEY_FILE", "JOINTINSPECT_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JOINTINSPECT_DB", city.url)
    assert city.options.config_dir is not None
    monkeypatch.setenv("JOINTINSPECT_CONFIG_DIR", str(city.options.config_dir))
    monkeypatch.setenv("JOINTINSPECT_WEB_RATE_LIMIT", "off")
    client = TestClient(app_from_environment())
    for code in DISTRICTS:
        assert json.loads(client.get(f"/api/verify/{city.valid[code]}").text)["status"] == "valid"


def test_one_key_file_for_several_districts_is_refused(city: CityWebWorld, tmp_path: Path) -> None:
    engine = open_database(city.url, district="310120")
    try:
        fengxian = key_file_for(city.options, engine)
    finally:
        engine.dispose()
    with pytest.raises(OneKeyForManyDistrictsError) as error:
        Verifier.open(city.url, Options(key_file=fengxian, config_dir=city.options.config_dir))
    assert str(error.value) == (
        f"the key file {fengxian} is one district's key, and the database holds 2 "
        "districts, each with a key of its own"
    )
    env = {"JOINTINSPECT_DB": city.url, "JOINTINSPECT_KEY_FILE": str(fengxian)}
    result = CliRunner().invoke(cli_app, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"Error: {error.value}"
    assert result.output.splitlines()[1].startswith("Hint: leave JOINTINSPECT_KEY_FILE")
    assert "Traceback" not in result.output


def test_a_city_of_one_district_is_served_as_that_district(tmp_path: Path) -> None:
    city = build_city_web(f"sqlite:///{tmp_path / 'one.db'}", tmp_path, ["310120"])
    verifier = Verifier.open(city.url, city.options)
    try:
        client = _client(verifier, city)
        issued = city.valid["310120"]
        page = client.get(f"/v/{issued}").text
        assert TEXT["zh"]["site"] in page and '<dd id="district">奉贤区 (310120)</dd>' in page
        answer = client.get(f"/api/verify/{issued}").text
        assert answer == verification_json(verify_in_database(issued, url=city.url))
        assert client.get(f"/api/verify/{city.not_held}").status_code == 404
    finally:
        verifier.close()
