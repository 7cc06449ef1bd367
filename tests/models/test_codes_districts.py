"""Codes of a city's districts: the district's area code in front (24 characters), read
offline from the code alone, covered by the check character and by the tag."""

import datetime as dt

import pytest

from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.districts.shanghai import SHANGHAI
from jointinspect.models.codes import (
    ALPHABET,
    CODE_CHARS,
    DISTRICT_CODE_CHARS,
    Binding,
    CodeKey,
    MalformedCodeError,
    authenticating_key,
    check_character,
    district_characters,
    issue_code,
    parse_code,
)

SECRET = bytes(range(32))
FENGXIAN = CodeKey("k1", SECRET, district="310120")
XUHUI = CodeKey("k1", bytes(range(3, 35)), district="310104")
BINDING = Binding(
    kind="visit",
    uscc="91310120MA1H00001X",
    date=dt.date(2025, 7, 8),
    departments=("SCJ",),
    officers=(("SCJ", "SCJ-017"), ("SCJ", "SCJ-044")),
    items=("SCJ-FOOD-01",),
    demand_ids=("D-1",),
)
CODE = issue_code(BINDING, FENGXIAN)


def test_a_districts_code_has_its_area_code_in_front() -> None:
    assert CODE.startswith("9EV8-")
    assert [len(g) for g in CODE.split("-")] == [4, 5, 5, 5, 5]
    assert len(CODE.replace("-", "")) == DISTRICT_CODE_CHARS == 24  # contract §6: ≤ 24
    parsed = parse_code(CODE.lower().replace("-", " "))
    assert parsed.district == "310120" and parsed.display == CODE
    assert authenticating_key(parsed, [FENGXIAN]) == FENGXIAN
    # The same key as an unnamed district's makes the 20 characters it always has.
    unnamed = issue_code(BINDING, CodeKey("k1", SECRET))
    assert len(unnamed.replace("-", "")) == CODE_CHARS and parse_code(unnamed).district is None
    assert unnamed.replace("-", "") not in CODE.replace("-", "")


def test_every_shanghai_district_reads_back_from_its_characters() -> None:
    for district in SHANGHAI:
        key = CodeKey("k1", SECRET, district=district.code)
        assert parse_code(issue_code(BINDING, key)).district == district.code
    assert len({district_characters(d.code) for d in SHANGHAI}) == len(SHANGHAI)


def test_every_single_change_and_swap_of_a_districts_code_is_caught() -> None:
    compact = CODE.replace("-", "")
    for position in range(len(compact)):
        for ch in ALPHABET:
            if ch != compact[position]:
                changed = compact[:position] + ch + compact[position + 1 :]
                with pytest.raises(MalformedCodeError):
                    parse_code(changed)
    for i in range(len(compact)):
        for j in range(i + 1, len(compact)):
            if compact[i] != compact[j]:
                chars = list(compact)
                chars[i], chars[j] = chars[j], chars[i]
                with pytest.raises(MalformedCodeError):
                    parse_code("".join(chars))


def test_a_code_moved_to_another_district_fails_its_tag() -> None:
    body = district_characters("310104") + CODE.replace("-", "")[4:-1]
    moved = parse_code(body + check_character(body))  # well formed, names 徐汇区
    assert moved.district == "310104"
    assert authenticating_key(moved, [FENGXIAN, XUHUI]) is None


def test_a_ring_of_several_districts_keys_says_which_district_issued_a_code() -> None:
    city = KeyRing((*KeyRing((XUHUI,)).keys, *KeyRing((FENGXIAN,)).of_district("310120").keys))
    issued = authenticating_key(parse_code(CODE), city.keys)
    assert issued is not None and issued.district == "310120"
    xuhui_code = issue_code(BINDING, XUHUI)
    found = authenticating_key(parse_code(xuhui_code), city.keys)
    assert found is not None and found.district == "310104"


def test_a_first_group_that_is_no_area_code_is_malformed() -> None:
    body = "ZZZZ" + CODE.replace("-", "")[4:-1]  # 1,048,575: seven digits
    with pytest.raises(MalformedCodeError, match="first group ZZZZ names no district's area code"):
        parse_code(body + check_character(body))
