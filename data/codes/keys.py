"""The secret keys for inspection codes, read from the key file ``init`` creates or from a
setting's value. Keys live only there: never in the database, an export or a log.

Format: one key a line, ``KEYID:HEX`` (``k1:9f3a…``), blank lines and ``#`` comments
ignored. The first key is the current one (new codes are made with it); the keys after it
are older keys kept so that codes made with them still verify — to rotate, put a new line
at the top and keep the old ones.
"""

import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from jointinspect.models.codes import CodeKey
from jointinspect.models.errors import JointInspectError

#: HMAC-SHA256 keys shorter than this are too easy to guess.
MIN_SECRET_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")


class KeyFileMissingError(JointInspectError):
    """The key file does not exist."""


class UnsafeKeyFileError(JointInspectError):
    """The key file can be read by users other than its owner."""


class KeyFormatError(JointInspectError):
    """A line of the key file (or the key setting) is not ``KEYID:HEX`` with a strong key."""


@dataclass(frozen=True)
class KeyRing:
    """The current key first, then the older keys that still verify their codes."""

    keys: tuple[CodeKey, ...]

    @property
    def current(self) -> CodeKey:
        return self.keys[0]

    def by_id(self, key_id: str) -> CodeKey | None:
        return next((k for k in self.keys if k.id == key_id), None)

    def of_district(self, area_code: str) -> "KeyRing":
        """The same keys as a district's: the codes they make name the district."""
        return KeyRing(tuple(replace(k, district=area_code) for k in self.keys))


def parse_keys(text: str, *, origin: str = "the key setting") -> KeyRing:
    """Keys from ``KEYID:HEX`` lines (also accepts ``;``-separated keys on one line)."""
    keys: list[CodeKey] = []
    entries = [e.strip() for line in text.splitlines() for e in line.split(";")]
    for number, entry in enumerate(entries, start=1):
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, hex_secret = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise KeyFormatError(
                f"{origin}: entry {number} is not KEYID:HEX",
                hint="each key is written like k1:<64 hex digits>; run `jointinspect init`",
            )
        try:
            secret = bytes.fromhex(hex_secret.strip())
        except ValueError:
            raise KeyFormatError(f"{origin}: key {key_id!r} is not hexadecimal") from None
        if len(secret) < MIN_SECRET_BYTES:
            raise KeyFormatError(
                f"{origin}: key {key_id!r} has {len(secret)} bytes, at least "
                f"{MIN_SECRET_BYTES} are needed"
            )
        if any(k.id == key_id for k in keys):
            raise KeyFormatError(f"{origin}: key id {key_id!r} is used twice")
        keys.append(CodeKey(id=key_id, secret=secret))
    if not keys:
        raise KeyFormatError(f"{origin} holds no key", hint="run `jointinspect init`")
    return KeyRing(tuple(keys))


def load_key_file(path: Path) -> KeyRing:
    """The keys of ``path``, refusing a file that others than its owner may read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileMissingError(
            f"the key file {path} does not exist",
            hint="create it with `jointinspect init`, or set JOINTINSPECT_KEY_FILE",
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UnsafeKeyFileError(
            f"the key file {path} can be read by other users (mode {stat.filemode(mode)})",
            hint=f"chmod 600 {path}",
        )
    return parse_keys(path.read_text(encoding="utf-8"), origin=str(path))
