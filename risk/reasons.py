"""The strongest reasons for each grade, in Chinese with English: what a coordinator reads
out when an enterprise asks "why am I D?".

Every credit event in effect and every risk factor is a candidate reason, weighed in score
points (its share of the credit or of the risk). For grades B–D the adverse reasons come
first; for A the favourable ones (a good tax grade, a clean record, a low-risk trade).
Reasons are chosen with numpy for all enterprises at once; the words are only made for
the enterprises someone reads.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.typing import NDArray

from jointinspect.models.enums import CreditEventKind
from jointinspect.risk.config import GradingConfig, ReasonsConfig
from jointinspect.risk.credit import CreditScores
from jointinspect.risk.features import FEATURE_NAMES, FEATURES, NEVER_DAYS
from jointinspect.risk.inputs import CREDIT_KINDS, FloatArray, GradingInputs, IntArray
from jointinspect.risk.risk_score import RISK_SCALE, RiskFactors, industry_entry
from jointinspect.risk.scorecard import Scorecard

if TYPE_CHECKING:
    from jointinspect.risk.grade import GradingResult

_DAYS_PER_YEAR = 365.25
_DAYS_PER_MONTH = _DAYS_PER_YEAR / 12
_GRADE_A = 0
#: Enterprises whose reasons are chosen at a time (see ``reason_table``).
REASON_BLOCK = 1 << 16
#: Reason weights are reported to two decimals (hundredths of a score point).
_WEIGHT_DECIMALS = 2
_WEIGHT_SCALE = 10**_WEIGHT_DECIMALS

KIND_WORDS: dict[CreditEventKind, tuple[str, str]] = {
    CreditEventKind.PENALTY: ("行政处罚", "administrative penalty"),
    CreditEventKind.ABNORMAL_LIST: ("列入经营异常名录", "listed as operating abnormally"),
    CreditEventKind.SERIOUS_DISHONEST: (
        "列入严重违法失信名单",
        "on the list of serious illegality and dishonesty",
    ),
    CreditEventKind.COURT_DISHONEST: ("失信被执行人", "dishonest judgment debtor"),
    CreditEventKind.TAX_GRADE_A: ("纳税信用A级", "tax credit grade A"),
    CreditEventKind.TAX_GRADE_D: ("纳税信用D级", "tax credit grade D"),
    CreditEventKind.SOCIAL_INSURANCE_ARREARS: ("欠缴社会保险费", "social insurance arrears"),
    CreditEventKind.COMMITMENT_BREACH: ("告知承诺失信", "breach of a notification commitment"),
    CreditEventKind.COMMENDATION: ("表彰奖励", "commendation"),
}
SEVERITY_WORDS = (("轻微", "minor"), ("严重", "serious"), ("特别严重", "grave"))


class ReasonType(IntEnum):
    CREDIT_EVENT = 0
    INDUSTRY_CREDIT = 1
    INHERENT = 2
    HISTORY = 3
    TRIGGERS = 4
    INSPECTION_GAP = 5
    CONTAGION = 6
    MODEL_FEATURE = 7  # a feature of a learned scorecard; ref = its number in FEATURES


class Reason(NamedTuple):
    """One reason in words (a tuple: made by the million at district scale)."""

    code: str
    zh: str
    en: str
    weight: float  # score points
    adverse: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "zh": self.zh,
            "en": self.en,
            "weight": self.weight,
            "adverse": self.adverse,
        }


@dataclass(frozen=True)
class ReasonTable:
    """The chosen reasons of all enterprises, sorted by enterprise then rank."""

    ent: IntArray
    type: IntArray
    ref: IntArray  # the credit event's number for CREDIT_EVENT, else −1
    weight: FloatArray
    adverse: NDArray[np.bool_]

    def rows_of(self, i: int) -> range:
        lo, hi = np.searchsorted(self.ent, [i, i + 1])
        return range(int(lo), int(hi))


def reason_table(
    inputs: GradingInputs,
    config: GradingConfig,
    scores: CreditScores,
    factors: RiskFactors,
    marked_neighbours: IntArray,
    grades: IntArray,
) -> ReasonTable:
    """Choose each enterprise's strongest reasons (``config.reasons.count`` at most)."""
    share = scores.industry_share(config.credit.industry_blend)
    ev = inputs.credit_events
    weighted = factors.weighted(config.risk)
    scale = RISK_SCALE / config.risk.weights.total
    industry_gap = np.nan_to_num(scores.composite - scores.industry)

    signed = {
        ReasonType.INDUSTRY_CREDIT: config.credit.industry_blend * industry_gap,
        ReasonType.INHERENT: scale
        * config.risk.weights.inherent
        * (factors.inherent - config.risk.industry_default),
        ReasonType.HISTORY: np.where(
            (factors.history.inspections + factors.history.sanctions) > 0,
            scale
            * config.risk.weights.history
            * (factors.history.rate - config.risk.history.prior_mean),
            0.0,
        ),
        ReasonType.TRIGGERS: weighted["triggers"],
        ReasonType.INSPECTION_GAP: weighted["inspection_gap"],
        ReasonType.CONTAGION: weighted["contagion"],
    }
    floor = max(config.reasons.min_points, np.finfo(float).tiny)
    points = scores.event_points * -1.0 * share[ev.ent]
    count = config.reasons.count
    # The factors' and credit events' kinds and references as one sort key (see below).
    refs = len(ev.ent) + 1

    def strongest(lo: int, hi: int) -> ReasonTable:
        """The reasons of enterprises ``lo:hi``, whose credit events are a run of
        ``ev`` (sorted by enterprise)."""
        first_event, last_event = np.searchsorted(ev.ent, [lo, hi]).tolist()
        # The candidates that weigh enough, kept kind by kind before they are joined.
        heavy = first_event + np.flatnonzero(np.abs(points[first_event:last_event]) >= floor)
        parts: list[tuple[IntArray, int, IntArray, FloatArray]] = [
            (ev.ent[heavy], ReasonType.CREDIT_EVENT, heavy, points[heavy])
        ]
        for reason_type, values in signed.items():
            who = lo + np.flatnonzero(np.abs(values[lo:hi]) >= floor)
            parts.append((who, reason_type, np.full(len(who), -1, dtype=np.int64), values[who]))
        ent = np.concatenate([p[0] for p in parts]).astype(np.int64, copy=False)
        kind = np.concatenate([np.full(len(p[0]), p[1], dtype=np.int64) for p in parts])
        ref = np.concatenate([p[2] for p in parts]).astype(np.int64, copy=False)
        signed_weight = np.concatenate([p[3] for p in parts])
        weight = np.abs(signed_weight)
        adverse = signed_weight > 0
        # Grades B–D explain what is wrong first; grade A what is right.
        first = np.where(grades[ent] == _GRADE_A, ~adverse, adverse)
        # Ordered by enterprise, the grade's side first, the heaviest, then kind and
        # reference for ties: (enterprise, side) and (kind, reference) each packed into
        # one key, so the sort makes three passes instead of five. Both packings keep the
        # order of the pair.
        side = ent * 2 + (~first)
        tie = kind * refs + (ref + 1)
        order = np.lexsort((tie, -weight, side))
        ent = ent[order]
        rank = np.arange(len(ent)) - np.searchsorted(ent, ent, side="left")
        chosen = order[rank < count]
        return ReasonTable(
            ent=ent[rank < count],
            type=kind[chosen],
            ref=ref[chosen],
            weight=weight[chosen],
            adverse=adverse[chosen],
        )

    # A block of enterprises at a time: a district has millions of candidates, and a
    # block's are sorted in memory that the next block reuses (fresh memory for all of
    # them at once cost more than the sorting). The order starts with the enterprise, so
    # the blocks one after another are the district's order.
    blocks = [
        strongest(lo, min(lo + REASON_BLOCK, inputs.size))
        for lo in range(0, max(inputs.size, 1), REASON_BLOCK)
    ]
    return ReasonTable(
        ent=np.concatenate([b.ent for b in blocks]),
        type=np.concatenate([b.type for b in blocks]),
        ref=np.concatenate([b.ref for b in blocks]),
        weight=np.concatenate([b.weight for b in blocks]),
        adverse=np.concatenate([b.adverse for b in blocks]),
    )


