"""Files an export writes, whichever format: whole or not at all, never over a file of
another kind, and text cells a spreadsheet cannot take for formulas. Kept apart from the
plan views (``view``) so that writing a file needs neither the database nor the ORM: the
grades' CSV is written by a process of its own, which starts faster without them."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jointinspect.models.errors import JointInspectError

#: What a spreadsheet reads as the start of a formula (or, for tab and carriage return,
#: what it strips before reading one): OWASP's list for CSV injection.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class OutputPathError(JointInspectError):
    """An export cannot be written where it was asked to go."""


class OutputKindError(JointInspectError):
    """The output path names a file of another kind than the export's format."""


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet cell that cannot start a formula: a leading ``'`` before a
    formula character (OWASP CSV injection). The quote shows, which is the point: a name
    like ``=HYPERLINK(…)`` reads as the text it is, and re-entering the cell in Excel keeps
    it text. Every CSV and XLSX text cell the product writes goes through here."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _is_text(head: bytes) -> bool:
    # A NUL byte marks a binary file (a workbook, a database, UTF-16); a CSV saved by Excel
    # in the local code page (GBK) has none and is still a CSV.
    return b"\x00" not in head


def _looks_like(head: bytes, kind: str) -> bool:
    """Whether a file starting with ``head`` is of ``kind`` (a format or image kind)."""
    if not head:
        return True
    if kind == "xlsx":
        return head.startswith(b"PK\x03\x04")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if not _is_text(head):
        return False
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if kind == "json":
        return text[:1] in (b"{", b"[")
    if kind == "ics":
        return text.upper().startswith(b"BEGIN:VCALENDAR")
    if kind == "svg":
        return text.startswith(b"<?xml") or b"<svg" in text
    return True  # csv: any text


def refuse_other_kind(path: Path, kind: str) -> None:
    """Raise unless ``path`` is absent or a regular file of ``kind``: an export replaces its
    own earlier output, never a file of another kind that happens to bear the name."""
    if not path.exists():
        return
    if path.is_file():
        try:
            with path.open("rb") as handle:
                head = handle.read(4096)
        except OSError as exc:
            raise unwritable(path, exc) from None
        if _looks_like(head, kind):
            return
    raise OutputKindError(
        f"{path} exists and is not a {kind} file; it was left as it is",
        hint="choose another name with --out, or move that file away first",
    )


def unwritable(path: Path, exc: OSError) -> OutputPathError:
    """The one-line error for ``path`` that ``exc`` kept from being written."""
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    reason = f"{blocker} is a file, not a folder" if blocker else exc.strerror or str(exc)
    return OutputPathError(
        f"cannot write {path}: {reason}", hint="choose a folder you can write to with --out"
    )


def prepare_folder(folder: Path) -> None:
    """Make ``folder`` (and its parents), or say in one line why it cannot be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(folder, exc) from None


@contextmanager
def written_whole(path: Path, kind: str) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to, renamed onto ``path`` when the block
    ends without error: a reader never sees half a file, and a failed export leaves the
    previous one as it was. ``path`` must be absent or a
    file of ``kind``."""
    refuse_other_kind(path, kind)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(path, exc) from None
    # Created by the writer itself (not mkstemp's 0600), so the file gets the umask's mode.
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        yield temp
        os.replace(temp, path)
    except OSError as exc:
        raise unwritable(path, exc) from None
    finally:
        temp.unlink(missing_ok=True)
