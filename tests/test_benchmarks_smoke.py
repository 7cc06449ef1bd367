"""The benchmarks still run: each is a script the test suite does not import, so a change
of the library under them (a signature, a return type) would otherwise only show when
someone measures. Run at a few thousand enterprises; what they print is checked for
shape, not for figures (tests assert correctness, not time)."""

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
ENTERPRISES = "3000"

pytestmark = pytest.mark.slow


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{script} {args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize(
    "script",
    [
        "bench_replan.py",
        # It also stops when the part's revision differs from the whole district's.
        "bench_replan_scope.py",
    ],
)
def test_the_replan_curves_run(script: str, tmp_path: Path) -> None:
    out = _run(
        script, "--enterprises", ENTERPRISES, "--keep", str(tmp_path), "--shares", "0.01,0.05"
    )
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+\.\d+%", line)]
    assert len(rows) == 2, out


def test_the_profile_table_runs(tmp_path: Path) -> None:
    out = _run(
        "bench_profiles.py",
        "--enterprises",
        ENTERPRISES,
        "--profiles",
        "default",
        "--keep",
        str(tmp_path),
    )
    for step in ("plan", "file", "replan", "grade"):
        assert re.search(rf"^\s+{step}\s+\d", out, re.MULTILINE), out


def test_a_snapshot_is_measured_against_the_code(tmp_path: Path) -> None:
    """``code_snapshot.py`` lays out a commit as installed; ``--against`` runs it beside
    the code, run by run, and prints each pair."""
    if subprocess.run(["git", "-C", str(BENCHMARKS), "rev-parse", "HEAD"], check=False).returncode:
        pytest.skip("not in a git checkout: no commit to take a snapshot of")
    snapshot = tmp_path / "snapshot"
    _run("code_snapshot.py", "HEAD", str(snapshot))
    assert (snapshot / "jointinspect" / "scheduler" / "solve.py").is_file()
    out = _run(
        "bench_profiles.py",
        "--enterprises",
        ENTERPRISES,
        "--profiles",
        "default",
        "--steps",
        "plan,file",
        "--runs",
        "2",
        "--against",
        str(snapshot),
        "--keep",
        str(tmp_path / "profiles"),
    )
    assert str(snapshot) in out, out
    for step in ("plan", "file"):
        # Two pairs, their differences and the median.
        assert re.search(
            rf"^\s+{step}\s+[\d.]+ → [\d.]+, [\d.]+ → [\d.]+; .*\(median", out, re.M
        ), out


@pytest.mark.postgres
def test_the_city_benchmark_runs(pg_server: str, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the city benchmark runs Ray (the ray extra)")
    name = f"ji_test_{uuid.uuid4().hex[:12]}"
    try:
        out = _run(
            "bench_city.py",
            "--districts",
            "2",
            "--enterprises",
            "2000",
            "--db",
            pg_server.rsplit("/", 1)[0] + "/" + name,
            "--work",
            str(tmp_path),
            "--project",
            "40000",
        )
    finally:
        admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for database in (name, f"{name}_filed"):
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": database},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        admin.dispose()
    for job in ("grade", "plan", "replan"):
        assert re.search(rf"^{job}: local [0-9.]+ s, ray \(2 CPUs\) [0-9.]+ s", out, re.M), out
    assert "each district's new revision on Ray byte for byte the local engine's: yes" in out