def model_reason_table(
    points: FloatArray, model: Scorecard, config: ReasonsConfig, grades: IntArray
) -> ReasonTable:
    """The strongest reasons of a learned scorecard: the features whose points move the
    enterprise's odds most (adverse first for B–D, favourable first for A)."""
    n, k = points.shape
    refs = np.array([FEATURE_NAMES.index(f.name) for f in model.features], dtype=np.int64)
    weight = np.abs(points)
    adverse = points > 0
    first = np.where((grades == _GRADE_A)[:, None], ~adverse, adverse)
    keep = weight >= max(config.min_points, np.finfo(float).tiny)
    ref = np.broadcast_to(refs, (n, k))
    # Per enterprise, its few features in order: kept first, then the grade's side, the
    # heaviest, and the feature's number for ties.
    order = np.lexsort((ref, -weight, ~first, ~keep), axis=1)[:, : config.count]
    rows = np.arange(n)[:, None]
    chosen = keep[rows, order]
    ent = np.broadcast_to(rows, order.shape)[chosen]
    return ReasonTable(
        ent=ent.astype(np.int64),
        type=np.full(len(ent), ReasonType.MODEL_FEATURE, dtype=np.int64),
        ref=ref[rows, order][chosen].astype(np.int64),
        weight=weight[rows, order][chosen],
        adverse=adverse[rows, order][chosen],
    )


