"""``export``: the latest filed revision of a quarter's plan, or the revision asked for (a
draft only so), in one of the formats departments take — JSON (contract §4), CSV, XLSX,
ICS or QR images — whole or as one department's share.

Where it goes: ``out`` is a file of the format's kind (its extension says so), or a folder
(an existing one, or a path ending in ``/``) that takes the default name
``PLAN-rREVISION[-DEPARTMENT].EXT``; ics and qr write a folder of files. A file of another
kind is never replaced, and every file is written whole (see ``files.written_whole``)."""

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from jointinspect.data.exports.csv_file import write_csv
from jointinspect.data.exports.files import OutputKindError, written_whole
from jointinspect.data.exports.ics import write_ics
from jointinspect.data.exports.qr import write_qr
from jointinspect.data.exports.view import load_names
from jointinspect.data.exports.xlsx import write_xlsx
from jointinspect.data.plans.document import (
    PlanDocument,
    chosen_revision,
    department_share,
    dumps,
    load_plan_document,
)
from jointinspect.models import Department, session_scope
from jointinspect.models.errors import JointInspectError

FORMATS = ("json", "csv", "xlsx", "ics", "qr")
#: Formats that write several files into a folder rather than one file.
FOLDER_FORMATS = frozenset({"ics", "qr"})
#: The extension of each one-file format.
SUFFIXES = {"json": ".json", "csv": ".csv", "xlsx": ".xlsx"}
_UNSAFE_NAME = re.compile(r"[^\w.-]")


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
    plan_id: str = ""
    #: When the exported revision was filed (aware); None for a draft.
    filed_at: dt.datetime | None = None


def default_name(doc: PlanDocument, fmt: str, department: str | None) -> str:
    """``PLAN-rREVISION[-DEPARTMENT].EXT``: the name says which plan and revision it holds."""
    stem = f"{doc.plan_id}-r{doc.revision}" + (f"-{department}" if department else "")
    return _UNSAFE_NAME.sub("_", stem) + SUFFIXES[fmt]


def output_file(out: Path | str, fmt: str, name: str) -> Path:
    """The file a one-file format writes for ``--out``: into a folder (existing, or named
    with a trailing slash) under ``name``, else ``out`` itself when its extension is the
    format's. A file of another kind at that path is refused by the writer."""
    text = str(out)
    path = Path(text)
    if text.endswith(("/", os.sep)) or path.is_dir():
        return path / name
    suffix, wanted = path.suffix.lower(), SUFFIXES[fmt]
    if suffix != wanted:
        other = next((f for f, s in SUFFIXES.items() if s == suffix), None)
        if other is not None:
            hint = f"name it {path.with_suffix(wanted).name}, or use --format {other}"
        elif suffix:
            hint = f"name it {path.with_suffix(wanted).name}"
        else:
            hint = f"name it {path.name}{wanted}, or end --out with / to write into a folder"
        raise OutputKindError(f"{path} is not a {wanted} file, and {fmt} was asked for", hint=hint)
    return path


def output_folder(out: Path | str, fmt: str) -> Path:
    """The folder a folder format writes into; an existing file there is refused."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputKindError(
            f"{path} is a file; {fmt} writes a folder of files",
            hint="give --out a folder (it is made when missing)",
        )
    return path


def export_plan(
    quarter: str,
    *,
    engine: Engine,
    fmt: str,
    out: Path | str,
    department: str | None = None,
    revision: int | None = None,
    language: str = "zh",
    verify_base_url: str | None = None,
    qr_kind: str = "png",
) -> ExportResult:
    """Write the latest filed revision of ``quarter`` (or revision ``revision``, draft or
    not) as ``fmt`` to ``out`` (a file or a folder: see the module docstring)."""
    if fmt not in FORMATS:
        raise UnknownFormatError(
            f"unknown export format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"
        )
    if fmt in FOLDER_FORMATS:
        output_folder(out, fmt)
    with session_scope(engine) as session:
        chosen = chosen_revision(session=session, quarter=quarter, revision=revision)
        assert chosen.id is not None
        if department is not None and session.get(Department, department) is None:
            raise UnknownDepartmentError(f"there is no department {department!r}")
        doc = load_plan_document(session=session, revision_id=chosen.id)
        names = load_names(session=session, doc=doc)
    if department is not None:
        doc = department_share(doc, department)
    if fmt in FOLDER_FORMATS:
        folder = output_folder(out, fmt)
        if fmt == "ics":
            paths = write_ics(doc, names, folder, department=department)
        else:
            paths = write_qr(doc, folder, base_url=verify_base_url, kind=qr_kind)
    else:
        path = output_file(out, fmt, default_name(doc, fmt, department))
        if fmt == "json":
            with written_whole(path, "json") as temp:
                temp.write_text(dumps(doc), encoding="utf-8")
        elif fmt == "csv":
            write_csv(doc, names, path, language=language)
        else:
            write_xlsx(doc, names, path, language=language)
        paths = [path]
    return ExportResult(
        quarter, doc.revision, doc.status, fmt, paths, plan_id=doc.plan_id, filed_at=names.filed_at
    )
