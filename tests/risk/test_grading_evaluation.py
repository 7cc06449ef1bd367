"""Evaluation: AUC, violation rate per grade and lift, on numbers worked out by hand."""

import numpy as np
import pytest

from jointinspect.risk.config import load_config
from jointinspect.risk.evaluation import auc, evaluate, grade_numbers


def test_auc_by_hand() -> None:
    # Positives 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 pairs, 3 are ordered right.
    scores = np.array([0.1, 0.4, 0.35, 0.8])
    labels = np.array([False, False, True, True])
    assert auc(scores, labels) == pytest.approx(0.75)


def test_auc_counts_ties_half() -> None:
    assert auc(np.array([1.0, 1.0, 2.0]), np.array([False, True, True])) == pytest.approx(0.75)


def test_auc_needs_both_classes() -> None:
    assert auc(np.array([1.0, 2.0]), np.array([True, True])) is None


def test_rates_per_grade_and_lift_by_hand() -> None:
    # Enterprises 0–5 graded A A B C D D. After T: 0 clean; 1 clean twice; 2 violated;
    # 3 clean; 4 violated twice; 5 not inspected.
    grades = grade_numbers(["A", "A", "B", "C", "D", "D"])
    risk = np.array([10.0, 20.0, 30.0, 40.0, 60.0, 70.0])
    inspected = np.array([0, 1, 1, 2, 3, 4, 4])
    violation = np.array([False, False, False, True, False, True, True])
    result = evaluate(grades, risk, inspected, violation, load_config().evaluation)

    rates = {r.grade: r.rate for r in result.per_grade}
    assert rates == {"A": 0.0, "B": 1.0, "C": 0.0, "D": 1.0}
    d = result.per_grade[3]
    assert (d.enterprises, d.inspected, d.inspections, d.violations) == (2, 1, 2, 2)
    assert not result.strictly_rising
    # 5 inspected, 2 violators (2 and 4): base rate 0.4. Targeted C+D inspected: 3 and 4,
    # one violator: hit rate 0.5, lift 1.25.
    assert (result.inspected, result.violators) == (5, 2)
    assert (result.selected, result.selected_violators) == (2, 1)
    assert result.lift == pytest.approx(1.25)
    # Violators score 30 and 60, the clean 10, 20 and 40: 5 of 6 pairs ordered right.
    assert result.auc == pytest.approx(5 / 6)


def test_strictly_rising_ignores_grades_without_inspections() -> None:
    grades = grade_numbers(["A", "B", "D"])
    result = evaluate(
        grades,
        np.array([1.0, 2.0, 3.0]),
        np.array([0, 0, 1, 1, 2]),
        np.array([False, False, False, True, True]),
        load_config().evaluation,
    )
    assert result.strictly_rising
    assert result.per_grade[2].rate is None


def test_priority_auc_is_reported_beside_the_risk_auc() -> None:
    # The same three enterprises: risk orders the violator (2) last, priority first.
    grades = grade_numbers(["A", "A", "C"])
    risk = np.array([30.0, 20.0, 10.0])
    priority = np.array([10.0, 20.0, 230.0])
    inspected = np.array([0, 1, 2])
    violation = np.array([False, False, True])
    config = load_config().evaluation
    result = evaluate(grades, risk, inspected, violation, config, priority)
    assert result.auc == pytest.approx(0.0)
    assert result.priority_auc == pytest.approx(1.0)
    assert evaluate(grades, risk, inspected, violation, config).priority_auc is None