def render(result: "GradingResult", i: int) -> list[Reason]:
    """The reasons of enterprise ``i`` in words."""
    rows = result.reasons.rows_of(i)
    return _wordings(result, np.arange(rows.start, rows.stop, dtype=np.int64)).reasons()


def render_all(result: "GradingResult") -> list[list[Reason]]:
    """The reasons of every enterprise in words, in enterprise order."""
    out: list[list[Reason]] = [[] for _ in range(result.inputs.size)]
    wordings = _wordings(result, np.arange(len(result.reasons.ent), dtype=np.int64))
    for i, reason in zip(result.reasons.ent.tolist(), wordings.reasons(), strict=True):
        out[i].append(reason)
    return out


def reason_cells(result: "GradingResult", *, join: str, between: str) -> list[str]:
    """Each enterprise's reasons as one text cell: ``zh{between}en`` joined by ``join``."""
    return ReasonTexts(result).cells.cells(0, result.inputs.size, join=join, between=between)


class ReasonTexts:
    """Every enterprise's reasons in words, to be written out a slice of enterprises at a
    time: as stored with its grade (:meth:`stored`, naming the :attr:`wordings`) and as
    one CSV cell (:attr:`cells`).

    The wordings are made once for both (they are most of the work), and a district's
    texts are never all held at once: at 650,000 enterprises they take a gigabyte, and
    on a virtual machine touching that much fresh memory costs seconds.
    """

    def __init__(self, result: "GradingResult") -> None:
        reasons = result.reasons
        wordings = _wordings(result, np.arange(len(reasons.ent), dtype=np.int64))
        bounds = np.searchsorted(reasons.ent, np.arange(result.inputs.size + 1))
        self.cells = ReasonCells(
            words=[(zh, en) for zh, en, _ in wordings.texts],
            text_of_row=wordings.text_of_row,
            bounds=np.asarray(bounds, dtype=np.int64),
        )
        self._wordings = wordings
        self._distinct: tuple[IntArray, IntArray] | None = None
        self._entries: tuple[Sequence[int], list[str]] | None = None

    @property
    def wordings(self) -> list[tuple[str, str, str]]:
        """Each distinct wording as ``(code, zh, en)``, in the order :meth:`stored` counts
        them."""
        return [(code, zh, en) for zh, en, code in self._wordings.texts]

    def stored(self, start: int, stop: int, ids: Sequence[int]) -> list[str]:
        """The reasons of enterprises ``start:stop`` as their grades store them: each a JSON
        array of ``[wording, weight, adverse]``, where wording ``j`` of :attr:`wordings` is
        ``ids[j]`` and ``adverse`` is 1 (against the enterprise) or 0."""
        entries = self._entries_for(ids)
        _, entry_of_row = self._distinct_entries()
        bounds = self.cells.bounds
        lo, hi = int(bounds[start]), int(bounds[stop])
        rows = [entries[k] for k in entry_of_row[lo:hi].tolist()]
        ends = (bounds[start : stop + 1] - lo).tolist()
        return [f"[{','.join(rows[a:b])}]" for a, b in itertools.pairwise(ends)]

    def _distinct_entries(self) -> tuple[IntArray, IntArray]:
        """The reason rows that are distinct by wording, weight and side (far fewer than
        the rows), and which of them each row is like."""
        if self._distinct is None:
            wordings = self._wordings
            text = wordings.text_of_row
            hundredths = np.rint(wordings.weights * _WEIGHT_SCALE).astype(np.int64)
            key = (text * (int(hundredths.max(initial=0)) + 1) + hundredths) * 2 + wordings.adverse
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            self._distinct = (
                np.asarray(first, dtype=np.int64),
                np.asarray(inverse, dtype=np.int64).ravel(),
            )
        return self._distinct

    def _entries_for(self, ids: Sequence[int]) -> list[str]:
        """The JSON of each distinct entry, its wording named by ``ids`` (made once for
        the ``ids`` of a write, which asks slice by slice)."""
        if self._entries is not None and self._entries[0] is ids:
            return self._entries[1]
        first, _ = self._distinct_entries()
        wordings = self._wordings
        entries = [
            f"[{ids[j]},{w},{int(adv)}]"
            for j, w, adv in zip(
                wordings.text_of_row[first].tolist(),
                wordings.weights[first].tolist(),
                wordings.adverse[first].tolist(),
                strict=True,
            )
        ]
        self._entries = (ids, entries)
        return entries


