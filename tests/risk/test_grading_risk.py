"""Risk: each factor moves the score the right way; contagion is damped and does not echo."""

import dataclasses

import pytest
from helpers.grading_world import CATERING, KTV, SOFTWARE, World, days_before

from jointinspect.risk.contagion import related_group, relation_edges, relation_graph

FIRM = "91310120MA1H00001A"
OTHER = "91310120MA1H00002B"
THIRD = "91310120MA1H00003C"


def _risk(world: World, uscc: str = FIRM) -> float:
    return world.scores(uscc)[1]


def test_inherent_risk_follows_the_industry_table() -> None:
    ktv = _risk(World().firm(FIRM, KTV))
    catering = _risk(World().firm(FIRM, CATERING))
    software = _risk(World().firm(FIRM, SOFTWARE))
    unlisted = _risk(World().firm(FIRM, "0111"))
    assert ktv > catering > unlisted > software


def test_longest_industry_prefix_wins() -> None:
    # 2672 (fireworks) sits inside 26 (chemicals) and is riskier.
    assert _risk(World().firm(FIRM, "2672")) > _risk(World().firm(FIRM, "2611"))


def test_a_violation_raises_risk_and_a_clean_inspection_lowers_it() -> None:
    world = World().firm(FIRM)
    violated = _risk(world.inspected(FIRM, days_before(100), "violation"))
    minor = _risk(world.inspected(FIRM, days_before(100), "minor"))
    clean = _risk(world.inspected(FIRM, days_before(100), "compliant"))
    assert violated > minor > clean


def test_one_inspection_does_not_swing_the_history_factor() -> None:
    result = World().firm(FIRM).inspected(FIRM, days_before(1), "violation").grade()
    history = result.config.risk.history
    rate = result.factors.history.rate[0]
    assert rate < (history.prior_violations + 1) / (history.prior_inspections + 1) + 1e-9
    assert rate < 0.25


def test_an_old_violation_fades_and_a_very_old_one_is_forgotten() -> None:
    world = World().firm(FIRM)
    limit = world.config.risk.history.max_age_days
    recent = _risk(world.inspected(FIRM, days_before(30), "violation"))
    old = _risk(world.inspected(FIRM, days_before(limit - 10), "violation"))
    ancient = world.inspected(FIRM, days_before(limit + 1), "violation").grade()
    assert recent > old
    assert ancient.factors.history.inspections[0] == 0


def test_not_done_results_are_no_inspection() -> None:
    world = World().firm(FIRM)
    assert _risk(world.inspected(FIRM, days_before(30), "not_done")) == _risk(world)


def test_recent_complaints_raise_risk_and_old_ones_do_not() -> None:
    world = World().firm(FIRM)
    window = world.config.risk.triggers.window_days
    complained = _risk(world.trigger(FIRM, "complaint", days_before(10)))
    outside = _risk(world.trigger(FIRM, "complaint", days_before(window + 1)))
    twice = _risk(
        world.trigger(FIRM, "complaint", days_before(10)).trigger(FIRM, "alert", days_before(20))
    )
    assert twice > complained > _risk(world)
    assert outside == _risk(world)


def test_an_accident_weighs_more_than_an_alert() -> None:
    world = World().firm(FIRM)
    assert _risk(world.trigger(FIRM, "accident", days_before(10))) > _risk(
        world.trigger(FIRM, "alert", days_before(10))
    )


def test_time_since_the_last_clean_inspection_raises_risk() -> None:
    world = World().firm(FIRM)
    lately = world.inspected(FIRM, days_before(30), "compliant")
    long_ago = world.inspected(FIRM, days_before(900), "compliant")
    gap = lately.grade().factors.inspection_gap[0], long_ago.grade().factors.inspection_gap[0]
    assert gap[0] < gap[1] < 1.0
    assert world.grade().factors.inspection_gap[0] == 1.0  # never inspected


