"""Worlds of the synthetic district: each hidden mechanism drives the violations it claims
to, visibly in the bundle, while the rest of the district stays as classic makes it."""

import csv
import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from jointinspect.cli.app import app
from jointinspect.data.bundle.importer import import_bundle
from jointinspect.data.synthetic import catalog as cat
from jointinspect.data.synthetic import worlds as worlds
from jointinspect.data.synthetic.activity import (
    CreditEvents,
    Inspections,
    draw_credit_events,
    draw_inspections,
)
from jointinspect.data.synthetic.district import (
    FILES,
    TRUTH_FILES,
    GeneratedDistrict,
    OutputNotEmptyError,
    generate_district,
    stage_rng,
)
from jointinspect.data.synthetic.register import make_register
from jointinspect.models.quarter import Quarter

QUARTER = Quarter(2025, 4)
AS_OF = QUARTER.first_day - dt.timedelta(days=1)
SIZE = 5_000
SEED = "worlds"
OTHERS = [w for w in worlds.WORLDS if w != worlds.CLASSIC]

runner = CliRunner()


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}


class Seen:
    """What a grader sees of one generated district: inspections, adverse credit events
    and relation groups, as arrays by enterprise index; plus the truth files."""

    def __init__(self, made: GeneratedDistrict) -> None:
        enterprises = _read(made.bundle_dir / "enterprises.csv")
        index = {r["uscc"]: i for i, r in enumerate(enterprises)}
        self.n = len(enterprises)
        self.history = _read(made.bundle_dir / "history.csv")
        self.ent = np.array([index[r["uscc"]] for r in self.history])
        self.day = np.array([dt.date.fromisoformat(r["date"]).toordinal() for r in self.history])
        self.violation = np.array([r["result"] == "violation" for r in self.history])
        self.minor = np.array([r["result"] == "minor" for r in self.history])
        industry = [r["industry"] for r in enterprises]
        self.industry = np.array([industry[e] for e in self.ent.tolist()])
        self.adverse: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for r in _read(made.bundle_dir / "credit_events.csv"):
            if r["kind"] not in ("tax_grade_a", "commendation"):
                day = dt.date.fromisoformat(r["date"]).toordinal()
                self.adverse[index[r["uscc"]]].append((day, int(r["severity"])))
        graph = nx.Graph()
        for r in _read(made.bundle_dir / "relations.csv"):
            if r["kind"] in worlds.RELATION_KINDS:
                graph.add_edge(index[r["uscc_a"]], index[r["uscc_b"]])
        self.pairs = list(graph.edges)
        self.group = {e: frozenset(c) for c in nx.connected_components(graph) for e in c}
        self.truth = _read(made.truth_path)
        self.truth_inspections = _read(made.truth_inspections_path)

    @property
    def rate(self) -> float:
        return float(self.violation.mean())

    def industry_dispersion(self) -> float:
        """Chi-square per degree of freedom of the violation counts across industry classes
        (about 1 when the trade does not matter)."""
        rate, total, classes = self.rate, 0.0, 0
        for code in np.unique(self.industry):
            rows = self.industry == code
            n = int(rows.sum())
            if n >= 20:
                total += (self.violation[rows].sum() - n * rate) ** 2 / (n * rate * (1 - rate))
                classes += 1
        return total / (classes - 1)

    def own_lift(self) -> float:
        """Violation rate of inspections after a violation at the same enterprise in the two
        years before, over the rate after earlier inspections without one."""
        after: dict[bool, list[bool]] = {True: [], False: []}
        rows_of: dict[int, list[int]] = defaultdict(list)
        for i in np.lexsort((self.day, self.ent)).tolist():
            rows_of[int(self.ent[i])].append(i)
        for rows in rows_of.values():
            for k, i in enumerate(rows):
                prior = [j for j in rows[:k] if self.day[i] - 730 <= self.day[j] < self.day[i]]
                if prior:
                    after[any(self.violation[j] for j in prior)].append(bool(self.violation[i]))
        return float(np.mean(after[True]) / np.mean(after[False]))

    def _per_enterprise(self) -> tuple[np.ndarray, np.ndarray]:
        inspections = np.bincount(self.ent, minlength=self.n)
        violations = np.bincount(self.ent, weights=self.violation, minlength=self.n)
        return inspections, violations

    def related_correlation(self) -> float:
        """Correlation of the violation rates of related enterprises, over relation pairs
        whose both ends were inspected."""
        inspections, violations = self._per_enterprise()
        a, b = np.array(self.pairs).T
        both = (inspections[a] > 0) & (inspections[b] > 0)
        rate_a = violations[a[both]] / inspections[a[both]]
        rate_b = violations[b[both]] / inspections[b[both]]
        return float(np.corrcoef(rate_a, rate_b)[0, 1])

    def related_lift(self) -> float:
        """Violation rate at enterprises whose related enterprises had a violation found,
        over the rate at those whose inspected relations had none."""
        inspections, violations = self._per_enterprise()
        outcome: dict[bool, list[bool]] = {True: [], False: []}
        for e, v in zip(self.ent.tolist(), self.violation.tolist(), strict=True):
            others = [o for o in self.group.get(e, ()) if o != e and inspections[o] > 0]
            if others:
                outcome[any(violations[o] > 0 for o in others)].append(v)
        return float(np.mean(outcome[True]) / np.mean(outcome[False]))

    def credit_lift(self) -> float:
        """Violation rate of inspections with at least 3 severity points of adverse credit
        events in the two years before, over the rate of those with none."""
        points = np.array(
            [
                sum(s for day, s in self.adverse.get(e, ()) if d - 730 <= day < d)
                for e, d in zip(self.ent.tolist(), self.day.tolist(), strict=True)
            ]
        )
        return float(self.violation[points >= 3].mean() / self.violation[points == 0].mean())


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedDistrict]:
    root = tmp_path_factory.mktemp("worlds")
    return {
        world: generate_district(
            root / world, enterprises=SIZE, seed=SEED, quarter=QUARTER, world=world
        )
        for world in worlds.WORLDS
    }


