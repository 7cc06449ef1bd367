"""The library API on its own: README's Python example runs the whole pipeline (import →
grade → plan → file → export) without the CLI, exactly as printed there."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import jointinspect

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## As a Python library", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "README's library section has no python example"
    return found.group(1)


def test_readme_example_runs_the_pipeline_without_the_cli(tmp_path: Path) -> None:
    code = _example()
    assert len(code.strip().splitlines()) <= 13  # ten calls and their imports
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, timeout=300)
    plan = json.loads((tmp_path / "fx-plan.json").read_text(encoding="utf-8"))
    assert plan["status"] == "filed" and plan["quarter"] == "2025Q3"
    assert plan["visits"] and all(v["code"] for v in plan["visits"])
    assert "jointinspect.cli" not in code


def test_importing_the_package_loads_no_workflow() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, jointinspect; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "jointinspect.grading" not in done.stdout
    assert "sqlalchemy" not in done.stdout
    assert set(jointinspect.__all__) >= {"import_bundle", "plan_quarter", "file_quarter"}
