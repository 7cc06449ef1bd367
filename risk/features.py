"""The features of the learned risk model, each as it stood on a given day.

One function, :func:`features_at`, computes every feature for any list of queries
``(enterprise, day)``: "what did the record of enterprise e look like at the end of day d".
Grading as of T asks it for every enterprise on day T; calibration asks it for every past
inspection on the day before that inspection. Both go through the same code, so no event
dated after a query's day can reach its features: every count below is a search in
events sorted by (enterprise, day) for the window ``(d − window, d]``.

Each feature has a known direction where the field knows one (more violations, worse
credit, more complaints never lower the risk) and ``0`` where the fit should find it
(enterprise age, time since the last clean inspection). A value that is not known (no
industry record, no opening date) is NaN and gets a bin of its own in the scorecard.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.models.enums import CreditEventKind, InspectionResult, RelationKind, TriggerKind
from jointinspect.risk.config import GradingConfig
from jointinspect.risk.inputs import (
    CREDIT_KINDS,
    INSPECTION_RESULTS,
    RELATION_KINDS,
    TRIGGER_KINDS,
    DayArray,
    FloatArray,
    GradingInputs,
    IntArray,
    TradeHistory,
)
from jointinspect.risk.risk_score import industry_entry

#: The record window of the history features: three years, as a publicity period is.
RECORD_DAYS = 1095
#: The window of complaints and alerts.
TRIGGER_DAYS = 365
#: "Never" for the days-since features: beyond this a violation is as good as none.
NEVER_DAYS = 1826.0
#: Pseudo-inspections that pull an enterprise's violation rate toward its trade's rate.
ENTERPRISE_PRIOR = 2.0
#: Pseudo-inspections that pull a trade class toward its parent prefix (4 → 3 → 2 → all).
TRADE_PRIOR = 20.0
#: Queries × neighbours handled at once when summing over related enterprises.
PAIR_CHUNK = 4_000_000

_VIOLATION = INSPECTION_RESULTS.index(InspectionResult.VIOLATION)
_MINOR = INSPECTION_RESULTS.index(InspectionResult.MINOR)
_DAY_BITS = 32
_DAY_OFFSET = 1 << 31
#: A day before any record: the lower end of "everything so far".
_DAWN = -(1 << 30)
_FAVOURABLE_KINDS = (CreditEventKind.TAX_GRADE_A, CreditEventKind.COMMENDATION)
_MARK_KINDS = (CreditEventKind.SERIOUS_DISHONEST, CreditEventKind.COURT_DISHONEST)
_COMPLAINT_KINDS = (TriggerKind.COMPLAINT, TriggerKind.ACCIDENT, TriggerKind.REFERRAL)
_GROUP_KINDS = (RelationKind.LEGAL_REP, RelationKind.SHAREHOLDER, RelationKind.BRANCH)


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its name, known direction, and how a reason states its value."""

    name: str
    direction: int  # +1: higher is riskier; −1: higher is safer; 0: the fit decides
    unit: str  # how the value reads: count, percent, years, months, score, flag
    zh: str  # words with {v}, the enterprise's value in ``unit``
    en: str
    zero_zh: str = ""  # words for a count of nought, where they read better
    zero_en: str = ""


