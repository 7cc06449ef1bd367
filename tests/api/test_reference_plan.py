"""A reference run kept byte for byte: a generated district graded, planned, filed and
exported through the command line must give exactly the files in tests/reference/.

The reference was written by the code before the library API and the data subpackages
were moved into place (issue 12), so this test is what shows that the move changed no
behaviour. Only ``generated_at`` (the clock) is left out of the comparison. When a change
is meant to change the plan or its exports, write the reference anew with
``JOINTINSPECT_WRITE_REFERENCE=1 pytest tests/api/test_reference_plan.py`` and say why in the
commit message.
"""

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jointinspect.cli.app import app

pytestmark = pytest.mark.slow

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
KEY = "k1:" + "ab" * 32  # a fixed code key: codes are part of the reference
_CLOCK = re.compile(rb'"generated_at": "[^"]*"')
#: The CSV's last column is the filing time.
_FILED = re.compile(rb",\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\r\n")

runner = CliRunner()


def _run(root: Path, *args: str) -> None:
    env = {"JOINTINSPECT_KEY": KEY, "JOINTINSPECT_KEY_FILE": str(root / "reference.key")}
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, f"{args}: {result.output}"


def _steady(data: bytes) -> bytes:
    return _FILED.sub(b",(the clock)\r\n", _CLOCK.sub(b'"generated_at": "(the clock)"', data))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reference")
    db = ["--db", f"sqlite:///{root / 'reference.db'}"]
    district = root / "district"
    _run(root, "generate", str(district), "-n", "1500", "--seed", "reference", "--quarter=2025Q3")
    _run(root, "init", *db)
    _run(root, "import", str(district / "bundle"), *db)
    _run(root, "grade", "--as-of", "2025-06-30", *db)
    _run(root, "plan", "--quarter", "2025Q3", "--seed", "2025Q3-reference", *db)
    _run(root, "file", "--quarter", "2025Q3", *db)
    for fmt in ("json", "csv"):
        out = str(root / f"plan.{fmt}")
        _run(root, "export", "--quarter", "2025Q3", "--format", fmt, "--out", out, *db)
    return root


@pytest.mark.parametrize("name", ["plan.json", "plan.csv"])
def test_the_reference_district_plans_files_and_exports_byte_for_byte(
    exported: Path, name: str
) -> None:
    made = _steady((exported / name).read_bytes())
    if os.environ.get("JOINTINSPECT_WRITE_REFERENCE") == "1":
        REFERENCE.mkdir(exist_ok=True)
        (REFERENCE / name).write_bytes(made)
    expected = (REFERENCE / name).read_bytes()
    assert made == expected, f"{name} differs from tests/reference/{name}"
