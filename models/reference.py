"""Tables for the district's standing data: departments, enterprises, items, officers.

Each table mirrors one file of the input bundle (spec §1); the key of the file is the
primary key of the table, so that re-importing a bundle upserts by key.
"""

import datetime as dt

from sqlmodel import Field, SQLModel


class DepartmentBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32)
    name: str


class Department(DepartmentBase, table=True):
    __tablename__ = "department"


class EnterpriseBase(SQLModel):
    uscc: str = Field(primary_key=True, min_length=18, max_length=18)
    name: str
    industry: str = Field(index=True, max_length=4)
    town: str = Field(index=True)
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    opened_on: dt.date | None = None
    status: str = Field(default="active", index=True, max_length=8)
    legal_rep: str | None = Field(default=None, index=True)


class Enterprise(EnterpriseBase, table=True):
    __tablename__ = "enterprise"


class RelationBase(SQLModel):
    uscc_a: str = Field(primary_key=True, foreign_key="enterprise.uscc", max_length=18)
    uscc_b: str = Field(primary_key=True, foreign_key="enterprise.uscc", index=True, max_length=18)
    kind: str = Field(primary_key=True, max_length=16)


class Relation(RelationBase, table=True):
    __tablename__ = "relation"


class ItemBase(SQLModel):
    code: str = Field(primary_key=True, max_length=64)
    department: str = Field(foreign_key="department.code", index=True, max_length=32)
    name: str
    #: ``;``-separated 4-digit GB/T 4754 classes or prefixes, ``*`` for all.
    industries: str
    minutes: int = Field(ge=1)
    mode: str = Field(max_length=8)
    no_disturb: bool = False


class Item(ItemBase, table=True):
    __tablename__ = "item"


class InspectorBase(SQLModel):
    id: str = Field(primary_key=True, max_length=64)
    department: str = Field(foreign_key="department.code", index=True, max_length=32)
    name: str
    cert_no: str
    cert_valid_until: dt.date
    home_town: str | None = None
    max_visits_per_day: int = Field(default=4, ge=1)


class Inspector(InspectorBase, table=True):
    __tablename__ = "inspector"


class AvailabilityBase(SQLModel):
    inspector_id: str = Field(primary_key=True, foreign_key="inspector.id", max_length=64)
    date: dt.date = Field(primary_key=True)
    available: bool


class Availability(AvailabilityBase, table=True):
    __tablename__ = "availability"


class ConflictBase(SQLModel):
    """回避: this officer never inspects this enterprise."""

    inspector_id: str = Field(primary_key=True, foreign_key="inspector.id", max_length=64)
    uscc: str = Field(primary_key=True, foreign_key="enterprise.uscc", index=True, max_length=18)
    reason: str | None = None


class Conflict(ConflictBase, table=True):
    __tablename__ = "conflict"


class NoDisturbBase(SQLModel):
    """无感监管对象清单: one entry per enterprise; ``since``/``until`` are inclusive."""

    uscc: str = Field(primary_key=True, foreign_key="enterprise.uscc", max_length=18)
    since: dt.date
    until: dt.date | None = None
    reason: str | None = None


class NoDisturb(NoDisturbBase, table=True):
    __tablename__ = "no_disturb"


class SamplingRuleBase(SQLModel):
    department: str = Field(primary_key=True, foreign_key="department.code", max_length=32)
    item: str = Field(primary_key=True, foreign_key="item.code", max_length=64)
    grade: str = Field(primary_key=True, max_length=1)
    #: Kept as the exact decimal text of the bundle (spec §3: 0.07 × 100 is 7).
    ratio: str = Field(max_length=32)


class SamplingRule(SamplingRuleBase, table=True):
    __tablename__ = "sampling_rule"
