"""The second random of 双随机: officers are drawn at random among equally good ones.

The draw for one visit and department is seeded by ``sha512("{seed}|{visit}|{department}")``
(Python's ``random.Random`` seeded with a string hashes it with SHA-512, the same on every
machine), so an auditor holding the published seed can redo it.
"""

import random
from collections.abc import Sequence


def draw(seed: str, visit_key: str, department: str, tied: Sequence[str], k: int) -> list[str]:
    """``k`` officer ids from ``tied`` (all equally good), reproducibly from the seed."""
    if k >= len(tied):
        return sorted(tied)
    rng = random.Random(f"{seed}|{visit_key}|{department}")
    return sorted(rng.sample(sorted(tied), k))
