"""JointInspect: joint, credit- and risk-based inspection planning for a district.

The library API is this package's own modules — ``importing``, ``grading``,
``calibration``, ``planning``, ``filing``, ``exporting``, ``replanning``, ``reporting``,
``verification``, ``explaining``, ``demo`` — plain functions over a database and explicit
:class:`~jointinspect.options.Options`. The most used ones are also names of this package,
imported on first use so that ``import jointinspect`` stays instant::

    import jointinspect as ji
    db = ji.open_database("sqlite:///fx.db")
    ji.import_bundle(Path("district/bundle"), engine=db)

Below the API: ``jointinspect.risk`` and ``jointinspect.scheduler`` (the engines),
``jointinspect.data`` (storage and files), ``jointinspect.models`` (shared types); the
interfaces are ``jointinspect.cli`` and ``jointinspect.web``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str

#: Name → the API module that defines it.
_API = {
    "Options": "options",
    "create_key_file": "options",
    "open_database": "database",
    "upgrade_database": "database",
    "database_schema": "database",
    "generate_district": "generation",
    "import_bundle": "importing",
    "grade_and_store": "grading",
    "grade_district": "grading",
    "calibrate_district": "calibration",
    "plan_quarter": "planning",
    "file_quarter": "filing",
    "discard_draft": "filing",
    "export_plan": "exporting",
    "publish_quarter": "publishing",
    "push_plan": "exporting",
    "replan_quarter": "replanning",
    "write_report": "reporting",
    "verify_code": "verification",
    "explain_enterprise": "explaining",
    "run_demo": "demo",
    "Quarter": "models.quarter",
}

__all__ = ["__version__", *sorted(_API)]


def _installed_version() -> str:
    # Asked when first wanted: importlib.metadata costs every command's start-up (even
    # `jointinspect --help`, which imports this package) tens of milliseconds.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jointinspect")
    except PackageNotFoundError:  # running from a tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = found = _installed_version()
        return found
    if name in _API:
        return getattr(import_module(f"jointinspect.{_API[name]}"), name)
    raise AttributeError(f"module 'jointinspect' has no attribute {name!r}")
