"""The synthetic district's planning inputs: departments, items, sampling rules, the
no-disturb list, the departments' demands for the quarter and the triggers around it."""

import datetime as dt
from dataclasses import dataclass

import numpy as np

from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic.activity import DateText, Table, numbered
from jointinspect.data.synthetic.register import BoolArray, IntArray, Register, industry_applies
from jointinspect.models.enums import DemandSource, ItemMode
from jointinspect.models.quarter import Quarter

ITEM_INDEX = {item.code: k for k, item in enumerate(cat.ITEMS)}
_LICENSE_EARLY_DAYS = 60
_URGENT_START_DAYS = 50
_URGENT_LENGTH_DAYS = (21, 36)


def departments() -> Table:
    rows = sorted(cat.DEPARTMENTS, key=lambda d: d.code)
    return {"code": [d.code for d in rows], "name": [d.name for d in rows]}


def items() -> Table:
    rows = sorted(cat.ITEMS, key=lambda i: i.code)
    return {
        "code": [i.code for i in rows],
        "department": [i.department for i in rows],
        "name": [i.name for i in rows],
        "industries": [i.industries for i in rows],
        "minutes": [str(i.minutes) for i in rows],
        "mode": [i.mode.value for i in rows],
        "no_disturb": ["1" if i.no_disturb else "0" for i in rows],
    }


def sampling_rules(sampling: tuple[cat.SamplingSpec, ...] = cat.SAMPLING) -> Table:
    rows = sorted(
        (cat.ITEMS[ITEM_INDEX[s.item]].department, s.item, grade, ratio)
        for s in sampling
        for grade, ratio in zip(cat.LATENT_CLASSES, s.ratios, strict=True)
    )
    return {
        "department": [r[0] for r in rows],
        "item": [r[1] for r in rows],
        "grade": [r[2] for r in rows],
        "ratio": [r[3] for r in rows],
    }


def no_disturb(
    rng: np.random.Generator,
    reg: Register,
    quarter: Quarter,
    as_of: dt.date,
    adverse: BoolArray,
    dates: DateText,
) -> tuple[Table, BoolArray]:
    """无感监管 entries for good-credit enterprises; also the mask of listed enterprises."""
    eligible = np.flatnonzero(reg.active & (reg.latent == 0) & ~adverse)
    k = min(len(eligible), round(cat.NO_DISTURB_SHARE * int(reg.active.sum())))
    chosen = np.sort(rng.choice(eligible, size=k, replace=False))
    since = as_of.toordinal() - rng.integers(30, 700, size=k)
    first, last = quarter.first_day.toordinal(), quarter.last_day.toordinal()
    u = rng.random(k)
    inside = first + rng.integers(10, last - first - 9, size=k)
    after = last + rng.integers(30, 365, size=k)
    until = np.where(
        u < cat.NO_DISTURB_UNTIL_INSIDE,
        inside,
        np.where(u < cat.NO_DISTURB_UNTIL_INSIDE + cat.NO_DISTURB_UNTIL_AFTER, after, 0),
    )
    until_text = [
        t if o else "" for t, o in zip(dates(np.maximum(until, first)), until.tolist(), strict=True)
    ]
    mask = np.zeros(reg.size, dtype=bool)
    mask[chosen] = True
    table = {
        "uscc": [reg.uscc[i] for i in chosen.tolist()],
        "since": dates(since),
        "until": until_text,
        "reason": [cat.NO_DISTURB_REASON] * k,
    }
    return table, mask


@dataclass(frozen=True)
class Drawn:
    """Demand-like rows before they are written: one entry per row."""

    rule: IntArray  # index into the rule list
    ent: IntArray
    start: IntArray  # ordinal, 0 = blank
    end: IntArray  # ordinal, 0 = blank
    priority: IntArray
    onsite_required: BoolArray