@dataclass(frozen=True)
class ReasonCells:
    """Each enterprise's reasons as one text (a CSV cell), from plain values: small and
    picklable, so that another process can make the cells."""

    words: list[tuple[str, str]]  # (zh, en) of each distinct wording
    text_of_row: IntArray  # the wording of each reason row
    bounds: IntArray  # enterprise i's reasons are rows bounds[i]:bounds[i + 1]

    def cells(self, start: int, stop: int, *, join: str, between: str) -> list[str]:
        """The reasons of enterprises ``start:stop``: ``zh{between}en`` joined by ``join``."""
        texts = [f"{zh}{between}{en}" for zh, en in self.words]
        lo, hi = int(self.bounds[start]), int(self.bounds[stop])
        pieces = [texts[j] for j in self.text_of_row[lo:hi].tolist()]
        ends = (self.bounds[start : stop + 1] - lo).tolist()
        return [join.join(pieces[a:b]) for a, b in itertools.pairwise(ends)]


@dataclass(frozen=True)
class _Wordings:
    """Reasons in words: each distinct wording once, and which one each row uses."""

    texts: list[tuple[str, str, str]]  # (zh, en, code)
    text_of_row: IntArray
    weights: FloatArray  # rounded as reported
    adverse: NDArray[np.bool_]

    def reasons(self) -> list[Reason]:
        t = self.texts
        return [
            Reason(code=t[j][2], zh=t[j][0], en=t[j][1], weight=w, adverse=adv)
            for j, w, adv in zip(
                self.text_of_row.tolist(),
                self.weights.tolist(),
                self.adverse.tolist(),
                strict=True,
            )
        ]


# Bits of each part of a wording key: (type, adverse, a, b, c, d) packed into one int64;
# counts beyond 16,383 would be shown clipped.
_PART_BITS = 14
_PARTS = 4
_PART_LIMIT = (1 << _PART_BITS) - 1


def _wordings(result: "GradingResult", rows: IntArray) -> _Wordings:
    # Reasons repeat a lot (the same trade, the same month and kind of penalty …): each
    # distinct wording is made once, keyed by what its words depend on.
    table = result.reasons
    kind = table.type[rows]
    adverse = table.adverse[rows]
    classes, class_number = result.inputs.industry_classes
    parts = _wording_parts(result, rows, class_number.ravel())
    packed = kind * 2 + adverse
    for part in parts:
        packed = (packed << _PART_BITS) | np.clip(part, 0, _PART_LIMIT)
    # return_index makes numpy sort stably (timsort): on these keys, a few thousand
    # distinct among millions, twice as fast as its default sort.
    keys, _, inverse = np.unique(packed, return_index=True, return_inverse=True)
    return _Wordings(
        texts=[_text_of_key(result, classes, int(k)) for k in keys],
        text_of_row=np.asarray(inverse, dtype=np.int64).ravel(),
        weights=np.round(table.weight[rows], _WEIGHT_DECIMALS),
        adverse=np.asarray(adverse, dtype=bool),
    )


