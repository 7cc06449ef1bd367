"""Worlds: the hidden mechanism that decides whether a synthetic inspection finds a violation.

The classic district lets one hidden latent class (A–D) drive everything a grader sees.
The other worlds keep the district — enterprises, relations, planning inputs and how often
enterprises are inspected — and change only what makes an inspection find a violation, so
that a learned risk model can be tried on data whose mechanism nobody wrote it for:

- ``history``: the enterprise's own record (state dependence) and a small personal term;
- ``trade``: a hidden effect per industry class (a 2-digit prefix effect plus a class
  deviation), unrelated to the catalogue's ``industry.risk``;
- ``relation``: a shared effect per relation group (legal representative, shareholder,
  branch) and the violations recently found at related enterprises;
- ``credit``: a hidden credit-badness drives adverse credit events, and the events in
  effect on the inspection day drive violations;
- ``mixed``: all four at moderate strength.

An inspection of enterprise e on day t finds a violation with probability
p(e, t) = sigmoid(alpha + the world's terms), every term taken from what happened before
t. History is simulated in date order in weekly batches: an inspection's terms use the
results of earlier weeks (never of its own week) and the credit events dated before t.
Whatever p the simulation used is the truth (``WorldOutcome``), written per inspection to
``truth_inspections.csv`` as ``p`` beside ``p_visible``: the same p with every term a
grader cannot see in the bundle set to zero — the personal effect (history, mixed) and the
relation group's shared effect (relation, mixed) — and clipped and rounded as p is. The
terms computed from what the bundle shows stay: the enterprise's own recorded results, the
trade code's effect, the adverse events of ``credit_events.csv`` and the violations
recorded at related enterprises. So ``p_visible`` equals ``p`` in the trade and credit
worlds, and in classic too, where a hidden class alone drives the results and no part of
p can be separated out as visible.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jointinspect.data.synthetic import activity as activity
from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic.activity import CreditEvents, Inspections
from jointinspect.data.synthetic.register import (
    FloatArray,
    IntArray,
    Register,
    classes_by_share,
)
from jointinspect.models.errors import JointInspectError

CLASSIC = "classic"

#: The worlds the generator makes, each with the line ``generate --help`` shows.
WORLDS: dict[str, str] = {
    CLASSIC: "a hidden risk class A–D drives credit, records and violations",
    "history": "own recent violations raise the odds (state dependence)",
    "trade": "a hidden effect of the industry class drives violations",
    "relation": "related enterprises share an effect and recent violations",
    "credit": "hidden credit-badness → adverse credit events → violations",
    "mixed": "all four mechanisms at moderate strength",
}

#: Relation kinds that tie enterprises into one group; a shared address does not.
RELATION_KINDS = ("legal_rep", "shareholder", "branch")

#: Windows of the record terms, in weekly batches (about two years and one year).
OWN_WINDOW_WEEKS = 104
CLEAN_WINDOW_WEEKS = 52
RELATED_WINDOW_WEEKS = 52
#: Counts beyond these add nothing: a long record must not push p to certainty.
OWN_CAP = 3
CLEAN_CAP = 3
RELATED_CAP = 3
#: An adverse credit event counts (its severity, 1–3) for this many days after its date.
CREDIT_EFFECT_DAYS = 730
CREDIT_CAP = 8.0
#: Propensity edges of the bands reported as ``latent_class`` A|B|C|D in the truth: the
#: geometric midpoints of the classic classes' base propensities, so that a band means
#: about the same in every world.
BAND_EDGES = (0.07, 0.19, 0.41)

#: Ordinals are below this; ``enterprise * _DAY_SPAN + day`` orders events by both.
_DAY_SPAN = 1 << 22


class UnknownWorldError(JointInspectError):
    """The requested world is not one the generator makes."""


def check_world(world: str) -> None:
    """Refuse a world the generator does not make."""
    if world not in WORLDS:
        raise UnknownWorldError(
            f"unknown world {world!r}",
            hint=f"choose one of {', '.join(WORLDS)}",
        )


@dataclass(frozen=True)
class WorldParams:
    """How strongly each mechanism moves the log-odds of a violation; 0 switches it off."""

    #: Log-odds of an enterprise with every term at zero.
    alpha: float
    #: Per violation found at the enterprise in the previous ``OWN_WINDOW_WEEKS``.
    own_violation: float = 0.0
    #: Taken off per compliant result in the previous ``CLEAN_WINDOW_WEEKS``.
    own_clean: float = 0.0
    #: Spread of a persistent personal term.
    personal_sd: float = 0.0
    #: Spread of the effect of a 2-digit industry prefix, and of a class around it.
    prefix_sd: float = 0.0
    class_sd: float = 0.0
    #: Spread of the effect shared by a relation group.
    group_sd: float = 0.0
    #: Per violation found at related enterprises in the previous ``RELATED_WINDOW_WEEKS``.
    related_violation: float = 0.0
    #: Per severity point of adverse credit events in effect.
    credit_point: float = 0.0

    @property
    def credit_driven(self) -> bool:
        """Whether credit events come from the hidden credit-badness (else as classic)."""
        return self.credit_point > 0


#: Strengths per world, chosen so that each single-mechanism world's signal stands out in
#: a few thousand inspections and the overall violation rate stays in the classic range
#: (10–25 %; classic has about 14 %). ``mixed`` has each mechanism at about 55–60 %.
PARAMS: dict[str, WorldParams] = {
    # Base 11 %; one recent violation takes an enterprise to about 35 %, two to 70 %,
    # three (the cap) to 92 %; a clean year pulls back a little; the personal term is
    # small (sd 0.4: odds ×1.5) so that the record, not a hidden trait, does the work.
    "history": WorldParams(alpha=-2.1, own_violation=1.5, own_clean=0.3, personal_sd=0.4),
    # An effect of about 1 log-odds between trades: a trade one sd either side of the
    # average violates at about 5 % or 27 %, as the riskiest and safest trades do in life.
    "trade": WorldParams(alpha=-2.0, prefix_sd=0.9, class_sd=0.5),
    # Only about a fifth of the register is in a relation group (mostly pairs), so the
    # group effect is large (one sd: 10 % → 34 %) for related enterprises to look alike in
    # the few inspections they have; each recent violation at a relation adds 1.
    "relation": WorldParams(alpha=-2.15, group_sd=1.5, related_violation=1.0),
    # Base 7 %; four severity points in effect (a tax grade D and two light penalties)
    # make 31 %, the cap of eight points 73 %.
    "credit": WorldParams(alpha=-2.6, credit_point=0.45),
    "mixed": WorldParams(
        alpha=-2.5,
        own_violation=0.8,
        own_clean=0.15,
        personal_sd=0.25,
        prefix_sd=0.5,
        class_sd=0.3,
        group_sd=0.9,
        related_violation=0.6,
        credit_point=0.25,
    ),
}


# --- the mechanisms ---------------------------------------------------------------------


def trade_effects(rng: np.random.Generator, params: WorldParams) -> FloatArray:
    """Log-odds effect of each catalogue industry: prefix effect plus class deviation.

    Drawn from the world's own stream, then centred and freed of any linear trace of the
    catalogue's ``industry.risk`` (weighted by the industries' shares of the register): by
    chance a draw over a few dozen trades can line up with it, and the world is meant to
    have a trade effect that no shipped table knows.
    """
    codes = [ind.code for ind in cat.INDUSTRIES]
    prefixes = sorted({code[:2] for code in codes})
    prefix = rng.normal(size=len(prefixes)) * params.prefix_sd
    deviation = rng.normal(size=len(codes)) * params.class_sd
    effect = prefix[[prefixes.index(code[:2]) for code in codes]] + deviation
    weight = np.array([ind.weight for ind in cat.INDUSTRIES])
    weight = weight / weight.sum()
    risk = np.array([ind.risk for ind in cat.INDUSTRIES])
    risk = risk - weight @ risk
    effect = effect - weight @ effect
    centred: FloatArray = effect - (weight @ (risk * effect)) / (weight @ (risk * risk)) * risk
    return centred


def relation_groups(reg: Register) -> tuple[IntArray, int]:
    """Each enterprise's relation group (0…n-1, by lowest member), -1 outside any group.

    Groups are the connected components of the ``RELATION_KINDS`` relations, found by
    propagating the lowest member index along the relations (with pointer jumping).
    """
    pairs = np.array(
        [(a, b) for a, b, kind in reg.relations if kind in RELATION_KINDS], dtype=np.int64
    ).reshape(-1, 2)
    a, b = pairs[:, 0], pairs[:, 1]
    label = np.arange(reg.size, dtype=np.int64)
    while True:
        low = np.minimum(label[a], label[b])
        fresh = label.copy()
        np.minimum.at(fresh, a, low)
        np.minimum.at(fresh, b, low)
        fresh = fresh[fresh]
        if np.array_equal(fresh, label):
            break
        label = fresh
    grouped = np.zeros(reg.size, dtype=bool)
    grouped[a] = True
    grouped[b] = True
    leaders, index = np.unique(label[grouped], return_inverse=True)
    groups = np.full(reg.size, -1, dtype=np.int64)
    groups[grouped] = index
    return groups, len(leaders)


def group_effects(
    rng: np.random.Generator, groups: IntArray, n_groups: int, params: WorldParams
) -> FloatArray:
    """Log-odds effect each enterprise shares with its relation group (0 outside one)."""
    shared = rng.normal(size=n_groups) * params.group_sd
    effect: FloatArray = np.where(groups >= 0, shared[np.maximum(groups, 0)], 0.0)
    return effect


def personal_effects(rng: np.random.Generator, n: int, params: WorldParams) -> FloatArray:
    """A small persistent log-odds term of each enterprise."""
    effect: FloatArray = rng.normal(size=n) * params.personal_sd
    return effect


def credit_classes(rng: np.random.Generator, n: int) -> IntArray:
    """Hidden credit-badness, banded into the catalogue's four event-rate classes (A–D
    shares as the classic latent classes) so that worse enterprises have more and graver
    adverse credit events."""
    return classes_by_share(rng.normal(size=n))


def own_record_term(violations: IntArray, clean: IntArray, params: WorldParams) -> FloatArray:
    """State dependence: recent violations raise the odds, recent clean results lower them."""
    raised = params.own_violation * np.minimum(violations, OWN_CAP)
    eased = params.own_clean * np.minimum(clean, CLEAN_CAP)
    term: FloatArray = raised - eased
    return term


def related_record_term(related_violations: IntArray, params: WorldParams) -> FloatArray:
    """Contagion: violations recently found at the other enterprises of the group."""
    term: FloatArray = params.related_violation * np.minimum(related_violations, RELATED_CAP)
    return term


def credit_term(points: FloatArray, params: WorldParams) -> FloatArray:
    """Adverse credit events in effect: their severity points raise the odds."""
    term: FloatArray = params.credit_point * np.minimum(points, CREDIT_CAP)
    return term


@dataclass(frozen=True)
class CreditLoad:
    """Adverse credit events keyed for fast look-up of the severity in effect on a day."""

    key: IntArray  # enterprise * _DAY_SPAN + day, ascending
    cumulative: FloatArray  # severity summed over the events before each key, and in all

    @classmethod
    def of(cls, events: CreditEvents) -> "CreditLoad":
        adverse = activity.ADVERSE_KIND[events.kind]
        # Events come sorted by enterprise and date, so the keys are ascending already.
        key = events.ent[adverse] * _DAY_SPAN + events.day[adverse]
        severity = events.severity[adverse].astype(np.float64)
        return cls(key, np.concatenate(([0.0], np.cumsum(severity))))

    def points(self, ent: IntArray, day: IntArray) -> FloatArray:
        """Severity of the enterprise's adverse events dated in the effect window before
        ``day`` (``day - CREDIT_EFFECT_DAYS`` up to the day before)."""
        base = ent * _DAY_SPAN + day
        low = np.searchsorted(self.key, base - CREDIT_EFFECT_DAYS, side="left")
        high = np.searchsorted(self.key, base, side="left")
        points: FloatArray = self.cumulative[high] - self.cumulative[low]
        return points


# --- one district's hidden world and its simulation --------------------------------------


@dataclass(frozen=True)
class World:
    """A world's hidden terms drawn for one district, before any inspection happens."""

    params: WorldParams
    static: FloatArray  # per enterprise: trade, group and personal effects
    #: per enterprise: the part of ``static`` a bundle file shows, the trade effect (through
    #: the trade code); the group and personal effects no bundle file shows.
    visible: FloatArray
    groups: IntArray  # relation group per enterprise, -1 outside any group
    n_groups: int
    credit: CreditLoad


