"""A small planned, filed district with findings and ratings, for the report's tests.

generate (300 enterprises) → import → grade → plan → file, then outcomes and feedback for
the filed visits, chosen by hashing the code so the same world comes back every time:
the higher the grade, the likelier a violation, as the synthetic district intends.
``build_model_world`` makes a larger one (enough history to learn from) and adopts the
risk model ``calibrate`` learns there, as ``calibrate --adopt --force`` would.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from jointinspect.calibration import calibrate_district
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.synthetic.district import generate_district
from jointinspect.grading import grade_district, store_grades
from jointinspect.models import (
    EnterpriseGrade,
    Feedback,
    InspectionCode,
    Outcome,
    Visit,
    VisitTask,
    create_schema,
    make_engine,
    session_scope,
)
from jointinspect.models.codes import CodeKey
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.planning import make_plan
from jointinspect.risk.config import load_config
from jointinspect.scheduler.params import SchedulerParams

QUARTER = Quarter.parse("2025Q4")
SEED = "report-test"
ENTERPRISES = 300
#: Enough enterprises for ``calibrate``'s fit before the holdout (200 inspections, 20
#: violations); 1,000 give it about 450 with a margin for changes of the generator.
MODEL_ENTERPRISES = 1000
ADOPTED_BY = "tester"
#: Chance (per mille) that a check finds a violation, by grade; and a minor finding.
VIOLATION_PER_MILLE = {"A": 80, "B": 200, "C": 350, "D": 550}
MINOR_PER_MILLE = 150
NOT_DONE_PER_MILLE = 30
RATED_PER_MILLE = 600


@dataclass(frozen=True)
class ReportWorld:
    url: str
    engine: Engine
    quarter: Quarter


def _draw(*parts: str) -> int:
    """A number 0–999 from the parts (stable across machines)."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 1000


def build_world(
    folder: Path, enterprises: int = ENTERPRISES, url: str | None = None
) -> ReportWorld:
    """The world in ``url`` (default: a SQLite file in ``folder``)."""
    url = url or f"sqlite:///{folder / 'report.db'}"
    engine = make_engine(url)
    create_schema(engine)
    generate_district(folder / "district", enterprises=enterprises, seed=SEED, quarter=QUARTER)
    import_bundle(folder / "district" / "bundle", engine=engine)
    as_of = QUARTER.first_day - dt.timedelta(days=1)
    store_grades(grade_district(engine=engine, as_of=as_of, config=load_config()), engine=engine)
    make_plan(
        QUARTER,
        SEED,
        engine=engine,
        calendar=WorkingCalendar(),
        trigger_response_days=10,
        prefix="FX",
        params=SchedulerParams.default(),
        now=dt.datetime(2025, 9, 20, tzinfo=dt.UTC),
    )
    file_plan(
        str(QUARTER),
        engine=engine,
        key=CodeKey("k1", b"report-test-key-0123456789abcdef"),
        filed_by="test",
        now=dt.datetime(2025, 9, 21, tzinfo=dt.UTC),
        check=lambda _session, _revision: [],
    )
    add_findings(engine)
    return ReportWorld(url, engine, QUARTER)


def build_model_world(folder: Path, url: str | None = None) -> ReportWorld:
    """A world of ``MODEL_ENTERPRISES`` whose learned risk model is adopted (after grading
    and planning: the report's grades are the default model's)."""
    world = build_world(folder, enterprises=MODEL_ENTERPRISES, url=url)
    calibrate_district(
        engine=world.engine,
        as_of=None,
        holdout_days=365,
        config=load_config(),
        adopt_as=ADOPTED_BY,
        force=True,
    )
    return world


def add_findings(engine: Engine) -> None:
    """Outcomes for every task of every coded visit, ratings for most visits."""
    with session_scope(engine) as session:
        grades = dict(session.exec(select(EnterpriseGrade.uscc, EnterpriseGrade.grade)).all())
        rows = session.exec(
            select(InspectionCode.code, Visit.id, Visit.uscc, Visit.date, VisitTask.item)
            .join(Visit, Visit.id == InspectionCode.visit_id)
            .join(VisitTask, VisitTask.visit_id == Visit.id)
            .order_by(InspectionCode.code, VisitTask.item)
        ).all()
        seen: set[tuple[str, str]] = set()
        rated: set[str] = set()
        for code, _vid, uscc, day, item in rows:
            if (code, item) in seen:
                continue
            seen.add((code, item))
            roll = _draw(code, item)
            violation = VIOLATION_PER_MILLE[grades.get(uscc, "B")]
            # The first check is always not done, so that every world has one to leave out.
            if roll < NOT_DONE_PER_MILLE or len(seen) == 1:
                result = "not_done"
            elif roll < NOT_DONE_PER_MILLE + violation:
                result = "violation"
            elif roll < NOT_DONE_PER_MILLE + violation + MINOR_PER_MILLE:
                result = "minor"
            else:
                result = "compliant"
            session.add(Outcome(code=code, item=item, result=result, date=day))
            if code not in rated and _draw(code, "rated") < RATED_PER_MILLE:
                rated.add(code)
                stars = 3 + _draw(code, "stars") % 3 if result != "violation" else 2
                session.add(Feedback(code=code, rating=stars, date=day, comment=None))