def _credit_spec(kind: CreditEventKind, zh: str, en: str) -> FeatureSpec:
    """A credit-event kind in effect (its publicity period), counted by severity (1–3)."""
    direction = -1 if kind in _FAVOURABLE_KINDS else 1
    return FeatureSpec(
        f"credit_{kind.value}",
        direction,
        "count",
        f"{zh}（按严重程度计）{{v}}",
        f"{en}, counted by severity: {{v}}",
        f"无{zh}记录",
        f"no {en} on record",
    )


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        "violations",
        1,
        "count",
        "近3年检查发现违法{v}次",
        "{v} violations in 3 years",
        "近3年检查未发现违法",
        "no violation found in 3 years",
    ),
    FeatureSpec(
        "violation_rate",
        1,
        "percent",
        "近3年检查违法率{v}%",
        "violation rate {v}% over 3 years",
    ),
    FeatureSpec(
        "last_was_violation",
        1,
        "flag",
        "最近一次检查发现违法",
        "the last inspection found a violation",
    ),
    FeatureSpec(
        "days_since_violation",
        -1,
        "months",
        "距上次发现违法{v}个月",
        "{v} months since the last violation found",
    ),
    FeatureSpec(
        "minors",
        1,
        "count",
        "近3年轻微违法{v}次",
        "{v} minor findings in 3 years",
        "近3年无轻微违法",
        "no minor finding in 3 years",
    ),
    FeatureSpec(
        "clean",
        0,
        "count",
        "近3年检查合格{v}次",
        "{v} clean inspections in 3 years",
        "近3年无检查合格记录",
        "no clean inspection in 3 years",
    ),
    FeatureSpec(
        "days_since_clean",
        0,
        "months",
        "距上次检查合格{v}个月",
        "{v} months since the last clean inspection",
    ),
    FeatureSpec(
        "trade_rate", 1, "percent", "所属行业违法率{v}%", "violation rate of the trade {v}%"
    ),
    FeatureSpec("trade_prior", 1, "percent", "行业固有风险{v}%", "inherent risk of the trade {v}%"),
    FeatureSpec("age", 0, "years", "成立{v}年", "in business for {v} years"),
    _credit_spec(CreditEventKind.PENALTY, "行政处罚", "administrative penalties"),
    _credit_spec(CreditEventKind.ABNORMAL_LIST, "列入经营异常名录", "listings as abnormal"),
    _credit_spec(
        CreditEventKind.SERIOUS_DISHONEST, "列入严重违法失信名单", "listings as seriously dishonest"
    ),
    _credit_spec(CreditEventKind.COURT_DISHONEST, "失信被执行人", "dishonest-debtor records"),
    _credit_spec(CreditEventKind.TAX_GRADE_A, "纳税信用A级", "tax credit grade A"),
    _credit_spec(CreditEventKind.TAX_GRADE_D, "纳税信用D级", "tax credit grade D"),
    _credit_spec(
        CreditEventKind.SOCIAL_INSURANCE_ARREARS, "欠缴社会保险费", "social insurance arrears"
    ),
    _credit_spec(CreditEventKind.COMMITMENT_BREACH, "告知承诺失信", "breached commitments"),
    _credit_spec(CreditEventKind.COMMENDATION, "表彰奖励", "commendations"),
    FeatureSpec("industry_rating", -1, "score", "行业信用评价{v}分", "industry credit rating {v}"),
    FeatureSpec(
        "complaints", 1, "count", "近1年投诉举报{v}次", "{v} complaints or referrals in a year"
    ),
    FeatureSpec(
        "alerts",
        1,
        "count",
        "近1年非现场预警{v}次",
        "{v} off-site alerts in a year",
        "近1年无非现场预警",
        "no off-site alert in a year",
    ),
    FeatureSpec(
        "related_violations",
        1,
        "count",
        "关联企业近3年违法{v}次",
        "{v} violations at related enterprises in 3 years",
        "关联企业近3年无违法",
        "no violation at related enterprises in 3 years",
    ),
    FeatureSpec(
        "group_size",
        0,
        "count",
        "关联企业群共{v}家其他企业",
        "{v} other enterprises in its group",
        "无关联企业",
        "no related enterprise",
    ),
    FeatureSpec(
        "group_violations",
        1,
        "count",
        "同一关联企业群近3年违法{v}次",
        "{v} violations in its group of related enterprises in 3 years",
        "关联企业群近3年无违法",
        "no violation in its group of related enterprises in 3 years",
    ),
    FeatureSpec(
        "related_marked",
        1,
        "count",
        "关联企业失信记录{v}条",
        "{v} dishonesty records of related enterprises",
        "关联企业无失信记录",
        "no dishonesty record of related enterprises",
    ),
)
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
SPECS: dict[str, FeatureSpec] = {f.name: f for f in FEATURES}


@dataclass(frozen=True)
class FeatureMatrix:
    """Feature values per query (rows) and feature (columns, in ``FEATURE_NAMES`` order)."""

    values: FloatArray  # shape (queries, features); NaN where not known

    def column(self, name: str) -> FloatArray:
        return np.asarray(self.values[:, FEATURE_NAMES.index(name)])


def _key(group: IntArray, day: IntArray) -> IntArray:
    return np.asarray((group << _DAY_BITS) + (day + _DAY_OFFSET), dtype=np.int64)


def _days(day: DayArray) -> IntArray:
    return np.asarray(day.astype("datetime64[D]").astype(np.int64), dtype=np.int64)