@pytest.fixture(scope="module")
def seen(made: dict[str, GeneratedDistrict]) -> dict[str, Seen]:
    return {world: Seen(district) for world, district in made.items()}


# --- every world is a valid, deterministic district --------------------------------------


@pytest.mark.parametrize("world", list(worlds.WORLDS))
def test_every_world_imports_strictly_into_a_fresh_database(
    world: str, made: dict[str, GeneratedDistrict], sqlite_engine: Engine
) -> None:
    bundle = made[world].bundle_dir
    report = import_bundle(bundle, engine=sqlite_engine, strict=True)
    assert report.warnings == ()
    expected = sum(sum(1 for _ in (bundle / name).open(encoding="utf-8")) - 1 for name in FILES)
    assert report.rows == expected


@pytest.mark.parametrize("world", OTHERS)
def test_same_seed_and_world_give_identical_files(world: str, tmp_path: Path) -> None:
    for name in ("one", "two"):
        generate_district(
            tmp_path / name, enterprises=1_000, seed="same", quarter=QUARTER, world=world
        )
    one, two = _bytes(tmp_path / "one"), _bytes(tmp_path / "two")
    assert len(one) == len(FILES) + len(TRUTH_FILES)
    assert one == two


def test_worlds_differ_from_each_other(seen: dict[str, Seen]) -> None:
    results = {w: tuple(r["result"] for r in s.history) for w, s in seen.items()}
    assert len(set(results.values())) == len(worlds.WORLDS)


def test_classic_is_the_default_and_its_truth_is_the_static_propensity(tmp_path: Path) -> None:
    generate_district(tmp_path / "default", enterprises=300, seed="c", quarter=QUARTER)
    named = generate_district(
        tmp_path / "named", enterprises=300, seed="c", quarter=QUARTER, world="classic"
    )
    assert _bytes(tmp_path / "default") == _bytes(tmp_path / "named")
    propensity = {r["uscc"]: r["propensity"] for r in _read(named.truth_path)}
    history = _read(named.bundle_dir / "history.csv")
    truth = _read(named.truth_inspections_path)
    assert [r["id"] for r in truth] == [r["id"] for r in history]
    assert [r["p"] for r in truth] == [propensity[r["uscc"]] for r in history]


