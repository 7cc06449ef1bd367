"""Small plan fixtures written straight into the tables, so filing, codes and exports can
be tested without running the planner.

``seed_reference`` writes three departments, four enterprises (Chinese names and
addresses) and two officers per department; ``add_revision`` writes one plan revision
from readable specs; ``sample_plan`` is the standard three-visit plan most tests use.
"""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from jointinspect.models import (
    Department,
    Enterprise,
    Inspector,
    Item,
    OffsiteCheck,
    Plan,
    PlanRevision,
    RevisionOffsite,
    RevisionVisit,
    UnscheduledDemand,
    Visit,
    VisitOfficer,
    VisitTask,
    session_scope,
)
from jointinspect.models.uscc import complete

QUARTER = "2025Q3"
PLAN_ID = "FX-2025Q3"
GENERATED = dt.datetime(2025, 6, 19, 18, 0, 5, tzinfo=dt.UTC)  # 02:00:05 China time

DEPARTMENTS = {"SCJ": "市场监督管理局", "XF": "消防救援支队", "WJ": "卫生健康委员会"}
ENTERPRISES = {
    # uscc → (name, town, address)
    complete("91310120MA1H00001"): ("上海奉贤甜心烘焙有限公司", "南桥镇", "南桥镇解放东路88号"),
    complete("91310120MA1H00002"): ("上海星光KTV娱乐有限公司", "奉城镇", "奉城镇南奉公路1号"),
    complete("91310120MA1H00003"): ("上海海湾浴场管理有限公司", "海湾镇", "海湾镇海思路200号"),
    complete("91310120MA1H00004"): ("上海庄行母婴用品商店", "庄行镇", "庄行镇庄行路16号"),
}
USCC = sorted(ENTERPRISES)
ITEMS = {
    "SCJ-FOOD-01": ("SCJ", "食品生产经营日常检查", "onsite"),
    "XF-FIRE-01": ("XF", "消防安全检查", "onsite"),
    "WJ-HYG-01": ("WJ", "公共场所卫生检查", "either"),
    "WJ-REMOTE-03": ("WJ", "卫生许可非现场核查", "offsite"),
}
OFFICERS = {
    "SCJ-017": ("SCJ", "张伟"),
    "SCJ-044": ("SCJ", "王芳"),
    "XF-003": ("XF", "李强"),
    "XF-008": ("XF", "刘洋"),
    "WJ-001": ("WJ", "陈静"),
    "WJ-002": ("WJ", "杨磊"),
}


@dataclass
class VisitSpec:
    uscc: str
    date: dt.date
    tasks: list[tuple[str, str, str, str]]  # (demand_id, department, item, source)
    officers: list[str]
    order: int = 1
    town: str = ""
    code: str | None = None


@dataclass
class OffsiteSpec:
    demand_id: str
    uscc: str
    department: str
    item: str
    due: dt.date
    source: str = "plan"
    code: str | None = None


@dataclass
class UnscheduledSpec:
    demand_id: str
    uscc: str
    department: str
    item: str
    reason: str = "no_disturb_item"
    detail: str = "routine on-site check of a 无事不扰 item"
    source: str = "plan"


@dataclass
class RevisionSpec:
    visits: list[VisitSpec] = field(default_factory=list)
    offsite: list[OffsiteSpec] = field(default_factory=list)
    unscheduled: list[UnscheduledSpec] = field(default_factory=list)


def seed_reference(session: Session) -> None:
    """Departments, enterprises, items and officers the sample plans refer to."""
    if session.get(Department, "SCJ") is not None:
        return
    for code, name in DEPARTMENTS.items():
        session.add(Department(code=code, name=name))
    for uscc, (name, town, address) in ENTERPRISES.items():
        session.add(Enterprise(uscc=uscc, name=name, industry="1419", town=town, address=address))
    session.flush()
    for code, (department, name, mode) in ITEMS.items():
        session.add(
            Item(code=code, department=department, name=name, industries="*", minutes=60, mode=mode)
        )
    for oid, (department, name) in OFFICERS.items():
        session.add(
            Inspector(
                id=oid,
                department=department,
                name=name,
                cert_no=f"沪执{oid}",
                cert_valid_until=dt.date(2027, 12, 31),
            )
        )
    session.flush()


