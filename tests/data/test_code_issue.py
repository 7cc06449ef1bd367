"""The bulk issuer gives every code exactly as ``models.codes.issue_code`` does."""

import datetime as dt
import hmac
import random

import pytest
from helpers.codes_processes import counted_codes_processes
from hypothesis import given, settings
from hypothesis import strategies as st

from jointinspect.data.codes.bindings import BindingFields, offsite_fields, visit_fields
from jointinspect.data.codes.issue import KeyedSha256, canonical, check_characters, issue_codes
from jointinspect.models.codes import (
    ALPHABET,
    CODE_CHARS,
    DISTRICT_CODE_CHARS,
    Binding,
    CodeKey,
    check_character,
    issue_code,
)

KEYS = (
    CodeKey("k1", b"k" * 32),
    CodeKey("2026-rotated", bytes(range(32))),
    CodeKey("fx", b"district-key-" * 3, district="310120"),
)
# Ids as departments write them, and text a JSON encoder has to escape.
TEXT = st.text(min_size=1, max_size=12) | st.sampled_from(["SCJ", "XF-01", 'a"b', "a\\b", "新"])
DAYS = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
VISITS = st.builds(
    visit_fields,
    TEXT,
    DAYS,
    st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=4),
    st.lists(st.tuples(TEXT, TEXT), max_size=5),
)
OFFSITE = st.builds(offsite_fields, TEXT, DAYS, TEXT, TEXT, TEXT)


VARIANTS = st.sampled_from([0, 0, 1, 2, 17])


@settings(max_examples=300, deadline=None)
@given(st.lists(VISITS | OFFSITE, min_size=1, max_size=6), st.sampled_from(KEYS), VARIANTS)
def test_bulk_codes_are_the_codes_issued_one_by_one(
    fields: list[BindingFields], key: CodeKey, variant: int
) -> None:
    assert issue_codes(fields, key, variant) == [
        issue_code(Binding(*f), key, variant) for f in fields
    ]


@settings(max_examples=300, deadline=None)
@given(
    # Around SHA-256's 64-byte block: a longer key is hashed first, a shorter one padded.
    st.binary(max_size=200) | st.sampled_from([b"", b"k" * 63, b"k" * 64, b"k" * 65]),
    st.lists(st.binary(max_size=300), max_size=5),
)
def test_keyed_macs_are_hmac_sha256(secret: bytes, messages: list[bytes]) -> None:
    mac = KeyedSha256(secret)
    whole = b"".join(hmac.digest(secret, m, "sha256") for m in messages)
    assert mac.leads(messages, 32) == whole
    assert mac.leads(messages, 8) == b"".join(whole[i : i + 8] for i in range(0, len(whole), 32))


@settings(max_examples=300, deadline=None)
@given(VISITS | OFFSITE, VARIANTS)
def test_canonical_text_is_the_bindings_own(fields: BindingFields, variant: int) -> None:
    assert canonical(fields, variant) == Binding(*fields).canonical(variant)


def test_a_variant_makes_another_code_and_variant_0_the_code_of_old() -> None:
    fields = offsite_fields("91310120MA1H00001A", dt.date(2025, 12, 31), "RS", "I", "D")
    # Variant 0 writes nothing into the binding: the canonical text codes always had.
    assert canonical(fields) == (
        b'{"date":"2025-12-31","demands":["D"],"departments":["RS"],"items":["I"],'
        b'"kind":"offsite","officers":[],"uscc":"91310120MA1H00001A","v":1}'
    )
    assert canonical(fields, 2).endswith(b'"v":1,"variant":2}')
    codes = {issue_codes([fields], KEYS[0], variant)[0] for variant in range(5)}
    assert len(codes) == 5


def test_officers_sort_as_text_not_as_pairs() -> None:
    # ("A", "z") < ("A-B", "a") as pairs, but "A-B:a" < "A:z" as text: the text decides.
    fields = visit_fields(
        "91310120MA1H00001A",
        dt.date(2025, 10, 3),
        [("A", "I-1", "D-1")],
        [("A", "z"), ("A-B", "a")],
    )
    assert canonical(fields) == Binding(*fields).canonical()
    assert issue_codes([fields], KEYS[0]) == [issue_code(Binding(*fields), KEYS[0])]


def test_check_characters_of_many_bodies_are_check_character_of_each() -> None:
    rng = random.Random(5)
    for length in (CODE_CHARS - 1, DISTRICT_CODE_CHARS - 1):
        bodies = ["".join(rng.choice(ALPHABET) for _ in range(length)) for _ in range(2000)]
        assert check_characters(bodies) == [check_character(b) for b in bodies]
    assert check_characters([]) == []
    with pytest.raises(ValueError, match="one length"):
        check_characters(["0" * 19, "0" * 23])
    with pytest.raises(ValueError, match="outside the code alphabet"):
        check_characters(["I" * 19])


class _Kind(str):
    """A str subclass, which marshal does not take."""


@pytest.mark.parametrize("subclassed", [False, True], ids=["marshalled", "pickled"])
def test_codes_made_in_a_second_process_are_the_same(
    monkeypatch: pytest.MonkeyPatch, subclassed: bool
) -> None:
    """The fields go to the codes' process packed by marshal, dates as ordinals; fields
    marshal refuses go pickled as they are. Either way, the codes made here."""
    from jointinspect.data.codes import issue

    fields = [
        offsite_fields(f"9131012000000{n:05d}", dt.date(2025, 9, 1), "XF", "I", "D")
        for n in range(50)
    ] + [
        visit_fields(
            f"9131012000001{n:05d}",
            dt.date(2025, 9, 2) + dt.timedelta(days=n),
            [("XF", "I1", f"D-{n}"), ("SCJ", "I2", f"D-{n}b")],
            [("XF", "XF-001"), ("SCJ", "SCJ-0002"), ("XF", "XF-003")],
        )
        for n in range(50)
    ]
    if subclassed:
        fields[0] = (_Kind(fields[0][0]), *fields[0][1:])  # type: ignore[assignment]
    started = counted_codes_processes(monkeypatch, from_codes=10)
    with issue.codes_in_background(fields, KEYS[2]) as made:
        codes = made()
    assert started, "a second process must make the codes for this test to mean something"
    assert codes == issue_codes(fields, KEYS[2])