def _draw(
    rng: np.random.Generator,
    rules: tuple[cat.DemandRule, ...],
    reg: Register,
    quarter: Quarter,
    as_of: dt.date,
    urgent_from: int,
) -> Drawn:
    first, last = quarter.first_day.toordinal(), quarter.last_day.toordinal()
    months = [
        (dt.date(quarter.year, quarter.first_day.month + m, 1).toordinal()) for m in range(3)
    ] + [last + 1]
    chosen: list[IntArray] = []
    pools: list[IntArray] = []
    for rule in rules:
        item = cat.ITEMS[ITEM_INDEX[rule.item]]
        eligible = industry_applies(item.industries)[reg.industry] & reg.active
        if rule.opened_within_days is not None:
            eligible &= reg.opened >= as_of.toordinal() - rule.opened_within_days
        hit = eligible & (rng.random(reg.size) < np.array(rule.per_class)[reg.latent])
        chosen.append(np.flatnonzero(hit))
        pools.append(np.flatnonzero(eligible))
    # Every source appears at every size: a small district that drew none of a source gets
    # one, at an eligible enterprise of the source's first rule that has any.
    for source in sorted({rule.source for rule in rules}):
        indexes = [r for r, rule in enumerate(rules) if rule.source == source]
        if any(len(chosen[r]) for r in indexes):
            continue
        for r in indexes:
            if len(pools[r]):
                chosen[r] = np.array([pools[r][rng.integers(0, len(pools[r]))]], dtype=np.int64)
                break
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray, IntArray, BoolArray]] = []
    for r, rule in enumerate(rules):
        item = cat.ITEMS[ITEM_INDEX[rule.item]]
        ent = chosen[r]
        m = len(ent)
        if rule.window == "early":
            start = np.full(m, first)
            end = np.full(m, first + _LICENSE_EARLY_DAYS - 1)
        elif rule.window == "month":
            month = rng.integers(0, 3, size=m)
            start = np.array(months)[month]
            end = np.array(months)[month + 1] - 1
        elif rule.window == "urgent":
            start = urgent_from + rng.integers(0, _URGENT_START_DAYS, size=m)
            end = np.minimum(start + rng.integers(*_URGENT_LENGTH_DAYS, size=m), last)
        else:
            start = np.zeros(m, dtype=np.int64)
            end = np.zeros(m, dtype=np.int64)
        low, high = rule.priority
        priority = rng.integers(low, high + 1, size=m)
        required = (rng.random(m) < rule.onsite_required) & (item.mode != ItemMode.OFFSITE)
        parts.append(
            (
                np.full(m, r, dtype=np.int64),
                ent.astype(np.int64),
                np.asarray(start, dtype=np.int64),
                np.asarray(end, dtype=np.int64),
                priority.astype(np.int64),
                np.asarray(required, dtype=np.bool_),
            )
        )
    rule_i, ent_all = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    order = np.lexsort((rule_i, ent_all))
    return Drawn(
        rule=rule_i[order],
        ent=ent_all[order],
        start=np.concatenate([p[2] for p in parts])[order],
        end=np.concatenate([p[3] for p in parts])[order],
        priority=np.concatenate([p[4] for p in parts])[order],
        onsite_required=np.concatenate([p[5] for p in parts])[order],
    )


def demands(
    rng: np.random.Generator,
    reg: Register,
    quarter: Quarter,
    as_of: dt.date,
    dates: DateText,
    rules: tuple[cat.DemandRule, ...] = cat.DEMAND_RULES,
) -> tuple[Table, Drawn]:
    """Department demands of every source for the quarter, windows inside the quarter."""
    drawn = _draw(rng, rules, reg, quarter, as_of, quarter.first_day.toordinal())

    def day(ordinals: IntArray) -> list[str]:
        texts = dates(np.maximum(ordinals, quarter.first_day.toordinal()))
        return [t if o else "" for t, o in zip(texts, ordinals.tolist(), strict=True)]

    table = {
        "id": numbered("D-", len(drawn.ent), 6),
        "department": [
            cat.ITEMS[ITEM_INDEX[rules[r].item]].department for r in drawn.rule.tolist()
        ],
        "item": [rules[r].item for r in drawn.rule.tolist()],
        "uscc": [reg.uscc[i] for i in drawn.ent.tolist()],
        "source": [rules[r].source for r in drawn.rule.tolist()],
        "earliest": day(drawn.start),
        "latest": day(drawn.end),
        "priority": [str(p) for p in drawn.priority.tolist()],
        "onsite_required": ["1" if x else "0" for x in drawn.onsite_required.tolist()],
        "note": [rules[r].note for r in drawn.rule.tolist()],
    }
    return table, drawn


