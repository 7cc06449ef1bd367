"""统一社会信用代码 (unified social credit code) as GB 32100-2015 defines it.

18 characters from a 31-character set; the 18th is a check character computed from the
first 17 with fixed weights, modulo 31. Characters 9–17 are the organisation code of
GB 11714, whose 9th character is itself a check over the first 8 (modulo 11).
"""

from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
#: GB 32100 weights of the first 17 characters (3**i mod 31).
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: GB 11714 weights of the organisation code body (characters 9–16).
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714 body characters
LENGTH = 18


@dataclass(frozen=True, slots=True)
class UsccProblem:
    """Why a string is not a well-formed USCC; ``fatal`` is False for a bad check character."""

    message: str
    fatal: bool


def check_character(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_check_character(first8: str) -> str:
    """The GB 11714 check character of an organisation code body (characters 9–16)."""
    total = sum(ORG_CHARSET.index(ch) * w for ch, w in zip(first8, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def complete(first17: str) -> str:
    """``first17`` followed by its check character."""
    return first17 + check_character(first17)


def validate(code: str) -> UsccProblem | None:
    """None when ``code`` is a valid USCC, else what is wrong with it."""
    if len(code) != LENGTH:
        return UsccProblem(f"USCC must have 18 characters, found {len(code)} ({code!r})", True)
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        shown = "".join(bad)
        return UsccProblem(
            f"USCC {code!r} has characters outside 0-9A-HJ-NPQRTUWXY: {shown!r}"
            " (letters I, O, S, V, Z and lower case are never used)",
            True,
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return UsccProblem(
            f"USCC {code!r} has check character {code[17]!r}, GB 32100-2015 gives {expected!r}",
            False,
        )
    return None
