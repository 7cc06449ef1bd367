"""One district planned on SQLite and on PostgreSQL: the same draft, byte for byte.

What the two databases compute themselves must not reach the plan: the towns' centres
(officers' homes, so routes) are means of the register's coordinates, which SQL's AVG
sums in an order and a way each database chooses (``planning_inputs.town_centres``)."""

import datetime as dt
from pathlib import Path

import pytest

from jointinspect.data.synthetic.district import generate_district
from jointinspect.exporting import export_plan
from jointinspect.grading import grade_and_store
from jointinspect.importing import import_bundle
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.options import Options
from jointinspect.planning import plan_quarter

QUARTER = "2025Q3"
NOW = dt.datetime(2025, 6, 20, 2, 0, tzinfo=dt.UTC)


def _draft(url: str, bundle: Path, out: Path) -> bytes:
    engine = make_engine(url)
    try:
        create_schema(engine)
        import_bundle(bundle, engine=engine)
        grade_and_store(engine=engine, as_of=Quarter.parse(QUARTER).first_day - dt.timedelta(1))
        plan_quarter(QUARTER, "engines", engine=engine, options=Options(), now=NOW)
        export_plan(QUARTER, engine=engine, fmt="json", out=out, revision=1)
    finally:
        engine.dispose()
    return out.read_bytes()


@pytest.mark.postgres
def test_a_district_plans_the_same_on_sqlite_and_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    made = generate_district(
        tmp_path / "district", enterprises=400, seed="engines", quarter=Quarter.parse(QUARTER)
    )
    on_sqlite = _draft(f"sqlite:///{tmp_path / 'd.db'}", made.bundle_dir, tmp_path / "a.json")
    on_postgres = _draft(pg_url, made.bundle_dir, tmp_path / "b.json")
    assert b'"visits"' in on_sqlite
    assert on_sqlite == on_postgres
