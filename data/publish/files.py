"""Writing a publication's files into its folder, never half-written.

Every file is first written whole to a temporary file in the same folder, then all of them
are renamed into place (a rename within a folder is atomic): a reader or a web server
sees the old publication or the new one, never a truncated page; if writing fails,
the temporary files are removed and the old files stay.
"""

import os
import tempfile
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from jointinspect.models.errors import JointInspectError


class PublishFolderError(JointInspectError):
    """The folder to publish into cannot be made or written."""


def write_files(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (name → content) into ``folder``; returns their paths, in order."""
    if folder.exists() and not folder.is_dir():
        raise PublishFolderError(
            f"{folder} is a file, not a folder", hint="give --out a folder to write the files into"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishFolderError(f"cannot make the folder {folder}: {exc.strerror}") from None
    written: list[tuple[str, Path]] = []
    try:
        for name, content in files.items():
            handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
            written.append((name, Path(temp_name)))
            with os.fdopen(handle, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
    except OSError as exc:
        for _name, temp in written:
            temp.unlink(missing_ok=True)
        raise PublishFolderError(f"cannot write into {folder}: {exc.strerror}") from None
    paths = []
    for name, temp in written:
        # mkstemp makes the file readable by its owner only; a publication is public.
        temp.chmod(0o644)
        final = folder / name
        os.replace(temp, final)
        paths.append(final)
    return paths


def redo_script() -> bytes:
    """The text of ``redo_draw.py``, the stand-alone script a publication carries."""
    return resources.files("jointinspect.data.publish").joinpath("redo_draw.py").read_bytes()
