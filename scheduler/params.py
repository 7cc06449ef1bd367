"""Scheduler parameters: a validated dataclass, loadable from TOML (PyVRP style).

The defaults ship in ``defaults.toml`` next to this module; a user file of the same shape
overrides any key. Values are checked on construction so that a bad file fails early
with the key named.
"""

import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from jointinspect.models.enums import Grade
from jointinspect.scheduler.errors import InvalidParams

_GRADES = tuple(g.value for g in Grade)


def _shipped() -> dict[str, Any]:
    text = resources.files("jointinspect.scheduler").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class SchedulerParams:
    quarter_caps: dict[str, int] = field(default_factory=dict)
    year_caps: dict[str, int] = field(default_factory=dict)
    officers_per_department: int = 2
    ungraded_grade: str = "C"
    deterministic_budget: float = 1.0
    subproblem_deterministic_time: float = 0.1
    subproblem_max_visits: int = 12
    num_workers: int = 1
    two_opt_max_visits: int = 16
    #: Wall-clock safety cap in seconds (None: none). Reported when it bites; a run it
    #: cuts short is no longer guaranteed to be reproducible.
    time_limit: float | None = None
    #: CPUs the search may keep busy: from two on, CP-SAT's next chunk is solved beside
    #: the current one (``solve_in_turn``), with the same answers. How the work is run, not
    #: what it makes: left out of comparisons and of ``repr`` (the planning settings'
    #: digest, ``data.plans.basis``). The caller sets it from what it was given.
    cpus: int = field(default=1, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("quarter_caps", "year_caps"):
            caps = getattr(self, name)
            if sorted(caps) != sorted(_GRADES):
                raise InvalidParams(f"{name} must give a cap for each grade A, B, C, D")
            if any(not isinstance(v, int) or v < 0 for v in caps.values()):
                raise InvalidParams(f"{name} must be whole numbers ≥ 0")
        if self.officers_per_department < 2:
            raise InvalidParams("officers_per_department must be at least 2 (two-officer rule)")
        if self.ungraded_grade not in _GRADES:
            raise InvalidParams("ungraded_grade must be one of A, B, C, D")
        if self.deterministic_budget < 0 or self.subproblem_deterministic_time <= 0:
            raise InvalidParams("deterministic budgets must be positive")
        if self.subproblem_max_visits < 1 or self.num_workers < 1 or self.two_opt_max_visits < 0:
            raise InvalidParams("subproblem_max_visits and num_workers must be at least 1")
        if self.time_limit is not None and self.time_limit <= 0:
            raise InvalidParams("time_limit must be positive")
        if self.cpus < 1:
            raise InvalidParams("cpus must be at least 1")

    @classmethod
    def default(cls) -> "SchedulerParams":
        return cls.from_dict(_shipped())

    @classmethod
    def from_toml(cls, path: Path) -> "SchedulerParams":
        """The shipped defaults overridden by the keys in ``path``."""
        try:
            given = tomllib.loads(path.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidParams(f"cannot read scheduler parameters {path}: {exc}") from exc
        merged = _shipped()
        for section, values in given.items():
            if section not in merged or not isinstance(values, dict):
                raise InvalidParams(f"{path}: unknown section [{section}]")
            merged[section] = {**merged[section], **values}
        return cls.from_dict(merged)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SchedulerParams":
        search = dict(data.get("search", {}))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(search) - known)
        if unknown:
            raise InvalidParams(f"unknown scheduler parameter(s): {', '.join(unknown)}")
        return cls(
            quarter_caps=dict(data.get("quarter_caps", {})),
            year_caps=dict(data.get("year_caps", {})),
            **search,
        )

    def with_time_limit(self, seconds: float | None) -> "SchedulerParams":
        return replace(self, time_limit=seconds)

    def cap_for(self, grade: str, used_this_year: int) -> int:
        """Routine visits still allowed this quarter (rule 7: quarter and year caps)."""
        g = grade if grade in _GRADES else self.ungraded_grade
        return max(0, min(self.quarter_caps[g], self.year_caps[g] - used_this_year))
