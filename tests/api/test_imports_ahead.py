"""Modules imported in a thread while a command reads the database
(:mod:`jointinspect.imports_ahead`): imported there, once; a failing import is left to
the caller's own import, which sees the error; and the plan starts its improvement's
import before it reads the district."""

import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from jointinspect import planning
from jointinspect.imports_ahead import imported_ahead
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar
from jointinspect.scheduler.params import SchedulerParams


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("ahead_probe")]:
            del sys.modules[name]


def test_the_module_is_imported_in_its_own_thread_during_the_block(module_dir: Path) -> None:
    (module_dir / "ahead_probe_ok.py").write_text(
        "import threading\nIMPORTED_IN = threading.current_thread().name\n"
    )
    with imported_ahead("ahead_probe_ok"):
        pass  # the block's own work; the thread has ended when it does
    module = sys.modules["ahead_probe_ok"]
    assert module.IMPORTED_IN == "imports-ahead"
    assert threading.current_thread().name != module.IMPORTED_IN
    assert not [t for t in threading.enumerate() if t.name == "imports-ahead"]


def test_a_failing_import_is_left_to_the_callers_own(module_dir: Path) -> None:
    (module_dir / "ahead_probe_bad.py").write_text("raise RuntimeError('broken module')\n")
    (module_dir / "ahead_probe_after.py").write_text("")
    with imported_ahead("ahead_probe_bad", "ahead_probe_after"):
        pass
    assert "ahead_probe_bad" not in sys.modules
    with pytest.raises(RuntimeError, match="broken module"):
        __import__("ahead_probe_bad")


def test_the_plan_imports_its_improvement_while_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """``make_plan`` reads the district inside ``imported_ahead`` of the improvement's
    modules, which the solve imports when it gets there."""
    seen: list[tuple[str, ...]] = []
    reading: list[bool] = []
    real = planning.imported_ahead

    def spy(*modules: str) -> AbstractContextManager[None]:
        seen.append(modules)
        return real(*modules)

    def load(*args: object, **kwargs: object) -> object:
        reading.append(bool(seen))
        raise RuntimeError("stop after the read")

    monkeypatch.setattr(planning, "imported_ahead", spy)
    monkeypatch.setattr(planning, "load_planning_inputs", load)
    monkeypatch.setattr(planning, "planning_basis", lambda *args, **kwargs: {})
    monkeypatch.setattr(planning, "enterprise_count", lambda **kwargs: 0)
    engine = create_engine("sqlite://")
    with pytest.raises(RuntimeError, match="stop after the read"):
        planning.make_plan(
            Quarter.parse("2025Q3"),
            "seed",
            engine=engine,
            calendar=WorkingCalendar(),
            trigger_response_days=10,
            prefix="FX",
            params=SchedulerParams.default(),
        )
    assert seen == [planning.IMPROVEMENT_MODULES]
    assert reading == [True]
    improve = "jointinspect.scheduler.improve"
    assert improve in planning.IMPROVEMENT_MODULES
    assert improve in sys.modules
