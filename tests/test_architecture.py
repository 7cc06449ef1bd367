"""The design's import rules, enforced:

interfaces (cli, web) → the library API (the jointinspect package's own modules)
    → engines and storage (risk, scheduler, data) → models
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: The library API: the modules of the jointinspect folder itself (jointinspect.grading …).
API = "jointinspect"
PACKAGES = ("models", "risk", "data", "scheduler", API, "cli", "web")
INTERFACES = ("cli", "web")
ALLOWED = {
    "models": {"models"},
    "risk": {"risk", "models"},
    "data": {"data", "models"},
    "scheduler": {"scheduler", "models"},
    API: {API, "data", "risk", "scheduler", "models"},
    "cli": {"cli", "web", API, "models"},  # `serve` starts the web interface
    "web": {"web", API, "models"},
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
    if package == API:
        return sorted((ROOT / API).glob("*.py"))
    return sorted((ROOT / package).rglob("*.py"))


def _layer(name: str) -> str | None:
    """Which layer an import names: a package, the API (jointinspect.X), or None."""
    parts = name.split(".")
    if parts[0] != "jointinspect":
        return parts[0] if parts[0] in PACKAGES and parts[0] != API else None
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else API


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    wrong = []
    for path in _sources(package):
        for name in _imports(path):
            layer = _layer(name)
            if layer is not None and name.split(".")[0] != "jointinspect":
                wrong.append(f"{path.relative_to(ROOT)} imports bare {name}")
            elif layer is not None and layer not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "imports against interfaces → API → {data, risk, scheduler} → models:\n" + (
        "\n".join(wrong)
    )


@pytest.mark.parametrize("package", INTERFACES)
def test_interfaces_do_not_talk_to_the_database_themselves(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(package)
        for name in _imports(path)
        if name.split(".")[0] in ("sqlalchemy", "sqlmodel")
    ]
    assert not offenders


def test_no_glue_modules_and_data_is_subpackages() -> None:
    assert not sorted(ROOT.rglob("*_glue.py"))
    shared = sorted(p.name for p in (ROOT / "data").glob("*.py") if p.name != "__init__.py")
    assert len(shared) <= 2, shared
    assert all(
        (p / "__init__.py").exists()
        for p in (ROOT / "data").iterdir()
        if p.is_dir() and p.name != "__pycache__"
    )


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "scheduler"])
def test_only_scheduler_imports_ortools(package: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _sources(package)
        if any(name.split(".")[0] == "ortools" for name in _imports(path))
    ]
    assert not offenders


@pytest.mark.parametrize("package", [p for p in PACKAGES if p not in INTERFACES])
def test_only_interfaces_read_settings_and_environment(package: str) -> None:
    offenders = []
    for path in _sources(package):
        text = path.read_text(encoding="utf-8")
        names = _imports(path)
        if "os.environ" in text or "os.getenv" in text or "pydantic_settings" in names:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


@pytest.mark.parametrize("package", [p for p in PACKAGES if p not in INTERFACES])
def test_no_print_below_the_interfaces(package: str) -> None:
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
