"""Tables for what planning produces: plans, revisions, visits, off-site checks,
unscheduled demands, grades and inspection codes.

A plan is one quarter's plan (``FX-2025Q3``); each planning run makes a new revision
(``draft`` → ``filed`` → ``superseded``). Everything a revision holds hangs off
``revision_id`` so that a whole revision is written or rolled back in one transaction.

Visits and off-site checks are shared: a revision holds the rows listed for it in
``revision_visit`` and ``revision_offsite``, and a replan's revision lists the filed
revision's unchanged rows instead of copying them (a nightly replan changes a few hundred
of a district's ~170,000 rows). A row's own ``revision_id`` names the revision that wrote
it, which is the revision that may still change or delete it: only a draft's own rows
are mutable, and a draft shares rows only with filed revisions.

The rows a revision writes by the hundred thousand (visits, their tasks and officers,
off-site checks, the revisions' lists of them, inspection codes) have no foreign keys: a
key is checked row by row, and on PostgreSQL each check also locks the row it names,
which cost a 650,000-enterprise district's draft most of its 11.6 s write and its codes
most of 8.3 s. Their writers check what the rows name instead, a revision at a time in
one query per reference (:mod:`jointinspect.data.plans.references`), before committing;
and nothing deletes an enterprise, an inspector or a filed revision's rows.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


class EnterpriseGradeBase(SQLModel):
    """The current grade of an enterprise, as of the last grading run."""

    #: An enterprise of the register (``enterprise.uscc``). Not a foreign key: grades are
    #: written only by ``write_grades``, which refuses a batch naming an unknown enterprise
    #: in one query, and enterprises are never deleted. Checked row by row, the key cost a
    #: PostgreSQL server 40 % of its work storing a city's grades (each check locks the
    #: enterprise's row, rewriting its page), and SQLite 0.4 s a 650,000 district.
    uscc: str = Field(primary_key=True, max_length=18)
    credit: float = Field(ge=0, le=100)
    risk: float = Field(ge=0, le=100)
    grade: str = Field(max_length=1)
    #: The strongest reasons, each ``[wording, weight, adverse]``: the ``id`` of its
    #: :class:`ReasonWording`, its weight in score points and 1 when it counts against
    #: the enterprise (0 for it; null in grades stored before the side was). A district
    #: words its reasons a few thousand ways for hundreds of thousands of enterprises:
    #: stored in full, the words were four fifths of the table and of what storing a
    #: district's new grades wrote.
    reasons: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON))
    as_of: dt.date


#: PostgreSQL: how full a page of grades is filled (%). Every grading rewrites every
#: grade; with room on its page the new version goes there without a new index entry (a
#: HOT update) and the old one is pruned there. Full pages, a 650,000-enterprise
#: district's next-day gradings took 17.0-18.6 s and the table grew to 400 MB in five;
#: at 60 they took 16.6 s, then 16.5, 15.6 and 14.0 s, the table 223 MB.
GRADE_FILLFACTOR = 60


class EnterpriseGrade(EnterpriseGradeBase, table=True):
    __tablename__ = "enterprise_grade"
    # SQLite: with its reasons by wording a grade is small (about 100 bytes on disk,
    # against 510), so the table is its key rather than a rowid table beside a second
    # copy of the key.
    __table_args__ = {
        "sqlite_with_rowid": False,
        "postgresql_with": {"fillfactor": GRADE_FILLFACTOR},
    }


class ReasonWordingBase(SQLModel):
    """A reason's words, stored once and named by grades (``EnterpriseGradeBase.reasons``).

    Rows are added by ``write_grades`` as grading first uses them and never change or go:
    a stored grade's reasons keep their words."""

    id: int | None = Field(default=None, primary_key=True)
    #: What kind of reason (``penalty``, ``inherent``, a learned feature's name …).
    code: str
    zh: str
    en: str


class ReasonWording(ReasonWordingBase, table=True):
    __tablename__ = "reason_wording"
    __table_args__ = (UniqueConstraint("code", "zh", "en"),)


class PlanBase(SQLModel):
    id: str = Field(primary_key=True, max_length=32)  # e.g. FX-2025Q3
    quarter: str = Field(index=True, unique=True, max_length=6)  # e.g. 2025Q3


class Plan(PlanBase, table=True):
    __tablename__ = "plan"


