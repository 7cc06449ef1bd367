"""Importing a bundle (spec §1) as a library call: validated whole, written all or nothing."""

from jointinspect.data.bundle.errors import BundleInvalid, Problem
from jointinspect.data.bundle.importer import ImportReport, check_bundle_dir, import_bundle
from jointinspect.data.bundle.validation import ImportProgress, ProgressCallback

__all__ = [
    "BundleInvalid",
    "ImportProgress",
    "ImportReport",
    "Problem",
    "ProgressCallback",
    "check_bundle_dir",
    "import_bundle",
]
