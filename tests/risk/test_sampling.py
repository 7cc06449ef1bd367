"""The 双随机 draw of spec §3, checked against digests worked out by hand.

The sha256 digests below were computed once, outside the code under test, with
``hashlib.sha256(f"{seed}|{department}|{item}|{uscc}".encode()).hexdigest()`` for
seed ``2025Q3-fengxian``, department ``SCJ``, item ``SCJ-FOOD-01``:

    uscc                  digest (first 4 hex)   in the B population?
    91310120MA1H00001A    751b…                  yes (6210)
    91310120MA1H00002B    f7fc…                  yes (6220)
    91310120MA1H00003C    2874…                  yes (1419)
    91310120MA1H00004D    8c64…                  only for a non-onsite item (no-disturb)
    91310120MA1H00005E    4909…                  no: software (6510) is not food
    91310120MA1H00006F    139f…                  no: grade A
    91310120MA1H00007G    —                      no: closed

Onsite rule, ratio 0.5: N = 3, k = ceil(1.5) = 2 → 2874… (3C), 751b… (1A).
Either-mode rule, ratio 0.75: N = 4, k = 3 → 2874… (3C), 751b… (1A), 8c64… (4D).
Grade-A rule, ratio 1: N = 1 → 139f… (6F).
"""

import pytest

from jointinspect.models import uscc
from jointinspect.risk.sampling import (
    Candidate,
    CandidateColumns,
    SamplingRuleError,
    SamplingRuleSpec,
    _smallest,
    digest,
    draw,
    draw_columns,
    draw_for_rule,
    sample_size,
)

SEED = "2025Q3-fengxian"
FOOD = "62;14"


def _candidates() -> list[Candidate]:
    return [
        Candidate("91310120MA1H00001A", "6210", "B", True, False),
        Candidate("91310120MA1H00002B", "6220", "B", True, False),
        Candidate("91310120MA1H00003C", "1419", "B", True, False),
        Candidate("91310120MA1H00004D", "6210", "B", True, True),
        Candidate("91310120MA1H00005E", "6510", "B", True, False),
        Candidate("91310120MA1H00006F", "6210", "A", True, False),
        Candidate("91310120MA1H00007G", "6210", "B", False, False),
    ]


def test_digest_is_the_contract_formula() -> None:
    assert digest(SEED, "SCJ", "SCJ-FOOD-01", "91310120MA1H00001A") == (
        "751ba7f2e981f426c683876b7850aad57d49f206456b9c84c95641e24ecb778f"
    )


def test_onsite_rule_draws_the_smallest_digests_without_no_disturb() -> None:
    rule = SamplingRuleSpec("SCJ", "SCJ-FOOD-01", "B", "0.5", FOOD, item_onsite_only=True)
    drawn = draw(SEED, [rule], _candidates())
    assert [d.uscc for d in drawn] == ["91310120MA1H00003C", "91310120MA1H00001A"]
    assert [d.digest[:4] for d in drawn] == ["2874", "751b"]
    assert drawn[0].demand_id == "R:SCJ:SCJ-FOOD-01:91310120MA1H00003C"


def test_non_onsite_rule_keeps_no_disturb_enterprises_in_the_population() -> None:
    rule = SamplingRuleSpec("SCJ", "SCJ-FOOD-01", "B", "0.75", FOOD, item_onsite_only=False)
    drawn = draw(SEED, [rule], _candidates())
    assert [d.uscc[-3:] for d in drawn] == ["03C", "01A", "04D"]


def test_rules_run_in_department_item_grade_order() -> None:
    rules = [
        SamplingRuleSpec("SCJ", "SCJ-FOOD-01", "B", "0.5", FOOD, item_onsite_only=True),
        SamplingRuleSpec("SCJ", "SCJ-FOOD-01", "A", "1", FOOD, item_onsite_only=True),
    ]
    drawn = draw(SEED, rules, list(reversed(_candidates())))
    assert [d.uscc[-3:] for d in drawn] == ["06F", "03C", "01A"]


