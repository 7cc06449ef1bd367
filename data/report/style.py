"""The report's fonts and chart geometry, from ``report.toml`` shipped with the package."""

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jointinspect.models.errors import JointInspectError


class ReportStyleError(JointInspectError):
    """The report style file is missing a key or has a value of the wrong kind."""


@dataclass(frozen=True)
class ReportStyle:
    cjk_families: tuple[str, ...]
    latin_family: str
    width_inches: float
    height_inches: float
    map_height_inches: float
    font_size: float
    raster_dpi: int
    rasterize_points_above: int
    point_size: float
    colors: tuple[str, ...]
    highlight: str

    @classmethod
    def default(cls) -> "ReportStyle":
        text = (
            resources.files("jointinspect.data.report").joinpath("report.toml").read_text("utf-8")
        )
        return cls.from_toml(text)

    @classmethod
    def from_toml(cls, text: str) -> "ReportStyle":
        raw = tomllib.loads(text)
        try:
            fonts: dict[str, Any] = raw["fonts"]
            charts: dict[str, Any] = raw["charts"]
            return cls(
                cjk_families=tuple(str(f) for f in fonts["cjk_families"]),
                latin_family=str(fonts["latin_family"]),
                width_inches=float(charts["width_inches"]),
                height_inches=float(charts["height_inches"]),
                map_height_inches=float(charts["map_height_inches"]),
                font_size=float(charts["font_size"]),
                raster_dpi=int(charts["raster_dpi"]),
                rasterize_points_above=int(charts["rasterize_points_above"]),
                point_size=float(charts["point_size"]),
                colors=tuple(str(c) for c in charts["colors"]),
                highlight=str(charts["highlight"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReportStyleError(f"report style: {exc!r} is missing or malformed") from exc
