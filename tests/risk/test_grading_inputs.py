"""Turning columns keyed by USCC into grading inputs: the numbering by dict lookups is
numpy's, and what cannot be numbered is an error naming it."""

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointinspect.risk.inputs import (
    CreditEventColumns,
    EnterpriseColumns,
    GradingInputError,
    IndustryRecordColumns,
    InspectionColumns,
    build_inputs,
    canonical_order,
    sorted_classes,
)

AS_OF = dt.date(2025, 6, 30)
A, B = "91310120MA1H00001X", "91310120MA1H00002X"


# Without NUL: numpy's fixed-width strings drop trailing NULs ('\x00' becomes ''), and
# trade codes hold none.
@given(st.lists(st.text(st.characters(blacklist_characters="\x00"), max_size=4), max_size=60))
def test_sorted_classes_are_numpys_unique(values: list[str]) -> None:
    array = np.array(values, dtype=str)
    classes, codes = sorted_classes(array)
    expected, inverse = np.unique(array, return_inverse=True)
    assert classes.tolist() == expected.tolist()
    assert codes.tolist() == inverse.ravel().tolist()
    assert sorted_classes(values)[1].tolist() == codes.tolist()  # a list numbers the same


def test_indicators_are_numbered_in_the_order_of_their_joined_names() -> None:
    # "X␟b" sorts before "X-1␟a": the separator sorts before any printed character.
    departments = ["X-1", "X", "X", "X-1"]
    indicators = ["a", "b", "a", "a"]
    inputs = build_inputs(
        as_of=AS_OF,
        enterprises=EnterpriseColumns([A], ["6210"], [True]),
        industry_records=IndustryRecordColumns(
            [A] * 4, departments, indicators, [50.0] * 4, [AS_OF] * 4
        ),
    )
    keys = [f"{d}\x1f{i}" for d, i in zip(departments, indicators, strict=True)]
    _, expected = np.unique(np.array(keys), return_inverse=True)
    # One enterprise, one day: the canonical order is the groups' order.
    assert inputs.industry_records.group.tolist() == sorted(expected.ravel().tolist())
    assert inputs.industry_records.group.tolist() == [0, 1, 2, 2]


def test_events_are_numbered_by_enterprise_whatever_the_objects() -> None:
    # USCCs as a numpy array, as new strings, or as the enterprises' own objects.
    enterprises = EnterpriseColumns(np.array([B, A]), ["6210", "8911"], [True, False])
    inputs = build_inputs(
        as_of=AS_OF,
        enterprises=enterprises,
        credit_events=CreditEventColumns(
            ["".join(B), A], np.array(["penalty", "commendation"]), [AS_OF, AS_OF], [2, None]
        ),
        inspections=InspectionColumns([B, A], [AS_OF, AS_OF], ["not_done", "violation"]),
    )
    assert inputs.uscc.tolist() == [A, B]
    assert inputs.industry.tolist() == ["8911", "6210"]
    assert inputs.active.tolist() == [False, True]
    assert inputs.credit_events.ent.tolist() == [0, 1]
    assert inputs.credit_events.severity.tolist() == [1, 2]
    assert inputs.inspections.ent.tolist() == [0]  # not_done says nothing


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"credit_events": CreditEventColumns([A], ["fine"], [AS_OF], [1])},
            "unknown kind 'fine'; known: penalty, ",
        ),
        (
            {"credit_events": CreditEventColumns(["nobody"], ["penalty"], [AS_OF], [1])},
            "a credit event refers to enterprise nobody, which is not in the grading input",
        ),
        (
            {"inspections": InspectionColumns([A], [AS_OF], [None])},
            "unknown result 'None'",
        ),
    ],
)
def test_what_cannot_be_numbered_is_named(columns: dict[str, object], message: str) -> None:
    with pytest.raises(GradingInputError, match=message):
        build_inputs(
            as_of=AS_OF,
            enterprises=EnterpriseColumns([A], ["6210"], [True]),
            **columns,  # type: ignore[arg-type]
        )


def _keys_and_last(values: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    return st.integers(0, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(values, min_size=n, max_size=n), min_size=1, max_size=5),
            st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, float("nan")]), min_size=n, max_size=n),
        )
    )


# Narrow keys are packed into one; wide ones (2**40 and more apart) overflow it.
@given(_keys_and_last(st.integers(-3, 3)) | _keys_and_last(st.integers(-(2**40), 2**40)))
def test_canonical_order_is_lexsorts(keys_last: tuple[list[list[int]], list[float]]) -> None:
    keys, last = keys_last
    arrays = [np.array(k, dtype=np.int64) for k in keys]
    values = np.array(last, dtype=np.float64)
    expected = np.lexsort((values, *reversed(arrays)))
    assert canonical_order(arrays, values).tolist() == expected.tolist()
