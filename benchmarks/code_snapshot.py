"""A copy of the package as it is installed, taken from a commit: the folder that
``bench_profiles.py --code DIR`` and ``--against DIR`` run the commands of.

    .venv/bin/python benchmarks/code_snapshot.py REV DIR

The repository keeps the package's parts at its top (``models/``, ``scheduler/`` …), and
``pyproject.toml`` maps them under one import name (``[tool.setuptools.package-dir]``).
The snapshot lays out commit ``REV``'s files as that mapping installs them,
``DIR/jointinspect/scheduler/`` and so on, so that ``PYTHONPATH=DIR`` imports that
commit's code in place of the installed one. ``DIR`` must not exist yet.
"""

import argparse
import io
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True).stdout


def snapshot(rev: str, out: Path) -> Path:
    """Lay out commit ``rev``'s package under ``out`` (made here) as it is installed."""
    if out.exists():
        raise SystemExit(f"{out} exists: a snapshot goes to a new folder")
    mapping = tomllib.loads(_git("show", f"{rev}:pyproject.toml").decode("utf-8"))["tool"][
        "setuptools"
    ]["package-dir"]
    with tempfile.TemporaryDirectory() as temp:
        with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", rev))) as tar:
            tar.extractall(temp, filter="data")
        # The top package first: the others are laid out inside it.
        for name, source in sorted(mapping.items(), key=lambda item: item[0].count(".")):
            shutil.copytree(Path(temp) / source, out / Path(*name.split(".")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit (any name git knows it by)")
    parser.add_argument("out", type=Path, help="the folder to make")
    args = parser.parse_args()
    print(snapshot(args.rev, args.out))


if __name__ == "__main__":
    main()
