"""A synthetic Fengxian district, written as a contract bundle (spec §1) plus hidden truth.

``generate_district`` draws enterprises with a hidden latent risk class (A–D, about
65/25/8/2 %) and lets that class drive everything a grader can see: credit events,
industry credit records and the results of two to three years of inspections. Beside the
bundle — never inside it — ``truth.csv`` holds each enterprise's class and violation
propensity, so that grading can be scored against what really drove the data.

Same seed and arguments → byte-identical files on any machine: every stage draws from its
own numpy Generator seeded from a sha256 of the seed, the arguments and the stage name;
rows are written in key order with fixed number formats.
"""

import csv
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jointinspect.data import synthetic_activity as activity
from jointinspect.data import synthetic_catalog as cat
from jointinspect.data import synthetic_planning as planning
from jointinspect.data import synthetic_staff as staff_mod
from jointinspect.data.synthetic_activity import DateText, Table
from jointinspect.data.synthetic_register import Register, make_register
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar

MIN_ENTERPRISES = 100
MAX_ENTERPRISES = 650_000
BUNDLE_DIR = "bundle"
TRUTH_FILE = "truth.csv"

#: Files in the order they are written (and reported to ``progress``).
FILES = (
    "departments.csv",
    "items.csv",
    "sampling_rules.csv",
    "enterprises.csv",
    "relations.csv",
    "credit_events.csv",
    "industry_records.csv",
    "history.csv",
    "no_disturb.csv",
    "demands.csv",
    "triggers.csv",
    "inspectors.csv",
    "availability.csv",
    "conflicts.csv",
)

#: ``progress(stage, done, total)``: called after each file with the stages done so far.
Progress = Callable[[str, int, int], None]


class DistrictSizeError(JointInspectError):
    """The requested number of enterprises is outside what the generator makes."""


class OutputNotEmptyError(JointInspectError):
    """The output folder already holds a bundle or truth file."""


@dataclass(frozen=True)
class GeneratedDistrict:
    """Where the bundle and the truth went, and how many rows each file got."""

    bundle_dir: Path
    truth_path: Path
    rows: dict[str, int]

    @property
    def enterprises(self) -> int:
        return self.rows["enterprises.csv"]


def stage_rng(
    seed: str, enterprises: int, quarter: Quarter, as_of: dt.date, stage: str
) -> np.random.Generator:
    """An independent, platform-stable random stream for one stage of the generation."""
    text = f"jointinspect-synthetic|{seed}|{enterprises}|{quarter}|{as_of.isoformat()}|{stage}"
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "big")))