def _wording_parts(
    result: "GradingResult", rows: IntArray, class_number: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """What each reason's words depend on, as three small integers per reason."""
    table = result.reasons
    kind, ent, ref = table.type[rows], table.ent[rows], table.ref[rows]
    factors = result.factors
    zero = np.zeros(len(rows), dtype=np.int64)
    a, b, c, d = zero.copy(), zero.copy(), zero.copy(), zero.copy()

    is_event = kind == ReasonType.CREDIT_EVENT
    ev = result.inputs.credit_events
    refs = ref[is_event]
    month = ev.day[refs].astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    event_kind = ev.code[refs]
    scaled = np.array(
        [result.config.credit.kinds[k].severity_scaled for k in CREDIT_KINDS], dtype=bool
    )[event_kind]
    a[is_event] = month
    b[is_event] = event_kind
    c[is_event] = np.where(scaled, ev.severity[refs], 0)

    is_industry = kind == ReasonType.INDUSTRY_CREDIT
    a[is_industry] = np.rint(np.nan_to_num(result.credit_scores.industry[ent[is_industry]]))

    is_inherent = kind == ReasonType.INHERENT
    a[is_inherent] = class_number[ent[is_inherent]]

    is_history = kind == ReasonType.HISTORY
    a[is_history] = factors.history.inspections[ent[is_history]]
    b[is_history] = factors.history.violations[ent[is_history]]
    c[is_history] = factors.history.minors[ent[is_history]]
    d[is_history] = factors.history.sanctions[ent[is_history]]

    is_trigger = kind == ReasonType.TRIGGERS
    a[is_trigger] = factors.trigger_counts[ent[is_trigger]]

    is_gap = kind == ReasonType.INSPECTION_GAP
    gap = factors.gap_days[ent[is_gap]]
    a[is_gap] = np.where(gap >= 0, (gap // _DAYS_PER_MONTH).astype(np.int64), 0)
    b[is_gap] = np.where(
        gap >= 0,
        _GAP_MONTHS,
        np.where(factors.history.inspections[ent[is_gap]] == 0, _GAP_NEVER, _GAP_NO_CLEAN),
    )

    is_contagion = kind == ReasonType.CONTAGION
    a[is_contagion] = result.marked_neighbours[ent[is_contagion]]

    is_model = kind == ReasonType.MODEL_FEATURE
    if is_model.any() and result.features is not None:
        feature = ref[is_model]
        value = result.features.values[ent[is_model], feature]
        units = np.array([f.unit for f in FEATURES])[feature]
        shown = np.select(
            [units == "percent", units == "months", units == "years"],
            [value * 100, value / _DAYS_PER_MONTH, np.floor(np.nan_to_num(value))],
            value,
        )
        a[is_model] = feature
        b[is_model] = np.rint(np.nan_to_num(shown)).astype(np.int64)
        c[is_model] = np.where(
            np.isnan(value), _VALUE_UNKNOWN, np.where(value >= NEVER_DAYS, _VALUE_NEVER, 0)
        )
    return a, b, c, d


_VALUE_NEVER, _VALUE_UNKNOWN = 1, 2


_GAP_MONTHS, _GAP_NEVER, _GAP_NO_CLEAN = 0, 1, 2


def _text_of_key(
    result: "GradingResult", classes: NDArray[np.str_], key: int
) -> tuple[str, str, str]:
    a, b, c, d = ((key >> (k * _PART_BITS)) & _PART_LIMIT for k in range(_PARTS - 1, -1, -1))
    head = key >> (_PARTS * _PART_BITS)
    return _text(result, classes, ReasonType(head >> 1), bool(head & 1), a, b, c, d)


def _text(
    result: "GradingResult",
    classes: NDArray[np.str_],
    kind: ReasonType,
    adverse: bool,
    a: int,
    b: int,
    c: int,
    d: int,
) -> tuple[str, str, str]:
    """(zh, en, code) of a reason from its wording parts (see :func:`_wording_parts`)."""
    config = result.config
    if kind is ReasonType.CREDIT_EVENT:
        event_kind = CREDIT_KINDS[b]
        month = str(np.datetime64(a, "M"))
        zh, en = KIND_WORDS[event_kind]
        if c:
            sev_zh, sev_en = SEVERITY_WORDS[c - 1]
            return f"{month} {zh}（{sev_zh}）", f"{month} {en} ({sev_en})", event_kind.value
        return f"{month} {zh}", f"{month} {en}", event_kind.value
    if kind is ReasonType.MODEL_FEATURE:
        return _model_text(FEATURES[a].name, b, c, adverse)
    if kind is ReasonType.INDUSTRY_CREDIT:
        if adverse:
            return (
                f"行业信用评价偏低（{a}分）",
                f"low industry credit rating ({a})",
                "industry_credit",
            )
        return f"行业信用评价良好（{a}分）", f"good industry credit rating ({a})", "industry_credit"
    if kind is ReasonType.INHERENT:
        industry = str(classes[a])
        key = industry_entry(industry, config.risk.industry_table)
        entry = config.risk.industry_table[key] if key else None
        name_zh = entry.zh if entry else industry
        name_en = entry.en if entry else f"industry {industry}"
        if adverse:
            return (
                f"行业固有风险高：{name_zh}",
                f"high inherent risk of the trade: {name_en}",
                "inherent",
            )
        return f"低风险行业：{name_zh}", f"low-risk trade: {name_en}", "inherent"
    if kind is ReasonType.HISTORY:
        years = round(config.risk.history.max_age_days / _DAYS_PER_YEAR)
        minor_zh = f"、{c}次轻微违法" if c else ""
        minor_en = f", {c} minor" if c else ""
        sanction_zh = f"，受处罚{d}次" if d else ""
        sanction_en = f"; {d} sanctions" if d else ""
        prefix_zh, prefix_en = ("", "") if adverse else ("检查记录良好：", "good record: ")
        return (
            f"{prefix_zh}近{years}年检查{a}次中{b}次违法{minor_zh}{sanction_zh}",
            f"{prefix_en}{b} violations{minor_en} in {a} inspections{sanction_en} in {years} years",
            "history",
        )
    if kind is ReasonType.TRIGGERS:
        days = config.risk.triggers.window_days
        return (
            f"近{days}天投诉举报、预警等{a}次",
            f"{a} complaints, alerts or referrals in the last {days} days",
            "triggers",
        )
    if kind is ReasonType.INSPECTION_GAP:
        if b == _GAP_NEVER:
            return "从未接受检查", "never inspected", "inspection_gap"
        if b == _GAP_NO_CLEAN:
            return "无检查合格记录", "no clean inspection on record", "inspection_gap"
        return f"已{a}个月未经检查合格", f"no clean inspection for {a} months", "inspection_gap"
    if a:
        return (
            f"关联{a}家严重违法失信企业",
            f"related to {a} {'enterprise' if a == 1 else 'enterprises'} on the dishonesty lists",
            "contagion",
        )
    return "关联企业风险较高", "related enterprises carry high risk", "contagion"


def _model_text(name: str, value: int, state: int, adverse: bool) -> tuple[str, str, str]:
    """The words of a learned scorecard's feature for one enterprise's value."""
    spec = next(f for f in FEATURES if f.name == name)
    if state == _VALUE_UNKNOWN:
        if name == "days_since_clean":
            return "无检查合格记录", "no clean inspection on record", name
        return f"{spec.zh.split('{v}')[0]}不详", f"{spec.en.replace('{v}', '?')} (not known)", name
    if state == _VALUE_NEVER:
        if name == "days_since_violation":
            return "近5年未发现违法", "no violation found in 5 years", name
        return "5年以上未经检查合格", "no clean inspection for over 5 years", name
    if spec.unit == "flag":
        if value:
            return spec.zh, spec.en, name
        return "最近一次检查未发现违法", "the last inspection found no violation", name
    if value == 0 and spec.zero_zh:
        return spec.zero_zh, spec.zero_en, name
    return spec.zh.format(v=value), spec.en.format(v=value), name
