"""What happened to the synthetic enterprises before the quarter: credit events, industry
credit records and inspection history, each driven by the hidden latent class.

Every function returns a ``Table``: column name → list of cell texts, rows sorted by the
file's natural order (enterprise, then date), ids numbered in that order.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic.register import FloatArray, IntArray, Register, industry_applies
from jointinspect.models.enums import ItemMode

Table = dict[str, list[str]]


@dataclass(frozen=True)
class DateText:
    """ISO texts of a range of days, looked up by ordinal in bulk."""

    first: int
    texts: NDArray[np.object_]

    @classmethod
    def spanning(cls, first: int, last: int) -> "DateText":
        texts = np.array(
            [dt.date.fromordinal(o).isoformat() for o in range(first, last + 1)], dtype=object
        )
        return cls(first, texts)

    def __call__(self, ordinals: IntArray) -> list[str]:
        return list(self.texts[ordinals - self.first])


def numbered(prefix: str, count: int, width: int = 7) -> list[str]:
    """``prefix`` followed by 1…count, zero-padded so that text order is number order."""
    width = max(width, len(str(count)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def pick_per_row(rng: np.random.Generator, table: list[list[int]], keys: IntArray) -> IntArray:
    """For each row, a uniformly chosen entry of ``table[key]`` (no list may be empty)."""
    width = max(len(r) for r in table)
    padded = np.array([r + [r[0]] * (width - len(r)) for r in table])
    lengths = np.array([len(r) for r in table])
    choice = (rng.random(len(keys)) * lengths[keys]).astype(np.int64)
    picked: IntArray = padded[keys, choice]
    return picked


def _departments_by_industry() -> list[list[int]]:
    """Departments whose trade-specific items (not ``*``) cover each industry; SCJ else."""
    codes = [d.code for d in cat.DEPARTMENTS]
    table: list[list[int]] = []
    for ind in cat.INDUSTRIES:
        found = sorted(
            {
                codes.index(item.department)
                for item in cat.ITEMS
                if item.industries != "*"
                and industry_applies(item.industries)[cat.INDUSTRIES.index(ind)]
            }
        )
        table.append(found or [codes.index("SCJ")])
    return table


def _exposure(reg: Register, as_of: dt.date) -> tuple[IntArray, IntArray]:
    """First day each enterprise can have a record, and the number of days from it."""
    end = as_of.toordinal()
    begin = np.maximum(reg.opened, end - cat.HISTORY_DAYS + 1)
    return begin, end - begin + 1


def _severity(
    rng: np.random.Generator, odds: tuple[tuple[float, float, float], ...], latent: IntArray
) -> IntArray:
    table = np.array(odds)
    cum = np.cumsum(table, axis=1)[latent]
    u = rng.random(len(latent))
    severity: IntArray = 1 + (u >= cum[:, 0]).astype(np.int64) + (u >= cum[:, 1]).astype(np.int64)
    return np.minimum(severity, 3)


@dataclass(frozen=True)
class CreditEvents:
    """Drawn credit events as parallel arrays, sorted by enterprise, date and kind."""

    ent: IntArray
    day: IntArray  # proleptic ordinal
    kind: IntArray  # index into cat.CREDIT_EVENTS
    severity: IntArray  # 1 minor, 2 serious, 3 grave
    department: IntArray  # index into cat.DEPARTMENTS, -1 for none


def draw_credit_events(
    rng: np.random.Generator, reg: Register, as_of: dt.date, classes: IntArray
) -> CreditEvents:
    """Public credit events of every kind at the catalogue's rates for each row's class.

    ``classes`` (0..3, A..D) picks the rates and severities: the hidden latent class in the
    classic district, a banded credit-badness in the worlds driven by credit.
    """
    begin, span = _exposure(reg, as_of)
    years = span / 365.0
    dept_codes = [d.code for d in cat.DEPARTMENTS]
    by_industry = _departments_by_industry()
    ents, days, kinds, sevs, depts = [], [], [], [], []
    for k, spec in enumerate(cat.CREDIT_EVENTS):
        rate = np.array(spec.per_year)[classes]
        if spec.kind in cat.ANNUAL_KINDS:
            month, day = cat.ANNUAL_KINDS[spec.kind]
            ent_parts, day_parts = [], []
            for year in range(as_of.year - cat.HISTORY_DAYS // 365, as_of.year + 1):
                when = dt.date(year, month, day).toordinal()
                if not (as_of.toordinal() - cat.HISTORY_DAYS < when <= as_of.toordinal()):
                    continue
                hit = np.flatnonzero((reg.opened < when) & (rng.random(reg.size) < rate))
                ent_parts.append(hit)
                day_parts.append(np.full(len(hit), when, dtype=np.int64))
            ent = np.concatenate(ent_parts) if ent_parts else np.zeros(0, dtype=np.int64)
            day_ord = np.concatenate(day_parts) if day_parts else np.zeros(0, dtype=np.int64)
        else:
            counts = rng.poisson(rate * years)
            ent = np.repeat(np.arange(reg.size), counts)
            day_ord = begin[ent] + (rng.random(len(ent)) * span[ent]).astype(np.int64)
        ents.append(ent)
        days.append(day_ord)
        kinds.append(np.full(len(ent), k, dtype=np.int64))
        sevs.append(_severity(rng, spec.severity, classes[ent]))
        if spec.department == "industry":
            dept = pick_per_row(rng, by_industry, reg.industry[ent])
        elif spec.department:
            dept = np.full(len(ent), dept_codes.index(spec.department), dtype=np.int64)
        else:
            dept = np.full(len(ent), -1, dtype=np.int64)
        depts.append(dept)
    ent, day_ord, kind = np.concatenate(ents), np.concatenate(days), np.concatenate(kinds)
    sev, dept = np.concatenate(sevs), np.concatenate(depts)
    order = np.lexsort((kind, day_ord, ent))
    return CreditEvents(ent[order], day_ord[order], kind[order], sev[order], dept[order])


def credit_event_table(reg: Register, events: CreditEvents, dates: DateText) -> Table:
    """``credit_events.csv``: the events in their order, numbered CE0000001…"""
    dept_codes = [d.code for d in cat.DEPARTMENTS]
    uscc = reg.uscc
    kind_text = [s.kind.value for s in cat.CREDIT_EVENTS]
    detail_text = [s.detail for s in cat.CREDIT_EVENTS]
    dept_text = [*dept_codes, ""]  # index -1 is blank
    kinds = events.kind.tolist()
    return {
        "id": numbered("CE", len(events.ent)),
        "uscc": [uscc[i] for i in events.ent.tolist()],
        "kind": [kind_text[k] for k in kinds],
        "date": dates(events.day),
        "severity": [str(s) for s in events.severity.tolist()],
        "department": [dept_text[d] for d in events.department.tolist()],
        "detail": [detail_text[k] for k in kinds],
    }


def credit_events(
    rng: np.random.Generator, reg: Register, as_of: dt.date, dates: DateText
) -> Table:
    """Public credit events of every kind; bad ones are frequent and grave for bad classes."""
    return credit_event_table(reg, draw_credit_events(rng, reg, as_of, reg.latent), dates)


#: Credit-event kinds (by index into cat.CREDIT_EVENTS) that speak against an enterprise.
ADVERSE_KIND = np.array(
    [s.kind.value not in ("tax_grade_a", "commendation") for s in cat.CREDIT_EVENTS]
)


def negative_event_mask(reg: Register, events: CreditEvents) -> NDArray[np.bool_]:
    """Enterprises with at least one adverse credit event."""
    mask = np.zeros(reg.size, dtype=bool)
    mask[events.ent[ADVERSE_KIND[events.kind]]] = True
    return mask


def industry_records(
    rng: np.random.Generator, reg: Register, as_of: dt.date, dates: DateText
) -> Table:
    """Departments' industry credit evaluations (0–100, higher is better), one or two each."""
    end = as_of.toordinal()
    means = np.array(cat.INDICATOR_MEAN)
    ents, days, specs, values = [], [], [], []
    for s, spec in enumerate(cat.INDICATORS):
        covered = industry_applies(spec.industries)[reg.industry] & reg.active
        covered &= rng.random(reg.size) < spec.coverage
        latest = end - rng.integers(30, 330, size=reg.size)
        earlier = latest - 365
        again = rng.random(reg.size) < 0.4
        for when, extra in ((latest, covered), (earlier, covered & again)):
            ent = np.flatnonzero(extra & (reg.opened < when))
            noise = rng.normal(size=len(ent)) * cat.INDICATOR_SD
            value = np.clip(np.round(means[reg.latent[ent]] + noise, 1), 0.0, 100.0)
            ents.append(ent)
            days.append(when[ent])
            specs.append(np.full(len(ent), s, dtype=np.int64))
            values.append(value)
    ent, day_ord, spec_i = np.concatenate(ents), np.concatenate(days), np.concatenate(specs)
    value = np.concatenate(values)
    order = np.lexsort((spec_i, day_ord, ent))
    ent, day_ord, spec_i, value = ent[order], day_ord[order], spec_i[order], value[order]
    return {
        "id": numbered("IR", len(ent)),
        "uscc": [reg.uscc[i] for i in ent.tolist()],
        "department": [cat.INDICATORS[s].department for s in spec_i.tolist()],
        "indicator": [cat.INDICATORS[s].indicator for s in spec_i.tolist()],
        "value": [f"{v:.1f}" for v in value.tolist()],
        "date": dates(day_ord),
    }