def generate_district(
    out_dir: Path,
    *,
    enterprises: int,
    seed: str,
    quarter: Quarter,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> GeneratedDistrict:
    """Generate a district of ``enterprises`` enterprises for planning ``quarter``.

    Writes the bundle CSVs into ``out_dir / "bundle"`` and the hidden truth into
    ``out_dir / "truth.csv"``. ``as_of`` (default: the day before the quarter starts) is
    the last day of history; credit events and inspections cover the three years before it.
    """
    if not MIN_ENTERPRISES <= enterprises <= MAX_ENTERPRISES:
        raise DistrictSizeError(
            f"cannot generate {enterprises:,} enterprises: the generator makes between"
            f" {MIN_ENTERPRISES:,} and {MAX_ENTERPRISES:,}",
            hint=f"choose --enterprises between {MIN_ENTERPRISES:,} and {MAX_ENTERPRISES:,}",
        )
    as_of = as_of or quarter.first_day - dt.timedelta(days=1)
    bundle = out_dir / BUNDLE_DIR
    truth_path = out_dir / TRUTH_FILE
    existing = [p for p in (truth_path, *(bundle / f for f in FILES)) if p.exists()]
    if existing:
        raise OutputNotEmptyError(
            f"{out_dir} already holds a generated district ({existing[0].name})",
            hint="choose an empty folder or remove the old one",
        )
    bundle.mkdir(parents=True, exist_ok=True)

    def rng(stage: str) -> np.random.Generator:
        return stage_rng(seed, enterprises, quarter, as_of, stage)

    rows: dict[str, int] = {}
    total = len(FILES) + 1

    def write(name: str, table: Table) -> None:
        rows[name] = _write_csv(bundle / name, table)
        if progress:
            progress(name, len(rows), total)

    calendar = WorkingCalendar()
    reg = make_register(rng("register"), enterprises, as_of)
    dates = DateText.spanning(
        min(int(reg.opened.min()), as_of.toordinal() - cat.HISTORY_DAYS) - 1,
        quarter.last_day.toordinal() + 2000,
    )
    write("departments.csv", planning.departments())
    write("items.csv", planning.items())
    write("sampling_rules.csv", planning.sampling_rules())
    write("enterprises.csv", _enterprises(reg, dates))
    write("relations.csv", _relations(reg))
    events = activity.draw_credit_events(rng("credit_events"), reg, as_of, reg.latent)
    adverse = activity.negative_event_mask(reg, events)
    write("credit_events.csv", activity.credit_event_table(reg, events, dates))
    del events
    write(
        "industry_records.csv",
        activity.industry_records(rng("industry_records"), reg, as_of, dates),
    )
    history, _ = activity.history(rng("history"), reg, as_of, dates)
    write("history.csv", history)
    listed_table, listed = planning.no_disturb(
        rng("no_disturb"), reg, quarter, as_of, adverse, dates
    )
    write("no_disturb.csv", listed_table)
    demand_table, demand_rows = planning.demands(rng("demands"), reg, quarter, as_of, dates)
    write("demands.csv", demand_table)
    trigger_table, trigger_rows = planning.triggers(rng("triggers"), reg, quarter, as_of, dates)
    write("triggers.csv", trigger_table)

    load, urgent = planning.onsite_load(reg, listed, demand_rows, trigger_rows)
    counts = staff_mod.officers_needed(
        load, urgent, staff_mod.workday_count(quarter, calendar), enterprises
    )
    staff = staff_mod.inspectors(rng("inspectors"), counts, quarter, dates)
    write("inspectors.csv", staff.inspectors)
    write("availability.csv", staff_mod.availability(rng("availability"), staff, quarter, calendar))
    write("conflicts.csv", staff_mod.conflicts(rng("conflicts"), staff, reg))

    rows[TRUTH_FILE] = _write_csv(truth_path, _truth(reg))
    if progress:
        progress(TRUTH_FILE, total, total)
    return GeneratedDistrict(bundle_dir=bundle, truth_path=truth_path, rows=rows)


def _enterprises(reg: Register, dates: DateText) -> Table:
    return {
        "uscc": reg.uscc,
        "name": reg.name,
        "industry": [cat.INDUSTRIES[i].code for i in reg.industry.tolist()],
        "town": [cat.TOWNS[t].name for t in reg.town.tolist()],
        "address": reg.address,
        "lat": [f"{x:.6f}" for x in reg.lat.tolist()],
        "lon": [f"{x:.6f}" for x in reg.lon.tolist()],
        "opened_on": dates(reg.opened),
        "status": ["closed" if c else "active" for c in reg.closed.tolist()],
        "legal_rep": reg.person_id,
    }


def _relations(reg: Register) -> Table:
    return {
        "uscc_a": [reg.uscc[a] for a, _, _ in reg.relations],
        "uscc_b": [reg.uscc[b] for _, b, _ in reg.relations],
        "kind": [k for _, _, k in reg.relations],
    }


def _truth(reg: Register) -> Table:
    risk = [cat.INDUSTRIES[i].risk for i in reg.industry.tolist()]
    return {
        "uscc": reg.uscc,
        "latent_class": [cat.LATENT_CLASSES[c] for c in reg.latent.tolist()],
        "propensity": [f"{p:.4f}" for p in reg.propensity.tolist()],
        "latent_score": [f"{s:.6f}" for s in reg.score.tolist()],
        "industry_risk": [f"{r:.2f}" for r in risk],
    }


def _write_csv(path: Path, table: Table) -> int:
    """Write ``table`` as UTF-8 CSV with ``\\n`` line ends; the number of data rows."""
    columns = list(table.values())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.keys())
        writer.writerows(zip(*columns, strict=True))
    return len(columns[0]) if columns else 0
