"""Issuing the codes of a whole filing at once: the same codes as ``models.codes.issue_code``
gives one by one (a test holds them equal), made several times faster.

A district's first filing issues hundreds of thousands of codes, and one by one most of
each code's time went to what every code of the filing shares or what a binding's fields
already are: the key's head characters, a ``Binding`` object, a JSON encoder and its
sorting of eight keys, an HMAC object per digest. Here the head is made once, the
canonical text is written straight from the binding fields in the key order the encoder
sorts them into (each string escaped by the encoder's own function), and the key's two
HMAC blocks are hashed once for all the digests (:class:`KeyedSha256`).
"""

import datetime as dt
import hashlib
import marshal
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from json.encoder import encode_basestring

import numpy as np
from numpy.typing import NDArray

from jointinspect.data.codes.bindings import BindingFields
from jointinspect.models.codes import (
    ALPHABET,
    BINDING_CHARS,
    BITS_PER_CHAR,
    CHARACTER_VALUE,
    CHECK_INVERSE,
    CHECK_PRODUCTS,
    FIELD_SIZE,
    TAG_CHARS,
    CodeKey,
    district_characters,
    format_code,
    gf_mul,
)

# The domains ``models.codes`` separates its two digests with (kept equal by the test).
BINDING_DOMAIN = b"jointinspect/code/binding/v1\x00"
TAG_DOMAIN = b"jointinspect/code/tag/v1\x00"


def issue_codes(fields: Iterable[BindingFields], key: CodeKey, variant: int = 0) -> list[str]:
    """The code of each binding (fields in ``Binding`` order) under ``key``, made with
    ``variant`` (``models.codes``: 0 for all but a code that another binding holds).

    The loop makes only the MACs; their leading bits become characters, the check
    character is added and the code is grouped over arrays of all the codes at once (in
    a Python loop, those took as long as the MACs)."""
    mac = KeyedSha256(key.secret)
    head = (district_characters(key.district) if key.district else "") + key.char
    bindings = _characters(
        mac.leads((BINDING_DOMAIN + canonical(f, variant) for f in fields), _LEAD),
        BINDING_CHARS,
    )
    if not len(bindings):
        return []
    # The tag covers the head and the binding's characters, as text.
    text = _ALPHABET_BYTES[bindings].tobytes()
    tag_head = TAG_DOMAIN + head.encode("ascii")
    tags = _characters(
        mac.leads(
            (tag_head + text[i : i + BINDING_CHARS] for i in range(0, len(text), BINDING_CHARS)),
            _LEAD,
        ),
        TAG_CHARS,
    )
    heads = np.broadcast_to(
        np.array([CHARACTER_VALUE[c] for c in head], dtype=np.int64), (len(bindings), len(head))
    )
    values = np.hstack([heads, bindings, tags])
    values = np.hstack([values, _check_values(values)[:, None]])
    return _grouped(_ALPHABET_BYTES[values])


class KeyedSha256:
    """HMAC-SHA256 under one key, for many messages: ``hmac.digest(secret, message,
    "sha256")`` of each (a test holds them equal), with the key's inner and outer blocks
    hashed once.

    HMAC (RFC 2104) is SHA-256 of the key's outer block and SHA-256 of its inner block and
    the message; ``hmac.digest`` sets up both blocks for every message again, through
    OpenSSL's HMAC, which was most of each digest's time: a first filing makes two per
    code, 620,000 at 650,000 enterprises. Copying the two hash states made once here is
    what ``hmac.HMAC.copy`` and ``hashlib.pbkdf2_hmac``'s pure-Python form did, without
    their objects around it: 0.77 s instead of 1.41 s for 300,000 digests."""

    def __init__(self, secret: bytes) -> None:
        block = hashlib.sha256().block_size
        if len(secret) > block:  # as RFC 2104 and ``hmac``: a long key is hashed first
            secret = hashlib.sha256(secret).digest()
        secret = secret.ljust(block, b"\0")
        self._inner = hashlib.sha256(secret.translate(_INNER_PAD))
        self._outer = hashlib.sha256(secret.translate(_OUTER_PAD))

    def leads(self, messages: Iterable[bytes], size: int) -> bytes:
        """The first ``size`` bytes of each message's digest, joined."""
        inner_key, outer_key = self._inner, self._outer
        out = []
        for message in messages:
            inner = inner_key.copy()
            inner.update(message)
            outer = outer_key.copy()
            outer.update(inner.digest())
            out.append(outer.digest()[:size])
        return b"".join(out)


# ``hmac``'s own: each byte of the padded key XOR 0x36 (inner) and 0x5C (outer).
_INNER_PAD = bytes(x ^ 0x36 for x in range(256))
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))

#: Leading digest bytes read per MAC: enough for the longer part (the tag's 50 bits).
_LEAD = 8
_ALPHABET_BYTES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)


def _characters(digests: bytes, chars: int) -> NDArray[np.int64]:
    """The first ``chars`` × 5 bits of each ``_LEAD``-byte digest prefix in ``digests``,
    as character values (a row per digest), most significant first."""
    lead = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    shifts = np.array([64 - BITS_PER_CHAR * (k + 1) for k in range(chars)], dtype=np.uint64)
    return ((lead[:, None] >> shifts) & np.uint64(FIELD_SIZE - 1)).astype(np.int64)


