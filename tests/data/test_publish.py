"""The public disclosure (一公开): what it shows equals the filed plan and its random
checks' outcomes, nothing private reaches any file, the CSV opens as Excel opens it, the
draw can be redone from the published seed with the script alone, a special plan's
approval is respected, and a real browser renders the page on a phone."""

import csv
import datetime as dt
import io
import json
import math
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from helpers.headless_chromium import HEADLESS_FLAGS
from helpers.plan_factory import sample_plan
from helpers.report_world import SEED, ReportWorld, build_world
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from jointinspect.data.codes.filing import file_plan
from jointinspect.data.publish import files as publish_files
from jointinspect.data.publish.content import DrawSource, ratio_percent
from jointinspect.data.publish.csv_tables import PLAN_HEADER, RESULTS_HEADER, SPECIAL_HEADER
from jointinspect.data.publish.files import PublishFolderError
from jointinspect.data.publish.text import RESULT
from jointinspect.models import (
    CreditEvent,
    Demand,
    Department,
    Enterprise,
    EnterpriseGrade,
    InspectionCode,
    Inspector,
    Item,
    OffsiteCheck,
    Outcome,
    PlanRevision,
    Trigger,
    Visit,
    VisitTask,
    session_scope,
)
from jointinspect.models.codes import CodeKey
from jointinspect.models.core_table import table_of
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.planning import make_plan
from jointinspect.publishing import (
    DRAW_RECORD,
    ApprovalDateError,
    LateSpecialPlanError,
    NoFiledPlanError,
    PublishRun,
    SpecialApproval,
    draw_record,
    publication_deadline,
    publish_quarter,
)
from jointinspect.scheduler.params import SchedulerParams

PUBLISHED_ON = dt.date(2025, 10, 20)
PAGE, PLAN_CSV, RESULTS_CSV = (
    "publish-2025Q4.html",
    "publish-2025Q4-plan.csv",
    "publish-2025Q4-results.csv",
)
#: Off-site random checks get outcomes too (the report's world records visits only).
OFFSITE_RESULTS = ("compliant", "violation", "not_done")


