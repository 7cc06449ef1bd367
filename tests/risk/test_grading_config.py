"""The grading TOML: shipped defaults load, a user's file overrides them, and invalid
values are rejected with a message naming the key."""

import pytest

from jointinspect.models.enums import CreditEventKind
from jointinspect.risk.config import GradingConfigError, load_config


def test_shipped_defaults_load() -> None:
    config = load_config()
    assert set(config.credit.kinds) == set(CreditEventKind)
    assert config.grade.matrix[0][0] == "A"
    assert config.risk.weights.total > 0


def test_a_user_file_overrides_only_what_it_sets() -> None:
    config = load_config(
        """
        [credit.kinds.penalty]
        half_life_days = 180
        [risk.industry.table]
        "9999" = { risk = 0.9, zh = "测试", en = "test" }
        """
    )
    penalty = config.credit.kinds[CreditEventKind.PENALTY]
    assert penalty.half_life_days == 180
    assert (
        penalty.publicity_days == load_config().credit.kinds[CreditEventKind.PENALTY].publicity_days
    )
    assert config.risk.industry_table["9999"].risk == 0.9
    assert "8911" in config.risk.industry_table


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[credit.kinds.penalty]\nhalf_life_days = 0",
            "grading.credit.kinds.penalty.half_life_days must be > 0",
        ),
        ("[credit]\nindustry_blend = 1.5", "grading.credit.industry_blend must be <= 1"),
        ("[credit]\nbase = 'high'", "grading.credit.base must be a number"),
        ("[credit]\nbonus = 3", "grading.credit.bonus is not a grading setting"),
        ("[risk.weights]\nsize = 0.1", "grading.risk.weights.size is not a grading setting"),
        ("[risk.contagion]\nhops = -1", "grading.risk.contagion.hops must be >= 0"),
        (
            "[risk.contagion.kinds]\naddress = 2",
            "grading.risk.contagion.kinds.address must be <= 1",
        ),
        (
            "[risk.industry.table]\n'89x1' = { risk = 0.5, zh = 'x', en = 'x' }",
            "grading.risk.industry.table.89x1",
        ),
        (
            "[risk.weights]\ninherent = 0\nhistory = 0\ntriggers = 0\n"
            "inspection_gap = 0\ncontagion = 0",
            "grading.risk.weights must not all be zero",
        ),
        ("[grade]\nrisk_bands = [40.0, 25.0, 55.0]", "grading.grade.risk_bands must be strictly"),
        ("[grade]\ncredit_bands = [85.0, 70.0]", "grading.grade.matrix must have 3 rows"),
        (
            "[grade]\nmatrix = [['A','A','B','C'],['A','B','C','D'],['B','A','C','D'],"
            "['C','D','D','D']]",
            "grading.grade.matrix must not improve",
        ),
        ("[grade]\nmatrix = [['A','A','B','E']]", "grading.grade.matrix"),
        ("[grade.worst_by_kind]\nbribery = 'D'", "'bribery' is not a credit-event kind"),
        ("[grade.worst_by_kind]\npenalty = 'E'", "grading.grade.worst_by_kind.penalty"),
        ("[evaluation]\ntargeted_grades = ['E']", "grading.evaluation.targeted_grades"),
        ("[priority]\nrisk_weight = -1.0", "grading.priority.risk_weight must be >= 0"),
        (
            "[priority]\nrisk_weight = 0\ncredit_weight = 0",
            "grading.priority: risk_weight and credit_weight must not both be zero",
        ),
        (
            "[risk.history]\nprior_violations = 9.0",
            "grading.risk.history.prior_violations must be less than",
        ),
        ("[credit.severity]\ngrave = 0.5", "grading.credit.severity must not decrease"),
        ("[credit", "is not valid TOML"),
        (
            "[risk.history.sanctions]\nbribery = 1.0",
            "grading.risk.history.sanctions: 'bribery' is not a credit-event kind",
        ),
        (
            "[risk.history.sanctions]\npenalty = 2.0",
            "grading.risk.history.sanctions.penalty must be <= 1",
        ),
    ],
)
def test_invalid_values_are_rejected_naming_the_key(toml: str, message: str) -> None:
    with pytest.raises(GradingConfigError) as caught:
        load_config(toml, source="my.toml")
    assert message in str(caught.value)
