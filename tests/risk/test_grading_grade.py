"""Grades from the credit × risk matrix, the per-kind floor, and the reasons in words."""

import json

import numpy as np
import pytest
from helpers.grading_world import CATERING, KTV, World, days_before

from jointinspect.risk.config import PriorityConfig
from jointinspect.risk.grade import band_of_credit, band_of_risk, grade_from_matrix, priority
from jointinspect.risk.reasons import ReasonTexts, reason_cells, render, render_all

FIRM = "91310120MA1H00001A"


def test_bands_and_matrix() -> None:
    config = World().config.grade  # bands 85/70/50 and 25/40/55
    credit = np.array([95.0, 85.0, 84.9, 70.0, 49.9])
    risk = np.array([10.0, 24.9, 25.0, 55.0, 80.0])
    assert band_of_credit(credit, config).tolist() == [0, 0, 1, 1, 3]
    assert band_of_risk(risk, config).tolist() == [0, 0, 1, 3, 3]
    grades = grade_from_matrix(credit, risk, config)
    assert ["ABCD"[g] for g in grades] == ["A", "A", "B", "D", "D"]


def test_priority_puts_the_grade_first_then_risk_and_credit() -> None:
    equal = PriorityConfig(risk_weight=1.0, credit_weight=1.0)
    grades = np.array([2, 3, 2, 2, 0])  # C D C C A
    credit = np.array([0.0, 100.0, 60.0, 60.0, 0.0])
    risk = np.array([100.0, 0.0, 30.0, 50.0, 100.0])
    scores = priority(grades, credit, risk, equal)
    # The worst possible C (composite 100) at most ties the best possible D (composite 0);
    # within C more risk comes first; an A never outranks a C.
    assert scores.tolist() == [300.0, 300.0, 235.0, 245.0, 100.0]
    assert np.argsort(-scores, kind="stable").tolist() == [0, 1, 3, 2, 4]
    risk_only = priority(grades, credit, risk, PriorityConfig(risk_weight=1.0, credit_weight=0.0))
    assert risk_only.tolist() == [300.0, 300.0, 230.0, 250.0, 100.0]


def test_priority_never_improves_with_more_risk_or_less_credit() -> None:
    config = World().config
    grades = np.array([1, 1])
    assert np.all(
        np.diff(priority(grades, np.array([80.0, 80.0]), np.array([20.0, 30.0]), config.priority))
        > 0
    )
    assert np.all(
        np.diff(priority(grades, np.array([80.0, 70.0]), np.array([20.0, 20.0]), config.priority))
        > 0
    )


def test_a_clean_enterprise_in_a_quiet_trade_is_a() -> None:
    world = World().firm(FIRM).inspected(FIRM, days_before(60), "compliant")
    assert world.scores(FIRM)[2] == "A"


def test_the_serious_dishonesty_list_makes_an_enterprise_d() -> None:
    world = (
        World()
        .firm(FIRM)
        .event(FIRM, "serious_dishonest", days_before(1000))
        .event(FIRM, "tax_grade_a", days_before(10))
        .inspected(FIRM, days_before(30), "compliant")
    )
    credit, _, letter = world.scores(FIRM)
    assert credit >= 70  # the listing has mostly decayed, yet it is in effect
    assert letter == "D"


def test_a_serious_penalty_is_the_first_reason_in_both_languages() -> None:
    world = World().firm(FIRM, KTV).event(FIRM, "penalty", days_before(121), 2)  # 2025-03-01
    result = world.grade()
    reasons = render(result, 0)
    assert reasons[0].zh == "2025-03 行政处罚（严重）"
    assert reasons[0].en == "2025-03 administrative penalty (serious)"
    assert reasons[0].code == "penalty" and reasons[0].adverse
    assert len(reasons) == result.config.reasons.count


def test_related_dishonest_enterprises_are_counted_in_the_reason() -> None:
    world = World().firm(FIRM, CATERING)
    for k in range(3):
        other = f"91310120MA1H0000{k + 2}X"
        world = (
            world.firm(other)
            .event(other, "serious_dishonest", days_before(30 + k))
            .related(FIRM, other, "legal_rep")
        )
    world = world.firm("91310120MA1H00009Z").related(FIRM, "91310120MA1H00009Z", "address")
    reasons = render(world.grade(), 0)
    assert reasons[0].zh == "关联3家严重违法失信企业"
    assert reasons[0].en == "related to 3 enterprises on the dishonesty lists"