def inspectable_items_by_industry() -> list[list[int]]:
    """Items that can be inspected on-site (``onsite``/``either``) for each industry."""
    table = []
    for i in range(len(cat.INDUSTRIES)):
        table.append(
            [
                k
                for k, item in enumerate(cat.ITEMS)
                if item.mode != ItemMode.OFFSITE and industry_applies(item.industries)[i]
            ]
        )
    return table


@dataclass(frozen=True)
class Inspections:
    """Past on-site inspections as parallel arrays, in ``history.csv`` order (enterprise,
    date, item)."""

    ent: IntArray
    day: IntArray  # proleptic ordinal
    item: IntArray  # index into cat.ITEMS

    @property
    def size(self) -> int:
        return len(self.ent)


def draw_inspections(
    rng: np.random.Generator, reg: Register, as_of: dt.date
) -> tuple[IntArray, IntArray, IntArray]:
    """Who was inspected when for what, in draw order: (enterprise, day, item).

    The rate rises with the trade's inherent risk and the hidden latent class (riskier
    enterprises draw more complaints and targeted checks).
    """
    begin, span = _exposure(reg, as_of)
    risk = np.array([i.risk for i in cat.INDUSTRIES])[reg.industry]
    rate = cat.INSPECTIONS_PER_YEAR_BASE + cat.INSPECTIONS_PER_YEAR_RISK * risk
    rate = rate * np.array(cat.INSPECTIONS_CLASS_FACTOR)[reg.latent]
    counts = rng.poisson(rate * span / 365.0)
    ent = np.repeat(np.arange(reg.size), counts)
    day_ord = begin[ent] + (rng.random(len(ent)) * span[ent]).astype(np.int64)
    item = pick_per_row(rng, inspectable_items_by_industry(), reg.industry[ent])
    return ent, day_ord, item