@pytest.mark.parametrize("world", OTHERS)
def test_other_worlds_keep_the_district_and_change_only_what_they_drive(
    world: str, made: dict[str, GeneratedDistrict]
) -> None:
    classic = _bytes(made["classic"].bundle_dir)
    mine = _bytes(made[world].bundle_dir)
    assert mine["history.csv"] != classic["history.csv"]
    credit_driven = worlds.PARAMS[world].credit_driven
    # Credit events come from the hidden credit-badness only where credit drives violations;
    # the no-disturb list (no adverse events) and the officers it frees follow them.
    follows_credit = {"credit_events.csv", "no_disturb.csv", "inspectors.csv"}
    follows_credit |= {"availability.csv", "conflicts.csv"}
    assert (mine["credit_events.csv"] != classic["credit_events.csv"]) == credit_driven
    for name in FILES:
        if name == "history.csv" or (credit_driven and name in follows_credit):
            continue
        assert mine[name] == classic[name], name


@pytest.mark.parametrize("world", OTHERS)
def test_inspections_are_as_frequent_as_in_classic(world: str, seen: dict[str, Seen]) -> None:
    classic, mine = seen["classic"], seen[world]
    assert len(mine.history) == pytest.approx(len(classic.history), rel=0.05)
    # The schedule follows what drives it in classic (trade risk, hidden class), not the world.
    latent = np.array(["ABCD".index(r["latent_class"]) for r in classic.truth])
    for cls in range(4):
        share = (latent[mine.ent] == cls).mean()
        assert share == pytest.approx((latent[classic.ent] == cls).mean(), abs=0.03)


@pytest.mark.parametrize("world", ["trade", "relation", "credit"])
def test_how_often_an_enterprise_was_inspected_is_no_signal(
    world: str, seen: dict[str, Seen]
) -> None:
    # Only where the record itself is a term (history, mixed) does being inspected more
    # often mean more record; elsewhere the count of inspections says next to nothing
    # (an older enterprise has both more inspections and more credit events).
    mine = seen[world]
    counts = np.bincount(mine.ent, minlength=mine.n)
    inspected = counts > 0
    propensity = np.array([float(r["propensity"]) for r in mine.truth])
    assert abs(np.corrcoef(counts[inspected], propensity[inspected])[0, 1]) < 0.12


@pytest.mark.parametrize("world", list(worlds.WORLDS))
def test_truth_inspections_cover_every_history_row_and_match_the_observed_rate(
    world: str, seen: dict[str, Seen]
) -> None:
    mine = seen[world]
    assert [r["id"] for r in mine.truth_inspections] == [r["id"] for r in mine.history]
    p = np.array([float(r["p"]) for r in mine.truth_inspections])
    low, high = cat.PROPENSITY_BOUNDS
    assert low <= p.min() and p.max() <= high
    assert all(len(r["p"].split(".")[1]) == 4 for r in mine.truth_inspections)
    # Three standard errors of the observed rate of ~3,400 inspections.
    se = math.sqrt(mine.rate * (1 - mine.rate) / len(p))
    assert mine.rate == pytest.approx(p.mean(), abs=3 * se)
    # And the truth sorts: inspections of the highest true p violate most.
    top = p >= np.quantile(p, 0.8)
    assert mine.violation[top].mean() > 1.5 * mine.violation[~top].mean()


