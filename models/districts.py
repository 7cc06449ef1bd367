"""Districts as a unit of a database: a city's database holds several, each identified by
its area code (行政区划代码, GB/T 2260: six digits, ``310120`` for 奉贤区).

A district's tables are the ones every JointInspect database has, kept apart from the
other districts' (a PostgreSQL schema, or a SQLite file of their own) and reached
through an engine made for that district (:func:`jointinspect.models.db.make_engine`).
The engine carries the district it was made for, so that what belongs to a district —
its code keys and their file, its plans lock, its plan ids, the district its codes name
— follows from the engine a workflow is given, with no second argument to pass along.
"""

import re
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from jointinspect.models.errors import JointInspectError

#: The engine execution option that holds the district an engine was made for.
ENGINE_OPTION = "jointinspect_district"
_AREA_CODE = re.compile(r"^[1-9][0-9]{5}$")
_PREFIX = re.compile(r"^[A-Za-z0-9]{1,12}$")


class AreaCodeError(JointInspectError):
    """A district code is not a six-digit area code."""


@dataclass(frozen=True, slots=True)
class District:
    """A district of a city's database: its area code, name and plan id prefix."""

    code: str
    name: str
    #: Plan ids of the district are ``PREFIX-YYYYQn`` (``FX-2025Q3``).
    prefix: str

    @property
    def schema(self) -> str:
        """The PostgreSQL schema of its tables (an identifier needs a letter first)."""
        return f"d{self.code}"

    @property
    def label(self) -> str:
        """``310120 奉贤区``: how messages name it."""
        return f"{self.code} {self.name}"


def is_area_code(name: str) -> bool:
    """Whether ``name`` is a six-digit area code (a district's folder in a city's inbox)."""
    return _AREA_CODE.match(name) is not None


def check_area_code(code: str) -> str:
    """``code`` when it is a six-digit area code, else an error saying what one is."""
    if not is_area_code(code):
        raise AreaCodeError(
            f"{code!r} is not a district's area code",
            hint="give the six-digit 行政区划代码 (GB/T 2260), e.g. 310120 for 奉贤区",
        )
    return code


def check_prefix(prefix: str) -> str:
    """``prefix`` when it may head plan ids (letters and digits, at most 12)."""
    if not _PREFIX.match(prefix):
        raise AreaCodeError(
            f"{prefix!r} cannot head plan ids",
            hint="give 1–12 letters or digits, e.g. FX (plan ids are FX-2025Q3)",
        )
    return prefix


def district_of(engine: Engine) -> District | None:
    """The district ``engine`` was made for; None for a database of one unnamed district
    (every database before districts, and any database without a registry)."""
    value = engine.get_execution_options().get(ENGINE_OPTION)
    return value if isinstance(value, District) else None
