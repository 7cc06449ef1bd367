"""Measure how inspection codes catch typing errors and forgeries.

    python benchmarks/bench_codes.py [--codes 200] [--trials 200000]

Prints, for a sample of codes: single substitutions and transpositions caught by the
check character (exhaustive), and random 2- and 3-character changes caught by the check
character alone, then by the MAC (a change that passes the check must still carry a tag
made with the key).
"""

import argparse
import datetime as dt
import random

from jointinspect.models.codes import (
    ALPHABET,
    CODE_CHARS,
    TAG_BITS,
    Binding,
    CodeKey,
    MalformedCodeError,
    authenticating_key,
    issue_code,
    parse_code,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=200)
    parser.add_argument("--trials", type=int, default=200_000)
    args = parser.parse_args()
    key = CodeKey("k1", bytes(range(32)))
    codes = [
        issue_code(
            Binding(
                "visit", f"U{n}", dt.date(2025, 7, 1), ("SCJ",), (("SCJ", "a"),), ("i",), (f"D{n}",)
            ),
            key,
        ).replace("-", "")
        for n in range(args.codes)
    ]

    def caught(text: str) -> bool:
        try:
            parse_code(text)
        except MalformedCodeError:
            return True
        return False

    subs = [
        c[:i] + ch + c[i + 1 :]
        for c in codes
        for i in range(CODE_CHARS)
        for ch in ALPHABET
        if ch != c[i]
    ]
    print(
        f"single substitutions: {sum(map(caught, subs))}/{len(subs)} caught by the check character"
    )
    swaps = []
    adjacent = 0
    for c in codes:
        for i in range(CODE_CHARS):
            for j in range(i + 1, CODE_CHARS):
                if c[i] != c[j]:
                    s = list(c)
                    s[i], s[j] = s[j], s[i]
                    swaps.append("".join(s))
                    adjacent += j == i + 1
    print(
        f"transpositions (any distance, {adjacent} adjacent): "
        f"{sum(map(caught, swaps))}/{len(swaps)} caught"
    )
    rng = random.Random(1)
    for k in (2, 3):
        by_check = by_mac = 0
        for _ in range(args.trials):
            s = list(rng.choice(codes))
            for pos in rng.sample(range(CODE_CHARS), k):
                s[pos] = rng.choice(ALPHABET.replace(s[pos], ""))
            text = "".join(s)
            if caught(text):
                by_check += 1
            elif authenticating_key(parse_code(text), [key]) is None:
                by_mac += 1
        rest = args.trials - by_check - by_mac
        print(
            f"random {k}-character changes: {by_check / args.trials:.4%} malformed (check), "
            f"{by_mac / args.trials:.4%} forged (MAC), {rest} accepted as authentic"
        )
    print(f"MAC: {TAG_BITS}-bit tag (forgery chance 2^-{TAG_BITS} per try) + 40-bit keyed binding")


if __name__ == "__main__":
    main()