@pytest.mark.parametrize("world", list(worlds.WORLDS))
def test_the_visible_part_of_the_truth_leaves_out_only_hidden_terms(
    world: str, seen: dict[str, Seen]
) -> None:
    mine = seen[world]
    p = np.array([float(r["p"]) for r in mine.truth_inspections])
    visible = np.array([float(r["p_visible"]) for r in mine.truth_inspections])
    assert list(mine.truth_inspections[0]) == ["id", "p", "p_visible"]
    assert all(len(r["p_visible"].split(".")[1]) == 4 for r in mine.truth_inspections)
    low, high = cat.PROPENSITY_BOUNDS
    assert low <= visible.min() and visible.max() <= high
    if world in ("classic", "trade", "credit"):
        # Classic: nothing separable; trade and credit: every driver is in the bundle.
        assert np.array_equal(visible, p)
        return
    # A personal or group effect nobody records: the visible part ranks worse than p,
    # and still better than chance.
    assert not np.array_equal(visible, p)
    found = mine.violation.astype(bool)
    assert 0.5 < roc_auc_score(found, visible) < roc_auc_score(found, p)


@pytest.mark.parametrize("world", list(worlds.WORLDS))
def test_rates_are_in_the_classic_range(world: str, seen: dict[str, Seen]) -> None:
    mine = seen[world]
    assert 0.09 <= mine.rate <= 0.25
    assert 0.05 <= mine.minor.mean() <= 0.12


@pytest.mark.parametrize("world", OTHERS)
def test_truth_of_other_worlds_bands_tomorrows_propensity(
    world: str, seen: dict[str, Seen]
) -> None:
    truth = seen[world].truth
    assert len(truth) == SIZE
    for r in truth:
        p, logit = float(r["propensity"]), float(r["latent_score"])
        assert r["latent_class"] == "ABCD"[sum(p >= edge for edge in worlds.BAND_EDGES)]
        low, high = cat.PROPENSITY_BOUNDS
        assert p == round(min(max(1 / (1 + math.exp(-logit)), low), high), 4)
    assert {r["latent_class"] for r in truth} >= {"A", "B", "C"}


# --- each world's mechanism is visible in the bundle --------------------------------------


def test_trade_world_violation_rates_vary_across_industry_classes(
    seen: dict[str, Seen],
) -> None:
    trade, history = seen["trade"].industry_dispersion(), seen["history"].industry_dispersion()
    assert trade > 3 * history
    assert history < 2.5


def test_trade_effect_is_not_the_catalogues_risk() -> None:
    weight = np.array([ind.weight for ind in cat.INDUSTRIES])
    weight = weight / weight.sum()
    risk = np.array([ind.risk for ind in cat.INDUSTRIES])
    for seed in ("a", "b", "c"):
        rng = stage_rng(seed, SIZE, QUARTER, AS_OF, "trade/trade")
        effect = worlds.trade_effects(rng, worlds.PARAMS["trade"])
        assert weight @ effect == pytest.approx(0.0, abs=1e-9)
        assert weight @ ((risk - weight @ risk) * effect) == pytest.approx(0.0, abs=1e-9)
        assert math.sqrt(weight @ (effect * effect)) > 0.4


def test_history_world_an_earlier_violation_raises_later_odds(seen: dict[str, Seen]) -> None:
    history, trade = seen["history"].own_lift(), seen["trade"].own_lift()
    assert history > 3
    assert history > 1.75 * trade


def test_relation_world_related_enterprises_violate_together(seen: dict[str, Seen]) -> None:
    relation, history = seen["relation"], seen["history"]
    assert relation.related_correlation() > 0.15
    assert relation.related_correlation() > history.related_correlation() + 0.15
    assert relation.related_lift() > 1.5
    assert relation.related_lift() > 2 * history.related_lift()


def test_credit_world_adverse_credit_events_come_before_violations(
    seen: dict[str, Seen],
) -> None:
    credit, history = seen["credit"].credit_lift(), seen["history"].credit_lift()
    assert credit > 3
    assert credit > 2.5 * history


