"""The 双随机 draw of enterprises, exactly as spec §3 says, so anyone can redo it.

For each rule (department, item, grade, ratio) the population is every active enterprise
of that grade to whose industry the item applies, less — for items of mode ``onsite`` —
the enterprises on the no-disturb list on the first day of the quarter. Of N, the k =
ceil(ratio × N) enterprises with the smallest ``sha256(f"{seed}|{department}|{item}|{uscc}")``
hex digests are drawn. The ratio is an exact decimal: 0.07 × 100 is 7, not 7.000000001.
"""

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from hashlib import sha256
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from jointinspect.models.industry import applies


class SamplingRuleError(ValueError):
    """A sampling rule's ratio is not a decimal between 0 and 1."""


@dataclass(frozen=True, slots=True)
class SamplingRuleSpec:
    department: str
    item: str
    grade: str
    ratio: str  # exact decimal text, e.g. "0.07"
    item_industries: str  # the item's ``industries`` cell
    item_onsite_only: bool  # item mode is ``onsite``


@dataclass(frozen=True, slots=True)
class Candidate:
    """One enterprise as the draw sees it."""

    uscc: str
    industry: str
    grade: str
    active: bool
    no_disturb_on_quarter_start: bool


class Draw(NamedTuple):
    """One drawn enterprise: a district draws hundreds of thousands, and a tuple is made
    at a third of a frozen dataclass's cost."""

    department: str
    item: str
    uscc: str
    digest: str

    @property
    def demand_id(self) -> str:
        """Spec §2: a drawn demand is ``R:{department}:{item}:{uscc}``."""
        return f"R:{self.department}:{self.item}:{self.uscc}"


def sample_size(ratio: str, population: int) -> int:
    """k = ceil(ratio × N) computed on exact decimals."""
    try:
        value = Decimal(ratio)
    except InvalidOperation as exc:
        raise SamplingRuleError(f"ratio {ratio!r} is not a decimal number") from exc
    if not value.is_finite() or not 0 <= value <= 1:
        raise SamplingRuleError(f"ratio {ratio!r} is outside 0–1")
    return math.ceil(value * population)


def digest(seed: str, department: str, item: str, uscc: str) -> str:
    return hashlib.sha256(f"{seed}|{department}|{item}|{uscc}".encode()).hexdigest()


def population(rule: SamplingRuleSpec, candidates: Iterable[Candidate]) -> list[str]:
    """The USCCs the rule draws from, sorted."""
    return sorted(
        c.uscc
        for c in candidates
        if c.active
        and c.grade == rule.grade
        and applies(rule.item_industries, c.industry)
        and not (rule.item_onsite_only and c.no_disturb_on_quarter_start)
    )


def draw_for_rule(seed: str, rule: SamplingRuleSpec, candidates: Iterable[Candidate]) -> list[Draw]:
    """The enterprises one rule draws, in digest order: spec §3 read word for word."""
    pool = population(rule, candidates)
    k = sample_size(rule.ratio, len(pool))
    keyed = sorted((digest(seed, rule.department, rule.item, u), u) for u in pool)
    return [Draw(rule.department, rule.item, u, d) for d, u in keyed[:k]]


def draw(
    seed: str, rules: Sequence[SamplingRuleSpec], candidates: Sequence[Candidate]
) -> list[Draw]:
    """The whole draw: every rule in (department, item, grade) order.

    Gives exactly what ``draw_for_rule`` gives rule by rule (a test holds them equal); see
    :func:`draw_columns`, which it is, for candidates given one by one.
    """
    return draw_columns(seed, rules, CandidateColumns.of(candidates))


@dataclass(frozen=True)
class CandidateColumns:
    """The candidates as parallel columns, one entry per enterprise (USCCs unique)."""

    uscc: Sequence[str]
    industry: Sequence[str]
    grade: Sequence[str]
    active: NDArray[np.bool_]
    no_disturb_on_quarter_start: NDArray[np.bool_]

    @classmethod
    def of(cls, candidates: Sequence[Candidate]) -> "CandidateColumns":
        return cls(
            [c.uscc for c in candidates],
            [c.industry for c in candidates],
            [c.grade for c in candidates],
            np.fromiter((c.active for c in candidates), np.bool_, len(candidates)),
            np.fromiter(
                (c.no_disturb_on_quarter_start for c in candidates), np.bool_, len(candidates)
            ),
        )


