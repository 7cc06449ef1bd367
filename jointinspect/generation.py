"""The synthetic district as a library call: a bundle plus its hidden truth, by world."""

from jointinspect.data.synthetic.district import (
    MAX_ENTERPRISES,
    MIN_ENTERPRISES,
    GeneratedDistrict,
    generate_district,
)
from jointinspect.data.synthetic.worlds import CLASSIC, WORLDS

__all__ = [
    "CLASSIC",
    "MAX_ENTERPRISES",
    "MIN_ENTERPRISES",
    "WORLDS",
    "GeneratedDistrict",
    "generate_district",
]
