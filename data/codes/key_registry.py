"""Binding code keys to their database: each key id is registered with its fingerprint the
first time it is used, and every later use checks the key against the registration.

A database that holds codes but no registrations (made before keys were registered) is
checked against its codes instead: one code per key id must verify with the key of that
id, else the key file is not the one the codes were made with.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from jointinspect.data.codes.keys import KeyRing
from jointinspect.models.code_keys import RegisteredKey
from jointinspect.models.codes import (
    MalformedCodeError,
    authenticating_key,
    key_fingerprint,
    parse_code,
)
from jointinspect.models.core_table import table_of
from jointinspect.models.errors import JointInspectError
from jointinspect.models.planning import InspectionCode

#: How much of a fingerprint a message shows: enough to tell two keys apart by eye.
SHOWN = 12


class KeyMismatchError(JointInspectError):
    """The key found is not the key this database's codes were made with."""


@dataclass(frozen=True)
class KeyBinding:
    #: Key ids this run registered (first use of the database, or a rotated-in key).
    registered: tuple[str, ...]
    #: Key ids the database knows that the key ring no longer holds.
    retired: tuple[str, ...]


def registered_keys(conn: Connection) -> dict[str, str]:
    """The database's key ids and their fingerprints."""
    k = table_of(RegisteredKey).c
    return {key_id: fp for key_id, fp in conn.execute(select(k.key_id, k.fingerprint))}


def bind_keys(
    engine: Engine, ring: KeyRing, *, origin: str, now: dt.datetime | None = None
) -> KeyBinding:
    """Check ``ring`` (read from ``origin``) against ``engine``'s database and register the
    keys it does not know yet. Raises ``KeyMismatchError`` naming both fingerprints when
    a key id of the ring is registered (or has codes) under another secret."""
    with engine.begin() as conn:
        known = registered_keys(conn)
        for key in ring.keys:
            fingerprint = key_fingerprint(key)
            if key.id in known and known[key.id] != fingerprint:
                raise _mismatch(origin, key.id, fingerprint, known[key.id])
        if not known:
            _check_against_codes(conn, ring, origin)
        new = [k for k in ring.keys if k.id not in known]
        if new:
            stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
            conn.execute(
                insert(table_of(RegisteredKey)),
                [
                    {"key_id": k.id, "fingerprint": key_fingerprint(k), "registered_at": stamp}
                    for k in new
                ],
            )
    held = {k.id for k in ring.keys}
    return KeyBinding(
        registered=tuple(k.id for k in new),
        retired=tuple(sorted(set(known) - held)),
    )


def _check_against_codes(conn: Connection, ring: KeyRing, origin: str) -> None:
    c = table_of(InspectionCode).c
    samples = conn.execute(select(c.key_id, func.min(c.code)).group_by(c.key_id)).all()
    for key_id, code in samples:
        key = ring.by_id(key_id)
        if key is None:
            continue
        try:
            parsed = parse_code(code)
        except MalformedCodeError:
            continue
        if authenticating_key(parsed, [key]) is None:
            raise KeyMismatchError(
                f"{origin} is not the key of this database: its key {key_id!r} "
                f"(fingerprint {key_fingerprint(key)[:SHOWN]}) did not make the codes the "
                f"database holds under {key_id!r}",
                hint="use the key file `init` made for this database "
                "(JOINTINSPECT_KEY_FILE, or the file beside a SQLite database)",
            )


def _mismatch(origin: str, key_id: str, found: str, registered: str) -> KeyMismatchError:
    return KeyMismatchError(
        f"{origin} is not the key of this database: its key {key_id!r} has fingerprint "
        f"{found[:SHOWN]}, the database's key {key_id!r} has {registered[:SHOWN]}",
        hint="use the key file `init` made for this database "
        "(JOINTINSPECT_KEY_FILE, or the file beside a SQLite database)",
    )