@dataclass(frozen=True)
class Published:
    world: ReportWorld
    folder: Path
    run: PublishRun

    def text(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8-sig")


def _world(folder: Path) -> ReportWorld:
    """The report's planned, filed world with findings, and results for a few random
    off-site checks as well."""
    world = build_world(folder)
    with session_scope(world.engine) as session:
        checks = session.exec(
            select(OffsiteCheck.code, OffsiteCheck.item, OffsiteCheck.due)
            .where(OffsiteCheck.source == "random", OffsiteCheck.code.is_not(None))  # type: ignore[union-attr]
            .order_by(OffsiteCheck.code)
        ).all()
        for (code, item, due), result in zip(checks, OFFSITE_RESULTS, strict=False):
            session.add(Outcome(code=code, item=item, result=result, date=due))
    return world


def _publish(world: ReportWorld, out: Path, **kwargs: object) -> PublishRun:
    return publish_quarter(
        world.quarter,
        engine=world.engine,
        out=out,
        published_on=kwargs.pop("published_on", PUBLISHED_ON),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    folder = tmp_path_factory.mktemp("publish")
    world = _world(folder)
    run = _publish(world, folder / "out")
    yield Published(world, folder / "out", run)
    world.engine.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ReportWorld]:
    """A world of its own, for tests that change it."""
    built = _world(tmp_path)
    yield built
    built.engine.dispose()


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _drawn(engine: Engine) -> Counter[tuple[str, str]]:
    """(department, item) → drawn checks of the filed revision, counted from the tables."""
    with session_scope(engine) as session:
        rid = session.exec(select(PlanRevision.id).where(PlanRevision.status == "filed")).one()
        ids = list(
            session.exec(
                select(VisitTask.demand_id)
                .join(Visit, Visit.id == VisitTask.visit_id)
                .where(Visit.revision_id == rid, VisitTask.source == "random")
            ).all()
        )
        ids += session.exec(
            select(OffsiteCheck.demand_id).where(
                OffsiteCheck.revision_id == rid, OffsiteCheck.source == "random"
            )
        ).all()
    return Counter(tuple(i.split(":")[1:3]) for i in ids)  # type: ignore[misc]


# --- nothing private -----------------------------------------------------------------------


def _private_values(engine: Engine) -> dict[str, set[str]]:
    with session_scope(engine) as session:
        officers = session.exec(select(Inspector)).all()
        triggers = session.exec(select(Trigger)).all()
        demands = session.exec(select(Demand)).all()
        return {
            "officer id": {o.id for o in officers},
            "officer name": {o.name for o in officers},
            "certificate": {o.cert_no for o in officers},
            "trigger id": {t.id for t in triggers},
            "complaint or alert detail": {t.detail for t in triggers if t.detail},
            "demand id": {d.id for d in demands},
            "demand note": {d.note for d in demands if d.note},
            "inspection code": set(session.exec(select(InspectionCode.code)).all()),
            "credit event": {e.id for e in session.exec(select(CreditEvent)).all()},
        }


def _public_names(engine: Engine) -> str:
    """Every name a disclosure may show, so that a private value that happens to be part
    of one (an officer's name inside a shop's name) is not mistaken for a leak."""
    with session_scope(engine) as session:
        names = [f"{e.name} {e.uscc}" for e in session.exec(select(Enterprise)).all()]
        names += [f"{d.name} {d.code}" for d in session.exec(select(Department)).all()]
        names += [f"{i.name} {i.code}" for i in session.exec(select(Item)).all()]
    return "\n".join(names)


def test_no_private_value_in_any_file(published: Published) -> None:
    texts = {p.name: p.read_text(encoding="utf-8-sig") for p in published.run.paths}
    assert set(texts) == {PAGE, PLAN_CSV, RESULTS_CSV, "redo_draw.py"}
    public = _public_names(published.world.engine)
    checked = 0
    for kind, values in _private_values(published.world.engine).items():
        assert values, f"the test district has no {kind}: the check would prove nothing"
        for value in values:
            if value in public:
                continue
            checked += 1
            for name, text in texts.items():
                assert value not in text, f"{kind} {value!r} is in {name}"
    assert checked > 500


def test_no_grade_or_score_of_an_enterprise(published: Published) -> None:
    results = _rows((published.folder / RESULTS_CSV).read_bytes())
    assert tuple(results[0]) == RESULTS_HEADER
    assert not {"等级", "信用", "风险", "评分"} & {c for h in results[0] for c in (h[:2], h)}
    page = published.text(PAGE)
    section = page[page.index("<h2>四、抽查结果</h2>") : page.index("<footer>")]
    assert "类" not in section and "grade" not in section
    with session_scope(published.world.engine) as session:
        scores = session.exec(select(EnterpriseGrade.risk, EnterpriseGrade.credit)).all()
    for risk, credit in scores[:50]:
        for value in (f"{risk:.2f}", f"{credit:.2f}"):
            assert value not in page or value in ("0.00", "100.00")


def test_a_formula_in_a_name_stays_text(world: ReportWorld, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://example.com","点击查看")'
    with session_scope(world.engine) as session:
        uscc = session.exec(
            select(Visit.uscc)
            .join(Outcome, Outcome.code == Visit.code)
            .join(VisitTask, VisitTask.visit_id == Visit.id)
            .where(VisitTask.source == "random")
        ).first()
        enterprise = session.get(Enterprise, uscc)
        assert enterprise is not None
        enterprise.name = formula
        session.add(enterprise)
    run = _publish(world, tmp_path / "out")
    names = {row[0] for row in _rows((tmp_path / "out" / RESULTS_CSV).read_bytes())[1:]}
    assert "'" + formula in names and formula not in names
    assert "=HYPERLINK(&quot;http" in run.paths[0].read_text(encoding="utf-8")


# --- the plan summary ------------------------------------------------------------------------


def test_csv_opens_as_excel_would(published: Published) -> None:
    for name in (PLAN_CSV, RESULTS_CSV):
        data = (published.folder / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), f"{name} has no UTF-8 BOM"
        rows = _rows(data)
        assert len({len(row) for row in rows}) == 1, f"{name} has ragged rows"
    plan = _rows((published.folder / PLAN_CSV).read_bytes())
    assert tuple(plan[0]) == PLAN_HEADER
    assert "食品经营者监督检查" in {row[6] for row in plan[1:]}


def test_plan_summary_counts_the_filed_draw(published: Published) -> None:
    d = published.run.disclosure
    assert (d.plan_id, d.revision, d.seed, d.draw_source) == ("FX-2025Q4", 1, SEED, "redone")
    drawn = _drawn(published.world.engine)
    assert d.drawn == sum(drawn.values()) > 50
    rows = [
        dict(zip(PLAN_HEADER, row, strict=True))
        for row in _rows(published.run.paths[1].read_bytes())[1:]
    ]
    per_item: Counter[tuple[str, str]] = Counter()
    for row in rows:
        key = (row["部门代码"], row["检查事项代码"])
        if row["信用风险等级"] == "合计":
            assert int(row["抽取数量"]) == drawn[key], key
            continue
        n, k = int(row["对象总数"]), int(row["抽取数量"])
        assert k == math.ceil(Decimal(row["抽查比例"]) * n), row
        per_item[key] += k
        assert row["随机种子"] == SEED
    assert +per_item == drawn  # the grades' counts add up to the plan's draw, item by item


def test_ratios_print_exactly() -> None:
    assert [ratio_percent(r) for r in ("0.07", "0.1", "0.025", "1", "0")] == [
        "7%",
        "10%",
        "2.5%",
        "100%",
        "0%",
    ]


def test_results_are_the_outcomes_of_random_checks(published: Published) -> None:
    engine = published.world.engine
    with session_scope(engine) as session:
        names = dict(session.exec(select(Enterprise.uscc, Enterprise.name)).all())
        visits = session.exec(
            select(Outcome.result, Outcome.date, Visit.uscc, VisitTask.item)
            .join(Visit, Visit.code == Outcome.code)
            .join(VisitTask, (VisitTask.visit_id == Visit.id) & (VisitTask.item == Outcome.item))
            .where(VisitTask.source == "random")
        ).all()
        offsite = session.exec(
            select(Outcome.result, Outcome.date, OffsiteCheck.uscc, OffsiteCheck.item)
            .join(OffsiteCheck, OffsiteCheck.code == Outcome.code)
            .where(OffsiteCheck.source == "random")
        ).all()
        every = session.exec(select(Outcome)).all()
    expected = {
        (names[uscc], uscc, item, day.isoformat(), RESULT[result])
        for result, day, uscc, item in [*visits, *offsite]
    }
    assert len(offsite) == len(OFFSITE_RESULTS) and len(expected) < len(every)
    rows = _rows((published.folder / RESULTS_CSV).read_bytes())[1:]
    got = {(r[0], r[1], r[3], r[6], r[7]) for r in rows}
    assert len(rows) == len(got) == len(expected)
    assert got == expected
    page = published.text(PAGE)
    assert all(name in page for name, *_ in expected)


def test_before_outcomes_there_are_no_results(world: ReportWorld, tmp_path: Path) -> None:
    assert (tmp_path / "out" / RESULTS_CSV) in _publish(world, tmp_path / "out").paths
    with session_scope(world.engine) as session:
        session.execute(delete(table_of(Outcome)))
    run = _publish(world, tmp_path / "out")
    assert [p.name for p in run.paths] == [PAGE, PLAN_CSV, "redo_draw.py"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [PAGE, PLAN_CSV, "redo_draw.py"]
    )  # the earlier results file went with the results
    page = (tmp_path / "out" / PAGE).read_text(encoding="utf-8")
    assert "抽查结果将在检查完成、结果录入后公示" in page


# --- which revision ----------------------------------------------------------------------------


def test_the_latest_filed_revision_not_a_newer_draft(world: ReportWorld, tmp_path: Path) -> None:
    make_plan(
        world.quarter,
        "another-seed",
        engine=world.engine,
        calendar=WorkingCalendar(),
        trigger_response_days=10,
        prefix="FX",
        params=SchedulerParams.default(),
        now=dt.datetime(2025, 9, 30, tzinfo=dt.UTC),
    )
    run = _publish(world, tmp_path / "out")
    assert (run.disclosure.revision, run.disclosure.seed) == (1, SEED)
    assert "another-seed" not in (tmp_path / "out" / PAGE).read_text(encoding="utf-8")


def test_a_refiled_revision_is_published(world: ReportWorld, tmp_path: Path) -> None:
    with session_scope(world.engine) as session:
        uscc = session.exec(select(Enterprise.uscc).order_by(Enterprise.uscc)).first()
        assert uscc is not None
        session.add(
            Demand(id="D-NEW", department="SCJ", item="SCJ-ANNUAL-01", uscc=uscc, source="plan")
        )
    make_plan(
        world.quarter,
        SEED,
        engine=world.engine,
        calendar=WorkingCalendar(),
        trigger_response_days=10,
        prefix="FX",
        params=SchedulerParams.default(),
        now=dt.datetime(2025, 9, 30, tzinfo=dt.UTC),
    )
    file_plan(
        str(world.quarter),
        engine=world.engine,
        key=CodeKey("k1", b"report-test-key-0123456789abcdef"),
        filed_by="test",
        now=dt.datetime(2025, 10, 2, tzinfo=dt.UTC),
        check=lambda _session, _revision: [],
    )
    run = _publish(world, tmp_path / "out")
    assert (run.disclosure.revision, run.disclosure.filed_on) == (2, dt.date(2025, 10, 2))
    assert "D-NEW" not in (tmp_path / "out" / PAGE).read_text(encoding="utf-8")


def test_no_filed_revision_is_an_error_with_a_hint(sqlite_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(NoFiledPlanError) as no_plan:
        publish_quarter(
            "2025Q3", engine=sqlite_engine, out=tmp_path / "out", published_on=PUBLISHED_ON
        )
    assert "jointinspect plan --quarter 2025Q3" in (no_plan.value.hint or "")
    sample_plan(sqlite_engine)  # a draft only
    with pytest.raises(NoFiledPlanError) as draft_only:
        publish_quarter(
            "2025Q3", engine=sqlite_engine, out=tmp_path / "out", published_on=PUBLISHED_ON
        )
    assert str(draft_only.value) == (
        "the plan for 2025Q3 has no filed revision to publish (a draft is not published)"
    )
    assert draft_only.value.hint == "file it first: `jointinspect file --quarter 2025Q3`"
    assert not (tmp_path / "out").exists()


# --- the figures per grade: redone, recorded, or left out ------------------------------------


def _regrade_a_drawn_enterprise(engine: Engine) -> None:
    """Move one drawn enterprise to another grade, as a replan's regrading may."""
    with session_scope(engine) as session:
        uscc = session.exec(
            select(Visit.uscc)
            .join(VisitTask, VisitTask.visit_id == Visit.id)
            .where(VisitTask.source == "random")
            .order_by(Visit.uscc)
        ).first()
        grade = session.get(EnterpriseGrade, uscc)
        assert grade is not None
        grade.grade = "D" if grade.grade != "D" else "A"
        session.add(grade)


def test_changed_grades_leave_the_per_grade_counts_out(world: ReportWorld, tmp_path: Path) -> None:
    _regrade_a_drawn_enterprise(world.engine)
    run = _publish(world, tmp_path / "out")
    assert run.disclosure.draw_source is DrawSource.UNAVAILABLE
    assert len(run.warnings) == 1 and "counts per grade are left out" in run.warnings[0]
    rows = [dict(zip(PLAN_HEADER, r, strict=True)) for r in _rows(run.paths[1].read_bytes())[1:]]
    graded = [r for r in rows if r["信用风险等级"] != "合计"]
    assert graded and all(r["对象总数"] == r["抽取数量"] == "" for r in graded)
    totals = Counter(
        {
            (r["部门代码"], r["检查事项代码"]): int(r["抽取数量"])
            for r in rows
            if r["信用风险等级"] == "合计"
        }
    )
    assert +totals == _drawn(world.engine)  # counts per item stay, from the filed plan


def test_a_recorded_draw_wins_over_redoing_it(world: ReportWorld, tmp_path: Path) -> None:
    first = _publish(world, tmp_path / "first")
    figures = [f for line in first.disclosure.items for f in line.figures]
    with world.engine.begin() as conn:
        # Core, below the filed-revision guard: as if the planner had recorded it.
        r = table_of(PlanRevision).c
        metrics = dict(conn.execute(select(r.metrics)).scalar_one())
        metrics[DRAW_RECORD] = json.loads(json.dumps(draw_record(figures)))
        conn.execute(update(table_of(PlanRevision)).values(metrics=metrics))
    _regrade_a_drawn_enterprise(world.engine)
    run = _publish(world, tmp_path / "second")
    assert run.disclosure.draw_source is DrawSource.RECORDED and not run.warnings
    assert (tmp_path / "second" / PLAN_CSV).read_bytes() == (
        tmp_path / "first" / PLAN_CSV
    ).read_bytes()


# --- redoing the draw with the published script ----------------------------------------------


def test_the_script_redoes_the_draw_from_the_seed(published: Published, tmp_path: Path) -> None:
    engine = published.world.engine
    grades = tmp_path / "grades.csv"
    with session_scope(engine) as session, grades.open("w", encoding="utf-8-sig") as out:
        out.write("uscc,credit,risk,grade\n")
        for g in session.exec(select(EnterpriseGrade)).all():
            out.write(f"{g.uscc},{g.credit},{g.risk},{g.grade}\n")
    bundle = published.folder.parent / "district" / "bundle"
    command = [
        sys.executable,
        str(published.folder / "redo_draw.py"),
        "--seed",
        SEED,
        "--quarter",
        "2025Q4",
        "--bundle",
        str(bundle),
        "--grades",
        str(grades),
    ]
    # The script must run on a bare Python: no JointInspect, no site packages.
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    drawn = subprocess.run(
        [*command[:1], "-I", "-S", *command[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    got = Counter((row["department"], row["item"]) for row in csv.DictReader(io.StringIO(drawn)))
    assert got == _drawn(engine)
    summary = subprocess.run(
        [*command, "--summary"], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    figures = {
        (f.department, f.item, f.grade, f.ratio, f.population, f.drawn)
        for line in published.run.disclosure.items
        for f in line.figures
    }
    rows = csv.DictReader(io.StringIO(summary))
    assert {
        (r["department"], r["item"], r["grade"], r["ratio"], int(r["population"]), int(r["drawn"]))
        for r in rows
    } == figures
    broken = subprocess.run(
        [*command[:6], "--bundle", str(tmp_path), "--grades", str(grades)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert broken.returncode == 2
    assert broken.stderr.startswith("Error: ") and "enterprises.csv does not exist" in broken.stderr


# --- special plans -----------------------------------------------------------------------------


def test_publication_deadline_is_a_calendar_month() -> None:
    assert publication_deadline(dt.date(2025, 9, 15)) == dt.date(2025, 10, 15)
    assert publication_deadline(dt.date(2025, 1, 31)) == dt.date(2025, 2, 28)
    assert publication_deadline(dt.date(2024, 1, 31)) == dt.date(2024, 2, 29)
    assert publication_deadline(dt.date(2025, 12, 20)) == dt.date(2026, 1, 20)


def test_a_special_plan_carries_its_approval(published: Published, tmp_path: Path) -> None:
    approval = SpecialApproval("沪奉市监〔2025〕18号", dt.date(2025, 10, 1))
    run = _publish(published.world, tmp_path / "out", special=approval)
    assert not run.warnings
    assert [p.name for p in run.paths][:2] == [
        "publish-2025Q4-special.html",
        "publish-2025Q4-special-plan.csv",
    ]
    page = run.paths[0].read_text(encoding="utf-8")
    assert "2025年第四季度专项检查计划公示" in page
    assert "批准文号：沪奉市监〔2025〕18号 · 批准日期：2025年10月1日" in page
    rows = _rows(run.paths[1].read_bytes())
    assert tuple(rows[0]) == PLAN_HEADER + SPECIAL_HEADER
    assert {tuple(r[-2:]) for r in rows[1:]} == {("沪奉市监〔2025〕18号", "2025-10-01")}


def test_a_late_special_plan_is_refused_unless_late(published: Published, tmp_path: Path) -> None:
    approval = SpecialApproval("沪奉市监〔2025〕9号", dt.date(2025, 9, 19))
    with pytest.raises(LateSpecialPlanError) as refused:
        _publish(published.world, tmp_path / "refused", special=approval)
    assert str(refused.value) == (
        "special plan 沪奉市监〔2025〕9号 was approved on 2025-09-19; Shanghai publishes a "
        "special plan within a month of approval, by 2025-10-19"
    )
    assert "--late" in (refused.value.hint or "")
    assert not (tmp_path / "refused").exists()
    run = _publish(published.world, tmp_path / "late", special=approval, late=True)
    assert run.warnings == [f"{refused.value}: published late, as --late asks"]
    on_time = _publish(
        published.world, tmp_path / "on-time", special=approval, published_on=dt.date(2025, 10, 19)
    )
    assert not on_time.warnings


def test_an_approval_after_publication_is_an_error(published: Published, tmp_path: Path) -> None:
    approval = SpecialApproval("沪奉市监〔2025〕30号", PUBLISHED_ON + dt.timedelta(days=1))
    with pytest.raises(ApprovalDateError):
        _publish(published.world, tmp_path / "out", special=approval)


# --- files: never half-written ---------------------------------------------------------------


def test_a_failed_write_leaves_the_old_publication(
    world: ReportWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    _publish(world, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = 0

    def fsync_fails_on_the_second_file(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_files.os, "fsync", fsync_fails_on_the_second_file)
    with pytest.raises(PublishFolderError) as failed:
        _publish(world, out, published_on=PUBLISHED_ON + dt.timedelta(days=1))
    assert str(failed.value) == f"cannot write into {out}: No space left on device"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_out_must_be_a_folder(published: Published, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(PublishFolderError) as error:
        _publish(published.world, target)
    assert error.value.hint == "give --out a folder to write the files into"


# --- a real browser, phone-sized ---------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
PHONE = (390, 844)
#: Appended to a copy of the page (the page has no script of its own): what the browser
#: laid out, written into the DOM for --dump-dom to read back.
PROBE = """<script>
const box = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return {text: e.textContent.slice(0, 40), w: r.width, h: r.height,
          shown: s.display !== "none" && s.visibility !== "hidden"}; };
// Lay the page out at a phone's width (headless windows are at least 500 pixels wide).
document.documentElement.style.width = "390px";
const out = document.createElement("pre"); out.id = "probe";
out.textContent = JSON.stringify({
  headings: [...document.querySelectorAll("h1, h2")].map(box),
  tables: [...document.querySelectorAll("table")].map(t => ({...box(t),
    rows: t.querySelectorAll("tbody tr").length})),
  right: Math.max(...[...document.body.querySelectorAll("*")]
    .filter(e => !e.parentElement.closest(".scroll"))
    .map(e => e.getBoundingClientRect().right))});
document.body.appendChild(out);
</script>"""


@pytest.mark.slow
@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian chromium is not installed (.ci/run installs it)"
)
def test_chromium_renders_the_page_on_a_phone(published: Published, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "page.html"
    page.write_text(published.text(PAGE).replace("</body>", PROBE + "</body>"), encoding="utf-8")
    common = [
        CHROMIUM,
        *HEADLESS_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={PHONE[0]},{PHONE[1]}",
    ]
    dom = subprocess.run(
        [*common, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    probe = json.loads(
        dom.split('<pre id="probe">', 1)[1]
        .split("</pre>", 1)[0]
        .replace("&quot;", '"')
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )
    headings = probe["headings"]
    assert [h["text"] for h in headings] == [
        "2025年第四季度“双随机”抽查计划公示",
        "一、实施部门",
        "二、抽查事项与比例",
        "三、随机种子与复核方法",
        "四、抽查结果",
    ]
    assert all(h["shown"] and h["w"] > 50 and h["h"] > 10 for h in headings)
    tables = probe["tables"]
    assert len(tables) == 3 and all(t["shown"] and t["h"] > 50 and t["rows"] for t in tables)
    assert probe["right"] <= PHONE[0]  # only the tables' own boxes scroll sideways
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", published.folder.joinpath(PAGE).as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == PHONE
    colours = image.getcolors(maxcolors=PHONE[0] * PHONE[1]) or []
    dark = sum(n for n, colour in colours if max(colour) < 128)
    assert dark / (PHONE[0] * PHONE[1]) > 0.01, "the screenshot shows almost no text"
