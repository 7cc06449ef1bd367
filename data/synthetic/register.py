"""The synthetic enterprise register: codes, names, places, owners and the hidden risk.

Every enterprise is a row of parallel numpy arrays (``Register``), sorted by USCC so that
all later stages and every written file follow the same order. The hidden latent class
and violation propensity are drawn here; nothing downstream sees them except through
what they cause (credit events, records, inspection results).
"""

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.data.synthetic import catalog as cat
from jointinspect.models.industry import applies
from jointinspect.models.uscc import CHARSET, ORG_CHARSET, ORG_WEIGHTS, WEIGHTS

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_AREA = "310120"  # 上海市奉贤区
_USCC_WEIGHTS = np.array(WEIGHTS)
_ORG_WEIGHTS = np.array(ORG_WEIGHTS)
_MA_TAIL = 5  # characters after "MA1" in a 2015-style organisation code
_DEDUPE_ROUNDS = 50
#: Pre-2015 organisation codes of the district start with a non-zero digit.
_OLD_CODES_FROM = 10**7


@dataclass(frozen=True)
class Register:
    """The enterprises, one index per enterprise, sorted by USCC."""

    uscc: list[str]
    name: list[str]
    address: list[str]
    industry: IntArray  # index into cat.INDUSTRIES
    town: IntArray  # index into cat.TOWNS
    lat: FloatArray
    lon: FloatArray
    opened: IntArray  # proleptic ordinal of the opening day
    closed: BoolArray
    person: IntArray  # legal representative (index of a person)
    person_id: list[str]
    latent: IntArray  # 0..3 = A..D
    score: FloatArray  # the continuous latent score behind the class
    propensity: FloatArray  # violation probability of one inspection, rounded to 4 places
    #: (a, b, kind) index pairs, a < b for symmetric kinds, parent first otherwise.
    relations: list[tuple[int, int, str]]

    @property
    def size(self) -> int:
        return len(self.uscc)

    @property
    def active(self) -> BoolArray:
        return ~self.closed


def industry_applies(spec: str) -> BoolArray:
    """For each catalogue industry, whether an ``industries`` cell ``spec`` covers it."""
    return np.array([applies(spec, ind.code) for ind in cat.INDUSTRIES])


