"""A small synthetic city for the district tests: a few Shanghai districts of a few
hundred enterprises each, generated once per session, then made into a city's database
(a district each, its key, its bundle imported and graded) as often as a test needs one.
"""

import csv
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text

from jointinspect.data.synthetic.city import generate_city
from jointinspect.database import open_database
from jointinspect.districts import init_district
from jointinspect.exporting import export_plan
from jointinspect.grading import grade_and_store
from jointinspect.importing import import_bundle
from jointinspect.models.quarter import Quarter
from jointinspect.options import Options

QUARTER = Quarter.parse("2025Q3")
SEED = "2025Q3-city"
#: Every run of a test plans "at" this moment, so that drafts compare byte for byte.
NOW = dt.datetime(2025, 6, 20, 2, 0, tzinfo=dt.UTC)
ENTERPRISES = 300


def generate(folder: Path, districts: int) -> Path:
    """The generated city of ``districts`` districts in ``folder``."""
    generate_city(
        folder, districts=districts, enterprises=ENTERPRISES, seed="city", quarter=QUARTER
    )
    return folder


def district_codes(city: Path) -> list[str]:
    with (city / "districts.csv").open(encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def build_city(url: str, city: Path, options: Options) -> list[str]:
    """A city's database at ``url`` holding the districts of ``city``, imported and
    graded as of the day before the quarter; their area codes."""
    codes = district_codes(city)
    for code in codes:
        init_district(url, code, options=options)
        engine = open_database(url, district=code)
        try:
            import_bundle(city / code / "bundle", engine=engine)
            grade_and_store(engine=engine, as_of=QUARTER.first_day, options=options)
        finally:
            engine.dispose()
    return codes


def block_a_complaint(url: str, code: str, city: Path, scratch: Path) -> str:
    """Make a triggered demand of district ``code`` unplaceable (spec §5 rule 8): every
    officer of its department gets a 回避 conflict with its enterprise. Its id."""
    bundle = city / code / "bundle"
    modes = {row["code"]: row["mode"] for row in _rows(bundle / "items.csv")}
    trigger = next(
        row
        for row in _rows(bundle / "triggers.csv")
        if row["kind"] in ("complaint", "accident", "referral") and modes[row["item"]] != "offsite"
    )
    officers = [
        row["id"]
        for row in _rows(bundle / "inspectors.csv")
        if row["department"] == trigger["department"]
    ]
    blocking = scratch / "blocking"
    blocking.mkdir(parents=True)
    with (blocking / "conflicts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("inspector_id", "uscc", "reason"))
        writer.writerows((o, trigger["uscc"], "test: 回避 for every officer") for o in officers)
    engine = open_database(url, district=code)
    try:
        import_bundle(blocking, engine=engine)
    finally:
        engine.dispose()
    return trigger["id"]


def unblock(url: str, code: str) -> None:
    """Undo :func:`block_a_complaint` (imports never delete, so by hand)."""
    engine = open_database(url, district=code)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM conflict WHERE reason = 'test: 回避 for every officer'"))
    finally:
        engine.dispose()


def draft_json(url: str, code: str, out: Path) -> bytes:
    """District ``code``'s draft of the quarter (revision 1) as its JSON export."""
    engine = open_database(url, district=code)
    try:
        export_plan(str(QUARTER), engine=engine, fmt="json", out=out, revision=1)
    finally:
        engine.dispose()
    data = out.read_bytes()
    assert json.loads(data)["status"] == "draft"
    return data


def _rows(path: Path) -> Sequence[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
