"""Words for what a chart cannot say by itself: why one figure stands far from the others.

A box plot shows that one department's officers make about a hundred visits each and
another's one or two, but not why; shown without a word, the reader suspects an error.
Each note is worked out from the report's own figures (the department's on-site tasks,
off-site checks and officers), so it says what the data says and nothing more.
"""

import statistics
from dataclasses import dataclass

from jointinspect.data.report.figures import DepartmentModes, OfficerLoad, ReportData
from jointinspect.data.report.text import Lang, text

#: A department's load is far from the others' at this many times the median department's
#: load, or below it by the same factor. Loads vary with each department's share of the
#: plan, so twice or half is ordinary; three times is what makes a reader stop.
FAR = 3.0
#: With fewer departments there are no "others" to be far from.
MIN_DEPARTMENTS = 3


@dataclass(frozen=True)
class LoadOutlier:
    """A department whose visits per officer are far from the median department's."""

    load: OfficerLoad
    modes: DepartmentModes
    typical: float  # the median department's visits per officer
    high: bool

    @property
    def ratio(self) -> float | None:
        median = self.load.median or 0.0
        return median / self.typical if self.typical else None


def load_outliers(data: ReportData) -> tuple[LoadOutlier, ...]:
    """Departments whose officers' median load is at least ``FAR`` times the median
    department's, or at most 1/``FAR`` of it; the heaviest first."""
    loads = [w for w in data.workload if w.officers]
    if len(loads) < MIN_DEPARTMENTS:
        return ()
    typical = float(statistics.median(w.median or 0.0 for w in loads))
    if typical <= 0:
        return ()  # most departments have no visits: nothing typical to compare with
    modes = {d.department: d for d in data.departments}
    out = []
    for w in loads:
        median = w.median or 0.0
        high = median >= FAR * typical
        if high or median <= typical / FAR:
            mine = modes.get(w.department) or DepartmentModes(w.department, w.name, 0, 0, 0)
            out.append(LoadOutlier(w, mine, typical, high))
    return tuple(sorted(out, key=lambda o: (-(o.load.median or 0.0), o.load.department)))


def workload_notes(data: ReportData, lang: Lang) -> list[str]:
    """Sentences saying why each far-off department's load is what it is (none: none far)."""
    outliers = load_outliers(data)
    if not outliers:
        return []
    notes = []
    rosters = {w.officers for w in data.workload if w.officers}
    if len(rosters) == 1:
        # With equal rosters, the on-site tasks alone explain the spread: say so once.
        notes.append(text("load_same_roster", lang, officers=rosters.pop()))
    for o in outliers:
        w, d = o.load, o.modes
        values: dict[str, object] = {
            "name": w.name,
            "code": w.department,
            "load": _number(w.median or 0.0),
            "typical": _number(o.typical),
            "officers": w.officers,
            "onsite": f"{d.onsite:,}",
            "visits": f"{w.department_visits:,}",
        }
        if o.high:
            notes.append(text("load_high", lang, ratio=_ratio(o.ratio or 0.0), **values))
            continue
        rest = ""
        if d.offsite > d.onsite:  # most of its tasks need no visit: that is why
            rest += text("load_rest_offsite", lang, n=f"{d.offsite:,}")
            if d.unscheduled:
                rest += text("load_rest_unscheduled", lang, n=f"{d.unscheduled:,}")
        notes.append(text("load_low", lang, rest=rest, **values))
    return notes


def _number(value: float) -> str:
    """A median: whole, or with its half where a half still matters (below ten)."""
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:,.1f}"


def _ratio(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def empty_key(data: ReportData, chart_id: str) -> str | None:
    """The words (a ``text`` key) saying what fills the section of ``chart_id`` when it has
    no data yet; None when it has data. The chart and the page ask here, so both say it."""
    if chart_id == "chart-offsite":
        return None if any(d.demands for d in data.departments) else "empty_offsite"
    if chart_id == "chart-burden":
        return None if any(b.enterprises or b.visits for b in data.burden) else "empty_burden"
    if chart_id == "chart-outcomes":
        return None if any(o.visits for o in data.outcomes_by_grade) else "empty_outcomes"
    if chart_id == "chart-workload":
        if not any(w.officers for w in data.workload):
            return "empty_officers"
        return None if any(sum(w.visits) for w in data.workload) else "empty_visits"
    if chart_id == "chart-towns":
        if data.points:
            return None
        return "empty_map" if data.consolidation.visits_stored else "empty_visits"
    if chart_id == "chart-ratings":
        return None if data.ratings.rated else "empty_ratings"
    return None
