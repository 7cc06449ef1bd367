"""Which items apply to which industries (items.csv ``industries`` column)."""

from functools import lru_cache


@lru_cache(maxsize=4096)
def parse_industries(spec: str) -> tuple[str, ...]:
    """The classes or prefixes of an ``industries`` cell; ``("*",)`` means every industry."""
    parts = tuple(sorted({p.strip() for p in spec.split(";") if p.strip()}))
    return ("*",) if "*" in parts else parts


def applies(spec: str, industry: str) -> bool:
    """True when an item whose ``industries`` cell is ``spec`` applies to ``industry``."""
    prefixes = parse_industries(spec)
    return prefixes == ("*",) or industry.startswith(prefixes)
