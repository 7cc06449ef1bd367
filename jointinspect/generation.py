"""The synthetic district as a library call: a bundle plus its hidden truth, by world and
by shape (stress profile)."""

from jointinspect.data.synthetic.district import (
    MAX_ENTERPRISES,
    MIN_ENTERPRISES,
    GeneratedDistrict,
    generate_district,
)
from jointinspect.data.synthetic.profiles import DEFAULT as DEFAULT_PROFILE
from jointinspect.data.synthetic.profiles import PROFILES, UnknownProfileError
from jointinspect.data.synthetic.worlds import CLASSIC, WORLDS

__all__ = [
    "CLASSIC",
    "DEFAULT_PROFILE",
    "MAX_ENTERPRISES",
    "MIN_ENTERPRISES",
    "PROFILES",
    "WORLDS",
    "GeneratedDistrict",
    "UnknownProfileError",
    "generate_district",
]
