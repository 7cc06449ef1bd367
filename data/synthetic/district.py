"""A synthetic Fengxian district, written as a contract bundle (spec §1) plus hidden truth.

``generate_district`` draws enterprises with a hidden latent risk class (A–D, about
65/25/8/2 %) and, in the ``classic`` world, lets that class drive everything a grader can
see: credit events, industry credit records and the results of two to three years of
inspections. The other worlds (``synthetic.worlds``) keep the district and let another
hidden mechanism decide what the inspections found. Beside the bundle — never inside it —
``truth.csv`` holds each enterprise's class and violation propensity, and
``truth_inspections.csv`` the violation probability behind every row of ``history.csv``
(``p``) and its part a grader could know (``p_visible``: without the world's hidden
personal and group effects; in classic, whose class is hidden altogether, ``p`` itself),
so that grading can be scored against what really drove the data.

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

from jointinspect.data.synthetic import activity as activity
from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic import planning as planning
from jointinspect.data.synthetic import profiles as profiles
from jointinspect.data.synthetic import staff as staff_mod
from jointinspect.data.synthetic import worlds as worlds
from jointinspect.data.synthetic.activity import CreditEvents, DateText, Table
from jointinspect.data.synthetic.register import FloatArray, Register, make_register
from jointinspect.models.errors import JointInspectError
from jointinspect.models.quarter import Quarter
from jointinspect.models.workdays import WorkingCalendar

MIN_ENTERPRISES = 100
MAX_ENTERPRISES = 650_000
BUNDLE_DIR = "bundle"
TRUTH_FILE = "truth.csv"
TRUTH_INSPECTIONS_FILE = "truth_inspections.csv"
#: The hidden truth written beside the bundle, in the order it is written.
TRUTH_FILES = (TRUTH_FILE, TRUTH_INSPECTIONS_FILE)

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

    @property
    def truth_inspections_path(self) -> Path:
        """The true violation probability of every ``history.csv`` row, beside truth.csv."""
        return self.truth_path.parent / TRUTH_INSPECTIONS_FILE


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
    world: str = worlds.CLASSIC,
    profile: str = profiles.DEFAULT,
) -> GeneratedDistrict:
    """Generate a district of ``enterprises`` enterprises for planning ``quarter``.

    Writes the bundle CSVs into ``out_dir / "bundle"`` and the hidden truth into
    ``out_dir / "truth.csv"`` and ``out_dir / "truth_inspections.csv"``. ``as_of``
    (default: the day before the quarter starts) is the last day of history; credit events
    and inspections cover the three years before it. ``world`` (one of
    ``worlds.WORLDS``) is the hidden mechanism behind the violations found. ``profile``
    (one of ``profiles.PROFILES``) is the district's shape: the default, or a stress
    profile for benchmarks (tight officers, many departments per enterprise, dense
    triggers, very large towns).
    """
    worlds.check_world(world)
    shape = profiles.profile(profile)
    if not MIN_ENTERPRISES <= enterprises <= MAX_ENTERPRISES:
        raise DistrictSizeError(
            f"cannot generate {enterprises:,} enterprises: the generator makes between"
            f" {MIN_ENTERPRISES:,} and {MAX_ENTERPRISES:,}",
            hint=f"choose --enterprises between {MIN_ENTERPRISES:,} and {MAX_ENTERPRISES:,}",
        )
    as_of = as_of or quarter.first_day - dt.timedelta(days=1)
    bundle = out_dir / BUNDLE_DIR
    truth_path = out_dir / TRUTH_FILE
    truths = [out_dir / f for f in TRUTH_FILES]
    existing = [p for p in (*truths, *(bundle / f for f in FILES)) if p.exists()]
    if existing:
        raise OutputNotEmptyError(
            f"{out_dir} already holds a generated district ({existing[0].name})",
            hint="choose an empty folder or remove the old one",
        )
    bundle.mkdir(parents=True, exist_ok=True)

    def rng(stage: str) -> np.random.Generator:
        return stage_rng(seed, enterprises, quarter, as_of, stage)

    def world_rng(stage: str) -> np.random.Generator:
        # Stages of a world other than classic carry its name: their own streams.
        return rng(f"{world}/{stage}")

    params = worlds.PARAMS.get(world)
    rows: dict[str, int] = {}
    total = len(FILES) + len(TRUTH_FILES)

    def write(name: str, table: Table) -> None:
        rows[name] = _write_csv(bundle / name, table)
        if progress:
            progress(name, len(rows), total)

    calendar = WorkingCalendar()
    reg = make_register(rng("register"), enterprises, as_of, shape.town_weights)
    dates = DateText.spanning(
        min(int(reg.opened.min()), as_of.toordinal() - cat.HISTORY_DAYS) - 1,
        quarter.last_day.toordinal() + 2000,
    )
    write("departments.csv", planning.departments())
    write("items.csv", planning.items())
    write("sampling_rules.csv", planning.sampling_rules(shape.sampling()))
    write("enterprises.csv", _enterprises(reg, dates))
    write("relations.csv", _relations(reg))
    if params is not None and params.credit_driven:
        classes = worlds.credit_classes(world_rng("credit_badness"), reg.size)
        events = activity.draw_credit_events(world_rng("credit_events"), reg, as_of, classes)
    else:
        events = activity.draw_credit_events(rng("credit_events"), reg, as_of, reg.latent)
    adverse = activity.negative_event_mask(reg, events)
    write("credit_events.csv", activity.credit_event_table(reg, events, dates))
    write(
        "industry_records.csv",
        activity.industry_records(rng("industry_records"), reg, as_of, dates),
    )
    if params is None:
        history, inspection_p = activity.history(rng("history"), reg, as_of, dates)
        # Classic violations come from a hidden class alone: no part of p is separable
        # as visible, so its visible part is written as p itself.
        visible_p = inspection_p
        truth = _truth(reg)
    else:
        history, inspection_p, visible_p, truth = _world_history(
            params, world_rng, reg, as_of, events, dates
        )
    del events
    write("history.csv", history)
    del history
    listed_table, listed = planning.no_disturb(
        rng("no_disturb"), reg, quarter, as_of, adverse, dates
    )
    write("no_disturb.csv", listed_table)
    demand_rules, trigger_rules = shape.demand_rules(), shape.trigger_rules()
    demand_table, demand_rows = planning.demands(
        rng("demands"), reg, quarter, as_of, dates, demand_rules
    )
    write("demands.csv", demand_table)
    trigger_table, trigger_rows = planning.triggers(
        rng("triggers"), reg, quarter, as_of, dates, trigger_rules
    )
    write("triggers.csv", trigger_table)

    load, urgent = planning.onsite_load(
        reg, listed, demand_rows, trigger_rows, shape.sampling(), demand_rules, trigger_rules
    )
    counts = staff_mod.officers_needed(
        load,
        urgent,
        staff_mod.workday_count(quarter, calendar),
        enterprises,
        shape.max_utilisation,
        shape.officer_floor,
    )
    staff = staff_mod.inspectors(rng("inspectors"), counts, quarter, dates, shape.town_weights)
    write("inspectors.csv", staff.inspectors)
    write("availability.csv", staff_mod.availability(rng("availability"), staff, quarter, calendar))
    write("conflicts.csv", staff_mod.conflicts(rng("conflicts"), staff, reg))

    inspections = _truth_inspections(inspection_p, visible_p)
    for path, table in zip(truths, (truth, inspections), strict=True):
        rows[path.name] = _write_csv(path, table)
        if progress:
            progress(path.name, len(rows), total)
    return GeneratedDistrict(bundle_dir=bundle, truth_path=truth_path, rows=rows)


def _world_history(
    params: worlds.WorldParams,
    rng: Callable[[str], np.random.Generator],
    reg: Register,
    as_of: dt.date,
    events: CreditEvents,
    dates: DateText,
) -> tuple[Table, FloatArray, FloatArray, Table]:
    """``history.csv`` as a world other than classic makes it, the probability behind
    each row and its visible part, and the truth per enterprise."""
    hidden = worlds.draw_world(params, rng, reg, events)
    ent, day, item = activity.draw_inspections(rng("inspections"), reg, as_of)
    order = np.lexsort((item, day, ent))
    done = activity.Inspections(ent[order], day[order], item[order])
    outcome = worlds.simulate(rng("results"), hidden, done, as_of)
    detail_pick = rng("details").integers(0, 1 << 20, size=done.size)
    history = activity.history_table(reg, done, outcome.result, detail_pick, dates)
    truth = {
        "uscc": reg.uscc,
        "latent_class": [cat.LATENT_CLASSES[c] for c in worlds.bands(outcome.propensity).tolist()],
        "propensity": [f"{p:.4f}" for p in outcome.propensity.tolist()],
        "latent_score": [f"{s:.6f}" for s in outcome.logit.tolist()],
        "industry_risk": _industry_risk(reg),
    }
    return history, outcome.p, outcome.p_visible, truth


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
    return {
        "uscc": reg.uscc,
        "latent_class": [cat.LATENT_CLASSES[c] for c in reg.latent.tolist()],
        "propensity": [f"{p:.4f}" for p in reg.propensity.tolist()],
        "latent_score": [f"{s:.6f}" for s in reg.score.tolist()],
        "industry_risk": _industry_risk(reg),
    }


def _industry_risk(reg: Register) -> list[str]:
    return [f"{cat.INDUSTRIES[i].risk:.2f}" for i in reg.industry.tolist()]


def _truth_inspections(p: FloatArray, p_visible: FloatArray) -> Table:
    """Each ``history.csv`` row's id, the violation probability its result was drawn with,
    and that probability without the world's hidden terms (``p_visible``)."""
    return {
        "id": activity.history_ids(len(p)),
        "p": [f"{x:.4f}" for x in p.tolist()],
        "p_visible": [f"{x:.4f}" for x in p_visible.tolist()],
    }


def _write_csv(path: Path, table: Table) -> int:
    """Write ``table`` as UTF-8 CSV with ``\\n`` line ends; the number of data rows."""
    columns = list(table.values())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.keys())
        writer.writerows(zip(*columns, strict=True))
    return len(columns[0]) if columns else 0