class _Timeline:
    """Dated events per group (an enterprise, a trade class), for window sums by search."""

    def __init__(self, group: IntArray, day: IntArray, weight: FloatArray | None = None) -> None:
        keys = _key(group, day)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.day = day[order]
        self.group = group[order]
        self.order = order  # position in the arrays handed in, per sorted event
        w = np.ones(len(keys)) if weight is None else weight[order]
        # Sums of whole numbers (counts, severities) are exact as differences of running
        # totals. Other weights are summed window by window (reduceat), so that a sum never
        # carries rounding from other enterprises' events: grading a neighbourhood must
        # give the bits grading the district gives.
        self.whole = bool(np.array_equal(w, np.rint(w)))
        self.cumulative = np.concatenate(([0.0], np.cumsum(w))) if self.whole else np.zeros(0)
        self.weight = np.append(w, 0.0)  # a trailing nought: reduceat may point past the end

    def _upto(self, group: IntArray, day: IntArray) -> IntArray:
        return np.asarray(np.searchsorted(self.keys, _key(group, day), side="right"))

    def total(self, group: IntArray, low: IntArray, high: IntArray) -> FloatArray:
        """The summed weights of each group's events in ``(low, high]``."""
        hi = self._upto(group, high)
        lo = self._upto(group, low)
        if self.whole:
            return np.asarray(self.cumulative[hi] - self.cumulative[lo])
        if not len(hi):
            return np.zeros(0)
        bounds = np.empty(2 * len(hi), dtype=np.int64)
        bounds[0::2], bounds[1::2] = lo, hi
        sums = np.add.reduceat(self.weight, bounds)[0::2]
        return np.asarray(np.where(hi > lo, sums, 0.0))

    def last(self, group: IntArray, high: IntArray) -> tuple[IntArray, NDArray[np.bool_]]:
        """The sorted position of each group's last event up to ``high`` (0 where there is
        none), and whether it has one."""
        at = self._upto(group, high) - 1
        found = at >= 0
        found[found] = self.group[at[found]] == group[found]
        return np.where(found, at, 0), found

    def days_since_last(self, group: IntArray, high: IntArray, *, none: float) -> FloatArray:
        """Days from each group's last event up to ``high`` to ``high``, at most
        ``NEVER_DAYS``; ``none`` where there is no such event."""
        at, found = self.last(group, high)
        out = np.full(len(group), none)
        out[found] = np.minimum(high[found] - self.day[at[found]], NEVER_DAYS)
        return out


@dataclass(frozen=True)
class _Neighbours:
    """Related enterprises as CSR: the neighbours of e are ``nbr[ptr[e]:ptr[e + 1]]``."""

    ptr: IntArray
    nbr: IntArray

    @classmethod
    def of(cls, inputs: GradingInputs) -> "_Neighbours":
        rel = inputs.relations
        a = np.concatenate((rel.a, rel.b))
        b = np.concatenate((rel.b, rel.a))
        keep = a != b
        # Each related pair once (two enterprises may be related in several ways).
        pair = np.unique(a[keep] * np.int64(inputs.size) + b[keep])
        src, dst = pair // max(inputs.size, 1), pair % max(inputs.size, 1)
        ptr = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=inputs.size))))
        return cls(ptr=ptr.astype(np.int64), nbr=dst.astype(np.int64))

    def summed(
        self, ent: IntArray, value: Callable[[IntArray, IntArray], FloatArray]
    ) -> FloatArray:
        """Per query q, the sum over the neighbours j of ent[q] of ``value(j, q)``."""
        out = np.zeros(len(ent))
        degree = self.ptr[ent + 1] - self.ptr[ent]
        ends = np.cumsum(degree)
        start = 0
        while start < len(ent):
            # Chunks of queries whose neighbour pairs fit in PAIR_CHUNK.
            base = ends[start - 1] if start else 0
            stop = int(np.searchsorted(ends, base + PAIR_CHUNK, side="right"))
            stop = max(stop, start + 1)
            q = np.repeat(np.arange(start, stop), degree[start:stop])
            first = np.repeat(self.ptr[ent[start:stop]], degree[start:stop])
            offset = np.arange(len(q)) - np.repeat(
                ends[start:stop] - degree[start:stop] - base, degree[start:stop]
            )
            j = self.nbr[first + offset]
            out[start:stop] = np.bincount(q - start, value(j, q), minlength=stop - start)
            start = stop
        return out