def add_revision(
    session: Session,
    spec: RevisionSpec,
    *,
    revision: int = 1,
    status: str = "draft",
    quarter: str = QUARTER,
    seed: str = "2025Q3-fengxian",
) -> int:
    """Write one revision of the quarter's plan; returns its id."""
    seed_reference(session)
    plan_id = f"FX-{quarter}"
    if session.get(Plan, plan_id) is None:
        session.add(Plan(id=plan_id, quarter=quarter))
        session.flush()
    rev = PlanRevision(
        plan_id=plan_id,
        revision=revision,
        status="draft",  # children first: a filed revision takes no new rows
        seed=seed,
        generated_at=GENERATED + dt.timedelta(days=revision - 1),
        metrics={"demands": 0, "solve_seconds": 1.5},
    )
    session.add(rev)
    session.flush()
    assert rev.id is not None
    demands = 0
    for v in spec.visits:
        visit = Visit(
            revision_id=rev.id,
            uscc=v.uscc,
            date=v.date,
            town=v.town or ENTERPRISES[v.uscc][1],
            order=v.order,
            triggered=any(t[3] in {"complaint", "alert", "accident", "referral"} for t in v.tasks),
            code=v.code,
        )
        session.add(visit)
        session.flush()
        assert visit.id is not None
        session.add(RevisionVisit(revision_id=rev.id, visit_id=visit.id))
        for demand_id, department, item, source in v.tasks:
            session.add(
                VisitTask(
                    visit_id=visit.id,
                    demand_id=demand_id,
                    department=department,
                    item=item,
                    source=source,
                )
            )
            demands += 1
        for oid in v.officers:
            session.add(
                VisitOfficer(visit_id=visit.id, inspector_id=oid, department=OFFICERS[oid][0])
            )
    for o in spec.offsite:
        check = OffsiteCheck(
            revision_id=rev.id,
            demand_id=o.demand_id,
            uscc=o.uscc,
            department=o.department,
            item=o.item,
            source=o.source,
            due=o.due,
            code=o.code,
        )
        session.add(check)
        session.flush()
        assert check.id is not None
        session.add(RevisionOffsite(revision_id=rev.id, offsite_id=check.id))
    for u in spec.unscheduled:
        session.add(
            UnscheduledDemand(
                revision_id=rev.id,
                demand_id=u.demand_id,
                uscc=u.uscc,
                department=u.department,
                item=u.item,
                source=u.source,
                reason=u.reason,
                detail=u.detail,
            )
        )
    rev.metrics = {"demands": demands + len(spec.offsite) + len(spec.unscheduled)} | {
        "solve_seconds": 1.5
    }
    rev.status = status
    session.add(rev)
    session.flush()
    return rev.id


def sample_spec() -> RevisionSpec:
    """Three visits (one joint SCJ+XF), one off-site check, one unscheduled demand."""
    return RevisionSpec(
        visits=[
            VisitSpec(
                USCC[0],
                dt.date(2025, 7, 8),
                [
                    ("D-000123", "SCJ", "SCJ-FOOD-01", "random"),
                    ("D-000124", "XF", "XF-FIRE-01", "plan"),
                ],
                ["SCJ-017", "SCJ-044", "XF-003", "XF-008"],
                order=1,
            ),
            VisitSpec(
                USCC[1],
                dt.date(2025, 7, 8),
                [("D-000200", "XF", "XF-FIRE-01", "complaint")],
                ["XF-003", "XF-008"],
                order=2,
            ),
            VisitSpec(
                USCC[2],
                dt.date(2025, 8, 12),
                [("D-000300", "WJ", "WJ-HYG-01", "key")],
                ["WJ-001", "WJ-002"],
                order=1,
            ),
        ],
        offsite=[
            OffsiteSpec("D-000777", USCC[3], "WJ", "WJ-REMOTE-03", dt.date(2025, 7, 31)),
        ],
        unscheduled=[UnscheduledSpec("D-000901", USCC[3], "SCJ", "SCJ-FOOD-01")],
    )


def sample_plan(engine: Engine, *, revision: int = 1, status: str = "draft") -> int:
    """Write the sample revision and return its id."""
    with session_scope(engine) as session:
        return add_revision(session, sample_spec(), revision=revision, status=status)


def revision_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return [r for r in session.exec(select(PlanRevision.id)).all() if r is not None]
