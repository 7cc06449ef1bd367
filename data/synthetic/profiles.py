"""Stress profiles: districts of other shapes than the default, for benchmarks and tests.

The default district is one shape: officers plentiful (most departments at their standing
force), few departments per enterprise, triggers sparse, towns of similar size. The
planner's cost depends on that shape, so each profile below but the last changes one
dimension and keeps everything else — the register, the random streams, the files written:

- ``tight``: officers sized to the work alone (no standing force) at a high utilisation,
  so that officer-days are scarce and the choice of day and team matters;
- ``multi``: departments plan and draw more at the same enterprises, so that visits are
  joint visits of several departments;
- ``dense``: ten times the triggers — narrow windows, visits that must not be dropped;
- ``bigtown``: most enterprises (and officers) in two very large towns;
- ``every``: all four at once, to see how they compound: a district none of us drew may
  be several of these shapes at a time.

``default`` changes nothing: its files are byte for byte those of the generator without
profiles (the shipped sample pins them).
"""

import math
from dataclasses import dataclass, replace
from decimal import Decimal

from jointinspect.data.synthetic import catalog as cat
from jointinspect.models.errors import JointInspectError

DEFAULT = "default"


class UnknownProfileError(JointInspectError):
    """The requested stress profile is not one the generator knows."""


@dataclass(frozen=True)
class Profile:
    """How a profile departs from the catalogue's district (1.0 and None: not at all)."""

    name: str
    summary: str
    #: Share of the officers' capacity the quarter's expected visits may use.
    max_utilisation: float = cat.MAX_UTILISATION
    #: Factor on each department's standing force (officers per 1,000 enterprises).
    officer_floor: float = 1.0
    #: Factors on the chance that an enterprise gets a department demand, on the 双随机
    #: ratios and on the chance of a trigger (each capped at 1).
    demand_rate: float = 1.0
    sampling_rate: float = 1.0
    trigger_rate: float = 1.0
    #: Share of enterprises per town (in the catalogue's town order), or the catalogue's.
    town_weights: tuple[float, ...] | None = None

    def demand_rules(self) -> tuple[cat.DemandRule, ...]:
        return _scaled_rules(cat.DEMAND_RULES, self.demand_rate)

    def trigger_rules(self) -> tuple[cat.DemandRule, ...]:
        return _scaled_rules(cat.TRIGGER_RULES, self.trigger_rate)

    def sampling(self) -> tuple[cat.SamplingSpec, ...]:
        if self.sampling_rate == 1.0:
            return cat.SAMPLING
        return tuple(
            replace(
                spec,
                ratios=tuple(_scaled_ratio(r, self.sampling_rate) for r in spec.ratios),  # type: ignore[arg-type]
            )
            for spec in cat.SAMPLING
        )

    def towns(self) -> tuple[float, ...]:
        return self.town_weights or tuple(t.weight for t in cat.TOWNS)


def _scaled_rules(rules: tuple[cat.DemandRule, ...], factor: float) -> tuple[cat.DemandRule, ...]:
    if factor == 1.0:
        return rules
    return tuple(
        replace(rule, per_class=tuple(min(1.0, p * factor) for p in rule.per_class))  # type: ignore[arg-type]
        for rule in rules
    )


def _scaled_ratio(ratio: str, factor: float) -> str:
    """An exact decimal ratio times ``factor``, at most 1, with two decimals at most."""
    scaled = min(Decimal(1), Decimal(ratio) * Decimal(str(factor)))
    hundredths = math.ceil(scaled * 100)
    return str((Decimal(hundredths) / 100).normalize())


def _bigtown_weights() -> tuple[float, ...]:
    """南桥镇 and 奉城镇 hold 45 % and 30 % of the district; the other ten share 25 %."""
    big = {"南桥镇": 0.45, "奉城镇": 0.30}
    rest = (1.0 - sum(big.values())) / (len(cat.TOWNS) - len(big))
    return tuple(big.get(t.name, rest) for t in cat.TOWNS)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(DEFAULT, "the catalogue's district: plentiful officers, sparse triggers"),
        Profile(
            "tight",
            "officers sized to the work alone, at 90 % of their capacity",
            max_utilisation=0.9,
            officer_floor=0.0,
        ),
        Profile(
            "multi",
            "three times the demands, twice the draw: joint visits of many departments",
            demand_rate=3.0,
            sampling_rate=2.0,
        ),
        Profile(
            "dense",
            "ten times the triggers: narrow windows, never-dropped visits",
            trigger_rate=10.0,
        ),
        Profile(
            "bigtown",
            "three quarters of the district in two very large towns",
            town_weights=_bigtown_weights(),
        ),
        Profile(
            "every",
            "all four stresses at once: tight, multi, dense and bigtown together",
            max_utilisation=0.9,
            officer_floor=0.0,
            demand_rate=3.0,
            sampling_rate=2.0,
            trigger_rate=10.0,
            town_weights=_bigtown_weights(),
        ),
    )
}


def profile(name: str) -> Profile:
    """The profile called ``name``; a one-line error naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(
            f"unknown profile {name!r}",
            hint=f"choose one of {', '.join(PROFILES)}",
        ) from None
