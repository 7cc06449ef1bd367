"""The small sample district shipped inside the package (``data/sample/``).

It is exactly what the generator makes for ``SAMPLE_ENTERPRISES`` enterprises, seed
``SAMPLE_SEED``, quarter ``SAMPLE_QUARTER`` (a quarter the holiday calendar knows); a test
fails when the shipped files and the generator drift apart. After changing the generator,
refresh the files with::

    python -c "from jointinspect.data.synthetic import sample; sample.regenerate_sample()"
"""

import shutil
import tempfile
from pathlib import Path

from jointinspect.data.synthetic.district import (
    BUNDLE_DIR,
    TRUTH_FILE,
    GeneratedDistrict,
    generate_district,
)
from jointinspect.models.quarter import Quarter

SAMPLE_ENTERPRISES = 200
SAMPLE_SEED = "sample"
SAMPLE_QUARTER = Quarter(2025, 4)
_SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


def sample_dir() -> Path:
    """The folder holding the shipped sample: ``bundle/`` and ``truth.csv``."""
    return _SAMPLE_DIR


def sample_bundle_path() -> Path:
    """The shipped sample bundle, ready for ``import``."""
    return _SAMPLE_DIR / BUNDLE_DIR


def sample_truth_path() -> Path:
    """The hidden truth of the shipped sample (not part of the bundle)."""
    return _SAMPLE_DIR / TRUTH_FILE


def generate_sample(out_dir: Path) -> GeneratedDistrict:
    """Generate the sample district afresh into ``out_dir``."""
    return generate_district(
        out_dir, enterprises=SAMPLE_ENTERPRISES, seed=SAMPLE_SEED, quarter=SAMPLE_QUARTER
    )


def regenerate_sample() -> GeneratedDistrict:
    """Replace the shipped sample files with what the generator makes now."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate_sample(Path(tmp))
        # Only the generator's own files are replaced; anything else in sample/ stays.
        if sample_bundle_path().exists():
            shutil.rmtree(sample_bundle_path())
        _SAMPLE_DIR.mkdir(parents=True, exist_ok=True)
        shutil.copytree(fresh.bundle_dir, _SAMPLE_DIR / BUNDLE_DIR)
        shutil.copy2(fresh.truth_path, _SAMPLE_DIR / TRUTH_FILE)
    return GeneratedDistrict(sample_bundle_path(), sample_truth_path(), fresh.rows)
