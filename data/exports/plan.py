"""``export``: the latest revision of a quarter's plan (draft or filed) in one of the
formats departments take — JSON (contract §4), CSV, XLSX, ICS or QR images — whole or as
one department's share."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from jointinspect.data.exports.csv_file import write_csv
from jointinspect.data.exports.ics import write_ics
from jointinspect.data.exports.qr import write_qr
from jointinspect.data.exports.view import load_names
from jointinspect.data.exports.xlsx import write_xlsx
from jointinspect.data.plans.document import (
    department_share,
    dumps,
    latest_revision,
    load_plan_document,
)
from jointinspect.models import Department, session_scope
from jointinspect.models.errors import JointInspectError

FORMATS = ("json", "csv", "xlsx", "ics", "qr")
#: Formats that write several files into a folder rather than one file.
FOLDER_FORMATS = frozenset({"ics", "qr"})


class UnknownFormatError(JointInspectError):
    """The export format is not one of json, csv, xlsx, ics, qr."""


class UnknownDepartmentError(JointInspectError):
    """``--department`` names a department the database does not hold."""


@dataclass(frozen=True)
class ExportResult:
    quarter: str
    revision: int
    status: str
    format: str
    paths: list[Path]


def export_plan(
    quarter: str,
    *,
    engine: Engine,
    fmt: str,
    out: Path,
    department: str | None = None,
    language: str = "zh",
    verify_base_url: str | None = None,
    qr_kind: str = "png",
) -> ExportResult:
    """Write the latest revision of ``quarter`` as ``fmt`` to ``out`` (a folder for ics/qr)."""
    if fmt not in FORMATS:
        raise UnknownFormatError(
            f"unknown export format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
        )
    with session_scope(engine) as session:
        revision = latest_revision(session=session, quarter=quarter)
        assert revision.id is not None
        if department is not None and session.get(Department, department) is None:
            raise UnknownDepartmentError(f"there is no department {department!r}")
        doc = load_plan_document(session=session, revision_id=revision.id)
        names = load_names(session=session, doc=doc)
    if department is not None:
        doc = department_share(doc, department)
    if fmt == "json":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(dumps(doc), encoding="utf-8")
        paths = [out]
    elif fmt == "csv":
        paths = [write_csv(doc, names, out, language=language)]
    elif fmt == "xlsx":
        paths = [write_xlsx(doc, names, out, language=language)]
    elif fmt == "ics":
        paths = write_ics(doc, names, out, department=department)
    else:
        paths = write_qr(doc, out, base_url=verify_base_url, kind=qr_kind)
    return ExportResult(quarter, doc.revision, doc.status, fmt, paths)