def draw_columns(
    seed: str, rules: Sequence[SamplingRuleSpec], candidates: CandidateColumns
) -> list[Draw]:
    """The whole draw over columns: every rule in (department, item, grade) order.

    Made fast for a district of 650,000 without changing a single draw: populations are
    boolean masks over the columns (``applies`` once per distinct industry), and of a
    population's digests only the first eight bytes go to numpy to find the k smallest —
    the full digests settle the order among those, so ties in eight bytes change nothing.
    In three steps, which a caller may spread over processes: :func:`draw_tasks` (the
    populations), :func:`smallest_digests` (the hashing, nearly all the time) and
    :func:`assemble_draws`.
    """
    tasks = draw_tasks(rules, candidates)
    encoded = encoded_usccs(candidates)
    return assemble_draws(tasks, smallest_digests(seed, tasks, encoded), candidates)


@dataclass(frozen=True)
class DrawTask:
    """One rule's share of the draw: its population (positions among the candidates,
    ascending) and how many of it are drawn (at least one)."""

    department: str
    item: str
    pool: NDArray[np.int64]
    k: int

    @property
    def prefix(self) -> bytes:
        """What each digest hashes before the USCC: ``{seed}|`` is put in front."""
        return f"|{self.department}|{self.item}|".encode()


def draw_tasks(rules: Sequence[SamplingRuleSpec], candidates: CandidateColumns) -> list[DrawTask]:
    """The rules' populations, in (department, item, grade) order; rules that draw no one
    are left out (a bad ratio is an error all the same)."""
    industries, industry_of = _factor(candidates.industry)
    grades, grade_of = _factor(candidates.grade)
    of_grade = {g: grade_of == n for n, g in enumerate(grades)}
    quiet = candidates.no_disturb_on_quarter_start
    # An item's population before the grade, made once for its rules of the four grades.
    eligible: dict[tuple[str, bool], NDArray[np.bool_]] = {}
    tasks: list[DrawTask] = []
    for rule in sorted(rules, key=lambda r: (r.department, r.item, r.grade)):
        if rule.grade not in of_grade:
            sample_size(rule.ratio, 0)  # a bad ratio is an error whatever the population
            continue
        kind = (rule.item_industries, rule.item_onsite_only)
        if kind not in eligible:
            fits = np.fromiter(
                (applies(rule.item_industries, i) for i in industries), np.bool_, len(industries)
            )
            mask = candidates.active & fits[industry_of]
            eligible[kind] = mask & ~quiet if rule.item_onsite_only else mask
        pool = np.flatnonzero(eligible[kind] & of_grade[rule.grade]).astype(np.int64)
        k = sample_size(rule.ratio, len(pool))
        if k > 0:
            tasks.append(DrawTask(rule.department, rule.item, pool, k))
    return tasks


def encoded_usccs(candidates: CandidateColumns) -> list[bytes]:
    """The candidates' USCCs as the bytes the digests hash."""
    return list(map(str.encode, candidates.uscc))


def smallest_digests(
    seed: str, tasks: Sequence[DrawTask], encoded: Sequence[bytes]
) -> list[list[tuple[int, str]]]:
    """Per task, its ``k`` drawn candidates as (position, hex digest), smallest first."""
    head = seed.encode()
    out: list[list[tuple[int, str]]] = []
    for task in tasks:
        prefix = head + task.prefix
        pool = task.pool.tolist()
        digests = [sha256(prefix + encoded[i]).digest() for i in pool]
        out.append([(pool[j], digests[j].hex()) for j in _smallest(digests, task.k)])
    return out


def assemble_draws(
    tasks: Sequence[DrawTask],
    chosen: Sequence[Sequence[tuple[int, str]]],
    candidates: CandidateColumns,
) -> list[Draw]:
    """The draws of ``tasks`` from what :func:`smallest_digests` chose for each."""
    uscc = candidates.uscc
    return [
        Draw(task.department, task.item, uscc[position], hexdigest)
        for task, picks in zip(tasks, chosen, strict=True)
        for position, hexdigest in picks
    ]


def _factor(values: Sequence[str]) -> tuple[list[str], NDArray[np.intp]]:
    """The distinct values (first-seen order) and each entry's index among them."""
    # Both passes run in C (dict.fromkeys, map over a dict's lookup): a generator doing
    # the same took most of a second for a district's 650,000 enterprises.
    distinct = list(dict.fromkeys(values))
    index = dict(zip(distinct, range(len(distinct)), strict=True))
    return distinct, np.fromiter(map(index.__getitem__, values), np.intp, len(values))


def _smallest(digests: list[bytes], k: int) -> list[int]:
    """Positions of the ``k`` smallest digests, smallest first (bytes order is hex order)."""
    if k < len(digests):
        head = np.frombuffer(b"".join(digests), dtype=">u8")[::4]
        cut = head[np.argpartition(head, k - 1)[:k]].max()
        # Everything at or under the k-th smallest head, ties at the cut included.
        candidates = np.flatnonzero(head <= cut).tolist()
    else:
        candidates = list(range(len(digests)))
    candidates.sort(key=digests.__getitem__)
    return candidates[:k]
