"""What happened to the synthetic enterprises before the quarter: credit events, industry
credit records and inspection history, each driven by the hidden latent class.

Every function returns a ``Table``: column name → list of cell texts, rows sorted by the
file's natural order (enterprise, then date), ids numbered in that order.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.data import synthetic_catalog as cat
from jointinspect.data.synthetic_register import IntArray, Register, industry_applies
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


def credit_events(
    rng: np.random.Generator, reg: Register, as_of: dt.date, dates: DateText
) -> Table:
    """Public credit events of every kind; bad ones are frequent and grave for bad classes."""
    begin, span = _exposure(reg, as_of)
    years = span / 365.0
    dept_codes = [d.code for d in cat.DEPARTMENTS]
    by_industry = _departments_by_industry()
    ents, days, kinds, sevs, depts = [], [], [], [], []
    for k, spec in enumerate(cat.CREDIT_EVENTS):
        rate = np.array(spec.per_year)[reg.latent]
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
        sevs.append(_severity(rng, spec.severity, reg.latent[ent]))
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
    ent, day_ord, kind, sev, dept = ent[order], day_ord[order], kind[order], sev[order], dept[order]
    uscc = reg.uscc
    kind_text = [s.kind.value for s in cat.CREDIT_EVENTS]
    detail_text = [s.detail for s in cat.CREDIT_EVENTS]
    dept_text = [*dept_codes, ""]  # index -1 is blank
    return {
        "id": numbered("CE", len(ent)),
        "uscc": [uscc[i] for i in ent.tolist()],
        "kind": [kind_text[k] for k in kind.tolist()],
        "date": dates(day_ord),
        "severity": [str(s) for s in sev.tolist()],
        "department": [dept_text[d] for d in dept.tolist()],
        "detail": [detail_text[k] for k in kind.tolist()],
    }


def negative_event_mask(reg: Register, events: Table) -> NDArray[np.bool_]:
    """Enterprises with at least one adverse credit event."""
    good = {"tax_grade_a", "commendation"}
    index = {u: i for i, u in enumerate(reg.uscc)}
    mask = np.zeros(reg.size, dtype=bool)
    for uscc, kind in zip(events["uscc"], events["kind"], strict=True):
        if kind not in good:
            mask[index[uscc]] = True
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


def history(rng: np.random.Generator, reg: Register, as_of: dt.date, dates: DateText) -> Table:
    """Past inspections whose results follow each enterprise's hidden propensity."""
    begin, span = _exposure(reg, as_of)
    risk = np.array([i.risk for i in cat.INDUSTRIES])[reg.industry]
    rate = cat.INSPECTIONS_PER_YEAR_BASE + cat.INSPECTIONS_PER_YEAR_RISK * risk
    rate = rate * np.array(cat.INSPECTIONS_CLASS_FACTOR)[reg.latent]
    counts = rng.poisson(rate * span / 365.0)
    ent = np.repeat(np.arange(reg.size), counts)
    day_ord = begin[ent] + (rng.random(len(ent)) * span[ent]).astype(np.int64)
    item = pick_per_row(rng, inspectable_items_by_industry(), reg.industry[ent])
    p = reg.propensity[ent]
    u = rng.random(len(ent))
    result = np.where(u < p, 2, np.where(u < p + cat.MINOR_SHARE * p + cat.MINOR_FLOOR, 1, 0))
    detail_pick = rng.integers(0, 1 << 20, size=len(ent))
    order = np.lexsort((item, day_ord, ent))
    ent, day_ord, item = ent[order], day_ord[order], item[order]
    result, detail_pick = result[order], detail_pick[order]
    result_text = ("compliant", "minor", "violation")
    details = []
    for r, d in zip(result.tolist(), detail_pick.tolist(), strict=True):
        options = cat.HISTORY_DETAIL.get(result_text[r], ())
        details.append(options[d % len(options)] if options else "")
    return {
        "id": numbered("H", len(ent)),
        "uscc": [reg.uscc[i] for i in ent.tolist()],
        "department": [cat.ITEMS[k].department for k in item.tolist()],
        "date": dates(day_ord),
        "result": [result_text[r] for r in result.tolist()],
        "item": [cat.ITEMS[k].code for k in item.tolist()],
        "detail": details,
    }
