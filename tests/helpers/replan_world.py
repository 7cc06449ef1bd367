"""A small filed district to replan: generate → import → grade → plan → file (2025Q4).

``build_filed_world`` makes it in any database; tests on SQLite build it once per session
and copy the file, which is much faster than building it again.
"""

import csv
import datetime as dt
import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from jointinspect import rules as hard_rules
from jointinspect.cli.settings import Settings
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.codes.verification import verify_code
from jointinspect.data.plans.document import dumps, read_plan_document
from jointinspect.data.synthetic.district import generate_district
from jointinspect.grading import grade_district, store_grades
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.options import create_key_file, load_keys
from jointinspect.planning import PlanRun, make_plan
from jointinspect.replanning import ReplanRun, replan_quarter
from jointinspect.risk.config import load_config
from jointinspect.scheduler.params import SchedulerParams

QUARTER = Quarter.parse("2025Q4")
SEED = "replan-test"
ENTERPRISES = 1000
#: A Monday inside the quarter: history before it, two pinned working days, the rest free.
AS_OF = dt.date(2025, 11, 3)
FILED_AT = dt.datetime(2025, 9, 20, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    url: str
    key_file: Path
    district: Path

    def settings(self, **overrides: object) -> Settings:
        return Settings(db=self.url, key_file=self.key_file, **overrides)  # type: ignore[arg-type]


def build_filed_world(folder: Path, url: str, district: Path | None = None) -> World:
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "test.key"
    create_key_file(key_file)
    if district is None:
        district = folder / "district"
        generate_district(district, enterprises=ENTERPRISES, seed=SEED, quarter=QUARTER)
    engine = make_engine(url)
    create_schema(engine)
    import_bundle(district / "bundle", engine=engine)
    as_of = QUARTER.first_day - dt.timedelta(days=1)
    store_grades(grade_district(engine=engine, as_of=as_of, config=load_config()), engine=engine)
    world = World(url, key_file, district)
    settings = world.settings()
    plan_world(world, engine, SchedulerParams.default(), now=FILED_AT)
    file_plan(
        str(QUARTER),
        engine=engine,
        key=load_keys(settings.options(), engine).current,
        filed_by="test",
        now=FILED_AT,
        check=hard_rules.hard_rule_check(settings.options()),
    )
    engine.dispose()
    return world


def plan_world(
    world: World, engine: Engine, params: SchedulerParams, now: dt.datetime | None = None
) -> PlanRun:
    """The world's quarter planned with its seed and settings (a new draft)."""
    settings = world.settings()
    return make_plan(
        QUARTER,
        SEED,
        engine=engine,
        calendar=WorkingCalendar(),
        trigger_response_days=settings.trigger_response_days,
        prefix=settings.district_prefix,
        params=params,
        now=now,
    )


def copy_world(template: World, folder: Path, district: Path | None = None) -> World:
    """The template's SQLite world copied into ``folder`` (its district unless given)."""
    shutil.copyfile(template.url.removeprefix("sqlite:///"), folder / "world.db")
    return World(
        f"sqlite:///{folder / 'world.db'}", template.key_file, district or template.district
    )


def write_bundle(folder: Path, name: str, rows: list[dict[str, str]]) -> Path:
    """A one-file bundle (``name`` like ``triggers.csv``) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    return folder


def drop_a_drawn_check(engine: Engine) -> None:
    """Delete one drawn (双随机) off-site check from the draft: a draft that no longer
    holds its draw, which filing must refuse."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM revision_offsite WHERE offsite_id = (SELECT min(o.id) "
                "FROM offsite_check o JOIN revision_offsite m ON m.offsite_id = o.id "
                "JOIN plan_revision r ON r.id = m.revision_id "
                "WHERE r.status = 'draft' AND o.demand_id LIKE 'R:%') "
                "AND revision_id IN (SELECT id FROM plan_revision WHERE status = 'draft')"
            )
        )


