"""Inspection codes (检查码, contract §6): short, readable aloud, self-checking, unforgeable.

A code is 20 characters of Crockford base32 (``0-9`` and ``A-Z`` without ``I L O U``),
written in four groups of five, e.g. ``7KX3M-QW9RT-2HC8N-VB5ZJ``::

    K  BBBBBBBB  TTTTTTTTTT  C
    │  │         │           └ check character: catches every single mistyped character
    │  │         │             and every transposition of two characters
    │  │         └ tag, 50 bits: HMAC-SHA256(key, K ‖ B) — proves the key's holder made it
    │  └ binding, 40 bits: HMAC-SHA256(key, canonical binding) — ties the code to the
    │    enterprise, date, departments, officers and items of its visit or off-site check
    └ key id character: which key made the code, so keys rotate and old codes still verify

Forty bits name a binding, not tell every binding apart: among the 170,000 checks of a
district's quarter, two unrelated ones share their first forty bits about once in 75
filings, and a district's codes accumulate over the years. The code of a binding that
would take a code already issued for another is made with a *variant* (1, 2, …, written
into the canonical binding as ``"variant"``), recorded with the code so that verification
recomputes the same; variant 0 writes nothing, so every other code is as it always was.

A district of a city's database issues codes that say so: four characters more in front,
the district's six-digit area code in 20 bits (``9EV8`` is 310120 奉贤区), written as a
group of their own, ``9EV8-7KX3M-QW9RT-2HC8N-VB5ZJ`` (24 characters, within the
contract's 24). The tag covers them, so a code cannot be moved to another district, and
the check character covers all 24. Which district issued a code is read from the code
alone, offline; that the district really did takes its key. A database of one unnamed
district issues the 20-character codes it always has.

Reading a code back, lower case is accepted, separators (``-``, spaces) are ignored and
the look-alikes ``I``/``L`` and ``O`` read as ``1`` and ``0`` (Crockford's rule).

The check character is a weighted sum over the field GF(32): the value of position i is
multiplied by α^(i+1) (α a root of the primitive polynomial x⁵ + x² + 1) and the check
character makes the total zero. It is the one-symbol Reed–Solomon parity: since every
weight is non-zero, any single changed character changes the sum; since the 20 weights are
distinct (α has order 31), any two characters swapped — adjacent or not — change it too.
(Luhn mod 32 would miss the swap of ``0`` and ``Z``.) A random change of several
characters slips past it with probability 1/32, and then meets the MAC.

Verification (the code plus the database) ends in one of five statuses:

``malformed``
    Not a code at all: wrong length, a character outside the alphabet, or a check
    character that does not match — a typing mistake. Decided from the text alone.
``forged``
    Well formed, but not made with any key we hold: no key's tag verifies (a code made
    with another key, or with the key id character altered), or the code is on record but
    the binding recomputed from the database no longer matches its binding part (the
    visit was tampered with after the code was issued). A random well-formed string passes
    the tag with probability 2⁻⁵⁰.
``unknown``
    Authentic — the tag verifies with one of our keys — but the code is not in this
    database: issued by another copy of the database (a restored backup, a replica that
    lags) or by a plan that was since deleted. Without the database we can say who made it,
    not what it is for. Also a code on record under a key id the key ring no
    longer holds (a retired key): it cannot be checked, which is not forged.
``valid`` / ``revoked``
    Authentic, on record, binding intact; ``revoked`` when a later filed revision changed
    the visit (the record names the replacement code).

The key never leaves the key file or the settings: codes carry only its id character.
"""

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from jointinspect.models.errors import JointInspectError

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
#: Crockford's decoding aliases for characters that look alike.
_ALIASES = {"I": "1", "L": "1", "O": "0"}
_SEPARATORS = "- "
BITS_PER_CHAR = 5
BINDING_CHARS = 8  # 40 bits
TAG_CHARS = 10  # 50 bits
BODY_CHARS = 1 + BINDING_CHARS + TAG_CHARS
CODE_CHARS = BODY_CHARS + 1  # plus the check character
#: The district's area code in front of a district's codes: 20 bits hold 999999.
DISTRICT_CHARS = 4
DISTRICT_CODE_CHARS = DISTRICT_CHARS + CODE_CHARS
#: The lengths a code may have: an unnamed district's, a named district's.
CODE_LENGTHS = (CODE_CHARS, DISTRICT_CODE_CHARS)
GROUP = 5
BINDING_BITS = BINDING_CHARS * BITS_PER_CHAR
TAG_BITS = TAG_CHARS * BITS_PER_CHAR
# Domain separation, so that a binding digest can never be mistaken for a tag.
_BINDING_DOMAIN = b"jointinspect/code/binding/v1\x00"
_TAG_DOMAIN = b"jointinspect/code/tag/v1\x00"

# GF(32) with the primitive polynomial x^5 + x^2 + 1.
_POLY = 0b100101
_FIELD = 32


