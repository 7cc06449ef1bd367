"""The second random of 双随机: officers are drawn at random among equally good ones.

The draw for one visit and department is seeded by ``sha512("{seed}|{visit}|{department}")``
(Python's ``random.Random`` seeded with a string hashes it with SHA-512, the same on every
machine), so an auditor holding the published seed can redo it: it takes ``k`` of the tied
officers, listed by id, by ``random.sample``.
"""

import random
from collections.abc import Sequence


def draw(seed: str, visit_key: str, department: str, tied: Sequence[str], k: int) -> list[str]:
    """``k`` officer ids from ``tied`` (all equally good), reproducibly from the seed."""
    ordered = sorted(tied)
    return [ordered[p] for p in draw_positions(seed, visit_key, department, len(ordered), k)]


def draw_positions(seed: str, visit_key: str, department: str, n: int, k: int) -> list[int]:
    """The draw of :func:`draw` as positions among the ``n`` tied officers listed by id,
    ascending: what the planner uses, its officers being numbered in id order.
    ``random.sample`` picks positions whatever the list holds, so sampling the positions
    takes the same officers as sampling their ids."""
    if k >= n:
        return list(range(n))
    rng = random.Random(f"{seed}|{visit_key}|{department}")
    return sorted(rng.sample(range(n), k))