TABLES = {
    "visit": "SELECT * FROM visit ORDER BY id",
    "visit_task": "SELECT * FROM visit_task ORDER BY visit_id, demand_id",
    "visit_officer": "SELECT * FROM visit_officer ORDER BY visit_id, inspector_id",
    "offsite_check": "SELECT * FROM offsite_check ORDER BY id",
    "revision_visit": "SELECT * FROM revision_visit ORDER BY revision_id, visit_id",
    "revision_offsite": "SELECT * FROM revision_offsite ORDER BY revision_id, offsite_id",
    "unscheduled_demand": "SELECT * FROM unscheduled_demand ORDER BY revision_id, demand_id",
    "inspection_code": "SELECT * FROM inspection_code ORDER BY code",
    "plan_revision": "SELECT id, plan_id, revision, status, seed, metrics, diff, as_of, basis "
    "FROM plan_revision ORDER BY id",
}


def table_digests(world: World) -> dict[str, str]:
    """A digest of each planning table of a SQLite world, in key order (ids included)."""
    with sqlite3.connect(world.url.removeprefix("sqlite:///")) as conn:
        return {
            name: hashlib.sha256(repr(conn.execute(query).fetchall()).encode()).hexdigest()
            for name, query in TABLES.items()
        }


def what_is_filed(world: World) -> dict[str, Any]:
    """Every revision as ``export`` writes it (codes included), every issued code's record,
    and what verifying each code says (its revision, status and binding)."""
    engine = make_engine(world.url)
    try:
        with engine.connect() as conn:
            revisions = conn.execute(text("SELECT id FROM plan_revision ORDER BY id")).scalars()
            documents = [dumps(read_plan_document(conn, rid)) for rid in list(revisions)]
            codes = conn.execute(
                text(
                    "SELECT code, key_id, status, replaced_by, issued_at, revoked_at "
                    "FROM inspection_code ORDER BY code"
                )
            ).fetchall()
        keys = load_keys(world.settings().options(), engine)
        verified = [verify_code(row[0], engine=engine, keys=keys).to_json() for row in codes]
    finally:
        engine.dispose()
    return {"documents": documents, "codes": codes, "verified": verified}


def planned_tasks(world: World) -> list[tuple[str, str, str]]:
    """(uscc, department, item) of each on-site task of the world's visits, in a fixed
    order."""
    engine = make_engine(world.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT v.uscc, t.department, t.item FROM visit v JOIN visit_task t "
                    "ON t.visit_id = v.id JOIN item i ON i.code = t.item "
                    "WHERE i.mode != 'offsite' ORDER BY v.id, t.demand_id"
                )
            ).fetchall()
    finally:
        engine.dispose()
    return [(u, d, i) for u, d, i in rows]


def busiest_officer_day(world: World, after: dt.date) -> tuple[str, str]:
    """The officer and day (ISO) with the most visits after ``after``."""
    engine = make_engine(world.url)
    try:
        with engine.connect() as conn:
            oid, day = conn.execute(
                text(
                    "SELECT o.inspector_id, v.date FROM visit v JOIN visit_officer o "
                    "ON o.visit_id = v.id WHERE v.date > :day GROUP BY o.inspector_id, v.date "
                    "ORDER BY count(*) DESC, o.inspector_id LIMIT 1"
                ),
                {"day": after},
            ).one()
    finally:
        engine.dispose()
    return str(oid), str(day)


def write_complaints(
    world: World,
    folder: str,
    chosen: list[str],
    task_of: dict[str, tuple[str, str]],
    received: str,
    prefix: str = "C-",
) -> None:
    """A bundle of complaints, one per ``chosen`` enterprise about its (department, item)
    of ``task_of``, in the world's inbox folder ``folder``."""
    write_bundle(
        world.district / "inbox" / folder,
        "triggers.csv",
        [
            {
                "id": f"{prefix}{n:04d}",
                "uscc": uscc,
                "kind": "complaint",
                "received_at": received,
                "department": task_of[uscc][0],
                "item": task_of[uscc][1],
                "severity": "2",
            }
            for n, uscc in enumerate(chosen, start=1)
        ],
    )


def replan_world(
    world: World, as_of: dt.date, now: dt.datetime, *, whole: bool = False
) -> ReplanRun:
    """``replan_quarter`` of the world's quarter, taking in its inbox."""
    engine = make_engine(world.url)
    try:
        return replan_quarter(
            str(QUARTER),
            options=world.settings(inbox_dir=world.district / "inbox").options(),
            engine=engine,
            as_of=as_of,
            now=now,
            whole=whole,
        )
    finally:
        engine.dispose()