def _trade_rates(inputs: GradingInputs, ent: IntArray, day: IntArray) -> FloatArray:
    """The violation rate of each query's trade up to its day: the 4-digit class shrunk
    toward its 3-digit prefix, that toward the 2-digit one, that toward the district."""
    history = inputs.trade_history
    if history is None:
        ins = inputs.inspections
        history = TradeHistory(inputs.industry[ins.ent], ins.day, ins.code == _VIOLATION)
    # Classes numbered once (a few hundred), and each (class, day) asked once: grading
    # asks every enterprise on one day, so a few hundred questions instead of 650,000.
    own, own_class = inputs.industry_classes
    seen, seen_class = np.unique(history.industry, return_inverse=True)
    classes = np.union1d(own, seen)
    query = np.searchsorted(classes, own)[own_class.ravel()][ent] << _DAY_BITS
    asked, answer = np.unique(query + (day + _DAY_OFFSET), return_inverse=True)
    asked_class = asked >> _DAY_BITS
    asked_day = (asked & ((1 << _DAY_BITS) - 1)) - _DAY_OFFSET
    hist_class = np.searchsorted(classes, seen)[seen_class.ravel()]
    hist_day = _days(history.day)
    bad = history.violation.astype(np.float64)
    dawn = np.full(len(asked), _DAWN, np.int64)
    zero = np.zeros(len(asked), np.int64)
    everyone = np.zeros(len(hist_day), np.int64)
    n = _Timeline(everyone, hist_day).total(zero, dawn, asked_day)
    v = _Timeline(everyone, hist_day, bad).total(zero, dawn, asked_day)
    # With nothing seen yet the district's rate is unknown: start from one half, lightly.
    rate = (v + 0.5) / (n + 1.0)
    for length in (2, 3, 4):
        _, prefix = np.unique([str(c)[:length] for c in classes.tolist()], return_inverse=True)
        prefix = np.asarray(prefix, dtype=np.int64).ravel()
        group = prefix[hist_class]
        asked_group = prefix[asked_class]
        n = _Timeline(group, hist_day).total(asked_group, dawn, asked_day)
        v = _Timeline(group, hist_day, bad).total(asked_group, dawn, asked_day)
        rate = (v + TRADE_PRIOR * rate) / (n + TRADE_PRIOR)
    return np.asarray(rate[answer.ravel()])


