"""The synthetic inspectorate: officers sized to the quarter's on-site work, their days
off and training days, and their 回避 (conflict-of-interest) entries."""

import math
from dataclasses import dataclass

import numpy as np

from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic.activity import DateText, Table
from jointinspect.data.synthetic.register import IntArray, Register
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar

#: Working days a triggered demand's window holds (the contract's default response time)
#: plus a margin: the span in which the quarter's early triggers must be absorbed.
_TRIGGER_SPAN_WORKDAYS = 15


@dataclass(frozen=True)
class Staff:
    inspectors: Table
    department: list[str]  # per officer
    home_town: IntArray  # per officer, index into cat.TOWNS


def officers_needed(
    load: dict[str, float],
    urgent: dict[str, float],
    workdays: int,
    enterprises: int,
    max_utilisation: float = cat.MAX_UTILISATION,
    floor_factor: float = 1.0,
) -> dict[str, int]:
    """Officers per department so that the quarter's visits use at most ``max_utilisation``
    of their capacity, overall and in the weeks the early triggers must be answered, and
    never fewer than the department's standing force times ``floor_factor``."""
    typical = 4  # visits per officer-day of most officers
    per_day = typical * cat.AVAILABLE_SHARE * max_utilisation
    needed = {}
    for d in cat.DEPARTMENTS:
        overall = cat.OFFICERS_PER_VISIT * load[d.code] / (per_day * max(workdays, 1))
        early = cat.OFFICERS_PER_VISIT * urgent[d.code] / (per_day * _TRIGGER_SPAN_WORKDAYS)
        floor = floor_factor * d.officers_floor_per_1000 * enterprises / 1000
        needed[d.code] = max(cat.MIN_OFFICERS, math.ceil(max(overall, early, floor)))
    return needed


def inspectors(
    rng: np.random.Generator,
    counts: dict[str, int],
    quarter: Quarter,
    dates: DateText,
    town_weights: tuple[float, ...] | None = None,
) -> Staff:
    """The officers; their home towns follow ``town_weights`` (the catalogue's if None)."""
    first, last = quarter.first_day.toordinal(), quarter.last_day.toordinal()
    ids, depts, names, certs, valid, homes, visits = [], [], [], [], [], [], []
    town_w = np.array(town_weights or [t.weight for t in cat.TOWNS])
    vpd_values = [v for v, _ in cat.VISITS_PER_DAY]
    vpd_p = np.array([p for _, p in cat.VISITS_PER_DAY])
    expiring_total = 0
    # Departments in code order, so that officer ids come out sorted.
    for d_index, d in enumerate(sorted(cat.DEPARTMENTS, key=lambda d: d.code)):
        n = counts[d.code]
        width = max(3, len(str(n)))
        expiring = np.zeros(n, dtype=bool)
        k = round(cat.CERT_EXPIRING_SHARE * n)
        expiring[rng.choice(n, size=k, replace=False)] = True
        expiring_total += k
        until = np.where(
            expiring,
            first + rng.integers(10, last - first - 9, size=n),
            last + rng.integers(180, 1460, size=n),
        )
        home = rng.choice(len(cat.TOWNS), size=n, p=town_w / town_w.sum())
        vpd = rng.choice(len(vpd_values), size=n, p=vpd_p)
        surname = rng.integers(0, len(cat.SURNAMES), size=n)
        given = rng.integers(0, len(cat.GIVEN_NAME_CHARACTERS), size=(n, 2))
        two = rng.random(n) < 0.7
        for i in range(n):
            ids.append(f"{d.code}-{i + 1:0{width}d}")
            depts.append(d.code)
            g = cat.GIVEN_NAME_CHARACTERS
            given_name = g[given[i, 0]] + (g[given[i, 1]] if two[i] else "")
            names.append(cat.SURNAMES[surname[i]] + given_name)
            certs.append(f"3101200{d_index + 1:02d}{i + 1:05d}")
            homes.append(int(home[i]))
            visits.append(str(vpd_values[vpd[i]]))
        valid.extend(dates(until))
    if expiring_total == 0:
        # A district always has someone whose certificate runs out mid-quarter: the largest
        # department's last officer, so that planning meets the case at every size.
        largest = max(cat.DEPARTMENTS, key=lambda d: (counts[d.code], d.code)).code
        last_of = max(i for i, d in enumerate(depts) if d == largest)
        valid[last_of] = dates(np.array([first + (last - first) // 2]))[0]
    table = {
        "id": ids,
        "department": depts,
        "name": names,
        "cert_no": certs,
        "cert_valid_until": valid,
        "home_town": [cat.TOWNS[h].name for h in homes],
        "max_visits_per_day": visits,
    }
    return Staff(table, depts, np.array(homes, dtype=np.int64))


def availability(
    rng: np.random.Generator, staff: Staff, quarter: Quarter, calendar: WorkingCalendar
) -> Table:
    """Days off (leave, sickness) and department training days, on working days only."""
    workdays = calendar.workdays(quarter.first_day, quarter.last_day)
    w = len(workdays)
    off: set[tuple[int, int]] = set()
    by_dept: dict[str, list[int]] = {}
    for i, d in enumerate(staff.department):
        by_dept.setdefault(d, []).append(i)
    leave = rng.poisson(cat.LEAVE_DAYS_MEAN, size=len(staff.department))
    for i, count in enumerate(leave.tolist()):
        for day in rng.choice(w, size=min(count, w), replace=False).tolist():
            off.add((i, day))
    for dept in cat.DEPARTMENTS:
        members = by_dept[dept.code]
        away = max(1, min(len(members) - 2, round(cat.TRAINING_SHARE * len(members))))
        for day in rng.choice(w, size=cat.TRAINING_DAYS, replace=False).tolist():
            for i in rng.choice(members, size=away, replace=False).tolist():
                off.add((int(i), day))
    rows = sorted(off)
    ids = staff.inspectors["id"]
    return {
        "inspector_id": [ids[i] for i, _ in rows],
        "date": [workdays[day].isoformat() for _, day in rows],
        "available": ["0"] * len(rows),
    }


def conflicts(rng: np.random.Generator, staff: Staff, reg: Register) -> Table:
    """A few 回避 entries per officer, mostly enterprises in the officer's home town."""
    by_town = [np.flatnonzero(reg.town == t) for t in range(len(cat.TOWNS))]
    pairs: dict[tuple[int, int], int] = {}
    counts = 1 + rng.poisson(cat.CONFLICTS_EXTRA_MEAN, size=len(staff.department))
    for officer, count in enumerate(counts.tolist()):
        home = by_town[int(staff.home_town[officer])]
        for _ in range(count):
            pool = home if len(home) and rng.random() < cat.CONFLICTS_HOME_SHARE else None
            ent = (
                int(pool[rng.integers(0, len(pool))])
                if pool is not None
                else int(rng.integers(0, reg.size))
            )
            pairs.setdefault((officer, ent), int(rng.integers(0, len(cat.CONFLICT_REASONS))))
    ids = staff.inspectors["id"]
    rows = sorted(pairs.items())
    return {
        "inspector_id": [ids[o] for (o, _), _ in rows],
        "uscc": [reg.uscc[e] for (_, e), _ in rows],
        "reason": [cat.CONFLICT_REASONS[r] for _, r in rows],
    }


def workday_count(quarter: Quarter, calendar: WorkingCalendar) -> int:
    return len(calendar.workdays(quarter.first_day, quarter.last_day))