@dataclass(frozen=True)
class WorldOutcome:
    """What the simulation did: per inspection (``history.csv`` order) and per enterprise."""

    result: IntArray  # 0 compliant, 1 minor, 2 violation
    p: FloatArray  # the violation probability the simulation used, 4 decimals
    #: the same with the hidden terms (group and personal effects) at zero, clipped and
    #: rounded as ``p``: what a grader could know
    p_visible: FloatArray
    propensity: FloatArray  # per enterprise: p(e, as_of + 1 day) given everything to as_of
    logit: FloatArray  # per enterprise: the log-odds behind ``propensity``


def draw_world(
    params: WorldParams,
    rng: Callable[[str], np.random.Generator],
    reg: Register,
    events: CreditEvents,
) -> World:
    """Draw the world's hidden terms; ``rng(stage)`` gives the world's stream for a stage."""
    industry = trade_effects(rng("trade"), params)[reg.industry]
    groups, n_groups = relation_groups(reg)
    shared = group_effects(rng("groups"), groups, n_groups, params)
    personal = personal_effects(rng("personal"), reg.size, params)
    return World(
        params,
        industry + shared + personal,
        industry,
        groups,
        n_groups,
        CreditLoad.of(events),
    )


def probability(logit: FloatArray) -> FloatArray:
    """sigmoid, kept within the classic propensity bounds and rounded to 4 decimals (the
    value compared with the draw, so that the truth file holds exactly what was used)."""
    low, high = cat.PROPENSITY_BOUNDS
    sigmoid = 1.0 / (1.0 + np.exp(-logit))
    p: FloatArray = np.round(np.clip(sigmoid, low, high), 4).astype(np.float64)
    return p