def make_register(
    rng: np.random.Generator,
    n: int,
    as_of: dt.date,
    town_weights: tuple[float, ...] | None = None,
) -> Register:
    """Draw ``n`` enterprises as of ``as_of``; ``town_weights`` (the catalogue's when
    None) are the towns' shares of them."""
    ind_weights = np.array([i.weight for i in cat.INDUSTRIES])
    industry = rng.choice(len(cat.INDUSTRIES), size=n, p=ind_weights / ind_weights.sum())
    individual_share = np.array([i.individual_share for i in cat.INDUSTRIES])
    individual = rng.random(n) < individual_share[industry]

    age = 30 + rng.exponential(cat.AGE_MEAN_DAYS, size=n)
    age = np.where(age > cat.AGE_MAX_DAYS, rng.uniform(30, cat.AGE_MAX_DAYS, size=n), age)
    opened = as_of.toordinal() - age.astype(np.int64)

    # Branches (分公司) copy their parent's trade and open after it.
    companies = np.flatnonzero(~individual)
    n_branch = int(len(companies) * cat.BRANCH_SHARE)
    picks = rng.permutation(companies)
    branches, parent_pool = picks[:n_branch], picks[n_branch:]
    parents = parent_pool[rng.integers(0, max(len(parent_pool), 1), size=n_branch)]
    industry[branches] = industry[parents]
    opened[branches] = np.maximum(opened[branches], opened[parents] + 30)
    opened = np.minimum(opened, as_of.toordinal() - 1)

    # Subsidiaries: a company holds shares of another.
    n_sub = int(len(companies) * cat.SHAREHOLDER_SHARE)
    subs = rng.choice(parent_pool, size=min(n_sub, len(parent_pool)), replace=False)
    holders = parent_pool[rng.integers(0, max(len(parent_pool), 1), size=len(subs))]
    keep = holders != subs
    subs, holders = subs[keep], holders[keep]

    # Legal representatives: most run one enterprise, some run several.
    n_people = max(1, round(n * (1 - cat.SHARED_LEGAL_REP_SHARE)))
    person = np.empty(n, dtype=np.int64)
    order = rng.permutation(n)
    person[order[:n_people]] = np.arange(n_people)
    person[order[n_people:]] = rng.integers(0, n_people, size=n - n_people)

    score = _latent_score(rng, industry, person, n_people, (branches, parents), (subs, holders))
    latent = classes_by_share(score)
    propensity = _propensity(rng, latent, industry)
    closed_p = np.array(cat.CLOSED_BY_CLASS)[latent]
    closed = rng.random(n) < closed_p

    codes = _usccs(rng, individual, opened)
    sort = np.argsort(codes, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[sort] = np.arange(n)

    industry, individual, opened = industry[sort], individual[sort], opened[sort]
    person, score, latent = person[sort], score[sort], latent[sort]
    propensity, closed = propensity[sort], closed[sort]
    uscc = codes[sort].tolist()
    branches, parents = rank[branches], rank[parents]
    subs, holders = rank[subs], rank[holders]

    town = rng.choice(len(cat.TOWNS), size=n, p=_town_weights(town_weights))
    groups = _address_groups(rng, n)
    for members in groups:
        town[members] = town[members[0]]
    lat, lon = _coordinates(rng, town)
    address = _addresses(rng, town, individual)
    for members in groups:
        lead = int(members[0])
        for m in members[1:]:
            address[int(m)] = address[lead]
            lat[m], lon[m] = lat[lead], lon[lead]

    name = _names(rng, industry, town, individual)
    _name_branches(name, town, branches, parents)

    relations = _relations(person, groups, branches, parents, subs, holders)
    person_code = rng.permutation(n_people) + 10_000_000
    person_id = [f"P{c}" for c in person_code[person].tolist()]
    return Register(
        uscc=uscc,
        name=name,
        address=address,
        industry=industry,
        town=town,
        lat=lat,
        lon=lon,
        opened=opened,
        closed=closed,
        person=person,
        person_id=person_id,
        latent=latent,
        score=score,
        propensity=propensity,
        relations=relations,
    )


def _latent_score(
    rng: np.random.Generator,
    industry: IntArray,
    person: IntArray,
    n_people: int,
    branch_pairs: tuple[IntArray, IntArray],
    share_pairs: tuple[IntArray, IntArray],
) -> FloatArray:
    """Higher is riskier: the trade, the owner (shared across their enterprises), luck."""
    risk = np.array([i.risk for i in cat.INDUSTRIES])
    trade = (risk - risk.mean()) / risk.std()
    owner = rng.normal(size=n_people)
    score = 0.6 * trade[industry] + 0.7 * owner[person] + rng.normal(size=len(industry))
    for child, parent in (branch_pairs, share_pairs):
        score[child] = 0.4 * score[child] + 0.6 * score[parent]
    rounded: FloatArray = np.round(score, 6)
    return rounded


def classes_by_share(score: FloatArray) -> IntArray:
    """Exact shares per class: the highest scores are D, then C, B, and A for the rest."""
    n = len(score)
    order = np.argsort(-score, kind="stable")
    latent = np.zeros(n, dtype=np.int64)
    start = 0
    for cls in (3, 2, 1):
        count = round(n * cat.LATENT_SHARES[cls])
        latent[order[start : start + count]] = cls
        start += count
    return latent


def _propensity(rng: np.random.Generator, latent: IntArray, industry: IntArray) -> FloatArray:
    risk = np.array([i.risk for i in cat.INDUSTRIES])
    base = np.array(cat.PROPENSITY_BASE)[latent] * (0.7 + 0.6 * risk[industry])
    noisy = base * rng.lognormal(0.0, cat.PROPENSITY_SIGMA, size=len(latent))
    low, high = cat.PROPENSITY_BOUNDS
    rounded: FloatArray = np.round(np.clip(noisy, low, high), 4).astype(np.float64)
    return rounded


def _usccs(rng: np.random.Generator, individual: BoolArray, opened: IntArray) -> NDArray[np.str_]:
    """Unique valid USCCs: 9 (工商) 1/2 (企业/个体), 310120, organisation code, check."""
    n = len(individual)
    ma = individual | (opened >= dt.date(*cat.MA_CODES_FROM).toordinal())
    space_ma, space_old = len(CHARSET) ** _MA_TAIL, 10**8
    low_old = _OLD_CODES_FROM

    def draw(mask: BoolArray) -> IntArray:
        m = len(mask)
        fresh: IntArray = np.where(
            mask,
            rng.integers(0, space_ma, size=m) + space_old,
            rng.integers(low_old, space_old, size=m),
        )
        return fresh

    key = draw(ma)
    for _ in range(_DEDUPE_ROUNDS):
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        key[dup] = draw(ma[dup])
    # Body of the organisation code as USCC character values (8 characters).
    body = np.zeros((n, 8), dtype=np.int64)
    tail = key - space_old
    for pos in range(_MA_TAIL):
        body[:, 7 - pos] = np.where(ma, tail % len(CHARSET), 0)
        tail //= len(CHARSET)
    digits = key.copy()
    for pos in range(8):
        body[:, 7 - pos] = np.where(ma, body[:, 7 - pos], digits % 10)
        digits //= 10
    body[ma, 0] = CHARSET.index("M")
    body[ma, 1] = CHARSET.index("A")
    body[ma, 2] = CHARSET.index("1")

    org_value = np.array([ORG_CHARSET.index(ch) for ch in CHARSET])
    org = 11 - (org_value[body] * _ORG_WEIGHTS).sum(axis=1) % 11
    org_char = np.where(org == 10, CHARSET.index("X"), np.where(org == 11, CHARSET.index("0"), org))
    values = np.empty((n, 18), dtype=np.int64)
    values[:, 0] = CHARSET.index("9")
    values[:, 1] = np.where(individual, CHARSET.index("2"), CHARSET.index("1"))
    values[:, 2:8] = [CHARSET.index(ch) for ch in _AREA]
    values[:, 8:16] = body
    values[:, 16] = org_char
    values[:, 17] = (31 - (values[:, :17] * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    chars = np.array(list(CHARSET))[values]
    return np.ascontiguousarray(chars).view("<U18").reshape(n)


def _town_weights(given: tuple[float, ...] | None = None) -> FloatArray:
    weights = np.array(given or [t.weight for t in cat.TOWNS], dtype=np.float64)
    shares: FloatArray = weights / weights.sum()
    return shares


def _address_groups(rng: np.random.Generator, n: int) -> list[IntArray]:
    """Disjoint groups of enterprises registered at one address (园区集中登记)."""
    low, high = cat.SHARED_ADDRESS_GROUP
    mean_size = (low + high) / 2
    n_groups = int(n * cat.SHARED_ADDRESS_SHARE / mean_size)
    sizes = rng.integers(low, high + 1, size=n_groups)
    members = rng.permutation(n)[: int(sizes.sum())]
    cuts = np.cumsum(sizes)[:-1]
    return [np.sort(g) for g in np.split(members, cuts)] if n_groups else []


def _coordinates(rng: np.random.Generator, town: IntArray) -> tuple[FloatArray, FloatArray]:
    """Positions around the town's centroid, kept within two spreads of it."""
    centre_lat = np.array([t.lat for t in cat.TOWNS])[town]
    centre_lon = np.array([t.lon for t in cat.TOWNS])[town]
    spread = np.array([t.spread_km for t in cat.TOWNS])[town]
    km_per_lon = np.array(
        [cat.EARTH_KM_PER_DEGREE * math.cos(math.radians(t.lat)) for t in cat.TOWNS]
    )[town]
    dx, dy = rng.normal(size=len(town)) * spread, rng.normal(size=len(town)) * spread
    radius = np.sqrt(dx * dx + dy * dy)
    shrink = np.minimum(1.0, 2 * spread / np.maximum(radius, 1e-9))
    lat = np.round(centre_lat + dy * shrink / cat.EARTH_KM_PER_DEGREE, 6)
    lon = np.round(centre_lon + dx * shrink / km_per_lon, 6)
    return lat, lon


def _addresses(rng: np.random.Generator, town: IntArray, individual: BoolArray) -> list[str]:
    n = len(town)
    road_pick = rng.integers(0, 1 << 30, size=n)
    number = rng.integers(1, 1200, size=n)
    building = rng.integers(1, 30, size=n)
    room = rng.integers(101, 1299, size=n)
    in_park = (~individual) & (rng.random(n) < 0.4)
    out = []
    for t, r, num, b, rm, park in zip(
        town.tolist(),
        road_pick.tolist(),
        number.tolist(),
        building.tolist(),
        room.tolist(),
        in_park.tolist(),
        strict=True,
    ):
        t_ = cat.TOWNS[t]
        road = t_.roads[r % len(t_.roads)]
        place = f"上海市奉贤区{t_.name}{road}{num}号"
        out.append(f"{place}{b}幢{rm}室" if park else place)
    return out


def _trade_names(rng: np.random.Generator, count: int) -> list[str]:
    chars = cat.TRADE_NAME_CHARACTERS
    k = len(chars)
    three = rng.random(count) < 0.5
    a, b, c = (rng.integers(0, k, size=count).tolist() for _ in range(3))
    return [
        chars[x] + chars[y] + (chars[z] if t else "")
        for x, y, z, t in zip(a, b, c, three.tolist(), strict=True)
    ]


def _names(
    rng: np.random.Generator, industry: IntArray, town: IntArray, individual: BoolArray
) -> list[str]:
    """Unique names: 上海(奉贤)字号+行业 for companies, 上海市奉贤区+街镇+字号+店 for shops."""
    n = len(industry)
    suffix_pick = rng.integers(0, 1 << 30, size=n).tolist()
    fengxian = (rng.random(n) < 0.45).tolist()
    ind, twn, indiv = industry.tolist(), town.tolist(), individual.tolist()

    def name_of(i: int, trade: str) -> str:
        spec = cat.INDUSTRIES[ind[i]]
        if indiv[i]:
            shop = spec.shop_suffixes[suffix_pick[i] % len(spec.shop_suffixes)]
            return f"上海市奉贤区{cat.TOWNS[twn[i]].name}{trade}{shop}"
        suffix = spec.company_suffixes[suffix_pick[i] % len(spec.company_suffixes)]
        return f"上海{'奉贤' if fengxian[i] else ''}{trade}{suffix}"

    trades = _trade_names(rng, n)
    names = [name_of(i, trades[i]) for i in range(n)]
    todo = _duplicates(names)
    for _ in range(_DEDUPE_ROUNDS):
        if not todo:
            break
        fresh = _trade_names(rng, len(todo))
        for i, trade in zip(todo, fresh, strict=True):
            names[i] = name_of(i, trade)
        todo = _duplicates(names)
    return names


def _duplicates(names: list[str]) -> list[int]:
    """Indexes of every name but the first of each repeated name."""
    seen: set[str] = set()
    dups = []
    for i, name in enumerate(names):
        if name in seen:
            dups.append(i)
        seen.add(name)
    return dups


def _short_town(name: str) -> str:
    for ending in ("街道", "镇"):
        if name.endswith(ending):
            return name[: -len(ending)]
    return name


def _name_branches(names: list[str], town: IntArray, branches: IntArray, parents: IntArray) -> None:
    """A branch is named after its parent and its town: …有限公司南桥分公司."""
    taken = set(names)
    ordinal = "一二三四五六七八九十"
    for b, p in zip(branches.tolist(), parents.tolist(), strict=True):
        base = f"{names[p]}{_short_town(cat.TOWNS[int(town[b])].name)}"
        candidate = f"{base}分公司"
        k = 1
        while candidate in taken:
            candidate = f"{base}第{ordinal[k % len(ordinal)]}{k // len(ordinal) or ''}分公司"
            k += 1
        taken.add(candidate)
        names[b] = candidate


def _relations(
    person: IntArray,
    groups: list[IntArray],
    branches: IntArray,
    parents: IntArray,
    subs: IntArray,
    holders: IntArray,
) -> list[tuple[int, int, str]]:
    """Relation pairs, unique per (a, b, kind); each group linked as a star from its first."""
    pairs: set[tuple[int, int, str]] = set()
    order = np.argsort(person, kind="stable")
    sorted_person = person[order]
    starts = np.flatnonzero(np.r_[True, sorted_person[1:] != sorted_person[:-1]])
    first = np.repeat(order[starts], np.diff(np.r_[starts, len(order)]))
    for a, b in zip(first.tolist(), order.tolist(), strict=True):
        if a != b:
            pairs.add((min(a, b), max(a, b), "legal_rep"))
    for members in groups:
        lead = int(members[0])
        for m in members[1:].tolist():
            pairs.add((lead, m, "address"))
    for child, parent in zip(branches.tolist(), parents.tolist(), strict=True):
        if child != parent:
            pairs.add((parent, child, "branch"))
    for child, parent in zip(subs.tolist(), holders.tolist(), strict=True):
        pairs.add((parent, child, "shareholder"))
    return sorted(pairs)
