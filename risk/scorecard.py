"""A risk scorecard: points per bin of each feature, summed into the log-odds of a violation.

    log-odds = intercept + Σ_f points_f(bin of x_f),   p_violation = 1 / (1 + e^−log-odds)

Each feature's bins are given by ascending cut points (a value v falls in bin
``searchsorted(cuts, v, side="right")``), with one more number for a value that is not
known. Points are kept in log-odds (``logit``); :data:`POINTS_PER_LOGIT` turns them into
the usual scorecard points (20 points double the odds) for people to read.

A scorecard is plain data: it is stored in the database as canonical JSON and written for
review as TOML, and the same scorecard always gives the same numbers.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jointinspect.models.errors import JointInspectError
from jointinspect.risk.features import FEATURE_NAMES, FeatureMatrix
from jointinspect.risk.inputs import FloatArray

#: Scorecard points per unit of log-odds: 20 points double the odds (PDO 20).
POINTS_PER_LOGIT = 20.0 / math.log(2.0)
#: Stored numbers are rounded to this many decimals, so that a model reads back the same
#: on any machine (the last bits of a fit may differ between BLAS builds).
DECIMALS = 6
FORMAT = "jointinspect-scorecard/1"


class ScorecardFormatError(JointInspectError):
    """A stored or exported scorecard cannot be read."""


@dataclass(frozen=True)
class BinnedFeature:
    """One feature of a scorecard: its cut points and the log-odds points of each bin."""

    name: str
    cuts: tuple[float, ...]  # ascending; len(points) == len(cuts) + 1
    points: tuple[float, ...]  # log-odds per bin
    missing: float  # log-odds when the value is not known
    # What the fit saw per bin (for review): inspections and violations.
    counts: tuple[int, ...] = ()
    violations: tuple[int, ...] = ()

    def bin_of(self, values: FloatArray) -> np.ndarray:
        return np.searchsorted(np.asarray(self.cuts), values, side="right")

    def contribution(self, values: FloatArray) -> FloatArray:
        """The log-odds points of each value."""
        known = ~np.isnan(values)
        out = np.full(len(values), self.missing)
        out[known] = np.asarray(self.points)[self.bin_of(values[known])]
        return out


@dataclass(frozen=True)
class Scorecard:
    intercept: float
    features: tuple[BinnedFeature, ...]
    base_rate: float  # the violation rate of the inspections it was fitted on

    def contributions(self, matrix: FeatureMatrix) -> FloatArray:
        """Log-odds points per query (rows) and scorecard feature (columns)."""
        columns = [f.contribution(matrix.column(f.name)) for f in self.features]
        if not columns:
            return np.zeros((len(matrix.values), 0))
        return np.column_stack(columns)

    def log_odds(self, matrix: FeatureMatrix) -> FloatArray:
        # Summed in a fixed order, so the result does not depend on a BLAS kernel.
        total = np.full(len(matrix.values), self.intercept)
        for f in self.features:
            total = total + f.contribution(matrix.column(f.name))
        return total

    def probability(self, matrix: FeatureMatrix) -> FloatArray:
        return np.asarray(1.0 / (1.0 + np.exp(-self.log_odds(matrix))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "intercept": self.intercept,
            "base_rate": self.base_rate,
            "features": [
                {
                    "name": f.name,
                    "cuts": list(f.cuts),
                    "points": list(f.points),
                    "missing": f.missing,
                    "counts": list(f.counts),
                    "violations": list(f.violations),
                }
                for f in self.features
            ],
        }

    def to_json(self) -> str:
        """Canonical JSON: the same scorecard gives the same text, byte for byte."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))


def rounded(value: float) -> float:
    return round(float(value), DECIMALS) + 0.0  # + 0.0: no "-0.0" in stored text


def scorecard_from_dict(data: Mapping[str, Any]) -> Scorecard:
    """Read a scorecard written by :meth:`Scorecard.as_dict`."""
    try:
        if data.get("format") != FORMAT:
            raise ScorecardFormatError(f"not a scorecard of format {FORMAT}")
        features = []
        for f in data["features"]:
            name = str(f["name"])
            if name not in FEATURE_NAMES:
                raise ScorecardFormatError(f"unknown feature {name!r}")
            cuts = tuple(float(c) for c in f["cuts"])
            points = tuple(float(p) for p in f["points"])
            if len(points) != len(cuts) + 1 or list(cuts) != sorted(set(cuts)):
                raise ScorecardFormatError(f"feature {name}: cuts and points do not match")
            features.append(
                BinnedFeature(
                    name=name,
                    cuts=cuts,
                    points=points,
                    missing=float(f["missing"]),
                    counts=tuple(int(c) for c in f.get("counts", ())),
                    violations=tuple(int(c) for c in f.get("violations", ())),
                )
            )
        return Scorecard(
            intercept=float(data["intercept"]),
            features=tuple(features),
            base_rate=float(data["base_rate"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ScorecardFormatError(f"the scorecard is incomplete: {exc}") from exc


def scorecard_from_json(text: str) -> Scorecard:
    return scorecard_from_dict(json.loads(text))


def _toml_number(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def _toml_list(values: Sequence[float | int]) -> str:
    return (
        "[" + ", ".join(_toml_number(v) if isinstance(v, float) else str(v) for v in values) + "]"
    )


def scorecard_toml(card: Scorecard, header: Mapping[str, str | float | int]) -> str:
    """The scorecard as TOML for review: per feature its bins, counts and points
    (20 points double the odds) beside the log-odds the model uses."""
    lines = ["# JointInspect risk scorecard (calibrate --export)."]
    lines.append("# points: 20 points double the odds of a violation; logit: the same in log-odds.")
    for key, value in header.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
        lines.append(f"{key} = {shown}")
    lines.append(f'format = "{FORMAT}"')
    lines.append(f"intercept = {_toml_number(card.intercept)}")
    lines.append(f"base_rate = {_toml_number(card.base_rate)}")
    for f in card.features:
        lines.append("")
        lines.append("[[features]]")
        lines.append(f'name = "{f.name}"')
        lines.append(f"cuts = {_toml_list(list(f.cuts))}")
        lines.append(f"points = {_toml_list([round(p * POINTS_PER_LOGIT, 1) for p in f.points])}")
        lines.append(f"logit = {_toml_list(list(f.points))}")
        lines.append(f"missing = {_toml_number(f.missing)}")
        if f.counts:
            lines.append(f"counts = {_toml_list(list(f.counts))}")
            lines.append(f"violations = {_toml_list(list(f.violations))}")
    return "\n".join(lines) + "\n"