def bands(propensity: FloatArray) -> IntArray:
    """``latent_class`` of the truth (0..3 = A..D) as bands of the propensity."""
    banded: IntArray = np.searchsorted(np.array(BAND_EDGES), propensity, side="right")
    return banded


class _Record:
    """Results of earlier batches still inside each window, counted per enterprise and
    per relation group; a batch leaves a window ``window + 1`` batches after it was added."""

    def __init__(self, n: int, groups: IntArray, n_groups: int) -> None:
        self.groups = groups
        self.violations = np.zeros(n, dtype=np.int64)  # own, OWN_WINDOW_WEEKS
        self.recent_violations = np.zeros(n, dtype=np.int64)  # own, RELATED_WINDOW_WEEKS
        self.clean = np.zeros(n, dtype=np.int64)  # own compliant, CLEAN_WINDOW_WEEKS
        self.group_violations = np.zeros(n_groups, dtype=np.int64)  # RELATED_WINDOW_WEEKS
        self.batches: list[tuple[IntArray, IntArray]] = []  # (violating, compliant) ents

    def add(self, ent: IntArray, result: IntArray) -> None:
        violating, compliant = ent[result == 2], ent[result == 0]
        np.add.at(self.violations, violating, 1)
        np.add.at(self.recent_violations, violating, 1)
        np.add.at(self.clean, compliant, 1)
        np.add.at(self.group_violations, self._grouped(violating), 1)
        self.batches.append((violating, compliant))

    def expire(self, batch: int) -> None:
        """Drop what falls out of the windows before ``batch`` starts."""
        if batch - OWN_WINDOW_WEEKS - 1 >= 0:
            violating, _ = self.batches[batch - OWN_WINDOW_WEEKS - 1]
            np.subtract.at(self.violations, violating, 1)
        if batch - CLEAN_WINDOW_WEEKS - 1 >= 0:
            _, compliant = self.batches[batch - CLEAN_WINDOW_WEEKS - 1]
            np.subtract.at(self.clean, compliant, 1)
        if batch - RELATED_WINDOW_WEEKS - 1 >= 0:
            violating, _ = self.batches[batch - RELATED_WINDOW_WEEKS - 1]
            np.subtract.at(self.recent_violations, violating, 1)
            np.subtract.at(self.group_violations, self._grouped(violating), 1)

    def terms(self, ent: IntArray, params: WorldParams) -> FloatArray:
        """The record terms (own and related) of these enterprises now."""
        group = self.groups[ent]
        # The group's recent violations less the enterprise's own: what its relations did.
        related = np.where(
            group >= 0,
            self.group_violations[np.maximum(group, 0)] - self.recent_violations[ent],
            0,
        )
        own = own_record_term(self.violations[ent], self.clean[ent], params)
        return own + related_record_term(related, params)

    def _grouped(self, ent: IntArray) -> IntArray:
        group = self.groups[ent]
        kept: IntArray = group[group >= 0]
        return kept