def features_at(
    inputs: GradingInputs, ent: IntArray, day: DayArray, config: GradingConfig
) -> FeatureMatrix:
    """Every feature of enterprise ``ent[q]`` as its record stood at the end of ``day[q]``.

    Only events dated on or before a query's day count for that query.
    """
    ent = np.asarray(ent, dtype=np.int64)
    d = _days(np.asarray(day))
    record_low = d - RECORD_DAYS
    columns: dict[str, FloatArray] = {}

    ins = inputs.inspections
    ins_day = _days(ins.day)
    violation = ins.code == _VIOLATION
    minor = ins.code == _MINOR
    every = _Timeline(ins.ent, ins_day)
    bad = _Timeline(ins.ent[violation], ins_day[violation])
    found = bad.total(ent, record_low, d)
    seen = every.total(ent, record_low, d)
    columns["violations"] = found
    columns["minors"] = _Timeline(ins.ent[minor], ins_day[minor]).total(ent, record_low, d)
    columns["clean"] = seen - found
    trade = _trade_rates(inputs, ent, d)
    columns["trade_rate"] = trade
    columns["violation_rate"] = (found + ENTERPRISE_PRIOR * trade) / (seen + ENTERPRISE_PRIOR)
    at, has = every.last(ent, d)
    # Events of one day are in code order, violation last: a day with any violation ends
    # on it, so adding a violation never turns this flag off.
    last_was = np.zeros(len(ent))
    last_was[has] = violation[every.order[at[has]]]
    columns["last_was_violation"] = last_was
    columns["days_since_violation"] = bad.days_since_last(ent, d, none=NEVER_DAYS)
    # Never inspected clean is not the same as long ago: a bin of its own (NaN).
    clean = _Timeline(ins.ent[~violation], ins_day[~violation])
    columns["days_since_clean"] = clean.days_since_last(ent, d, none=np.nan)

    columns["trade_prior"] = _trade_prior(inputs, config)[ent]
    opened = inputs.opened[ent]
    known = ~np.isnat(opened)
    age = np.full(len(ent), np.nan)
    age[known] = np.maximum(d[known] - _days(opened[known]), 0) / 365.25
    columns["age"] = age

    ev = inputs.credit_events
    ev_day = _days(ev.day)
    for k, kind in enumerate(CREDIT_KINDS):
        mine = ev.code == k
        publicity = config.credit.kinds[kind].publicity_days
        timeline = _Timeline(ev.ent[mine], ev_day[mine], ev.severity[mine].astype(np.float64))
        columns[f"credit_{kind.value}"] = timeline.total(ent, d - publicity, d)

    rec = inputs.industry_records
    rec_day = _days(rec.day)
    low = d - config.credit.industry_max_age_days
    count = _Timeline(rec.ent, rec_day).total(ent, low, d)
    total = _Timeline(rec.ent, rec_day, rec.value).total(ent, low, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["industry_rating"] = np.where(count > 0, total / np.maximum(count, 1), np.nan)

    tr = inputs.triggers
    tr_day = _days(tr.day)
    complaint = np.isin(tr.code, [TRIGGER_KINDS.index(k) for k in _COMPLAINT_KINDS])
    alert = tr.code == TRIGGER_KINDS.index(TriggerKind.ALERT)
    t_low = d - TRIGGER_DAYS
    columns["complaints"] = _Timeline(tr.ent[complaint], tr_day[complaint]).total(ent, t_low, d)
    columns["alerts"] = _Timeline(tr.ent[alert], tr_day[alert]).total(ent, t_low, d)

    neighbours = _Neighbours.of(inputs)
    columns["related_violations"] = neighbours.summed(
        ent, lambda j, q: bad.total(j, record_low[q], d[q])
    )
    group = _groups(inputs)
    members = np.bincount(group, minlength=int(group.max(initial=-1)) + 1)
    columns["group_size"] = (members[group] - 1)[ent].astype(np.float64)
    in_group = _Timeline(group[ins.ent[violation]], ins_day[violation])
    columns["group_violations"] = in_group.total(group[ent], record_low, d) - found
    marked = np.isin(ev.code, [CREDIT_KINDS.index(k) for k in _MARK_KINDS])
    marks = _Timeline(ev.ent[marked], ev_day[marked])
    columns["related_marked"] = neighbours.summed(
        ent, lambda j, q: marks.total(j, record_low[q], d[q])
    )
    values = np.column_stack([columns[name] for name in FEATURE_NAMES]).astype(np.float64)
    return FeatureMatrix(values=values)


def _groups(inputs: GradingInputs) -> IntArray:
    """Each enterprise's relation group: the connected component (networkx) of the
    relations by which one party controls another (legal representative, shareholder,
    branch). A shared address alone makes no group: a business park is not a group."""
    # Imported here: only a learned model reads groups, and grading with the default
    # model should not pay for importing networkx.
    import networkx as nx

    control = np.isin(inputs.relations.kind, [RELATION_KINDS.index(k) for k in _GROUP_KINDS])
    graph: nx.Graph[int] = nx.Graph()
    graph.add_edges_from(
        zip(inputs.relations.a[control].tolist(), inputs.relations.b[control].tolist(), strict=True)
    )
    group = np.arange(inputs.size, dtype=np.int64)  # alone: a group of one
    for component in nx.connected_components(graph):
        members = np.fromiter(component, dtype=np.int64)
        group[members] = members.min()  # named by its smallest member: order-free
    return group


def _trade_prior(inputs: GradingInputs, config: GradingConfig) -> FloatArray:
    """The shipped inherent risk of each enterprise's trade (grading config), 0–1."""
    table = config.risk.industry_table
    classes, inverse = inputs.industry_classes
    per_class = np.array(
        [
            table[key].risk
            if (key := industry_entry(str(c), table))
            else config.risk.industry_default
            for c in classes.tolist()
        ],
        dtype=np.float64,
    )
    return per_class[inverse.ravel()] if len(classes) else np.zeros(inputs.size)


def features_as_of(inputs: GradingInputs, config: GradingConfig) -> FeatureMatrix:
    """Every enterprise's features as of the grading date."""
    ent = np.arange(inputs.size, dtype=np.int64)
    return features_at(inputs, ent, np.full(inputs.size, inputs.as_of_day), config)