def triggers(
    rng: np.random.Generator,
    reg: Register,
    quarter: Quarter,
    as_of: dt.date,
    dates: DateText,
    rules: tuple[cat.DemandRule, ...] = cat.TRIGGER_RULES,
) -> tuple[Table, Drawn]:
    """Complaints, alerts, accidents and referrals received around the quarter's start."""
    first = quarter.first_day.toordinal()
    drawn = _draw(rng, rules, reg, quarter, as_of, first)
    m = len(drawn.ent)
    received = (
        first
        - cat.TRIGGER_DAYS_BEFORE
        + rng.integers(0, cat.TRIGGER_DAYS_BEFORE + cat.TRIGGER_DAYS_INTO, size=m)
    )
    minute = rng.integers(*cat.TRIGGER_MINUTES, size=m)
    # Worse enterprises draw graver triggers.
    severity = np.minimum(3, 1 + rng.poisson(0.3 + 0.4 * reg.latent[drawn.ent]))
    day_text = dates(received)
    stamps = [
        f"{d}T{mi // 60:02d}:{mi % 60:02d}:00+08:00"
        for d, mi in zip(day_text, minute.tolist(), strict=True)
    ]
    table = {
        "id": numbered("T-", m, 6),
        "uscc": [reg.uscc[i] for i in drawn.ent.tolist()],
        "kind": [rules[r].source for r in drawn.rule.tolist()],
        "received_at": stamps,
        "department": [
            cat.ITEMS[ITEM_INDEX[rules[r].item]].department for r in drawn.rule.tolist()
        ],
        "item": [rules[r].item for r in drawn.rule.tolist()],
        "severity": [str(s) for s in severity.tolist()],
        "detail": [rules[r].note for r in drawn.rule.tolist()],
    }
    return table, drawn


def onsite_load(
    reg: Register,
    listed: BoolArray,
    demand_rows: Drawn,
    trigger_rows: Drawn,
    sampling: tuple[cat.SamplingSpec, ...] = cat.SAMPLING,
    demand_rules: tuple[cat.DemandRule, ...] = cat.DEMAND_RULES,
    trigger_rules: tuple[cat.DemandRule, ...] = cat.TRIGGER_RULES,
) -> tuple[dict[str, float], dict[str, float]]:
    """Expected on-site visits per department this quarter (all, and triggered only).

    Counts the 双随机 draw as its expected size (latent classes standing in for grades), and
    every demand and trigger that rule §5 would place on-site, one visit each: an upper
    bound, since joint visits merge a department's tasks at one enterprise.
    """
    total = {d.code: 0.0 for d in cat.DEPARTMENTS}
    urgent = {d.code: 0.0 for d in cat.DEPARTMENTS}
    for spec in sampling:
        item = cat.ITEMS[ITEM_INDEX[spec.item]]
        if item.mode != ItemMode.ONSITE or item.no_disturb:
            continue
        population = industry_applies(item.industries)[reg.industry] & reg.active & ~listed
        for g, ratio in enumerate(spec.ratios):
            total[item.department] += float(ratio) * int((population & (reg.latent == g)).sum())
    for rules, drawn, all_triggered in (
        (demand_rules, demand_rows, False),
        (trigger_rules, trigger_rows, True),
    ):
        for r, required in zip(drawn.rule.tolist(), drawn.onsite_required.tolist(), strict=True):
            item = cat.ITEMS[ITEM_INDEX[rules[r].item]]
            triggered = all_triggered or DemandSource(rules[r].source).triggered
            onsite = item.mode == ItemMode.ONSITE or (
                item.mode == ItemMode.EITHER and (triggered or required)
            )
            if not onsite or (item.no_disturb and not triggered):
                continue
            total[item.department] += 1
            if triggered:
                urgent[item.department] += 1
    return total, urgent