class MalformedCodeError(JointInspectError):
    """A code is not well formed: wrong length, alphabet or check character."""


def _gf_mul(a: int, b: int) -> int:
    result = 0
    while b:
        if b & 1:
            result ^= a
        b >>= 1
        a <<= 1
        if a & _FIELD:
            a ^= _POLY
    return result


def _gf_pow(a: int, n: int) -> int:
    result = 1
    for _ in range(n):
        result = _gf_mul(result, a)
    return result


_ALPHA = 2
# α has order 31, so the weights of up to 31 positions are distinct: the 24 of a
# district's code keep the guarantee against swaps.
_WEIGHTS = tuple(_gf_pow(_ALPHA, i + 1) for i in range(DISTRICT_CODE_CHARS))
#: For each code length, the inverse of its last position's weight (the check character's).
_CHECK_INVERSE = {
    n: next(x for x in range(1, _FIELD) if _gf_mul(x, _WEIGHTS[n - 1]) == 1) for n in CODE_LENGTHS
}


# Products weight × value for every position and value, made once: the check character
# is computed for every code filed (hundreds of thousands at district scale).
_PRODUCTS = tuple(tuple(_gf_mul(weight, value) for value in range(_FIELD)) for weight in _WEIGHTS)


#: The tables of :func:`check_character`, for a batch version over arrays where numpy is
#: loaded anyway (``data.codes.issue``; this module stays free of it for a fast `verify`).
CHECK_PRODUCTS = _PRODUCTS
CHECK_INVERSE = _CHECK_INVERSE
CHARACTER_VALUE = _VALUE
FIELD_SIZE = _FIELD


def gf_mul(a: int, b: int) -> int:
    """Multiplication in the check character's field GF(32)."""
    return _gf_mul(a, b)


def _weighted_sum(values: Iterable[int]) -> int:
    total = 0
    for products, value in zip(_PRODUCTS, values, strict=False):
        total ^= products[value]
    return total


def check_character(body: str) -> str:
    """The check character for a code's body (19 characters, 23 with a district)."""
    total = _weighted_sum(_VALUE[ch] for ch in body)
    return ALPHABET[_gf_mul(total, _CHECK_INVERSE[len(body) + 1])]


def district_characters(area_code: str) -> str:
    """The four characters that say a code's district: its area code in base 32."""
    return _base32(int(area_code), DISTRICT_CHARS)


def _area_code(characters: str) -> str | None:
    """The area code four characters hold; None when they hold none (above 999999 or
    below 100000: area codes have six digits, the first not 0)."""
    number = 0
    for ch in characters:
        number = number * _FIELD + _VALUE[ch]
    return str(number) if 100_000 <= number <= 999_999 else None


@dataclass(frozen=True)
class CodeKey:
    """A MAC key and its id; the secret never shows in repr or logs. A district's key
    (``district``: its area code) makes codes that name the district."""

    id: str
    secret: bytes = field(repr=False)
    district: str | None = None

    @property
    def char(self) -> str:
        return key_char(self.id)


#: What a key's fingerprint is the MAC of: a fixed label no code binding can equal.
_FINGERPRINT_LABEL = b"jointinspect/code-key-fingerprint/v1"