def _grouped(characters: NDArray[np.uint8]) -> list[str]:
    """Each row of code characters as ``format_code`` writes it, dashes and all."""
    count, length = characters.shape
    template = format_code("0" * length)
    width = len(template)
    out = np.full((count, width), ord("-"), dtype=np.uint8)
    out[:, [i for i, c in enumerate(template) if c != "-"]] = characters
    text = out.tobytes().decode("ascii")
    return [text[i : i + width] for i in range(0, len(text), width)]


# check_character's tables as arrays: byte → value (-1 off the alphabet), position ×
# value → product, and the field's multiplication.
_VALUE_OF_BYTE = np.full(256, -1, dtype=np.int64)
for _ch, _value in CHARACTER_VALUE.items():
    _VALUE_OF_BYTE[ord(_ch)] = _value
_PRODUCTS = np.array(CHECK_PRODUCTS, dtype=np.int64)
_MULTIPLY = np.array(
    [[gf_mul(a, b) for b in range(FIELD_SIZE)] for a in range(FIELD_SIZE)], dtype=np.int64
)


def check_characters(bodies: Sequence[str]) -> list[str]:
    """``models.codes.check_character`` of each body (all of one length), as integer
    table lookups over arrays: a first filing makes hundreds of thousands of codes."""
    if not bodies:
        return []
    length = len(bodies[0])
    if any(len(b) != length for b in bodies):
        raise ValueError("check_characters takes bodies of one length")
    text = np.frombuffer("".join(bodies).encode("ascii"), dtype=np.uint8).reshape(-1, length)
    values = _VALUE_OF_BYTE[text]
    if (values < 0).any():
        raise ValueError("a code body holds a character outside the code alphabet")
    return [ALPHABET[c] for c in _check_values(values).tolist()]


def _check_values(values: NDArray[np.int64]) -> NDArray[np.int64]:
    """The check character's value for each row of body character values."""
    length = values.shape[1]
    totals = np.bitwise_xor.reduce(_PRODUCTS[np.arange(length), values], axis=1)
    checks: NDArray[np.int64] = _MULTIPLY[totals, CHECK_INVERSE[length + 1]]
    return checks


#: Fewer codes than this are made in the filing's own process: starting a second one
#: costs more than they take.
BACKGROUND_CODES = 20_000


@contextmanager
def codes_in_background(
    fields: list[BindingFields], key: CodeKey, *, background: bool = True
) -> Iterator[Callable[[], list[str]]]:
    """Make the codes of ``fields`` in a second process while the caller goes on, and
    yield the function that waits for them. A first filing spends seconds on its
    hard-rule check and seconds on its codes, and the two do not depend on each other:
    on two cores they take the time of the longer. The codes are :func:`issue_codes`'
    either way; they are made in this process instead when there are few, when the
    machine has one CPU, when no process can be started, or when not ``background``
    (the check has a process of its own already). A process is spawned, not forked: the
    filing holds a database connection and the libraries' threads."""
    if not background or len(fields) < BACKGROUND_CODES or (os.cpu_count() or 1) < 2:
        yield lambda: issue_codes(fields, key)
        return
    try:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        try:
            future = pool.submit(_issue_packed, _packed(fields), key)
        except ValueError:  # a field marshal does not take (a str subclass): pickled then
            future = pool.submit(issue_codes, fields, key)
    except OSError:
        yield lambda: issue_codes(fields, key)
        return
    try:
        yield future.result
    finally:
        # After a refusal the codes are not wanted; a running task still ends first.
        pool.shutdown(wait=True, cancel_futures=True)


def _packed(fields: list[BindingFields]) -> bytes:
    """``fields`` for the codes' process as one ``marshal`` string, each date as its
    ordinal.

    Handed to the executor as they are, the fields were pickled by its feeder thread,
    which holds the GIL the filing's hard-rule check needs: at 650,000 enterprises about
    a second of the check's wall time, most of it pickle's memo of a few million small
    tuples and strings. marshal has no memo to keep, and both ends are this Python."""
    return marshal.dumps([(k, u, d.toordinal(), dp, o, i, dm) for k, u, d, dp, o, i, dm in fields])


def _issue_packed(packed: bytes, key: CodeKey) -> list[str]:
    """:func:`issue_codes` of the fields :func:`_packed` packed (in the codes' process)."""
    day = dt.date.fromordinal
    return issue_codes(
        [(k, u, day(d), dp, o, i, dm) for k, u, d, dp, o, i, dm in marshal.loads(packed)], key
    )


def canonical(fields: BindingFields, variant: int = 0) -> bytes:
    """``Binding(*fields).canonical(variant)``: its sorted JSON, written directly."""
    kind, uscc, date, departments, officers, items, demands = fields
    text = (
        f'{{"date":"{date.isoformat()}","demands":[{_strings(demands)}],'
        f'"departments":[{_strings(departments)}],"items":[{_strings(items)}],'
        f'"kind":{encode_basestring(kind)},'
        f'"officers":[{_strings([f"{d}:{i}" for d, i in officers])}],'
        f'"uscc":{encode_basestring(uscc)},"v":1'
        + (f',"variant":{int(variant)}}}' if variant else "}")
    )
    return text.encode("utf-8")


def _strings(values: Sequence[str]) -> str:
    """A JSON array's items: the distinct strings, sorted, as the encoder writes them."""
    if len(values) == 1:  # most of a filing's arrays: nothing to sort
        return encode_basestring(values[0])
    return ",".join(map(encode_basestring, sorted(set(values))))
