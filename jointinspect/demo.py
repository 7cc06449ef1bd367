"""``demo`` as a Python call: the whole product on a synthetic district, start to finish.

generate → init → import → grade → 双随机 draw and plan → file (codes) → exports →
the efficiency report. Each stage reports through a callback so the command can show
progress; the summary carries every figure and path the command prints.
"""

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine

from jointinspect import rules as hard_rules
from jointinspect.data.bundle.importer import ImportReport, import_bundle
from jointinspect.data.codes.filing import FilingResult, UnchangedPlanError, file_plan
from jointinspect.data.exports.plan import export_plan
from jointinspect.data.plans.drafts import discard_drafts
from jointinspect.data.synthetic.district import BUNDLE_DIR, TRUTH_FILES, generate_district
from jointinspect.grading import grade_district, store_grades
from jointinspect.models import Enterprise
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.options import (
    Options,
    grading_config,
    init_keys,
    load_keys,
)
from jointinspect.planning import PlanRun, make_plan
from jointinspect.reporting import write_report
from jointinspect.risk.config import GRADES
from jointinspect.scheduler.params import SchedulerParams

Stage = Callable[[str], None]

#: The formats the demo writes, with the file or folder name each goes to.
EXPORTS = (
    ("json", "plan.json"),
    ("csv", "plan.csv"),
    ("xlsx", "plan.xlsx"),
    ("ics", "calendars"),
    ("qr", "qr"),
)


class DemoDatabaseInUseError(JointInspectError):
    """The database holds enterprises that the demo did not generate."""


class DemoFolderInUseError(JointInspectError):
    """The demo's output folder holds something other than an earlier demo's district."""


@dataclass
class DemoSummary:
    quarter: Quarter
    seed: str
    out: Path
    enterprises: int
    imported: ImportReport
    grade_mix: dict[str, int]
    plan: PlanRun
    filing: FilingResult | None
    exports: dict[str, list[Path]] = field(default_factory=dict)
    sample_code: str | None = None
    uncovered_years: list[int] = field(default_factory=list)
    report: Path | None = None
    #: What the report's maker had to say (no Chinese font: English chart labels).
    report_warnings: list[str] = field(default_factory=list)


def run_demo(
    *,
    options: Options,
    engine: Engine,
    calendar: WorkingCalendar,
    enterprises: int,
    seed: str,
    quarter: Quarter,
    out: Path,
    stage: Stage,
) -> DemoSummary:
    """Run the whole pipeline on a generated district and return what happened."""
    district_dir = out / "district"
    _clear_previous_district(district_dir)
    stage(f"generating a synthetic Fengxian district of {enterprises:,} enterprises")
    district = generate_district(district_dir, enterprises=enterprises, seed=seed, quarter=quarter)
    _refuse_foreign_database(engine, district.bundle_dir / "enterprises.csv")
    init_keys(options, engine)

    stage("importing the bundle (validated, all or nothing)")
    report = import_bundle(district.bundle_dir, engine=engine)

    as_of = quarter.first_day - dt.timedelta(days=1)
    stage(f"grading every enterprise as of {as_of.isoformat()}")
    graded = grade_district(engine=engine, as_of=as_of, config=grading_config(options))
    store_grades(graded, engine=engine)
    mix = {g: int((graded.grade == i).sum()) for i, g in enumerate(GRADES)}

    plan_seed = f"{quarter}-{seed}"
    stage(f"drawing the 双随机 sample and planning {quarter} (seed {plan_seed!r})")
    run = make_plan(
        quarter,
        plan_seed,
        engine=engine,
        calendar=calendar,
        trigger_response_days=options.trigger_response_days,
        prefix=options.district_prefix,
        params=SchedulerParams.default(),
        progress=lambda message: stage(f"  {message}"),
    )

    stage("filing the plan (备案) and issuing inspection codes")
    filing: FilingResult | None
    try:
        filing = file_plan(
            str(quarter),
            engine=engine,
            key=load_keys(options, engine).current,
            filed_by="demo",
            now=dt.datetime.now(dt.UTC),
            check=hard_rules.hard_rule_check(options),
        )
    except UnchangedPlanError:
        # An earlier demo run filed this very plan: its codes stand, the copy goes.
        discard_drafts(str(quarter), engine=engine)
        filing = None

    summary = DemoSummary(
        quarter=quarter,
        seed=seed,
        out=out,
        enterprises=district.enterprises,
        imported=report,
        grade_mix=mix,
        plan=run,
        filing=filing,
        uncovered_years=calendar.uncovered_years(quarter.first_day, quarter.last_day),
    )
    stage("writing each format of the plan")
    exports_dir = out / "exports"
    for fmt, name in EXPORTS:
        result = export_plan(
            str(quarter),
            engine=engine,
            fmt=fmt,
            out=exports_dir / name,
            verify_base_url=options.verify_base_url,
        )
        summary.exports[fmt] = result.paths
    summary.sample_code = _first_code(exports_dir / "plan.json")
    stage("writing the efficiency report (效能评估)")
    # Kept for the summary rather than said among the progress lines, where a newcomer
    # would miss why the charts are in English.
    summary.report = write_report(
        quarter, engine=engine, out=out / "report.html", warn=summary.report_warnings.append
    )
    return summary


def _clear_previous_district(district_dir: Path) -> None:
    """Remove an earlier demo's generated district, and nothing else."""
    if not district_dir.exists():
        return
    entries = {p.name for p in district_dir.iterdir()}
    if not entries <= {BUNDLE_DIR, *TRUTH_FILES}:
        raise DemoFolderInUseError(
            f"{district_dir} holds files the demo did not write",
            hint="choose another folder with --out",
        )
    shutil.rmtree(district_dir)


def _refuse_foreign_database(engine: Engine, enterprises_csv: Path) -> None:
    """The demo imports into the given database: never mix it into a real district."""
    with enterprises_csv.open(encoding="utf-8-sig") as handle:
        next(handle)
        generated = {line.split(",", 1)[0] for line in handle}
    with engine.connect() as conn:
        present = conn.execute(select(Enterprise.__table__.c.uscc)).scalars()  # type: ignore[attr-defined]
        foreign = next((u for u in present if u not in generated), None)
    if foreign is not None:
        raise DemoDatabaseInUseError(
            f"the database already holds enterprises the demo did not generate (e.g. {foreign})",
            hint="run the demo on its own database: jointinspect demo --db sqlite:///demo.db",
        )


def _first_code(plan_json: Path) -> str | None:
    doc = json.loads(plan_json.read_text(encoding="utf-8"))
    for visit in doc.get("visits", []):
        if visit.get("code"):
            return str(visit["code"])
    return None