@pytest.mark.parametrize(
    ("ratio", "population", "expected"),
    [
        ("0.07", 100, 7),  # 0.07 * 100 in floating point is 7.000000000000001 → 8
        ("0.1", 30, 3),  # 0.1 * 30 in floating point is 3.0000000000000004 → 4
        ("0.05", 21, 2),  # ceil(1.05)
        ("0", 50, 0),
        ("1", 13, 13),
        ("1.0", 0, 0),
    ],
)
def test_sample_size_uses_exact_decimals(ratio: str, population: int, expected: int) -> None:
    assert sample_size(ratio, population) == expected


@pytest.mark.parametrize("ratio", ["1.01", "-0.1", "abc", "NaN", "Infinity"])
def test_bad_ratio_is_rejected(ratio: str) -> None:
    with pytest.raises(SamplingRuleError):
        sample_size(ratio, 10)


def test_fast_draw_equals_the_rule_by_rule_spec_reading() -> None:
    candidates = [
        Candidate(
            uscc.complete(f"91310120MA{k:07d}"),
            ("5211", "8411", "5212", "1491")[k % 4],
            "ABCD"[k % 3],
            k % 7 != 0,
            k % 11 == 0,
        )
        for k in range(400)
    ]
    rules = [
        SamplingRuleSpec("SCJ", "SCJ-FOOD", "A", "0.3", "52", True),
        SamplingRuleSpec("SCJ", "SCJ-ALL", "B", "0.07", "*", False),
        SamplingRuleSpec("WJ", "WJ-X", "C", "1", "84;149", True),
    ]
    by_rule = [
        d
        for rule in sorted(rules, key=lambda r: (r.department, r.item, r.grade))
        for d in draw_for_rule("s", rule, candidates)
    ]
    assert draw("s", rules, candidates) == by_rule
    assert len(by_rule) > 10


def test_column_draw_equals_the_spec_reading_on_a_larger_register() -> None:
    candidates = [
        Candidate(
            uscc.complete(f"91310120MB{k:07d}"),
            ("5211", "8411", "5212", "1491", "6210", "6220")[k % 6],
            "ABCD"[(k * 7) % 5 % 4] if k % 13 else "",
            k % 9 != 0,
            k % 5 == 0,
        )
        for k in range(3_000)
    ]
    rules = [
        SamplingRuleSpec(dept, f"{dept}-{n}", grade, ratio, industries, onsite)
        for n, (industries, onsite) in enumerate((("52", True), ("*", False), ("62;14", True)))
        for dept in ("SCJ", "WJ")
        for grade, ratio in (("A", "0.03"), ("B", "0.2"), ("C", "1"), ("D", "0.61"), ("E", "1"))
    ]
    by_rule = [
        d
        for rule in sorted(rules, key=lambda r: (r.department, r.item, r.grade))
        for d in draw_for_rule("columns", rule, candidates)
    ]
    assert draw_columns("columns", rules, CandidateColumns.of(candidates)) == by_rule
    assert len(by_rule) > 500


def test_digests_tied_in_their_first_bytes_are_ordered_by_the_whole_digest() -> None:
    head = bytes(8)
    digests = [head + bytes([9]) * 24, head + bytes([3]) * 24, bytes([1]) * 32, head + bytes(24)]
    assert _smallest(digests, 2) == [3, 1]
    assert _smallest(digests, 3) == [3, 1, 0]
    assert _smallest(digests, 4) == [3, 1, 0, 2]


def test_a_bad_ratio_is_refused_even_where_no_enterprise_has_the_grade() -> None:
    rule = SamplingRuleSpec("SCJ", "SCJ-FOOD-01", "D", "1.5", FOOD, item_onsite_only=True)
    with pytest.raises(SamplingRuleError):
        draw(SEED, [rule], _candidates())
