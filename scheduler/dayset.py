"""Sets of working-day indices as sorted, disjoint, inclusive intervals.

Windows are intervals; a no-disturb period cut out of a window leaves at most two. Keeping
them as intervals (not expanded lists of days) keeps a quarter's worth of demands small.
"""

import itertools
from collections.abc import Iterable

DaySet = tuple[tuple[int, int], ...]


def interval(lo: int, hi: int) -> DaySet:
    return ((lo, hi),) if lo <= hi else ()


def normalise(parts: Iterable[tuple[int, int]]) -> DaySet:
    """Sorted, merged, non-empty intervals."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(p for p in parts if p[0] <= p[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def intersect(a: DaySet, b: DaySet) -> DaySet:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: DaySet, b: DaySet) -> DaySet:
    out: list[tuple[int, int]] = []
    for lo, hi in a:
        start = lo
        for blo, bhi in b:
            if bhi < start or blo > hi:
                continue
            if blo > start:
                out.append((start, blo - 1))
            start = max(start, bhi + 1)
        if start <= hi:
            out.append((start, hi))
    return tuple(out)


def contains(a: DaySet, day: int) -> bool:
    return any(lo <= day <= hi for lo, hi in a)


def days(a: DaySet) -> Iterable[int]:
    """The days of ``a``, ascending. Most sets are one interval: its range, which the
    construction walks for every visit (millions of days a district) at C speed."""
    if len(a) == 1:
        return range(a[0][0], a[0][1] + 1)
    return itertools.chain.from_iterable(range(lo, hi + 1) for lo, hi in a)


def size(a: DaySet) -> int:
    return sum(hi - lo + 1 for lo, hi in a)


def last(a: DaySet) -> int:
    return a[-1][1]


def first(a: DaySet) -> int:
    return a[0][0]
