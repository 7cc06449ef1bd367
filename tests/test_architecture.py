"""The design's import rules, enforced: cli → {data, risk, scheduler} → models."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "risk", "data", "scheduler", "cli")
ALLOWED = {
    "models": {"models"},
    "risk": {"risk", "models"},
    "data": {"data", "models"},
    "scheduler": {"scheduler", "models"},
    "cli": {"cli", "models", "risk", "data", "scheduler"},
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    wrong = []
    for path in _sources(package):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "jointinspect" and len(parts) > 1 and parts[1] in PACKAGES:
                if parts[1] not in ALLOWED[package]:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            elif parts[0] in PACKAGES:
                wrong.append(f"{path.relative_to(ROOT)} imports bare {name}")
    assert not wrong, "imports against cli → {data, risk, scheduler} → models:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "scheduler"])
def test_only_scheduler_imports_ortools(package: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources(package)
        if any(name.split(".")[0] == "ortools" for name in _imports(path))
    ]
    assert not offenders


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "cli"])
def test_only_cli_reads_settings_and_environment(package: str) -> None:
    offenders = []
    for path in _sources(package):
        text = path.read_text(encoding="utf-8")
        names = _imports(path)
        if "os.environ" in text or "os.getenv" in text or "pydantic_settings" in names:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "cli"])
def test_no_print_below_cli(package: str) -> None:
    offenders = []
    for path in _sources(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "print"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders
