"""A generated district imported into a SQLite file: the starting point of the tests that
grade or calibrate a district of realistic shape (build it once per module, copy it to
write)."""

from pathlib import Path

from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.synthetic.district import generate_district
from jointinspect.models import create_schema, make_engine
from jointinspect.models.quarter import Quarter


def imported_district(root: Path, *, enterprises: int, seed: str, quarter: str = "2025Q3") -> Path:
    """``root/district.db``: a district of ``enterprises`` generated with ``seed`` and
    imported (no grades yet)."""
    made = generate_district(
        root / "out", enterprises=enterprises, seed=seed, quarter=Quarter.parse(quarter)
    )
    path = root / "district.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        create_schema(engine)
        import_bundle(made.bundle_dir, engine=engine)
    finally:
        engine.dispose()
    return path
