"""Inspection codes: format, check character, MAC, key rotation (contract §6)."""

import datetime as dt
import random

import pytest

from jointinspect.models.codes import (
    ALPHABET,
    CODE_CHARS,
    Binding,
    CodeKey,
    MalformedCodeError,
    authenticating_key,
    binding_matches,
    check_character,
    issue_code,
    normalise,
    parse_code,
)

KEY = CodeKey("k1", bytes(range(32)))
OTHER = CodeKey("k1", bytes(range(1, 33)))  # same id, another secret: someone else's key
NEW = CodeKey("k2", bytes(range(2, 34)))


def _binding(n: int) -> Binding:
    return Binding(
        kind="visit",
        uscc=f"91310120MA1H{n:05d}X",
        date=dt.date(2025, 7, 1) + dt.timedelta(days=n % 90),
        departments=("SCJ", "XF"),
        officers=(("SCJ", f"SCJ-{n:03d}"), ("SCJ", "SCJ-999"), ("XF", "XF-001"), ("XF", "XF-2")),
        items=("SCJ-FOOD-01", "XF-FIRE-01"),
        demand_ids=(f"D-{n}", f"D-{n}-b"),
    )


SAMPLE = [issue_code(_binding(n), KEY) for n in range(40)]


def test_code_is_short_grouped_and_parses() -> None:
    code = SAMPLE[0]
    assert len(code.replace("-", "")) == CODE_CHARS <= 24
    assert [len(g) for g in code.split("-")] == [5, 5, 5, 5]
    parsed = parse_code(code)
    assert parsed.display == code
    assert authenticating_key(parsed, [KEY]) == KEY
    assert binding_matches(parsed, _binding(0), KEY)


def test_reading_aloud_is_forgiving() -> None:
    code = SAMPLE[1]
    messy = " " + code.lower().replace("-", " ") + " "
    assert parse_code(messy).compact == code.replace("-", "")
    looks_alike = code.replace("1", "I").replace("0", "O")
    assert parse_code(looks_alike).compact == code.replace("-", "")
    assert normalise("ab-l0") == "AB10"


def test_same_binding_same_code_and_bindings_differ() -> None:
    assert issue_code(_binding(3), KEY) == SAMPLE[3]
    assert len(set(SAMPLE)) == len(SAMPLE)
    # The order officers or items are listed in does not matter.
    b = _binding(3)
    shuffled = Binding(
        b.kind,
        b.uscc,
        b.date,
        b.departments[::-1],
        b.officers[::-1],
        b.items[::-1],
        b.demand_ids[::-1],
    )
    assert issue_code(shuffled, KEY) == SAMPLE[3]


def test_every_single_character_change_is_malformed() -> None:
    changes = 0
    for code in SAMPLE:
        compact = code.replace("-", "")
        for pos in range(CODE_CHARS):
            for ch in ALPHABET:
                if ch == compact[pos]:
                    continue
                changed = compact[:pos] + ch + compact[pos + 1 :]
                with pytest.raises(MalformedCodeError):
                    parse_code(changed)
                changes += 1
    assert changes == len(SAMPLE) * CODE_CHARS * (len(ALPHABET) - 1)


def test_every_transposition_is_malformed() -> None:
    swaps = 0
    for code in SAMPLE:
        compact = code.replace("-", "")
        for i in range(CODE_CHARS):
            for j in range(i + 1, CODE_CHARS):
                if compact[i] == compact[j]:
                    continue
                chars = list(compact)
                chars[i], chars[j] = chars[j], chars[i]
                with pytest.raises(MalformedCodeError, match="check character"):
                    parse_code("".join(chars))
                swaps += 1
    assert swaps > len(SAMPLE) * CODE_CHARS


def test_zero_z_swap_that_luhn_misses_is_caught() -> None:
    # A body with "0Z" adjacent: Luhn mod 32 cannot see this swap; the GF(32) sum can.
    for code in SAMPLE:
        compact = code.replace("-", "")
        chars = list(compact)
        chars[5], chars[6] = "0", "Z"
        body = "".join(chars[:-1])
        good = body + check_character(body)
        parse_code(good)
        swapped = good[:5] + "Z0" + good[7:]
        with pytest.raises(MalformedCodeError):
            parse_code(swapped)
        break


def test_random_two_character_changes_are_never_authentic() -> None:
    rng = random.Random(20250708)
    caught_by_check = 0
    trials = 20_000
    for _ in range(trials):
        compact = rng.choice(SAMPLE).replace("-", "")
        i, j = rng.sample(range(CODE_CHARS), 2)
        chars = list(compact)
        chars[i] = rng.choice(ALPHABET.replace(chars[i], ""))
        chars[j] = rng.choice(ALPHABET.replace(chars[j], ""))
        try:
            parsed = parse_code("".join(chars))
        except MalformedCodeError:
            caught_by_check += 1
            continue
        assert authenticating_key(parsed, [KEY]) is None
    # The check character alone catches about 31 in 32; the MAC catches the rest.
    assert caught_by_check / trials > 0.95


@pytest.mark.parametrize(
    "text,message",
    [
        ("ABC", "has 20 characters, this one has 3"),
        ("UUUUU-UUUUU-UUUUU-UUUUU", "found 'U'"),
        ("!2345-67890-ABCDE-FGHJK", "found '!'"),
    ],
)
def test_malformed_messages(text: str, message: str) -> None:
    with pytest.raises(MalformedCodeError, match=message):
        parse_code(text)


def test_code_made_with_another_key_does_not_authenticate() -> None:
    foreign = parse_code(issue_code(_binding(1), OTHER))
    assert authenticating_key(foreign, [KEY]) is None
    assert authenticating_key(foreign, [OTHER]) == OTHER


def test_rotation_keeps_old_codes_verifiable() -> None:
    old = parse_code(SAMPLE[5])
    assert authenticating_key(old, [NEW, KEY]) == KEY
    new = parse_code(issue_code(_binding(5), NEW))
    assert new.key_char == NEW.char
    assert authenticating_key(new, [NEW, KEY]) == NEW
    assert authenticating_key(new, [KEY]) is None


def test_changed_binding_does_not_match() -> None:
    parsed = parse_code(SAMPLE[7])
    b = _binding(7)
    for changed in (
        Binding(b.kind, b.uscc, b.date + dt.timedelta(days=1), *_rest(b)),
        Binding(b.kind, "91310120MA1H99999X", b.date, *_rest(b)),
        Binding("visit", b.uscc, b.date, b.departments, b.officers[1:], b.items, b.demand_ids),
        Binding("offsite", b.uscc, b.date, *_rest(b)),
    ):
        assert not binding_matches(parsed, changed, KEY)


def _rest(
    b: Binding,
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]:
    return b.departments, b.officers, b.items, b.demand_ids


def test_secret_is_not_in_repr() -> None:
    assert bytes(range(32)).hex() not in repr(KEY)
    assert "secret" not in repr(KEY)
