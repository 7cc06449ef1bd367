"""The inbox: bundles that department systems drop for the next replan.

Each bundle is a folder of CSV files (contract §1) inside the inbox folder. Bundles are
imported one by one, in name order, each all or nothing. A refused bundle moves to
``failed/<timestamp>/<name>`` with the import's report in ``errors.txt`` beside its
files. An imported bundle stays where it is until its replan is filed (or found to
change nothing), and then moves to ``done/<timestamp>/<name>``: should the replan fail,
the next run imports it again — imports are upserts, so that changes nothing — and the
bundle is never reported done for a plan that did not take it in. Folders whose name
starts with ``.`` are skipped, so that a sender can write ``.name`` and rename it to
``name`` when complete.

A city's inbox holds a folder per district, named by its area code (``inbox/310120/``),
each an inbox as above; a bundle left at the top of it belongs to no district and is
taken by none (:func:`misplaced_in_city` finds them, so that replans can say so).
"""

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from jointinspect.data.bundle.errors import BundleInvalid
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.models.districts import is_area_code
from jointinspect.models.errors import JointInspectError

DONE = "done"
FAILED = "failed"
ERRORS_FILE = "errors.txt"


@dataclass(frozen=True)
class InboxItem:
    name: str
    imported: bool
    #: Where the bundle is now: still in the inbox until ``settle_inbox`` moves it.
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


def misplaced_in_city(inbox: Path) -> list[str]:
    """The bundles waiting at the top of a city's ``inbox``, where no district takes them
    (each district's are in its own folder, named by its area code)."""
    return [p.name for p in pending_bundles(inbox) if not is_area_code(p.name)]


def take_inbox(inbox: Path, *, engine: Engine, now: dt.datetime) -> list[InboxItem]:
    """Import every waiting bundle; a refused one moves under ``failed`` at once."""
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
        out.append(InboxItem(bundle.name, True, bundle, rows=report.rows))
    return out


def settle_inbox(items: list[InboxItem], inbox: Path, *, now: dt.datetime) -> list[InboxItem]:
    """Move the imported bundles of ``items`` under ``done``: their replan is filed."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return [
        InboxItem(i.name, True, _move(i.moved_to, inbox / DONE / stamp), rows=i.rows)
        if i.imported and i.moved_to.parent == inbox
        else i
        for i in items
    ]


def _move(bundle: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / bundle.name
    shutil.move(str(bundle), str(target))
    return target