def test_grade_a_is_explained_by_what_is_right() -> None:
    world = World().firm(FIRM).event(FIRM, "tax_grade_a", days_before(40))
    world = world.inspected(FIRM, days_before(50), "compliant")
    for k in range(4):
        world = world.inspected(FIRM, days_before(200 + 100 * k), "compliant")
    result = world.grade()
    assert result.letter(0) == "A"
    reasons = render(result, 0)
    assert [r.adverse for r in reasons][:2] == [False, False]
    assert {r.code for r in reasons} >= {"tax_grade_a", "inherent"}


def test_never_inspected_is_said_in_words() -> None:
    world = World().firm(FIRM, KTV)
    texts = {r.en for r in render(world.grade(), 0)}
    assert "never inspected" in texts
    assert "high inherent risk of the trade: karaoke and dance halls" in texts


def test_render_all_matches_render_one_by_one() -> None:
    world = (
        World()
        .firm(FIRM, KTV)
        .firm("91310120MA1H00002B")
        .event(FIRM, "penalty", days_before(100), 3)
        .event("91310120MA1H00002B", "commendation", days_before(10))
        .trigger(FIRM, "complaint", days_before(5))
        .inspected("91310120MA1H00002B", days_before(700), "violation")
        .related(FIRM, "91310120MA1H00002B", "branch")
    )
    result = world.grade()
    assert render_all(result) == [render(result, i) for i in range(result.inputs.size)]


def test_reason_cells_and_stored_reasons_say_what_render_says() -> None:
    world = (
        World()
        .firm(FIRM, KTV)
        .firm("91310120MA1H00002B")
        .firm("91310120MA1H00003C", "0111")
        .event(FIRM, "penalty", days_before(100), 3)
        .event("91310120MA1H00002B", "tax_grade_a", days_before(10))
        .related(FIRM, "91310120MA1H00002B", "branch")
    )
    result = world.grade()
    everyone = render_all(result)
    cells = reason_cells(result, join="; ", between=" / ")
    assert cells == ["; ".join(f"{r.zh} / {r.en}" for r in rs) for rs in everyone]
    texts = ReasonTexts(result)
    ids = [10 * j + 7 for j in range(len(texts.wordings))]  # as stored: any ids
    word = dict(zip(ids, texts.wordings, strict=True))
    stored = [json.loads(t) for t in texts.stored(0, result.inputs.size, ids)]
    assert [[(*word[i], w, bool(a)) for i, w, a in rs] for rs in stored] == everyone


def test_mix_counts_every_enterprise() -> None:
    world = (
        World()
        .firm(FIRM)
        .firm("91310120MA1H00002B")
        .event("91310120MA1H00002B", "serious_dishonest", days_before(3))
    )
    assert world.grade().mix() == {"A": 1, "B": 0, "C": 0, "D": 1}


@pytest.mark.parametrize("count", [0, 1])
def test_reason_count_is_configurable(count: int) -> None:
    import dataclasses

    world = World().firm(FIRM, KTV).event(FIRM, "penalty", days_before(10), 2)
    config = dataclasses.replace(
        world.config, reasons=dataclasses.replace(world.config.reasons, count=count)
    )
    result = dataclasses.replace(world, config=config).grade()
    assert len(render(result, 0)) == count


def test_reasons_chosen_block_by_block_are_the_reasons_chosen_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jointinspect.risk import reasons

    world = World()
    for n in range(7):
        firm = f"91310120MA1H0000{n}C"
        world = world.firm(firm, KTV if n % 2 else CATERING)
        world = world.event(firm, "penalty", days_before(30 + n), 1 + n % 3)
        world = world.event(firm, "tax_grade_a", days_before(300 + n))
        world = world.inspected(firm, days_before(100 + 10 * n), "violation" if n % 3 else "minor")
    world = world.related("91310120MA1H00001C", "91310120MA1H00004C", "branch")
    whole = world.grade().reasons
    monkeypatch.setattr(reasons, "REASON_BLOCK", 2)
    blocks = world.grade().reasons
    for name in ("ent", "type", "ref", "weight", "adverse"):
        assert getattr(blocks, name).dtype == getattr(whole, name).dtype, name
        assert getattr(blocks, name).tolist() == getattr(whole, name).tolist(), name
    assert len(set(whole.ent.tolist())) == 7
