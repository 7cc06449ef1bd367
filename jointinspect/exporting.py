"""A filed plan for other systems and people: the export formats and the push to each
department's system, as library calls."""

from jointinspect.data.exports.files import OutputKindError, OutputPathError
from jointinspect.data.exports.plan import (
    FOLDER_FORMATS,
    FORMATS,
    ExportResult,
    export_plan,
)
from jointinspect.data.exports.push import load_endpoint_specs, push_plan, resolve_tokens
from jointinspect.data.exports.qr import qr_payload
from jointinspect.data.plans.document import NoFiledRevisionError

__all__ = [
    "FOLDER_FORMATS",
    "FORMATS",
    "ExportResult",
    "NoFiledRevisionError",
    "OutputKindError",
    "OutputPathError",
    "export_plan",
    "load_endpoint_specs",
    "push_plan",
    "qr_payload",
    "resolve_tokens",
]