def test_mixed_world_shows_every_mechanism_more_weakly(seen: dict[str, Seen]) -> None:
    mixed, history = seen["mixed"], seen["history"]
    assert mixed.industry_dispersion() > 1.5 * history.industry_dispersion()
    assert mixed.own_lift() > seen["trade"].own_lift()
    assert mixed.credit_lift() > 1.5 * history.credit_lift()
    assert mixed.credit_lift() < seen["credit"].credit_lift()


# --- the mechanics: groups, credit in effect, the weekly simulation -----------------------


def test_relation_groups_are_the_components_of_owner_share_and_branch_relations() -> None:
    reg = make_register(stage_rng("g", 3_000, QUARTER, AS_OF, "register"), 3_000, AS_OF)
    groups, n_groups = worlds.relation_groups(reg)
    graph = nx.Graph()
    graph.add_edges_from((a, b) for a, b, kind in reg.relations if kind in worlds.RELATION_KINDS)
    components = list(nx.connected_components(graph))
    assert n_groups == len(components)
    for component in components:
        assert len({int(groups[e]) for e in component}) == 1
    assert (groups == -1).sum() == reg.size - graph.number_of_nodes()
    assert any(kind == "address" for _, _, kind in reg.relations)


def test_credit_in_effect_counts_the_two_years_before_the_day() -> None:
    events = CreditEvents(
        ent=np.array([0, 0, 0, 1]),
        day=np.array([1_000, 1_270, 1_730, 1_500]),
        kind=np.array([0, 0, 0, 4]),  # penalty ×3; tax grade A is not adverse
        severity=np.array([1, 2, 3, 1]),
        department=np.array([-1, -1, -1, -1]),
    )
    load = worlds.CreditLoad.of(events)
    ent = np.array([0, 0, 0, 0, 1])
    day = np.array([1_730, 1_731, 2_000, 2_001, 1_600])
    # 1_730: the events of 1_000 (730 days before) and 1_270; not the one on the day itself.
    assert load.points(ent, day).tolist() == [3.0, 5.0, 5.0, 3.0, 0.0]