def results(u: FloatArray, p: FloatArray) -> IntArray:
    """Results (0 compliant, 1 minor, 2 violation) of inspections with violation
    probability ``p`` from uniform draws ``u``: ``minor`` takes a share of ``p`` plus a floor."""
    minor = p + cat.MINOR_SHARE * p + cat.MINOR_FLOOR
    result: IntArray = np.where(u < p, 2, np.where(u < minor, 1, 0))
    return result


def history_table(
    reg: Register,
    inspections: Inspections,
    result: IntArray,
    detail_pick: IntArray,
    dates: DateText,
) -> Table:
    """``history.csv``: the inspections in their order, numbered H0000001…"""
    result_text = ("compliant", "minor", "violation")
    details = []
    for r, d in zip(result.tolist(), detail_pick.tolist(), strict=True):
        options = cat.HISTORY_DETAIL.get(result_text[r], ())
        details.append(options[d % len(options)] if options else "")
    item = inspections.item.tolist()
    return {
        "id": history_ids(inspections.size),
        "uscc": [reg.uscc[i] for i in inspections.ent.tolist()],
        "department": [cat.ITEMS[k].department for k in item],
        "date": dates(inspections.day),
        "result": [result_text[r] for r in result.tolist()],
        "item": [cat.ITEMS[k].code for k in item],
        "detail": details,
    }


def history_ids(count: int) -> list[str]:
    """The ids of ``history.csv``'s rows, in order."""
    return numbered("H", count)


def history(
    rng: np.random.Generator, reg: Register, as_of: dt.date, dates: DateText
) -> tuple[Table, FloatArray]:
    """Past inspections whose results follow each enterprise's hidden static propensity
    (the classic district); also each row's violation probability."""
    ent, day_ord, item = draw_inspections(rng, reg, as_of)
    p = reg.propensity[ent]
    u = rng.random(len(ent))
    result = results(u, p)
    detail_pick = rng.integers(0, 1 << 20, size=len(ent))
    order = np.lexsort((item, day_ord, ent))
    done = Inspections(ent[order], day_ord[order], item[order])
    return history_table(reg, done, result[order], detail_pick[order], dates), p[order]
