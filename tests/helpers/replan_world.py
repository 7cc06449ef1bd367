"""A small filed district to replan: generate → import → grade → plan → file (2025Q4).

``build_filed_world`` makes it in any database; tests on SQLite build it once per session
and copy the file, which is much faster than building it again.
"""

import csv
import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from jointinspect import rules as hard_rules
from jointinspect.cli.settings import Settings
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.synthetic.district import generate_district
from jointinspect.grading import grade_district, store_grades
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.options import create_key_file, load_keys
from jointinspect.planning import make_plan
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
    make_plan(
        QUARTER,
        SEED,
        engine=engine,
        calendar=WorkingCalendar(),
        trigger_response_days=settings.trigger_response_days,
        prefix=settings.district_prefix,
        params=SchedulerParams.default(),
        now=FILED_AT,
    )
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