def simulate(
    rng: np.random.Generator, world: World, inspections: Inspections, as_of: dt.date
) -> WorldOutcome:
    """Run the inspections in date order, in weekly batches that end on ``as_of``."""
    params = world.params
    weeks = cat.HISTORY_DAYS // 7 + 2
    anchor = as_of.toordinal() + 1 - 7 * weeks  # batch ``weeks`` would start on as_of + 1
    week = (inspections.day - anchor) // 7
    order = np.argsort(week, kind="stable")
    bounds = np.searchsorted(week[order], np.arange(weeks + 1))
    u = rng.random(inspections.size)
    # Credit events are not results of the simulation: their exact dates can be used.
    credit = credit_term(world.credit.points(inspections.ent, inspections.day), params)
    fixed = params.alpha + world.static[inspections.ent] + credit
    # The same without the hidden effects, summed afresh (not ``fixed`` less them) so that
    # it is rounded from exactly the visible terms: equal to ``fixed`` where none are hidden.
    fixed_visible = params.alpha + world.visible[inspections.ent] + credit
    record = _Record(len(world.static), world.groups, world.n_groups)
    p = np.zeros(inspections.size, dtype=np.float64)
    p_visible = np.zeros(inspections.size, dtype=np.float64)
    result = np.zeros(inspections.size, dtype=np.int64)
    for batch in range(weeks):
        record.expire(batch)
        rows = order[bounds[batch] : bounds[batch + 1]]
        ent = inspections.ent[rows]
        terms = record.terms(ent, params)
        p[rows] = probability(fixed[rows] + terms)
        p_visible[rows] = probability(fixed_visible[rows] + terms)
        result[rows] = activity.results(u[rows], p[rows])
        record.add(ent, result[rows])
    record.expire(weeks)
    everyone = np.arange(len(world.static), dtype=np.int64)
    tomorrow = np.full(len(everyone), as_of.toordinal() + 1, dtype=np.int64)
    logit = (
        params.alpha
        + world.static
        + record.terms(everyone, params)
        + credit_term(world.credit.points(everyone, tomorrow), params)
    )
    return WorldOutcome(result, p, p_visible, probability(logit), logit)
