"""The inbox: bundles that department systems drop for the next replan.

Each bundle is a folder of CSV files (contract §1) inside the inbox folder. Bundles are
imported one by one, in name order, each all or nothing; an imported bundle moves to
``done/<timestamp>/<name>``, a refused one to ``failed/<timestamp>/<name>`` with the
import's report in ``errors.txt`` beside its files. Folders whose name starts with ``.``
are skipped, so that a sender can write ``.name`` and rename it to ``name`` when complete.
"""

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from jointinspect.data.bundle.errors import BundleInvalid
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.models.errors import JointInspectError

DONE = "done"
FAILED = "failed"
ERRORS_FILE = "errors.txt"


@dataclass(frozen=True)
class InboxItem:
    name: str
    imported: bool
    moved_to: Path
    rows: int = 0
    error: str | None = None


def pending_bundles(inbox: Path) -> list[Path]:
    """The bundle folders waiting in ``inbox``, in name order."""
    if not inbox.is_dir():
        return []
    return sorted(
        p
        for p in inbox.iterdir()
        if p.is_dir() and p.name not in (DONE, FAILED) and not p.name.startswith(".")
    )


def take_inbox(inbox: Path, *, engine: Engine, now: dt.datetime) -> list[InboxItem]:
    """Import every waiting bundle and file it under ``done`` or ``failed``."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = []
    for bundle in pending_bundles(inbox):
        try:
            report = import_bundle(bundle, engine=engine)
        except JointInspectError as exc:
            target = _move(bundle, inbox / FAILED / stamp)
            lines = [str(exc)]
            if isinstance(exc, BundleInvalid):
                lines += [str(p) for p in exc.problems]
            if exc.hint:
                lines.append(f"Hint: {exc.hint}")
            (target / ERRORS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
            out.append(InboxItem(bundle.name, False, target, error=str(exc)))
            continue
        target = _move(bundle, inbox / DONE / stamp)
        out.append(InboxItem(bundle.name, True, target, rows=report.rows))
    return out


def _move(bundle: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / bundle.name
    shutil.move(str(bundle), str(target))
    return target