def test_finding_a_violation_does_not_reset_the_inspection_gap() -> None:
    world = World().firm(FIRM).inspected(FIRM, days_before(900), "compliant")
    after = world.inspected(FIRM, days_before(10), "violation").grade()
    assert after.factors.inspection_gap[0] == world.grade().factors.inspection_gap[0]


def _pair(kind: str) -> World:
    return (
        World()
        .firm(FIRM)
        .firm(OTHER)
        .event(OTHER, "serious_dishonest", days_before(30))
        .related(FIRM, OTHER, kind)
    )


def test_relation_to_a_dishonest_enterprise_raises_risk() -> None:
    alone = World().firm(FIRM).firm(OTHER).event(OTHER, "serious_dishonest", days_before(30))
    assert _risk(_pair("legal_rep")) > _risk(alone)


def test_stronger_relation_kinds_pass_on_more() -> None:
    assert _risk(_pair("legal_rep")) > _risk(_pair("shareholder")) > _risk(_pair("address"))


def test_contagion_is_damped_with_distance() -> None:
    chain = _pair("legal_rep").firm(THIRD).related(THIRD, FIRM, "legal_rep")
    result = chain.grade()
    near = result.factors.contagion[result.inputs.index_of(FIRM)]
    far = result.factors.contagion[result.inputs.index_of(THIRD)]
    damping = chain.config.risk.contagion.damping
    assert 0 < far < near <= damping


def test_an_enterprise_does_not_catch_its_own_risk_back() -> None:
    world = (
        World()
        .firm(FIRM)
        .firm(OTHER)
        .event(FIRM, "serious_dishonest", days_before(30))
        .related(FIRM, OTHER, "legal_rep")
    )
    result = world.grade()
    assert result.factors.contagion[result.inputs.index_of(FIRM)] == 0.0
    assert result.factors.contagion[result.inputs.index_of(OTHER)] > 0.0


def test_no_damping_means_no_contagion() -> None:
    world = _pair("legal_rep")
    contagion = dataclasses.replace(world.config.risk.contagion, damping=0.0)
    config = dataclasses.replace(
        world.config, risk=dataclasses.replace(world.config.risk, contagion=contagion)
    )
    assert dataclasses.replace(world, config=config).grade().factors.contagion.max() == 0.0


def test_more_risky_neighbours_pass_on_more() -> None:
    one = _pair("address")
    two = (
        one.firm(THIRD)
        .event(THIRD, "court_dishonest", days_before(5))
        .related(THIRD, FIRM, "address")
    )
    assert _risk(two) > _risk(one)


def test_relation_graph_keeps_the_strongest_kind_per_pair() -> None:
    world = (
        World()
        .firm(FIRM)
        .firm(OTHER)
        .firm(THIRD)
        .related(FIRM, OTHER, "address")
        .related(OTHER, FIRM, "legal_rep")
        .related(THIRD, THIRD, "branch")
    )
    inputs = world.inputs()
    edges = relation_edges(inputs.relations, world.config.risk.contagion.kinds)
    graph = relation_graph(edges)
    assert graph.number_of_edges() == 1
    assert graph.edges[0, 1]["weight"] == pytest.approx(0.9)
    assert related_group(edges, 0) == {0, 1}
    assert related_group(edges, 2) == {2}


def test_risk_stays_within_0_and_100() -> None:
    world = World().firm(FIRM, "2672")
    for k in range(20):
        world = world.inspected(FIRM, days_before(k + 1), "violation").trigger(
            FIRM, "accident", days_before(k + 1), 3
        )
    risk = _risk(world)
    assert 0 <= risk <= 100
    assert risk > 60


def test_a_penalty_counts_as_a_violation_found() -> None:
    world = World().firm(FIRM)
    penalised = world.event(FIRM, "penalty", days_before(60), 1).grade()
    assert penalised.factors.history.rate[0] > world.grade().factors.history.rate[0]
    assert penalised.factors.history.sanctions[0] == 1
    # A commendation is no violation.
    praised = world.event(FIRM, "commendation", days_before(60)).grade()
    assert praised.factors.history.rate[0] == world.grade().factors.history.rate[0]