def _reference_p(
    world: worlds.World,
    effects: tuple[np.ndarray, np.ndarray, np.ndarray],
    done: Inspections,
    result: np.ndarray,
    events: CreditEvents,
) -> tuple[np.ndarray, np.ndarray]:
    """Each inspection's p and p_visible recomputed slowly from the definitions: the record
    terms count results of the earlier weekly batches inside each window, credit the events
    before t; ``effects`` are each enterprise's trade, group and personal effects, and
    p_visible leaves out the last two (no bundle file shows them), nothing else."""
    params = world.params
    trade, shared, personal = effects
    weeks = cat.HISTORY_DAYS // 7 + 2
    anchor = AS_OF.toordinal() + 1 - 7 * weeks
    week = ((done.day - anchor) // 7).tolist()
    ent, day = done.ent.tolist(), done.day.tolist()
    adverse: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for e, d, k, s in zip(events.ent, events.day, events.kind, events.severity, strict=True):
        if cat.CREDIT_EVENTS[k].kind.value not in ("tax_grade_a", "commendation"):
            adverse[int(e)].append((int(d), int(s)))
    rows_of: dict[int, list[int]] = defaultdict(list)
    for j, e in enumerate(ent):
        rows_of[int(world.groups[e]) if world.groups[e] >= 0 else -1 - e].append(j)
    low, high = cat.PROPENSITY_BOUNDS

    def clipped(logit: float) -> float:
        return round(min(max(1 / (1 + math.exp(-logit)), low), high), 4)

    p, p_visible = np.zeros(len(ent)), np.zeros(len(ent))
    for i, e in enumerate(ent):
        group = int(world.groups[e]) if world.groups[e] >= 0 else -1 - e
        own = clean = related = 0
        for j in rows_of[group]:
            back = week[i] - week[j]
            if ent[j] == e:
                own += result[j] == 2 and 1 <= back <= worlds.OWN_WINDOW_WEEKS
                clean += result[j] == 0 and 1 <= back <= worlds.CLEAN_WINDOW_WEEKS
            else:
                related += result[j] == 2 and 1 <= back <= worlds.RELATED_WINDOW_WEEKS
        points = sum(s for d, s in adverse[e] if day[i] - 730 <= d < day[i])
        visible = (
            params.alpha
            + trade[e]
            + params.own_violation * min(own, worlds.OWN_CAP)
            - params.own_clean * min(clean, worlds.CLEAN_CAP)
            + params.related_violation * min(related, worlds.RELATED_CAP)
            + params.credit_point * min(points, worlds.CREDIT_CAP)
        )
        p[i] = clipped(visible + shared[e] + personal[e])
        p_visible[i] = clipped(visible)
    return p, p_visible


def test_simulation_uses_only_what_happened_before_each_weekly_batch() -> None:
    n = 1_500

    def rng(stage: str) -> np.random.Generator:
        return stage_rng("sim", n, QUARTER, AS_OF, stage)

    reg = make_register(rng("register"), n, AS_OF)
    classes = worlds.credit_classes(rng("badness"), n)
    events = draw_credit_events(rng("events"), reg, AS_OF, classes)
    params = worlds.PARAMS["mixed"]
    world = worlds.draw_world(params, rng, reg, events)
    # The three static effects drawn again from their own streams, as draw_world draws them.
    effects = (
        worlds.trade_effects(rng("trade"), params)[reg.industry],
        worlds.group_effects(rng("groups"), world.groups, world.n_groups, params),
        worlds.personal_effects(rng("personal"), n, params),
    )
    ent, day, item = draw_inspections(rng("inspections"), reg, AS_OF)
    order = np.lexsort((item, day, ent))
    done = Inspections(ent[order], day[order], item[order])
    outcome = worlds.simulate(rng("results"), world, done, AS_OF)
    p, p_visible = _reference_p(world, effects, done, outcome.result, events)
    assert outcome.p.tolist() == pytest.approx(p.tolist(), abs=1.01e-4)
    assert outcome.p_visible.tolist() == pytest.approx(p_visible.tolist(), abs=1.01e-4)
    # The hidden effects were there to leave out: p_visible is not p.
    assert (outcome.p_visible != outcome.p).mean() > 0.5
    # Same-week repeats exist, so the batching rule is exercised, and the record moved p.
    same_week = (np.diff(done.day) < 7) & (np.diff(done.ent) == 0)
    assert same_week.any()
    assert len(np.unique(outcome.p)) > 50


# --- the user's side: the option, its help and its refusal --------------------------------


def test_unknown_world_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(worlds.UnknownWorldError, match="unknown world 'moon'") as caught:
        generate_district(tmp_path, enterprises=100, seed="x", quarter=QUARTER, world="moon")
    assert caught.value.hint == "choose one of classic, history, trade, relation, credit, mixed"
    assert list(tmp_path.iterdir()) == []


def test_generate_command_takes_a_world(tmp_path: Path) -> None:
    out = tmp_path / "district"
    result = runner.invoke(
        app, ["generate", str(out), "-n", "200", "--quarter", "2025Q4", "--world", "trade"]
    )
    assert result.exit_code == 0, result.output
    assert "world trade" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(["bundle", *TRUTH_FILES])


def test_generate_command_refuses_an_unknown_world(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path), "--world", "moon"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: unknown world 'moon'",
        "Hint: choose one of classic, history, trade, relation, credit, mixed",
    ]
    assert list(tmp_path.iterdir()) == []


def test_generate_help_lists_every_world_with_its_line() -> None:
    result = runner.invoke(app, ["generate", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    for name, description in worlds.WORLDS.items():
        assert f"{name} {description}" in lines, name


def test_a_left_over_truth_file_alone_blocks_the_output(tmp_path: Path) -> None:
    (tmp_path / "truth_inspections.csv").write_text("id,p\n", encoding="utf-8")
    with pytest.raises(OutputNotEmptyError, match=r"truth_inspections\.csv"):
        generate_district(tmp_path, enterprises=100, seed="x", quarter=QUARTER, world="trade")
    assert not (tmp_path / "bundle").exists()