def key_fingerprint(key: CodeKey) -> str:
    """A public name for ``key``'s secret (hex): equal secrets give equal fingerprints,
    and it tells nothing that helps make a code."""
    return hmac.new(key.secret, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


def key_char(key_id: str) -> str:
    """The character a key id puts in front of its codes (several ids may share one)."""
    return ALPHABET[hashlib.sha256(key_id.encode("utf-8")).digest()[0] % len(ALPHABET)]


#: ``json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` made once:
#: a filing encodes hundreds of thousands of bindings.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Binding:
    """What a code is bound to. ``officers`` are ``(department, inspector id)`` pairs."""

    kind: str  # "visit" or "offsite"
    uscc: str
    date: dt.date  # the visit date, or the due date of an off-site check
    departments: tuple[str, ...]
    officers: tuple[tuple[str, str], ...]
    items: tuple[str, ...]
    demand_ids: tuple[str, ...]

    def canonical(self, variant: int = 0) -> bytes:
        """One unambiguous byte string: sorted JSON, so order and separators never matter;
        a ``variant`` other than 0 (see the module's note) is written in it."""
        data: dict[str, object] = {
            "v": 1,
            "kind": self.kind,
            "uscc": self.uscc,
            "date": self.date.isoformat(),
            "departments": sorted(set(self.departments)),
            "officers": sorted({f"{d}:{i}" for d, i in self.officers}),
            "items": sorted(set(self.items)),
            "demands": sorted(set(self.demand_ids)),
        }
        if variant:
            data["variant"] = variant
        text = _CANONICAL_JSON.encode(data)
        return text.encode("utf-8")


@dataclass(frozen=True)
class ParsedCode:
    """A well-formed code taken apart (compact form, no separators)."""

    compact: str
    key_char: str
    binding: str
    tag: str
    #: The area code of the district the code names; None for an unnamed district's.
    district: str | None = None

    @property
    def head(self) -> str:
        """What the tag covers before the binding: district characters and key id."""
        return self.compact[: len(self.compact) - CODE_CHARS + 1]

    @property
    def display(self) -> str:
        return format_code(self.compact)


def _encode(digest: bytes, chars: int) -> str:
    """The first ``chars`` × 5 bits of ``digest`` in base 32."""
    bits = chars * BITS_PER_CHAR
    return _base32(int.from_bytes(digest, "big") >> (len(digest) * 8 - bits), chars)


def _base32(number: int, chars: int) -> str:
    out = []
    for _ in range(chars):
        out.append(ALPHABET[number & (_FIELD - 1)])
        number >>= BITS_PER_CHAR
    return "".join(reversed(out))


def _binding_part(binding: Binding, key: CodeKey, variant: int = 0) -> str:
    # hmac.digest: the same HMAC-SHA256 as hmac.new, in one call (OpenSSL's one-shot).
    digest = hmac.digest(key.secret, _BINDING_DOMAIN + binding.canonical(variant), "sha256")
    return _encode(digest, BINDING_CHARS)


def _tag(head: str, binding_part: str, key: CodeKey) -> str:
    """The tag over ``head`` (the district's characters, if any, and the key id
    character) and the binding part."""
    message = _TAG_DOMAIN + (head + binding_part).encode("ascii")
    return _encode(hmac.digest(key.secret, message, "sha256"), TAG_CHARS)


def issue_code(binding: Binding, key: CodeKey, variant: int = 0) -> str:
    """The code for ``binding`` (made with ``variant``) under ``key``, grouped for reading
    aloud; a district's key puts the district in front."""
    head = (district_characters(key.district) if key.district else "") + key.char
    part = _binding_part(binding, key, variant)
    body = head + part + _tag(head, part, key)
    return format_code(body + check_character(body))


def format_code(compact: str) -> str:
    """Groups of five; a district's four characters are a group of their own."""
    district = compact[: len(compact) - CODE_CHARS] if len(compact) > CODE_CHARS else ""
    rest = compact[len(district) :]
    groups = [rest[i : i + GROUP] for i in range(0, len(rest), GROUP)]
    return "-".join([district, *groups] if district else groups)


def normalise(text: str) -> str:
    """Upper case, separators dropped, look-alike letters read as digits."""
    out = []
    for ch in text.strip().upper():
        if ch in _SEPARATORS:
            continue
        out.append(_ALIASES.get(ch, ch))
    return "".join(out)


def parse_code(text: str) -> ParsedCode:
    """Take a code apart; raises MalformedCodeError saying what is wrong."""
    compact = normalise(text)
    if len(compact) not in CODE_LENGTHS:
        raise MalformedCodeError(
            f"an inspection code has {CODE_CHARS} characters, this one has {len(compact)} "
            f"(a district's code has {DISTRICT_CODE_CHARS})"
        )
    bad = sorted({ch for ch in compact if ch not in _VALUE})
    if bad:
        raise MalformedCodeError(
            f"an inspection code uses only 0-9 and A-Z without I, L, O, U; found {''.join(bad)!r}"
        )
    if _weighted_sum(_VALUE[ch] for ch in compact) != 0:
        raise MalformedCodeError("the code's check character does not match: a character is wrong")
    start = len(compact) - CODE_CHARS
    district = None
    if start:
        district = _area_code(compact[:start])
        if district is None:
            raise MalformedCodeError(
                f"the code's first group {compact[:start]} names no district's area code"
            )
    return ParsedCode(
        compact=compact,
        key_char=compact[start],
        binding=compact[start + 1 : start + 1 + BINDING_CHARS],
        tag=compact[start + 1 + BINDING_CHARS : start + BODY_CHARS],
        district=district,
    )


def authenticating_key(parsed: ParsedCode, keys: Sequence[CodeKey]) -> CodeKey | None:
    """The key (among ``keys``) that made this code, or None when none did. Only the
    keys of the district the code names are tried: a key ring may hold several
    districts' keys, and the one that made the code says which district issued it."""
    for key in keys:
        if key.char != parsed.key_char or key.district != parsed.district:
            continue
        expected = _tag(parsed.head, parsed.binding, key)
        if hmac.compare_digest(expected, parsed.tag):
            return key
    return None


def binding_matches(parsed: ParsedCode, binding: Binding, key: CodeKey, variant: int = 0) -> bool:
    """True when ``binding`` (as the database holds it now), made with the ``variant`` on
    record, is what the code was made for."""
    return hmac.compare_digest(_binding_part(binding, key, variant), parsed.binding)