class PlanRevisionBase(SQLModel):
    plan_id: str = Field(foreign_key="plan.id", index=True, max_length=32)
    revision: int = Field(ge=1)
    status: str = Field(default="draft", index=True, max_length=12)
    seed: str
    generated_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    filed_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    filed_by: str | None = None
    #: The date the revision was planned from (replans pin what lies before it).
    as_of: dt.date | None = None
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    #: What changed against the previous revision (replanning), for the report and audit.
    diff: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: The 双随机 draw the revision holds, as fingerprints (``planning.draw_record``): of
    #: what the draw was made from and of what it drew. Filing checks the draw against
    #: the database by these instead of drawing again when nothing it depends on changed.
    draw: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: Each town's centre as the revision was planned with it (``{town: [lat, lon]}``):
    #: where the town's officers are taken to live. A replan plans with its filed
    #: revision's centres: officers do not move house in mid-quarter as enterprises
    #: register, and the replan need not read the whole register to find them.
    town_centres: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    #: What the revision was planned from, besides its demands (``data.plans.basis``):
    #: the last change to the planning inputs it saw and a digest of the settings. A
    #: replan whose basis is the same may replan only the enterprises with news.
    basis: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class PlanRevision(PlanRevisionBase, table=True):
    __tablename__ = "plan_revision"
    __table_args__ = (UniqueConstraint("plan_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)


class VisitBase(SQLModel):
    #: The revision that wrote the row; the revisions that hold it are in
    #: ``revision_visit`` (a replan's revision shares its filed revision's unchanged rows).
    revision_id: int = Field(index=True)
    uscc: str = Field(index=True, max_length=18)
    date: dt.date = Field(index=True)
    town: str
    mode: str = Field(default="onsite", max_length=8)
    #: Slot in the day (1 = first); an officer's visits on one day have distinct slots.
    order: int = Field(ge=1)
    triggered: bool = False
    code: str | None = Field(default=None, index=True, max_length=64)


class Visit(VisitBase, table=True):
    __tablename__ = "visit"
    id: int | None = Field(default=None, primary_key=True)


class VisitTaskBase(SQLModel):
    visit_id: int = Field(primary_key=True)
    demand_id: str = Field(primary_key=True, max_length=160)
    department: str = Field(max_length=32)
    item: str = Field(max_length=64)
    source: str = Field(max_length=16)


class VisitTask(VisitTaskBase, table=True):
    __tablename__ = "visit_task"


class VisitOfficerBase(SQLModel):
    visit_id: int = Field(primary_key=True)
    inspector_id: str = Field(primary_key=True, max_length=64)
    department: str = Field(max_length=32)


class VisitOfficer(VisitOfficerBase, table=True):
    __tablename__ = "visit_officer"


class OffsiteCheckBase(SQLModel):
    #: The revision that wrote the row; the revisions that hold it are in
    #: ``revision_offsite``.
    revision_id: int = Field(index=True)
    demand_id: str = Field(max_length=160)
    uscc: str = Field(index=True, max_length=18)
    department: str = Field(max_length=32)
    item: str = Field(max_length=64)
    source: str = Field(max_length=16)
    due: dt.date
    code: str | None = Field(default=None, index=True, max_length=64)


class OffsiteCheck(OffsiteCheckBase, table=True):
    __tablename__ = "offsite_check"
    id: int | None = Field(default=None, primary_key=True)


class RevisionVisitBase(SQLModel):
    """A visit a revision holds. Keyed by revision first: a revision's visits are read
    (and a replan's listed) by one range of the key; the index on the visit finds the
    revisions holding a visit (a code's revision, a draft's rows no other revision has)."""

    revision_id: int = Field(primary_key=True)
    visit_id: int = Field(primary_key=True, index=True)


class RevisionVisit(RevisionVisitBase, table=True):
    __tablename__ = "revision_visit"
    # SQLite: the rows are the key, no second copy in a rowid table.
    __table_args__ = {"sqlite_with_rowid": False}


class RevisionOffsiteBase(SQLModel):
    """An off-site check a revision holds (as :class:`RevisionVisitBase`)."""

    revision_id: int = Field(primary_key=True)
    offsite_id: int = Field(primary_key=True, index=True)


class RevisionOffsite(RevisionOffsiteBase, table=True):
    __tablename__ = "revision_offsite"
    __table_args__ = {"sqlite_with_rowid": False}


class UnscheduledDemandBase(SQLModel):
    revision_id: int = Field(foreign_key="plan_revision.id", primary_key=True)
    demand_id: str = Field(primary_key=True, max_length=160)
    uscc: str = Field(max_length=18, index=True)
    department: str = Field(max_length=32)
    item: str = Field(max_length=64)
    source: str = Field(max_length=16)
    reason: str = Field(max_length=32)
    detail: str


class UnscheduledDemand(UnscheduledDemandBase, table=True):
    __tablename__ = "unscheduled_demand"


class InspectionCodeBase(SQLModel):
    """An issued 检查码. The MAC key is never stored, only the id of the key that made it."""

    code: str = Field(primary_key=True, max_length=64)
    key_id: str = Field(max_length=16)
    revision_id: int = Field(index=True)
    # Indexed: filing and the reports join codes to their rows by these.
    visit_id: int | None = Field(default=None, index=True)
    offsite_id: int | None = Field(default=None, index=True)
    #: Not indexed: two values, and every query also names the codes more narrowly (an
    #: index SQLite chose anyway walked every valid code of the database; migration 0011).
    status: str = Field(default="valid", max_length=12)
    replaced_by: str | None = Field(default=None, max_length=64)
    issued_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    #: What the code's binding was made with (``models.codes``): 0 but for a check whose
    #: plain code another check held, which verification must recompute the same way.
    variant: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class InspectionCode(InspectionCodeBase, table=True):
    __tablename__ = "inspection_code"


class InputChangeBase(SQLModel):
    """A change to what plans are made from other than new demands, triggers and
    outcomes: an import that wrote officers, enterprises, items, rules or no-disturb
    periods (or changed a demand), a grading run. Kept so that a replan knows whether the
    rest of the district is as its filed revision saw it (``data.plans.basis``)."""

    changed_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    #: What changed, in words (``import: officers.csv 3 rows``, ``grade``).
    source: str


class InputChange(InputChangeBase, table=True):
    __tablename__ = "input_change"
    id: int | None = Field(default=None, primary_key=True)
